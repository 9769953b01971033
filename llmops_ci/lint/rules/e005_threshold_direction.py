"""## What it does
Warns when a threshold bounds a metric only on its good side: `max` on a higher-is-better metric
(`pass_rate: {max: 0.9}`) or `min` on a lower-is-better one (`latency_p95_ms: {min: 100}`).

## Why is this bad?
It is almost always `min` and `max` swapped: the gate would fail when the prompt gets better and pass
when it gets worse.

## Example
```yaml
thresholds: {pass_rate: {max: 0.95}}
```

## Use instead
```yaml
thresholds: {pass_rate: {min: 0.95}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.eval.metrics import METRICS
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E005"
NAME = "threshold-direction"
SEVERITY = Severity.WARNING
SUMMARY = "Threshold bound points the wrong way for the metric's direction"


def check(context: LintContext) -> Iterator[Hit]:
    for kind, field in (("EvalSuite", "thresholds"), ("Environment", "gate")):
        for artifact in context.graph.of_kind(kind):
            for name, bound in artifact.spec.get(field, {}).items():
                metric = METRICS.get(name)
                if metric is None:
                    continue
                wrong = "max" if metric.direction == "higher" else "min"
                if wrong in bound and (("min" if wrong == "max" else "max") not in bound):
                    right = "min" if wrong == "max" else "max"
                    yield hit(
                        artifact,
                        ("spec", field, name, wrong),
                        f"{name} is {metric.direction}-is-better but only has a {wrong} bound",
                        f"did you mean {right}? e.g. {name}: {{{right}: {bound[wrong]}}}",
                        key=True,
                    )
