"""The one shape every check in llmops-ci reports: a finding tied to a place in a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that ``max()`` gives the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning or info") from None


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column."""

    line: int = 1
    col: int = 1


@dataclass
class Finding:
    path: str
    position: Position
    code: str
    message: str
    severity: Severity = Severity.ERROR
    hint: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.position.line

    @property
    def col(self) -> int:
        return self.position.col

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


@dataclass(frozen=True)
class RuleInfo:
    """What reporters need to know of a rule (SARIF lists them; docs print them)."""

    code: str
    name: str
    severity: Severity
    summary: str
    doc: str = ""
