"""## What it does
Reports two artifacts of the same kind with the same `metadata.name`.

## Why is this bad?
Artifacts are referenced, released (git tag `prompts/<name>@1.2.0`) and promoted by name. Two files
with one name make every reference ambiguous and releases collide.

## Example
`prompts/classifier.yaml` and `prompts/classifier-v2.yaml` both declare `metadata: {name: classifier}`.

## Use instead
Give each its own name (`classifier`, `classifier-v2`), or delete the stale copy: git keeps history.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "R002"
NAME = "duplicate-name"
SEVERITY = Severity.ERROR
SUMMARY = "Two artifacts of one kind share a name"


def check(context: LintContext) -> Iterator[Hit]:
    for (kind, name), artifacts in context.graph.by_name.items():
        if len(artifacts) < 2:
            continue
        ordered = sorted(artifacts, key=lambda a: a.rel)
        first = ordered[0]
        for duplicate in ordered[1:]:
            yield hit(
                duplicate,
                ("metadata", "name"),
                f"{kind} name {name!r} is already used by {first.rel}",
                "names are unique per kind: rename one of them",
            )
