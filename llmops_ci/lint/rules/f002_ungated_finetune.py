"""## What it does
Checks that a FineTune names the eval suite that gates the model it produces (`gate.suite`).

## Why is this bad?
A fine-tuned model is a new model: without a suite that it must pass, nothing stops a regression from
reaching a prompt that switches to it. `llmops-ci finetune status --wait` prints the gating command when
the job has finished, and `finetune validate` checks the training data does not leak the suite's cases.

## Example
```yaml
spec:
  base_model: openai/gpt-4o-mini-2024-07-18
  method: lora
  data: {training: data/train.jsonl}
```

## Use instead
```yaml
spec:
  base_model: openai/gpt-4o-mini-2024-07-18
  method: lora
  data: {training: data/train.jsonl}
  gate: {suite: support-regression}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "F002"
NAME = "ungated-finetune"
SEVERITY = Severity.WARNING
SUMMARY = "A FineTune names no eval suite to gate the model it produces"


def check(context: LintContext) -> Iterator[Hit]:
    for finetune in context.graph.of_kind("FineTune"):
        if "gate" not in finetune.spec:
            yield hit(
                finetune,
                ("spec",),
                "no gate.suite: nothing checks the fine-tuned model before it is used",
                "add gate: {suite: NAME} naming an EvalSuite",
                key=True,
            )
