"""## What it does
Reports a reference to an artifact or file that does not exist: a prompt's `guardrails` or `rag`, a
pipeline's `answer.prompt`, a suite's `target`, `guardrails`, `cases_file` or `guardrail` assertion
`policy`, a policy's `extends` and checks' `terms_file`, and an environment's `releases` keys.

## Why is this bad?
The broken name fails only when the suite runs or the application loads the prompt: in CI or in
production, instead of on the developer's machine.

## Example
```yaml
kind: EvalSuite
spec:
  target: {prompt: invoice-clasifier}
```

## Use instead
```yaml
  target: {prompt: invoice-classifier}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "R001"
NAME = "missing-reference"
SEVERITY = Severity.ERROR
SUMMARY = "Reference to an artifact or file that does not exist"


def check(context: LintContext) -> Iterator[Hit]:
    graph = context.graph
    for reference in graph.references:
        if reference.resolved:
            continue
        source = reference.source
        on_key = reference.at[:3] == ("spec", "releases", reference.at[-1]) and len(reference.at) == 3
        if reference.is_file:
            yield hit(
                source,
                reference.at,
                f"{str(reference.at[-1]).replace('_', ' ')} {reference.target_name!r} does not exist",
                "paths are relative to the file that names them",
            )
            continue
        names = [name for kind, name in graph.by_name if kind == reference.target_kind]
        suggestion = did_you_mean(reference.target_name, names)
        yield hit(
            source,
            reference.at,
            f"no {reference.target_kind} named {reference.target_name!r}{suggestion}",
            f"create it or fix the name; known: {', '.join(sorted(names)[:8]) or 'none'}",
            key=on_key,
        )
