"""## What it does
Checks that a FineTune's hyperparameters fit its method: `rank`, `alpha` and `dropout` are LoRA
parameters (methods `lora` and `qlora`) and mean nothing to `full` fine-tuning; a LoRA run should say its
`rank`, since providers' defaults differ.

## Why is this bad?
LoRA settings on a full fine-tune are silently ignored, so the file claims a configuration that was never
trained; a LoRA run without a rank trains whatever the provider's default is this month, and two runs of
the same file may not be comparable.

## Example
```yaml
spec:
  method: full
  hyperparameters: {rank: 16, alpha: 32, epochs: 3}
```

## Use instead
```yaml
spec:
  method: lora
  hyperparameters: {rank: 16, alpha: 32, epochs: 3}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "F001"
NAME = "method-hyperparameters"
SEVERITY = Severity.WARNING
SUMMARY = "FineTune hyperparameters do not fit its method (LoRA settings on full, LoRA without rank)"

LORA_ONLY = ("rank", "alpha", "dropout")


def check(context: LintContext) -> Iterator[Hit]:
    for finetune in context.graph.of_kind("FineTune"):
        method = finetune.spec["method"]
        hyperparameters = finetune.spec.get("hyperparameters", {})
        if method == "full":
            for key in LORA_ONLY:
                if key in hyperparameters:
                    yield hit(
                        finetune,
                        ("spec", "hyperparameters", key),
                        f"{key!r} is a LoRA parameter; method full ignores it",
                        "remove it, or set method: lora or qlora",
                        key=True,
                    )
        elif "rank" not in hyperparameters:
            yield hit(
                finetune,
                ("spec", "method"),
                f"method {method} without hyperparameters.rank: the provider's default rank is trained",
                "set hyperparameters.rank (8 to 64 is usual)",
            )
