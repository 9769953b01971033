"""Registry of guardrail checks: check type -> module path, imported only when a check is used.

Every check module exposes:

- ``ENTITIES``: the entity names its detections carry (empty when the check has a single kind of finding);
- ``PARAMS``: the check keys (beyond ``id``, ``type``, ``description``, ``scopes``) it reads;
- ``MODEL_BASED``: ``True`` for checks that need a model (only the eval engine runs those);
- ``build(spec, context) -> Detector``: compile a check from its policy entry, raising ``CheckError`` for a
  bad configuration (the lint rule G003 reports it at the key);
- the module docstring is the check's documentation (``llmops-ci guard checks``).

Detectors of ``pii`` and ``secrets`` also expose ``find(text, entities=None)``, which lint rules P002/P003
use, so lint and policies share one set of detectors.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol


@dataclass(frozen=True)
class Detection:
    """One finding of a detector: what it found (``entity``) and where (``text[start:end]``)."""

    entity: str
    start: int
    end: int
    text: str
    detail: str = ""  # why it fired, when the span alone does not say (a schema error, decoded hidden text)


class Detector(Protocol):
    def scan(self, text: str) -> list[Detection]: ...


class CheckError(ValueError):
    """A check entry that cannot be compiled; ``key`` names the offending key of the entry."""

    def __init__(self, message: str, key: str | int | tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.key: tuple[str | int, ...] = key if isinstance(key, tuple) else (key,)


@dataclass(frozen=True)
class BuildContext:
    """What a check may read while compiling: the directory relative paths (``terms_file``) resolve from."""

    root: Path = field(default_factory=Path.cwd)


CHECKS: dict[str, str] = {
    "pii": "llmops_ci.guardrails.checks.pii",
    "secrets": "llmops_ci.guardrails.checks.secrets",
    "denylist": "llmops_ci.guardrails.checks.denylist",
    "regex": "llmops_ci.guardrails.checks.regex",
    "length": "llmops_ci.guardrails.checks.length",
    "unicode": "llmops_ci.guardrails.checks.unicode",
    "json_schema": "llmops_ci.guardrails.checks.json_schema",
    "prompt_injection": "llmops_ci.guardrails.checks.prompt_injection",
    "topic": "llmops_ci.guardrails.checks.topic",
    "toxicity": "llmops_ci.guardrails.checks.model_judge",
    "llm_judge": "llmops_ci.guardrails.checks.model_judge",
}


def load_check(check_type: str) -> ModuleType:
    return importlib.import_module(CHECKS[check_type])


def build_detector(spec: Mapping[str, Any], context: BuildContext | None = None) -> Detector:
    """Compile one check entry of a policy (its ``type`` must be in ``CHECKS``)."""
    module = load_check(spec["type"])
    detector: Detector = module.build(spec, context or BuildContext())
    return detector
