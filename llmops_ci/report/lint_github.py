"""GitHub Actions workflow commands, so findings land as annotations on the YAML lines.

GitHub shows only about ten annotations of each level per step: the most severe come first, at most
ten per level; the rest are summarised in one notice and listed as plain log lines (nothing is lost).
"""

from __future__ import annotations

from collections.abc import Sequence

from llmops_ci.findings import Finding, RuleInfo, Severity
from llmops_ci.report._counts import summary_line

ANNOTATIONS_PER_LEVEL = 10
_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, rule_name: str) -> str:
    title = escape_property(f"{finding.code} {rule_name}".strip())
    message = finding.message + (f"\n{finding.hint}" if finding.hint else "")
    return (
        f"::{_COMMANDS[finding.severity]} file={escape_property(finding.path)},line={finding.line},"
        f"col={finding.col},title={title}::{escape_data(message)}"
    )


def render(findings: Sequence[Finding], rules: Sequence[RuleInfo], files_checked: int) -> str:
    names = {rule.code: rule.name for rule in rules}
    ordered = sorted(findings, key=lambda f: (-f.severity, f.sort_key()))
    shown: list[str] = []
    overflow: list[Finding] = []
    per_level: dict[Severity, int] = {}
    for finding in ordered:
        used = per_level.get(finding.severity, 0)
        if used < ANNOTATIONS_PER_LEVEL:
            per_level[finding.severity] = used + 1
            shown.append(annotation(finding, names.get(finding.code, "")))
        else:
            overflow.append(finding)
    lines = shown
    if overflow:
        lines.append(
            "::notice title=llmops-ci::"
            + escape_data(
                f"{len(overflow)} more finding(s) not shown as annotations "
                f"(GitHub shows about {ANNOTATIONS_PER_LEVEL} per level); they are listed in the log below"
            )
        )
        lines += [f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}" for f in overflow]
    lines.append(summary_line(findings, files_checked))
    return "\n".join(lines) + "\n"
