"""Counting findings by severity, shared by the reporters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from llmops_ci.findings import Finding, Severity


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    by_level = Counter(finding.severity for finding in findings)
    return {
        level.label: by_level.get(level, 0) for level in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    }


def summary_line(findings: Sequence[Finding], files_checked: int) -> str:
    if not findings:
        return f"All checks passed: {files_checked} artifact file{'s' if files_checked != 1 else ''} linted."
    count = counts(findings)
    parts = [f"{n} {label}{'s' if n != 1 and label != 'info' else ''}" for label, n in count.items() if n]
    files = len({finding.path for finding in findings})
    return f"Found {', '.join(parts)} in {files} of {files_checked} file{'s' if files_checked != 1 else ''}."
