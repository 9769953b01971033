"""## What it does
Warns when a suite samples with `temperature` above 0 (set on the target prompt or in the suite's model
matrix) but runs each case once (`repeat: 1`, the default).

## Why is this bad?
With sampling, one run per case is one draw: a case can flip between base and head by chance alone,
and a pull request gets blamed for noise. Repeats give a pass fraction per case and honest intervals.

## Example
```yaml
kind: EvalSuite
spec:
  target: {prompt: summarizer}     # temperature: 0.7
```

## Use instead
```yaml
spec:
  target: {prompt: summarizer}
  repeat: 5
  min_passes: 4
```
or pin `temperature: 0` where the task allows it.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.modelref import params_of
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E002"
NAME = "sampling-without-repeat"
SEVERITY = Severity.WARNING
SUMMARY = "temperature > 0 but the suite runs each case once"


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        if suite.spec.get("repeat", 1) > 1:
            continue
        temperatures: list[float] = [
            float(params_of(model).get("temperature", 0)) for model in suite.spec.get("models", [])
        ]
        prompt_name = suite.spec.get("target", {}).get("prompt")
        prompt = context.graph.get("Prompt", prompt_name) if prompt_name else None
        if prompt is not None and prompt.valid:
            temperatures.append(float(params_of(prompt.spec.get("model")).get("temperature", 0)))
        hottest = max(temperatures, default=0.0)
        if hottest > 0:
            yield hit(
                suite,
                ("spec", "target"),
                f"the suite samples at temperature {hottest:g} but runs each case once",
                "set repeat: 3 or more (with min_passes), or use temperature 0",
            )
