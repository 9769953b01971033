"""Shared by the rules that report what the loader found (Y001, Y002, S001)."""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext


def problems_with_code(context: LintContext, code: str) -> Iterator[Hit]:
    for artifact in context.graph.scoped():
        for problem in artifact.problems:
            if problem.code == code:
                yield Hit(artifact, problem.position, problem.message, problem.hint)
