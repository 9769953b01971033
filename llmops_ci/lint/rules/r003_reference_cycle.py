"""## What it does
Reports references that loop back to where they started, e.g. a policy that `extends` itself through
another, or a prompt whose `rag` pipeline names that same prompt as its `answer.prompt`.

## Why is this bad?
Resolving the artifact would never end: policy inheritance, digests and releases all follow references.

## Example
```yaml
# guardrails/a.yaml
spec: {extends: [b], checks: []}
# guardrails/b.yaml
spec: {extends: [a], checks: []}
```

## Use instead
Move the shared checks into a third policy that both extend.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.model import Artifact, Reference
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "R003"
NAME = "reference-cycle"
SEVERITY = Severity.ERROR
SUMMARY = "Artifacts reference each other in a cycle"


def check(context: LintContext) -> Iterator[Hit]:
    graph = context.graph
    on_path: set[Artifact] = set()
    done: set[Artifact] = set()
    reported: set[frozenset[Artifact]] = set()

    def visit(artifact: Artifact, trail: list[tuple[Artifact, Reference]]) -> Iterator[Hit]:
        on_path.add(artifact)
        for reference in graph.references_from(artifact):
            for target in reference.targets:
                if target in on_path:
                    loop = [*trail, (artifact, reference)]
                    start = next(i for i, (a, _) in enumerate(loop) if a is target)
                    members = frozenset(a for a, _ in loop[start:])
                    if members not in reported:
                        reported.add(members)
                        names = " -> ".join(a.ref for a, _ in loop[start:]) + f" -> {target.ref}"
                        yield hit(
                            artifact,
                            reference.at,
                            f"reference cycle: {names}",
                            "break the loop: one of these references must go",
                        )
                elif target not in done:
                    yield from visit(target, [*trail, (artifact, reference)])
        on_path.discard(artifact)
        done.add(artifact)

    for artifact in graph.artifacts:
        if artifact not in done:
            yield from visit(artifact, [])
