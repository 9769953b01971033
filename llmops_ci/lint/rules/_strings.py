"""Walk every string inside a piece of artifact data, with its path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_ci.artifacts.yamlsource import JsonPath


def strings_in(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*path, index))


def redact(text: str, keep: int = 4) -> str:
    """Show enough of a matched secret to find it, never the whole of it."""
    return text[:keep] + "…" if len(text) > keep else "…"
