"""## What it does
Validates every artifact against its kind's JSON Schema (`llmops-ci schema KIND` prints it): apiVersion,
kind, required keys, types, allowed values and unknown keys (with a did-you-mean).

## Why is this bad?
A misspelt key such as `temprature` is ignored by a model call and the prompt silently runs at the
default; a wrong type fails only at run time, in CI, after spending money.

## Example
```yaml
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temprature: 0}}
  messages: [{role: user, content: "{{ document }}"}]
```

## Use instead
```yaml
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0}}
```
Custom keys are allowed everywhere when they start with `x-`.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity
from llmops_ci.lint.rules._load_problems import problems_with_code

CODE = "S001"
NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "Artifact does not match its kind's JSON Schema"


def check(context: LintContext) -> Iterator[Hit]:
    return problems_with_code(context, CODE)
