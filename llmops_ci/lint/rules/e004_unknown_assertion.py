"""## What it does
Reports an assertion `type` that is not in the assertion registry (a `not-` prefix negates any type).
`llmops-ci assertions` lists them.

## Why is this bad?
The eval would stop on the unknown type after the model calls were paid for, or a typo would turn a
check into nothing.

## Example
```yaml
assert: [{type: contain, value: invoice}]
```

## Use instead
```yaml
assert: [{type: contains, value: invoice}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type
from llmops_ci.lint.models import suite_assertions
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E004"
NAME = "unknown-assertion"
SEVERITY = Severity.ERROR
SUMMARY = "Assertion type is not in the registry"


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        for path, assertion in suite_assertions(suite):
            name = assertion["type"]
            if base_type(name) not in ASSERTION_TYPES:
                yield hit(
                    suite,
                    (*path, "type"),
                    f"unknown assertion type {name!r}{did_you_mean(base_type(name), ASSERTION_TYPES)}",
                    "see `llmops-ci assertions` for the list",
                )
