"""Content-addressed response cache: one JSON file per request key, written atomically, safe when several
processes share the directory (the last complete write wins; a reader never sees half a file).

Entries keep the rendered request and the response, so reports can show them and a committed cassette
directory (``--cache-dir .llmops/cassettes --replay``) replays a run without any model call."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


class ResponseCache:
    def __init__(self, directory: Path, *, read: bool = True, write: bool = True) -> None:
        self.directory = directory
        self.read = read
        self.write = write

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.read:
            return None
        try:
            with self._path(key).open(encoding="utf-8") as handle:
                entry: dict[str, Any] = json.load(handle)
        except (OSError, json.JSONDecodeError):
            return None
        return entry if entry.get("format") == CACHE_FORMAT and entry.get("key") == key else None

    def put(self, key: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        if not self.write:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"format": CACHE_FORMAT, "key": key, "request": request, "response": response}
        write_atomically(path, json.dumps(entry, ensure_ascii=False, indent=1))


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same directory, then rename over the target."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
