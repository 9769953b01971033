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
    edges: dict[int, list[Reference]] = {}
    for reference in context.graph.references:
        edges.setdefault(id(reference.source), []).append(reference)
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[int]] = set()

    def visit(artifact: Artifact, trail: list[tuple[Artifact, Reference]]) -> Iterator[Hit]:
        state[id(artifact)] = 1
        for reference in edges.get(id(artifact), []):
            for target in reference.targets:
                if state.get(id(target)) == 1:
                    loop = [*trail, (artifact, reference)]
                    start = next(i for i, (a, _) in enumerate(loop) if a is target)
                    members = frozenset(id(a) for a, _ in loop[start:])
                    if members not in reported:
                        reported.add(members)
                        names = " -> ".join(a.ref for a, _ in loop[start:]) + f" -> {target.ref}"
                        yield hit(
                            artifact,
                            reference.at,
                            f"reference cycle: {names}",
                            "break the loop: one of these references must go",
                        )
                elif state.get(id(target)) is None:
                    yield from visit(target, [*trail, (artifact, reference)])
        state[id(artifact)] = 2

    for artifact in context.graph.artifacts:
        if state.get(id(artifact)) is None:
            yield from visit(artifact, [])
