"""Registry of guardrail checks: check type -> module path, imported only when a check is used.

Every detector exposes ``find(text, entities=None) -> list[Detection]``; lint rules (P002, P003) and
guardrail policies use the same functions, so there is one set of detectors.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Detection:
    entity: str
    start: int
    end: int
    text: str


CHECKS: dict[str, str] = {
    "pii": "llmops_ci.guardrails.checks.pii",
    "secrets": "llmops_ci.guardrails.checks.secrets",
}


def load_check(check_type: str) -> ModuleType:
    return importlib.import_module(CHECKS[check_type])
