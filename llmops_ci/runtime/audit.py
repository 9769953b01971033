"""The audit log of runtime model calls: one JSON line per call (``schemas/audit-record.schema.json``),
appended to ``audit-YYYY-MM-DD.jsonl`` files (UTC days) under a directory, default ``.llmops/audit/``.

- **Redacted**: texts (messages, output, error messages) pass through the ``pii`` (every built-in
  entity) and ``secrets`` detectors with the ``redact`` action before they are written, whatever the
  prompt's own policies do. Findings keep their check, entity and span, never the matched text.
- **Rotation**: a new file each day; within a day, when a file would grow past ``max_bytes``, the next
  one (``audit-YYYY-MM-DD.1.jsonl``, ``.2``...). A single record larger than ``max_bytes`` still goes in
  whole, alone in its file.
- **Retention**: files of days older than ``keep_days`` are removed, and beyond ``keep_files`` files the
  oldest are removed (the file being written never is); checked when a file is opened.
- **Concurrency**: append-only (``O_APPEND``), one ``write`` per record; a lock serialises the threads of
  a process and an exclusive ``flock`` on ``.audit.lock`` the processes (where ``fcntl`` exists), so
  records never interleave and every process rotates to the same file.
- Files are created ``0600`` in a ``0700`` directory: the log of what users asked stays private.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from llmops_ci.auditlog import AUDIT_SCHEMA_VERSION, AuditReadError, audit_files, file_name, read_audit
from llmops_ci.guardrails.policy import Policy

__all__ = [
    "AUDIT_SCHEMA_VERSION",
    "AuditLog",
    "AuditReadError",
    "audit_files",
    "file_name",
    "read_audit",
    "redact",
]

DEFAULT_DIR = ".llmops/audit"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_KEEP_DAYS = 30
LOCK_NAME = ".audit.lock"
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock and O_APPEND only
    fcntl = None  # type: ignore[assignment]


@cache
def _redactor(entities: tuple[str, ...] | None) -> Policy:
    from llmops_ci.guardrails.policy import policy_from_spec

    scopes = {"input": "redact", "output": "redact"}
    pii: dict[str, Any] = {"id": "pii", "type": "pii", "scopes": scopes}
    if entities is not None:
        pii["entities"] = list(entities)
    return policy_from_spec(
        "audit-redaction", {"checks": [pii, {"id": "secrets", "type": "secrets", "scopes": scopes}]}
    )


def redact(text: str, entities: Sequence[str] | None = None) -> str:
    """``text`` with personal data and secrets replaced by ``[ENTITY]``."""
    if not text:
        return text
    return _redactor(tuple(entities) if entities is not None else None).check(text, "output").text


class AuditLog:
    """Append audit records to rotating JSONL files under ``directory``.

    ``max_bytes``: size at which a day's file rotates; ``keep_days``: days of files kept (None: all);
    ``keep_files``: at most this many files kept (None: no limit); ``redact_entities``: PII entities
    redacted (None: every built-in one)."""

    def __init__(
        self,
        directory: str | Path = DEFAULT_DIR,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep_days: int | None = DEFAULT_KEEP_DAYS,
        keep_files: int | None = None,
        redact_entities: Sequence[str] | None = None,
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if keep_days is not None and keep_days < 1:
            raise ValueError("keep_days must be at least 1 (or None)")
        if keep_files is not None and keep_files < 1:
            raise ValueError("keep_files must be at least 1 (or None)")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.keep_days = keep_days
        self.keep_files = keep_files
        self.redact_entities = tuple(redact_entities) if redact_entities is not None else None
        self._lock = threading.Lock()
        self._descriptor: int | None = None
        self._current: tuple[dt.date, int] | None = None

    def redact(self, text: str) -> str:
        return redact(text, self.redact_entities)

    # --- writing ----------------------------------------------------------------------------------------

    def write(self, record: dict[str, Any], *, now: dt.datetime | None = None) -> Path:
        """Append one record (already redacted: see :func:`llmops_ci.runtime.prompt`); the file written."""
        line = (_ENCODE(record) + "\n").encode("utf-8")
        day = (now or dt.datetime.now(dt.timezone.utc)).date()
        with self._lock, self._process_lock():
            descriptor, path = self._file_for(day, len(line))
            view = memoryview(line)
            while view:
                view = view[os.write(descriptor, view) :]
            return path

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover
            yield
            return
        descriptor = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | _CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _file_for(self, day: dt.date, size: int) -> tuple[int, Path]:
        """The descriptor of the file to append ``size`` bytes to (opened, rotated as needed). Another
        process may have rotated (its file is then full for us too) or removed ours (retention): the
        newest file of the day is looked up again."""
        current = self._current
        if current is None or current[0] != day or not (self.directory / file_name(*current)).exists():
            index = max((i for d, i, _ in audit_files(self.directory) if d == day), default=0)
            self._open(day, index)
        assert self._current is not None and self._descriptor is not None
        while True:
            path = self.directory / file_name(*self._current)
            written = os.fstat(self._descriptor).st_size
            if written == 0 or written + size <= self.max_bytes:
                return self._descriptor, path
            self._open(day, self._current[1] + 1)

    def _open(self, day: dt.date, index: int) -> None:
        self.close()
        path = self.directory / file_name(day, index)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _CLOEXEC
        self._descriptor = os.open(path, flags, 0o600)
        self._current = (day, index)
        self._apply_retention(day, path)

    def _apply_retention(self, today: dt.date, current: Path) -> None:
        files = [entry for entry in audit_files(self.directory) if entry[2] != current]
        doomed: list[Path] = []
        if self.keep_days is not None:
            oldest_kept = today - dt.timedelta(days=self.keep_days - 1)
            doomed += [path for day, _, path in files if day < oldest_kept]
        if self.keep_files is not None:
            survivors = [entry for entry in files if entry[2] not in doomed]
            excess = len(survivors) + 1 - self.keep_files  # + the current file
            doomed += [path for _, _, path in survivors[: max(excess, 0)]]
        for path in doomed:
            with suppress(FileNotFoundError):
                path.unlink()

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record of the directory, oldest file first (a line cut short by a crash is skipped)."""
        for _, _, path in audit_files(self.directory):
            try:
                lines = path.read_bytes().splitlines()
            except OSError:
                continue
            for raw in lines:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def __del__(self) -> None:
        with suppress(Exception):  # interpreter shutdown
            self.close()


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
