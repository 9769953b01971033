"""## What it does
Checks that a FineTune's validation data is not its training data (the same file).

## Why is this bad?
Validation loss measured on the training examples only shows how well the model memorised them: it
cannot reveal overfitting, which is what the validation file is for.

## Example
```yaml
data: {training: data/train.jsonl, validation: data/train.jsonl}
```

## Use instead
```yaml
data: {training: data/train.jsonl, validation: data/validation.jsonl}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "F003"
NAME = "validation-is-training"
SEVERITY = Severity.ERROR
SUMMARY = "A FineTune validates on its training file"


def check(context: LintContext) -> Iterator[Hit]:
    for finetune in context.graph.of_kind("FineTune"):
        data = finetune.spec["data"]
        if "validation" not in data:
            continue
        base = finetune.path.parent
        if (base / data["validation"]).resolve() == (base / data["training"]).resolve():
            yield hit(
                finetune,
                ("spec", "data", "validation"),
                f"validation data {data['validation']!r} is the training file",
                "hold out separate examples for validation",
            )
