"""## What it does
Reports a threshold (in a suite's `thresholds` or an environment's `gate`) that names a metric the
metric registry does not know and that no assertion of the suite defines with `metric:`.
`llmops-ci metrics` lists the registry.

## Why is this bad?
A threshold on a misspelt metric is never evaluated: the gate looks strict in review and lets
everything through.

## Example
```yaml
thresholds: {passrate: {min: 0.95}, latency_p95: {max: 4000}}
```

## Use instead
```yaml
thresholds: {pass_rate: {min: 0.95}, latency_p95_ms: {max: 4000}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.eval.metrics import METRICS
from llmops_ci.lint.models import suite_assertions
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E003"
NAME = "unknown-metric"
SEVERITY = Severity.ERROR
SUMMARY = "Threshold names a metric that does not exist"


def custom_metrics(suites: list[Artifact]) -> set[str]:
    return {a["metric"] for suite in suites for _, a in suite_assertions(suite) if "metric" in a}


def _check(artifact: Artifact, field: str, thresholds: dict[str, object], known: set[str]) -> Iterator[Hit]:
    for name in thresholds:
        if name not in known:
            yield hit(
                artifact,
                ("spec", field, name),
                f"unknown metric {name!r}{did_you_mean(name, known)}",
                "see `llmops-ci metrics`, or define it with `metric:` on an assertion",
                key=True,
            )


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        known = set(METRICS) | custom_metrics([suite])
        yield from _check(suite, "thresholds", suite.spec.get("thresholds", {}), known)
    environments = list(context.graph.of_kind("Environment"))
    if not environments:
        return
    every_metric = set(METRICS) | custom_metrics(list(context.graph.of_kind("EvalSuite", everywhere=True)))
    for environment in environments:
        yield from _check(environment, "gate", environment.spec.get("gate", {}), every_metric)
