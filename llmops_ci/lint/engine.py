"""Run the selected rules over the artifact graph and keep the findings the user asked about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from llmops_ci.artifacts.loader import ProjectConfig
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import UsageError
from llmops_ci.findings import Finding, Severity
from llmops_ci.lint.rule import LintContext, Rule
from llmops_ci.lint.rules import RULES

_DISABLE = re.compile(r"#\s*llmops-ci:\s*disable(-file)?\s*=\s*([A-Za-z0-9, ]+)")


@dataclass
class Selection:
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    severity: dict[str, Severity] = field(default_factory=dict)

    @classmethod
    def build(cls, config: ProjectConfig, select: Sequence[str], ignore: Sequence[str]) -> Selection:
        """Command-line --select/--ignore win over llmops.yaml's lint.select/ignore."""
        lint = config.lint
        chosen = cls(
            select=_split(select) or _split(lint.get("select", ())),
            ignore=_split(ignore) or _split(lint.get("ignore", ())),
            severity={
                code.upper(): Severity.parse(level) for code, level in lint.get("severity", {}).items()
            },
        )
        for code in (*chosen.select, *chosen.ignore, *chosen.severity):
            if not any(rule_code.startswith(code) for rule_code in RULES) and code.upper() != "ALL":
                raise UsageError(f"no rule code starts with {code!r}: see `llmops-ci rule --list`")
        return chosen

    def rules(self) -> list[Rule]:
        return [rule for code, rule in RULES.items() if self._selected(code)]

    def _selected(self, code: str) -> bool:
        chosen = not self.select or any(code.startswith(p) or p == "ALL" for p in self.select)
        return chosen and not any(code.startswith(p) for p in self.ignore)

    def severity_of(self, rule: Rule) -> Severity:
        return self.severity.get(rule.code, rule.info.severity)


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip().upper() for value in values for part in str(value).split(",") if part.strip()]


class _Suppressions:
    """``# llmops-ci: disable=CODE`` on the line or the comment line above; ``disable-file=`` anywhere."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    @cached_property
    def _by_line(self) -> tuple[dict[int, set[str]], set[str]]:
        per_line: dict[int, set[str]] = {}
        whole_file: set[str] = set()
        for number, line in enumerate(self.lines, start=1):
            if "llmops-ci:" not in line:
                continue
            for match in _DISABLE.finditer(line):
                codes = {code.strip().upper() for code in match.group(2).split(",") if code.strip()}
                if match.group(1):
                    whole_file |= codes
                elif line.lstrip().startswith("#"):
                    per_line.setdefault(number + 1, set()).update(codes)
                else:
                    per_line.setdefault(number, set()).update(codes)
        return per_line, whole_file

    def suppressed(self, finding: Finding) -> bool:
        per_line, whole_file = self._by_line
        codes = whole_file | per_line.get(finding.line, set())
        return bool(codes) and ("ALL" in codes or any(finding.code.startswith(code) for code in codes))


def scope_for(graph: Graph, named: Iterable[Path]) -> set[Path] | None:
    """Files to report on: the named ones, what they reference, everything that (transitively) refers to
    them, and the sources of dangling references to their kinds (a renamed prompt breaks its suites).
    ``None`` means the whole repository."""
    named_paths = {path.resolve() for path in named}
    if not named_paths:
        return None
    files = {p for p in named_paths if p.is_file()}
    directories = [p for p in named_paths if p.is_dir()]
    chosen = {a for a in graph.artifacts if a.path in files or any(d in a.path.parents for d in directories)}
    scope = {artifact.path for artifact in chosen} | files
    for artifact in chosen:
        for reference in graph.references_from(artifact):
            scope.update(target.path for target in reference.targets)
    named_kinds = {artifact.kind for artifact in chosen}
    pending = list(chosen) + [
        ref.source for ref in graph.references if not ref.resolved and ref.target_kind in named_kinds
    ]
    while pending:
        current = pending.pop()
        scope.add(current.path)
        for referrer in graph.referrers_of(current):
            if referrer.path not in scope:
                pending.append(referrer)
    return scope


def run_rules(
    graph: Graph, config: ProjectConfig, selection: Selection, scope: set[Path] | None = None
) -> list[Finding]:
    graph.scope = scope
    context = LintContext(graph=graph, config=config)
    suppressions: dict[Artifact, _Suppressions] = {}
    findings: list[Finding] = []
    for rule in selection.rules():
        severity = selection.severity_of(rule)
        for found in rule.check(context):
            artifact: Artifact = found.artifact
            if scope is not None and artifact.path not in scope:
                continue
            finding = Finding(artifact.rel, found.position, rule.code, found.message, severity, found.hint)
            if artifact not in suppressions:
                suppressions[artifact] = _Suppressions(artifact.text)
            marks = suppressions[artifact]
            if not marks.suppressed(finding):
                findings.append(finding)
    findings.sort(key=Finding.sort_key)
    return findings
