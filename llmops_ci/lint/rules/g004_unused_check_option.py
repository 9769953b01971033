"""## What it does
Reports an option on a guardrail check that its type does not read: `keywords` on a denylist (which
reads `terms`), `entities` on a regex check, `min_entropy` on a pii check.

## Why is this bad?
The option reads as protection in review and does nothing: usually a check of another type was meant,
or the option name is misspelled for the right one.

## Example
```yaml
checks:
  - {id: names, type: denylist, keywords: [Globex], terms: [Initech], scopes: {output: block}}
```

## Use instead
```yaml
  - {id: names, type: denylist, terms: [Globex, Initech], scopes: {output: block}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.guardrails.policy import unused_keys
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "G004"
NAME = "unused-check-option"
SEVERITY = Severity.WARNING
SUMMARY = "Guardrail check option that its type ignores"


def check(context: LintContext) -> Iterator[Hit]:
    for policy in context.graph.of_kind("GuardrailPolicy"):
        for index, spec in enumerate(policy.spec["checks"]):
            for key in unused_keys(spec):
                yield hit(
                    policy,
                    ("spec", "checks", index, key),
                    f"option {key!r} has no effect on a {spec['type']} check",
                    f"see `llmops-ci guard checks {spec['type']}` for its options",
                    key=True,
                )
