"""## What it does
Reports a variable used in a message template that the prompt's `inputs` schema does not declare
(`examples` and `context` are reserved and always available).

## Why is this bad?
Templates render with strict undefined variables: the call fails at run time. Declaring inputs also
lets eval cases and applications be checked against the schema.

## Example
```yaml
spec:
  inputs: {type: object, properties: {document: {type: string}}}
  messages: [{role: user, content: "{{ documnet }}"}]
```

## Use instead
```yaml
  messages: [{role: user, content: "{{ document }}"}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.artifacts.templates import RESERVED_VARIABLES, line_in_file, prompt_templates
from llmops_ci.lint.rule import Hit, LintContext, Severity

CODE = "T002"
NAME = "undeclared-variable"
SEVERITY = Severity.ERROR
SUMMARY = "Template uses a variable the inputs schema does not declare"


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
        declared = set(artifact.spec.get("inputs", {}).get("properties", {}))
        for path, template in prompt_templates(artifact):
            for name, line in template.variables.items():
                if name in declared or name in RESERVED_VARIABLES:
                    continue
                suggestion = did_you_mean(name, declared)
                yield Hit(
                    artifact,
                    line_in_file(artifact, path, line),
                    f"template variable {name!r} is not declared in spec.inputs{suggestion}",
                    f"add it to spec.inputs.properties, e.g. {name}: {{type: string}}",
                )
