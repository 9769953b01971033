"""Content-addressed response cache: an entry is found by the digest of its request (``key``), holds the
rendered request (model, params, messages) and the response, and reads as one line of JSON.

Entries live in packs, one pack per suite per run, so a rerun reads one file instead of a file per case::

    <cache>/packs/<suite>/<time>-<random>.jsonl       a finished pack
    <cache>/packs/<suite>/<time>-<random>.open.jsonl  the pack a run is writing
    <cache>/<ab>/<key>.json                           one entry per file (written by earlier versions;
                                                      still read)

Safe when several processes share the directory: a run appends only to its own pack, one whole line per
write, and a reader ignores a last line that is not finished (nor any line that does not parse or does
not carry the key it was looked up by). A finished pack is never changed: when a suite has more than
``MAX_PACKS`` of them, a run merges them into one new pack (written to a temporary file, then renamed)
and only then removes them; a reader that misses one removed meanwhile lists the packs again. Where a
key is in several packs the newest pack wins (``--record`` refreshes entries that way).

A lookup tries the suite's own packs, then the per-entry files, then every other suite's packs (read
once per run, on the first miss), so two suites asking the same request share its entry. A committed
cache directory (``--cache-dir .llmops/cassettes --replay``) replays a run without any model call.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from llmops_ci.atomic import write_atomically

CACHE_FORMAT = 1
PACKS_DIR = "packs"
PACK_SUFFIX = ".jsonl"
OPEN_SUFFIX = ".open.jsonl"
DEFAULT_GROUP = "default"
MAX_PACKS = 8  # finished packs of one suite before a run merges them
ABANDONED_S = 24 * 3600  # an open pack untouched this long belongs to a run that died: merged too
_PREFIX = b'{"key":"'  # every line we write starts with the key: indexing a pack needs no JSON parsing
_KEY_END = len(_PREFIX) + 64
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LOOSE_DIR = re.compile(r"[0-9a-f]{2}")


def group_dir_name(group: str) -> str:
    """A suite name as a directory name (grouping only: entries are found by key, whatever the pack)."""
    return _GROUP_UNSAFE.sub("-", group).lstrip(".")[:80] or "_"


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_DECODER = json.JSONDecoder()


def entry_line(key: str, request: dict[str, Any], response: dict[str, Any]) -> bytes:
    """One entry as a line: key first (indexing reads it at a fixed place), then the response (a lookup
    parses only that), then the request."""
    entry = {"key": key, "format": CACHE_FORMAT, "response": response, "request": request}
    return (_ENCODE(entry) + "\n").encode()


def _index_lines(data: bytes, into: dict[str, tuple[bytes, int, int]], source: bytes) -> None:
    """key -> (source, start, end) of each finished line of a pack; later lines win."""
    start = 0
    end = data.find(b"\n")
    while end != -1:
        if data.startswith(_PREFIX, start) and data[start + _KEY_END : start + _KEY_END + 1] == b'"':
            into[data[start + len(_PREFIX) : start + _KEY_END].decode("ascii", "replace")] = (
                source,
                start,
                end,
            )
        elif end > start:  # not written by us (edited by hand?): worth a parse
            try:
                entry = json.loads(data[start:end])
            except ValueError:
                entry = None
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                into[entry["key"]] = (source, start, end)
        start = end + 1
        end = data.find(b"\n", start)


def _pack_names(directory: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(directory) if name.endswith(PACK_SUFFIX))
    except OSError:
        return []


class _Packs:
    """The packs of one directory, read into memory: key -> the bytes of its line."""

    def __init__(self, directory: Path) -> None:
        self.lines: dict[str, tuple[bytes, int, int]] = {}
        for _ in range(3):  # a merge may remove a pack between the listing and the read: list again
            self.lines.clear()
            try:
                for name in _pack_names(directory):
                    data = (directory / name).read_bytes()
                    _index_lines(data, self.lines, data)
                return
            except FileNotFoundError:
                continue

    def get(self, key: str) -> bytes | None:
        found = self.lines.get(key)
        return None if found is None else found[0][found[1] : found[2]]


class _OtherPacks:
    """Every pack of the cache, indexed by key but left on disk (read on a hit): for the lookups a
    suite's own packs cannot answer."""

    def __init__(self, root: Path) -> None:
        self.lines: dict[str, tuple[bytes, int, int]] = {}
        try:
            groups = sorted(os.listdir(root))
        except OSError:
            groups = []
        for group in groups:
            for name in _pack_names(root / group):
                path = root / group / name
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                _index_lines(data, self.lines, os.fsencode(path))

    def get(self, key: str) -> bytes | None:
        found = self.lines.get(key)
        if found is None:
            return None
        path, start, end = found
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                return handle.read(end - start)
        except OSError:
            return None


class _PackWriter:
    """This run's pack of one suite: opened on the first entry, appended one whole line per write."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        self.path = directory / f"{stem}{OPEN_SUFFIX}"
        self.final = directory / f"{stem}{PACK_SUFFIX}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self.descriptor: int | None = os.open(self.path, flags, 0o644)

    def append(self, line: bytes) -> None:
        if self.descriptor is None:
            raise ValueError("the pack is closed")
        view = memoryview(line)
        while view:
            view = view[os.write(self.descriptor, view) :]

    def close(self) -> None:
        if self.descriptor is None:
            return
        os.close(self.descriptor)
        self.descriptor = None
        os.replace(self.path, self.final)


class ResponseCache:
    def __init__(self, directory: Path, *, read: bool = True, write: bool = True) -> None:
        self.directory = directory
        self.read = read
        self.write = write
        self.packs_root = directory / PACKS_DIR
        self._own: dict[str, _Packs] = {}
        self._others: _OtherPacks | None = None
        self._loose: bool | None = None  # are there per-entry files at all (checked on the first miss)
        self._writers: dict[str, _PackWriter] = {}
        self._written: dict[str, dict[str, bytes]] = {}  # this run's entries, per suite

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, group: str = DEFAULT_GROUP) -> dict[str, Any] | None:
        if not self.read:
            return None
        name = group_dir_name(group)
        line = self._written.get(name, {}).get(key)
        if line is None:
            own = self._own.get(name)
            if own is None:
                own = self._own[name] = _Packs(self.packs_root / name)
            line = own.get(key)
        entry = _entry(line, key) if line is not None else None
        if entry is not None:
            return entry
        # found elsewhere: copied into this suite's pack, for next time
        entry = self._loose_entry(key)
        if entry is not None:
            if self.write:
                self._append(name, key, entry_line(key, entry.get("request", {}), entry["response"]))
            return entry
        if self._others is None:
            self._others = _OtherPacks(self.packs_root)
        line = self._others.get(key)
        entry = _entry(line, key) if line is not None else None
        if line is not None and entry is not None and self.write:
            self._append(name, key, line + b"\n")
        return entry

    def _loose_entry(self, key: str) -> dict[str, Any] | None:
        if self._loose is None:
            try:
                self._loose = any(_LOOSE_DIR.fullmatch(name) for name in os.listdir(self.directory))
            except OSError:
                self._loose = False
        if not self._loose:
            return None
        try:
            with self._path(key).open("rb") as handle:
                return _entry(handle.read(), key)
        except OSError:
            return None

    def put(
        self, key: str, request: dict[str, Any], response: dict[str, Any], group: str = DEFAULT_GROUP
    ) -> None:
        if not self.write:
            return
        self._append(group_dir_name(group), key, entry_line(key, request, response))

    def _append(self, name: str, key: str, line: bytes) -> None:
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = _PackWriter(self.packs_root / name)
        writer.append(line)
        self._written.setdefault(name, {})[key] = line

    def close(self) -> None:
        """Finish this run's packs (and merge a suite's packs when there are many)."""
        writers, self._writers = self._writers, {}
        for name, writer in writers.items():
            writer.close()
            merge_packs(self.packs_root / name)


def _entry(line: bytes, key: str) -> dict[str, Any] | None:
    """The entry of ``key`` on ``line``: only its response parsed when the line is laid out as we write
    it (the request is not needed to answer), the whole line otherwise."""
    head = f'{{"key":"{key}","format":{CACHE_FORMAT},"response":'
    try:
        text = line.decode("utf-8")
        if text.startswith(head):
            response, _ = _DECODER.raw_decode(text, len(head))
            return (
                {"key": key, "format": CACHE_FORMAT, "response": response}
                if isinstance(response, dict)
                else None
            )
        entry = json.loads(text)
    except ValueError:
        return None
    if isinstance(entry, dict) and entry.get("format") == CACHE_FORMAT and entry.get("key") == key:
        return entry
    return None


def merge_packs(directory: Path, limit: int = MAX_PACKS) -> bool:
    """Merge the finished (and abandoned) packs of one suite into one when there are more than ``limit``:
    the newest entry of each key kept, in a new pack that sorts after every pack it replaces."""
    now = time.time()
    names = []
    for name in _pack_names(directory):
        if not name.endswith(OPEN_SUFFIX):
            names.append(name)
            continue
        try:
            if now - os.stat(directory / name).st_mtime > ABANDONED_S:
                names.append(name)
        except OSError:
            continue
    if len(names) <= limit:
        return False
    lines: dict[str, bytes] = {}
    merged: list[str] = []
    for name in sorted(names):
        try:
            data = (directory / name).read_bytes()
        except OSError:
            continue
        index: dict[str, tuple[bytes, int, int]] = {}
        _index_lines(data, index, data)
        for key, (_, start, end) in index.items():
            lines.pop(key, None)  # re-inserted: the dict's order stays the order entries were written
            lines[key] = data[start : end + 1]
        merged.append(name)
    if not merged:
        return False
    newest = merged[-1].removesuffix(OPEN_SUFFIX).removesuffix(PACK_SUFFIX)
    target = directory / f"{newest}~{secrets.token_hex(4)}{PACK_SUFFIX}"
    write_atomically(target, b"".join(lines.values()))
    for name in merged:
        (directory / name).unlink(missing_ok=True)
    return True
