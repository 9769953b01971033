"""## What it does
Reports a guardrail check whose `type` is not in the check registry, or whose `entities` name an entity
that the check's detector does not know (with a did-you-mean).

## Why is this bad?
An unknown type or entity is a check that never runs: the policy reads as protective in review while
the PII it names passes straight through.

## Example
```yaml
checks:
  - {id: pii, type: pii, entities: [EMAIL, CREDIT_CARD], scopes: {output: block}}
```

## Use instead
```yaml
  - {id: pii, type: pii, entities: [EMAIL_ADDRESS, CREDIT_CARD], scopes: {output: block}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.guardrails.checks import CHECKS, load_check
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "G001"
NAME = "unknown-check"
SEVERITY = Severity.ERROR
SUMMARY = "Guardrail check type or entity is not known"


def check(context: LintContext) -> Iterator[Hit]:
    for policy in context.graph.of_kind("GuardrailPolicy"):
        for index, spec in enumerate(policy.spec["checks"]):
            path = ("spec", "checks", index)
            check_type = spec["type"]
            if check_type not in CHECKS:
                yield hit(
                    policy,
                    (*path, "type"),
                    f"unknown check type {check_type!r}{did_you_mean(check_type, CHECKS)}",
                    "known types: " + ", ".join(CHECKS),
                )
                continue
            known = set(getattr(load_check(check_type), "ENTITIES", ()))
            custom = set(spec.get("custom_entities", {}))
            for entity_index, entity in enumerate(spec.get("entities", [])):
                if known and entity not in known | custom:
                    yield hit(
                        policy,
                        (*path, "entities", entity_index),
                        f"{check_type} check has no entity {entity!r}{did_you_mean(entity, known)}",
                        "known: " + ", ".join(sorted(known)) + "; or define it under custom_entities",
                    )
