"""## What it does
Reports a file that is not valid YAML: tabs used for indentation, unclosed quotes, bad indentation,
duplicate keys in one mapping, unsupported tags, or aliases that expand too far.

## Why is this bad?
Nothing else can be checked until the file parses; and a duplicate key silently drops one value in most
YAML readers, so a reviewer and the model may see different prompts.

## Example
```yaml
spec:
        messages: []        # a tab
  model: a
  model: b            # duplicate key
```

## Use instead
```yaml
spec:
  model: b
  messages: []
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity
from llmops_ci.lint.rules._load_problems import problems_with_code

CODE = "Y001"
NAME = "yaml-syntax"
SEVERITY = Severity.ERROR
SUMMARY = "File is not valid YAML (syntax, tabs, duplicate keys, alias bombs)"


def check(context: LintContext) -> Iterator[Hit]:
    return problems_with_code(context, CODE)
