"""## What it does
Checks that an Agent bounds its loop: `max_steps` (model calls per task, default 8) at most 25.

## Why is this bad?
An agent that keeps calling tools runs up cost and latency with every step; in CI a looping model
makes a suite slow and expensive before it fails. A tight bound also documents how much work a task
should take (pair it with a `step-count` assertion).

## Example
```yaml
spec:
  max_steps: 200
```

## Use instead
```yaml
spec:
  max_steps: 8
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.agents.tools import MAX_STEPS_LIMIT
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "A004"
NAME = "unbounded-steps"
SEVERITY = Severity.WARNING
SUMMARY = "An agent's max_steps is too high to bound cost and latency"


def check(context: LintContext) -> Iterator[Hit]:
    for agent in context.graph.of_kind("Agent"):
        steps = agent.spec.get("max_steps")
        if isinstance(steps, int) and steps > MAX_STEPS_LIMIT:
            yield hit(
                agent,
                ("spec", "max_steps"),
                f"max_steps {steps} lets one task make up to {steps} model calls (limit {MAX_STEPS_LIMIT})",
                f"set max_steps to {MAX_STEPS_LIMIT} or fewer; a step-count assertion checks the usual count",
            )
