"""The runtime audit log's files as data (``schemas/audit-record.schema.json``): their names, listing a
directory of them, and reading one back. The writer is :mod:`llmops_ci.runtime.audit`; the readers are
``llmops-ci monitor``, ``cost``, ``maturity`` and ``rag drift``, which sit below or beside the runtime and
so read the files through this module."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmops_ci.errors import EXIT_USAGE, LlmopsError

AUDIT_SCHEMA_VERSION = 1
_FILE = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$")


def file_name(day: dt.date, index: int) -> str:
    return f"audit-{day.isoformat()}.jsonl" if index == 0 else f"audit-{day.isoformat()}.{index}.jsonl"


def audit_files(directory: Path) -> list[tuple[dt.date, int, Path]]:
    """The audit files of ``directory``, oldest first (by day, then index)."""
    found = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in names:
        match = _FILE.match(name)
        if match is None:
            continue
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            continue
        found.append((day, int(match.group(2) or 0), directory / name))
    return sorted(found)


class AuditReadError(LlmopsError):
    """An audit file that cannot be read, or a line that is not an audit record (``file:line``). Exit 2,
    like a usage error: a scheduled job must tell "the logs could not be read" from "an alert fired"."""

    exit_code = EXIT_USAGE


def read_audit(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of every record of one audit file. A last line cut short by a crash
    mid-write is skipped, as the schema says; any other line that is not a JSON object, or a record of a
    newer schema version, is an :class:`AuditReadError` naming the file and line."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise AuditReadError(f"{path}: cannot read: {error.strerror}") from None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            if number == len(lines):
                continue
            raise AuditReadError(f"{path}:{number}: not a JSON audit record") from None
        if not isinstance(record, dict):
            raise AuditReadError(f"{path}:{number}: not a JSON audit record (an object per line)")
        version = record.get("schema_version")
        if isinstance(version, int) and version > AUDIT_SCHEMA_VERSION:
            raise AuditReadError(
                f"{path}:{number}: audit schema_version {version} is newer than this llmops-ci reads "
                f"({AUDIT_SCHEMA_VERSION}): upgrade llmops-ci"
            )
        yield number, record
