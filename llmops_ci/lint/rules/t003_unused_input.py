"""## What it does
Reports an input declared in `spec.inputs.properties` that no message template uses.

## Why is this bad?
The caller supplies a value the model never sees: usually a renamed variable or a forgotten
`{{ ... }}`, and the prompt quietly lost information.

## Example
```yaml
spec:
  inputs: {type: object, properties: {document: {type: string}, language: {type: string}}}
  messages: [{role: user, content: "{{ document }}"}]
```

## Use instead
```yaml
  messages: [{role: user, content: "Answer in {{ language }}: {{ document }}"}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.templates import prompt_templates
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "T003"
NAME = "unused-input"
SEVERITY = Severity.WARNING
SUMMARY = "Declared input is never used by a template"


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
        declared = artifact.spec.get("inputs", {}).get("properties", {})
        templates = [template for _, template in prompt_templates(artifact)]
        if not declared or any(template.tree is None for template in templates):
            continue
        used = {name for template in templates for name in template.variables}
        for name in declared:
            if name not in used:
                yield hit(
                    artifact,
                    ("spec", "inputs", "properties", name),
                    f"input {name!r} is declared but no message uses it",
                    "use it in a template or remove it from spec.inputs",
                    key=True,
                )
