"""## What it does
Checks each assertion's parameters against its type (`llmops-ci assertions` lists the types): a
`contains-any` needs a list of strings, a `regex` a pattern that compiles, `word-count` a `min` or `max`,
`json-path` a readable path, `python` a `module:function`.

## Why is this bad?
The eval would stop on the bad assertion, or, worse, a check would quietly test something else than
intended. Lint finds it on the developer's machine instead of in CI after the model calls.

## Example
```yaml
assert: [{type: contains-any, value: invoice}, {type: regex, value: "total: ("}]
```

## Use instead
```yaml
assert: [{type: contains-any, value: [invoice, bill]}, {type: regex, value: "total: \\\\d+"}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type, validate_params
from llmops_ci.lint.models import suite_assertions
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E007"
NAME = "assertion-params"
SEVERITY = Severity.ERROR
SUMMARY = "Assertion parameters do not fit its type"


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        for path, assertion in suite_assertions(suite):
            if base_type(assertion["type"]) not in ASSERTION_TYPES:
                continue  # E004
            for message in validate_params(assertion):
                yield hit(suite, path, message, "see `llmops-ci assertions` and the rule docs")
