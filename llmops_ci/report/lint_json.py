"""Machine-readable findings: one JSON document with the findings and their counts."""

from __future__ import annotations

import json
from collections.abc import Sequence

from llmops_ci import __version__
from llmops_ci.findings import Finding, RuleInfo
from llmops_ci.report._counts import counts


def render(findings: Sequence[Finding], rules: Sequence[RuleInfo], files_checked: int) -> str:
    names = {rule.code: rule.name for rule in rules}
    document = {
        "tool": "llmops-ci",
        "version": __version__,
        "files_checked": files_checked,
        "counts": counts(findings),
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "col": f.col,
                "code": f.code,
                "rule": names.get(f.code, ""),
                "severity": f.severity.label,
                "message": f.message,
                "hint": f.hint,
            }
            for f in findings
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
