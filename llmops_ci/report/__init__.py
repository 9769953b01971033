"""Reporters: findings -> text. A registry keyed by --format name; 'auto' is resolved by the command."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llmops_ci.findings import Finding, RuleInfo
from llmops_ci.report import lint_github, lint_json, lint_sarif, lint_text

LintReporter = Callable[[Sequence[Finding], Sequence[RuleInfo], int], str]

#: --format name -> render(findings, rules, files_checked) -> str
LINT_REPORTERS: dict[str, LintReporter] = {
    "text": lint_text.render,
    "json": lint_json.render,
    "github": lint_github.render,
    "sarif": lint_sarif.render,
}
