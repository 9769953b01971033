"""What a lint rule module provides, and the small types rules work with.

A rule is a module under ``llmops_ci/lint/rules/`` with ``CODE``, ``NAME``, ``SEVERITY``, ``SUMMARY``, a
docstring in ruff's sections (What it does / Why is this bad? / Example / Use instead) that
``llmops-ci rule CODE`` prints, and ``check(context)`` yielding :class:`Hit` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from llmops_ci.artifacts.loader import ProjectConfig
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.findings import Position, RuleInfo, Severity


@dataclass
class Hit:
    artifact: Artifact
    position: Position
    message: str
    hint: str = ""


@dataclass
class LintContext:
    graph: Graph
    config: ProjectConfig

    def default(self, key: str) -> Any:
        return self.config.defaults.get(key)


def hit(artifact: Artifact, path: JsonPath, message: str, hint: str = "", *, key: bool = False) -> Hit:
    return Hit(artifact, artifact.position(path, key=key), message, hint)


@dataclass(frozen=True)
class Rule:
    info: RuleInfo
    check: Callable[[LintContext], Iterator[Hit]]

    @property
    def code(self) -> str:
        return self.info.code

    @classmethod
    def from_module(cls, module: ModuleType) -> Rule:
        info = RuleInfo(
            code=module.CODE,
            name=module.NAME,
            severity=module.SEVERITY,
            summary=module.SUMMARY,
            doc=(module.__doc__ or "").strip(),
        )
        return cls(info=info, check=module.check)


__all__ = ["Hit", "LintContext", "Rule", "Severity", "hit"]
