"""Reporters: findings -> text. A registry keyed by --format name; 'auto' is resolved by the command.

Each reporter module has ``render(findings, rules, files_checked) -> str``; only the chosen one is
imported, which keeps the lint cold start small.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from llmops_ci.findings import Finding, RuleInfo

LintReporter = Callable[[Sequence[Finding], Sequence[RuleInfo], int], str]

#: --format name -> module holding its render()
LINT_REPORTERS: dict[str, str] = {
    "text": "llmops_ci.report.lint_text",
    "json": "llmops_ci.report.lint_json",
    "github": "llmops_ci.report.lint_github",
    "sarif": "llmops_ci.report.lint_sarif",
}


def lint_reporter(name: str) -> LintReporter:
    render: LintReporter = importlib.import_module(LINT_REPORTERS[name]).render
    return render
