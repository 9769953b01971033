"""## What it does
Parses every message template with Jinja2 (in the same sandbox that renders them) and reports syntax
errors at their line.

## Why is this bad?
A template that does not parse fails every call of the prompt; in an eval it shows as 100 % errors,
in production as an outage.

## Example
```yaml
messages:
  - role: user
    content: "Classify: {{ document }"
```

## Use instead
```yaml
    content: "Classify: {{ document }}"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.templates import line_in_file, prompt_templates
from llmops_ci.lint.rule import Hit, LintContext, Severity

CODE = "T001"
NAME = "template-syntax"
SEVERITY = Severity.ERROR
SUMMARY = "Jinja2 template syntax error in a message"


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
        for path, template in prompt_templates(artifact):
            if template.tree is None:
                yield Hit(
                    artifact,
                    line_in_file(artifact, path, template.error_line),
                    f"template syntax error: {template.error_message}",
                    "see https://jinja.palletsprojects.com/templates/",
                )
