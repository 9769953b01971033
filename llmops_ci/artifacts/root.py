"""Where a project is: the directory holding llmops.yaml. Kept apart from the loader so that finding it
costs no schema machinery (a rerun replayed from the cache needs nothing more)."""

from __future__ import annotations

from pathlib import Path

PROJECT_FILE = "llmops.yaml"


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding llmops.yaml."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    return None
