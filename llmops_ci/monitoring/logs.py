"""Reading runtime audit logs for ``llmops-ci monitor``: files or directories of ``audit-*.jsonl``
(``schemas/audit-record.schema.json``), in time order, cut to a time window.

A directory is listed with :func:`llmops_ci.runtime.audit.audit_files` (oldest day first, then rotation
index). A last line that does not parse is skipped (a crash mid-write, as the audit log documents); any
other line that is not a JSON object is an error naming ``file:line``, as is a ``schema_version`` newer than
this toolkit reads.

Times: ``--since`` and the baseline window take an ISO date (``2026-11-01``, midnight UTC), an ISO
date-time (``2026-11-01T12:00:00Z``; no zone means UTC) or a duration back from now (``24h``, ``7d``,
``2w``, ``30m``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.auditlog import AuditReadError, audit_files, read_audit
from llmops_ci.errors import UsageError

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Call:
    """One audited call: the record as written, its start time, and where it was read."""

    record: dict[str, Any]
    time: dt.datetime
    path: Path
    line: int

    @property
    def day(self) -> str:
        return self.time.date().isoformat()

    def get(self, key: str, default: Any = None) -> Any:
        return self.record.get(key, default)


def parse_time(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """A point in time from an ISO date, an ISO date-time or a duration back from ``now`` (UTC)."""
    text = value.strip()
    match = _DURATION.match(text)
    if match:
        moment = now or dt.datetime.now(dt.timezone.utc)
        return moment - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{value!r} is not a time: give a date (2026-11-01), a date-time (2026-11-01T12:00:00Z) "
            "or a duration back from now (24h, 7d, 2w)"
        ) from None
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed


def _record_time(record: dict[str, Any], path: Path, line: int) -> dt.datetime:
    raw = record.get("time")
    try:
        parsed = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise AuditReadError(f"{path}:{line}: 'time' is not an ISO date-time: {raw!r}") from None
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed


def log_files(paths: Sequence[Path]) -> list[Path]:
    """The audit files named by ``paths`` (a directory stands for its ``audit-*.jsonl`` files)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = [file for _, _, file in audit_files(path)]
            if not files:
                raise UsageError(f"{path}: no audit-*.jsonl files in this directory")
            found += files
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such audit file or directory")
    return found


def _read_file(path: Path) -> Iterator[Call]:
    for number, record in read_audit(path):
        yield Call(record, _record_time(record, path, number), path, number)


def read_calls(
    paths: Sequence[Path], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[Call]:
    """Every audited call under ``paths`` with ``since <= time < until``, sorted by time."""
    return sorted(within(_all(log_files(paths)), since, until), key=lambda call: call.time)


def _all(files: Iterable[Path]) -> Iterator[Call]:
    for file in files:
        yield from _read_file(file)


def within(calls: Iterable[Call], since: dt.datetime | None, until: dt.datetime | None) -> list[Call]:
    return [
        call
        for call in calls
        if (since is None or call.time >= since) and (until is None or call.time < until)
    ]
