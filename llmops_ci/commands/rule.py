"""``llmops-ci rule CODE`` prints a rule's documentation; ``--list`` lists them (``--markdown``: a table)."""

from __future__ import annotations

import sys

from llmops_ci.errors import EXIT_OK, UsageError
from llmops_ci.lint.rule import Rule
from llmops_ci.lint.rules import RULES


def rules_table_markdown() -> str:
    rows = ["| Code | Name | Default | What it checks |", "| --- | --- | --- | --- |"]
    rows += [
        f"| {r.code} | `{r.info.name}` | {r.info.severity.label} | {r.info.summary} |" for r in RULES.values()
    ]
    return "\n".join(rows) + "\n"


def run(code: str | None, *, list_rules: bool = False, markdown: bool = False) -> int:
    if list_rules or code is None:
        if markdown:
            sys.stdout.write(rules_table_markdown())
        else:
            for listed in RULES.values():
                info = listed.info
                sys.stdout.write(f"{info.code}  {info.name:<24} {info.severity.label:<8} {info.summary}\n")
        return EXIT_OK
    wanted = code.upper()
    rule: Rule | None = RULES.get(wanted) or next((r for r in RULES.values() if r.info.name == code), None)
    if rule is None:
        raise UsageError(f"unknown rule {code!r}: see `llmops-ci rule --list`")
    sys.stdout.write(f"# {rule.code} {rule.info.name} ({rule.info.severity.label} by default)\n\n")
    sys.stdout.write(f"{rule.info.summary}.\n\n{rule.info.doc}\n")
    return EXIT_OK
