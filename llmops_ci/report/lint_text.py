"""``path:line:col: CODE message``, one line per finding, a help line under it, a summary at the end."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from llmops_ci.findings import Finding, RuleInfo, Severity
from llmops_ci.report._counts import summary_line

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET, _DIM, _BOLD = "\033[0m", "\033[2m", "\033[1m"


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def render(findings: Sequence[Finding], rules: Sequence[RuleInfo], files_checked: int) -> str:
    color = use_color()
    lines: list[str] = []
    for finding in findings:
        location = f"{finding.path}:{finding.line}:{finding.col}:"
        code = finding.code
        if color:
            location = f"{_BOLD}{location}{_RESET}"
            code = f"{_COLORS[finding.severity]}{code}{_RESET}"
        level = "" if finding.severity is Severity.ERROR else f"[{finding.severity.label}] "
        lines.append(f"{location} {code} {level}{finding.message}")
        if finding.hint:
            lines.append(f"  {_DIM if color else ''}help: {finding.hint}{_RESET if color else ''}")
    lines.append(summary_line(findings, files_checked))
    return "\n".join(lines) + "\n"
