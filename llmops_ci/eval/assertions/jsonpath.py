"""A small, safe JSONPath subset: ``$``, ``.name``, ``['name']``, ``[0]``, ``[-1]``, ``[*]``, ``.*``,
``..name``.

No filters, slices, unions or script expressions: nothing is evaluated but lookups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple


class JsonPathError(ValueError):
    """The path is not in the supported subset."""


class Step(NamedTuple):
    kind: str  # "child", "index", "wildcard", "descend"
    key: str | int | None = None  # the name or index; None for "*" (and for "descend" of "*")


SUPPORTED = "supported: .name, ['name'], [0], [-1], [*], .*, ..name"
_NAME = r"[^\W\d][\w-]*"
_TOKEN = re.compile(
    rf"""\.\.(?P<descend>{_NAME}|\*)
    |\.(?P<child>{_NAME}|\*)
    |\[\s*(?:(?P<index>-?\d+)|(?P<star>\*)|'(?P<single>(?:[^'\\]|\\.)*)'|"(?P<double>(?:[^"\\]|\\.)*)")\s*\]""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


@lru_cache(maxsize=512)
def parse(path: str) -> tuple[Step, ...]:
    """The steps of ``path``; :class:`JsonPathError` names the first unsupported part."""
    path = path.strip()
    if not path.startswith("$"):
        raise JsonPathError("a path starts with '$'")
    steps: list[Step] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise JsonPathError(f"cannot read {path[position:]!r} at offset {position} ({SUPPORTED})")
        steps.append(_step(match))
        position = match.end()
    return tuple(steps)


def _step(match: re.Match[str]) -> Step:
    groups = match.groupdict()
    if groups["descend"] is not None:
        return Step("descend", None if groups["descend"] == "*" else groups["descend"])
    if groups["child"] is not None:
        return Step("wildcard") if groups["child"] == "*" else Step("child", groups["child"])
    if groups["index"] is not None:
        return Step("index", int(groups["index"]))
    if groups["star"] is not None:
        return Step("wildcard")
    quoted = groups["single"] if groups["single"] is not None else groups["double"]
    return Step("child", _ESCAPE.sub(r"\1", quoted or ""))


def find(path: str, document: Any) -> list[Any]:
    """Every value ``path`` selects in ``document``, in document order ([] when none)."""
    nodes = [document]
    for step in parse(path):
        nodes = [found for node in nodes for found in _apply(step, node)]
    return nodes


def _apply(step: Step, node: Any) -> Iterator[Any]:
    if step.kind == "child":
        if isinstance(node, dict) and step.key in node:
            yield node[step.key]
    elif step.kind == "index":
        if isinstance(node, list) and isinstance(step.key, int) and -len(node) <= step.key < len(node):
            yield node[step.key]
    elif step.kind == "wildcard":
        yield from _children(node)
    else:
        for descendant in _descendants(node):
            if step.key is None:
                yield from _children(descendant)
            elif isinstance(descendant, dict) and step.key in descendant:
                yield descendant[step.key]


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def _descendants(node: Any) -> Iterator[Any]:
    """``node`` and everything below it, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(_children(current))))
