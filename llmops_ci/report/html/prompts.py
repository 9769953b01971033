"""The rendered prompt of a record, found in the response cache.

A record keeps the digest of the messages it sent (``messages_digest``) and its ``vars``, not the messages
themselves; the cache entry of the call holds the rendered request (:mod:`llmops_ci.eval.cache`). The
report reads the cache's packs (and per-entry files of older versions) once, digests each entry's
messages the way the planner does, and keeps the messages of the digests it was asked for. Without a
cache (``--no-cache`` runs, another machine, a deleted ``.llmops/``) the report shows the vars instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import canonical_json, sha256_hex, short
from llmops_ci.eval.cache import PACK_SUFFIX, PACKS_DIR

Messages = list[dict[str, Any]]


def _cache_files(directory: Path) -> Iterator[Path]:
    """Every pack (finished or being written), then the per-entry files of older versions."""
    packs = directory / PACKS_DIR
    if packs.is_dir():
        for group in sorted(packs.iterdir()):
            if group.is_dir():
                yield from sorted(p for p in group.iterdir() if p.name.endswith(PACK_SUFFIX))
    yield from sorted(directory.glob("[0-9a-f][0-9a-f]/*.json"))


def _messages(line: bytes) -> Messages | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None  # a line cut short by a run that is still writing, or not ours
    request = entry.get("request") if isinstance(entry, dict) else None
    messages = request.get("messages") if isinstance(request, dict) else None
    if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
        return messages
    return None


def messages_digest(messages: Messages) -> str:
    """What a record's ``messages_digest`` holds for these messages."""
    return short(sha256_hex(canonical_json(messages)))


def find_messages(directory: Path | None, wanted: set[str]) -> dict[str, Messages]:
    """Messages digest -> the rendered messages, for the ``wanted`` digests the cache holds."""
    found: dict[str, Messages] = {}
    if directory is None or not wanted or not directory.is_dir():
        return found
    for path in _cache_files(directory):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # merged away meanwhile: its entries are in the new pack
        for line in data.split(b"\n"):
            messages = _messages(line) if line.strip() else None
            if messages is None:
                continue
            digest = messages_digest(messages)
            if digest in wanted:
                found[digest] = messages
        if len(found) == len(wanted):
            break  # equal digests mean equal messages: no later entry can add anything
    return found


def default_cache_dir(results: Path) -> Path | None:
    """``.llmops/cache`` next to the ``runs`` directory a results directory sits in, when it exists."""
    candidate = results.resolve().parent.parent / "cache"
    return candidate if candidate.is_dir() and os.access(candidate, os.R_OK) else None
