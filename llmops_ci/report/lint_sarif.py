"""SARIF 2.1.0, uploadable to GitHub code scanning (github/codeql-action/upload-sarif)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llmops_ci import __version__
from llmops_ci.findings import Finding, RuleInfo, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule: RuleInfo) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc or rule.summary, "markdown": rule.doc or rule.summary},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": ["llmops"]},
    }


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    text = finding.message + (f" ({finding.hint})" if finding.hint else "")
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.line, "startColumn": finding.col},
                }
            }
        ],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    return result


def render(findings: Sequence[Finding], rules: Sequence[RuleInfo], files_checked: int) -> str:
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "llmops-ci",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://pypi.org/project/llmops-ci/",
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "results": [_result(finding, rule_index) for finding in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
