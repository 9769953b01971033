"""## What it does
Reports a file that cannot hold an artifact: empty, binary, not UTF-8, too large, holding several YAML
documents, or whose document is not a mapping.

## Why is this bad?
One artifact per file keeps names, diffs, releases and pre-commit's file lists aligned. A file that is
half-written or in the wrong encoding would otherwise be skipped in silence.

## Example
```yaml
apiVersion: llmops-ci/v1
kind: Prompt
# ...
---
apiVersion: llmops-ci/v1
kind: EvalSuite
```

## Use instead
Put each document in its own UTF-8 file, e.g. `prompts/classifier.yaml` and `evals/classifier.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity
from llmops_ci.lint.rules._load_problems import problems_with_code

CODE = "Y002"
NAME = "file-shape"
SEVERITY = Severity.ERROR
SUMMARY = "File is empty, binary, not UTF-8, too large, multi-document or not a mapping"


def check(context: LintContext) -> Iterator[Hit]:
    return problems_with_code(context, CODE)
