"""## What it does
Reports a model-graded assertion (`llm-rubric`, `factuality`, `answer-relevance`,
`context-faithfulness`, `g-eval`) that has no grader model, or whose grader is not pinned to a dated
snapshot. The grader comes from the assertion's `grader`, else the suite's `spec.grader`, else the
Project's `defaults.grader`.

## Why is this bad?
A score is only comparable with another score from the same judge. An unpinned grader drifts, and
base-vs-head diffs then measure the judge, not the prompt.

## Example
```yaml
spec:
  cases:
    - vars: {document: "..."}
      assert: [{type: llm-rubric, value: "Names the parties"}]
```

## Use instead
```yaml
spec:
  grader: {id: openai/gpt-4o-2024-08-06, params: {temperature: 0}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.modelref import model_id
from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type
from llmops_ci.lint.models import suite_assertions
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.providers.catalog import is_pinned

CODE = "E001"
NAME = "unpinned-grader"
SEVERITY = Severity.ERROR
SUMMARY = "Model-graded assertion without a pinned grader model"


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        suite_grader = suite.spec.get("grader", context.default("grader"))
        for path, assertion in suite_assertions(suite):
            kind = ASSERTION_TYPES.get(base_type(assertion["type"]))
            if kind is None or not kind.model_graded:
                continue
            grader = model_id(assertion.get("grader", suite_grader))
            if grader is None:
                yield hit(
                    suite,
                    (*path, "type"),
                    f"{assertion['type']!r} needs a grader model and none is set",
                    "set spec.grader in the suite or defaults.grader in llmops.yaml (a dated snapshot)",
                )
            elif not is_pinned(grader):
                where = (*path, "grader") if "grader" in assertion else (*path, "type")
                yield hit(
                    suite,
                    where,
                    f"grader {grader!r} of {assertion['type']!r} is not pinned to a dated snapshot",
                    "scores are comparable only with the same judge: pin e.g. openai/gpt-4o-2024-08-06",
                )
