"""Read the two runs of ``diff``: per run its summary and, per suite x model, a row of tallies per case —
in a single pass over ``records.jsonl``.

A row holds sums and counts (passes, judged repeats, errors, latency, tokens, cost, score, the
context-faithfulness outcomes) and the first failing assertion's reason; never the records themselves.

Parsing the JSON lines is most of a diff's time, so large runs are read side by side: a forked child
reads head while the process reads base (POSIX, single-threaded caller, over ``PARALLEL_MIN_BYTES`` of
records); the child sends its tables back pickled through a pipe. numpy is not imported here, so the
fork is cheap and the import overlaps nothing it would slow down.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_ci.compare import DiffInputError
from llmops_ci.eval.results import (
    RECORDS_FILE,
    SCHEMA_VERSION,
    SUMMARY_FILE,
    ResultsError,
    read_records,
    summarize,
)

# Columns of a case row.
PASSES, JUDGED, ERRORS, RECORDS = 0, 1, 2, 3
LATENCY, LATENCY_N, COST, COST_N = 4, 5, 6, 7
INPUT, INPUT_N, OUTPUT, OUTPUT_N = 8, 9, 10, 11
SCORE, SCORE_N, HALLUCINATED, FAITHFULNESS_N = 12, 13, 14, 15
COLUMNS = 16

if TYPE_CHECKING:
    from llmops_ci.compare.stats import FloatArray

#: Read base and head in two processes when their records add up to this many bytes.
PARALLEL_MIN_BYTES = 4_000_000
_REASON_CHARS = 300
_RUN_FACTS = ("run_id", "started_at", "finished_at", "complete", "git_sha", "toolkit_version")


@dataclass
class CaseTable:
    """The cases of one suite x model of one run, in order of first appearance: ``COLUMNS`` tallies per
    case in one flat array of doubles (8 bytes a figure, read by numpy without a copy)."""

    suite: str
    model: str
    min_passes: int = 1
    index: dict[str, int] = field(default_factory=dict)  # case_id -> row
    labels: list[str] = field(default_factory=list)  # the case's own id (record["case"])
    data: array[float] = field(default_factory=lambda: array("d"))
    reasons: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def add(self, record: dict[str, Any]) -> None:
        case_id = record["case_id"]
        at = self.index.get(case_id)
        if at is None:
            at = self.index[case_id] = len(self.labels)
            self.data.extend(_ZEROS)
            self.labels.append(str(record.get("case") or case_id))
            self.reasons.append(None)
        data, row = self.data, at * COLUMNS
        data[row + RECORDS] += 1
        if record.get("error") is not None:
            data[row + ERRORS] += 1
            return
        passed = record.get("passed")
        if passed is not None:
            data[row + JUDGED] += 1
            if passed:
                data[row + PASSES] += 1
            elif self.reasons[at] is None:
                self.reasons[at] = _failing_reason(record)
        metrics = record.get("metrics")
        if metrics:
            for value_column, count_column, name in _NUMBERS:
                value = metrics.get(name)
                if value is not None and type(value) in _NUMBER_TYPES:
                    data[row + value_column] += value
                    data[row + count_column] += 1
        score = record.get("score")
        if score is not None and type(score) in _NUMBER_TYPES:
            data[row + SCORE] += score
            data[row + SCORE_N] += 1
        for result in record.get("assertions") or ():
            if result.get("type") == "context-faithfulness":
                data[row + FAITHFULNESS_N] += 1
                data[row + HALLUCINATED] += not result.get("passed")

    @property
    def matrix(self) -> FloatArray:
        """The tallies as a (cases, COLUMNS) numpy view."""
        import numpy as np

        return np.frombuffer(self.data, dtype=np.float64).reshape(len(self.labels), COLUMNS)

    def records(self) -> int:
        return int(sum(self.data[RECORDS::COLUMNS]))


_ZEROS = array("d", [0.0] * COLUMNS)
_NUMBER_TYPES = (int, float)
_NUMBERS = (
    (LATENCY, LATENCY_N, "latency_ms"),
    (COST, COST_N, "cost_usd"),
    (INPUT, INPUT_N, "input_tokens"),
    (OUTPUT, OUTPUT_N, "output_tokens"),
)


def _failing_reason(record: dict[str, Any]) -> str | None:
    for result in record.get("assertions") or ():
        if not result.get("passed"):
            reason = f"{result.get('type', '?')}: {result.get('reason', '')}".strip()
            return reason if len(reason) <= _REASON_CHARS else reason[: _REASON_CHARS - 1] + "…"
    return None


@dataclass
class Run:
    directory: Path
    facts: dict[str, Any]
    summary: dict[str, Any]
    tables: dict[tuple[str, str], CaseTable]
    records: int

    def group_summary(self, suite: str, model: str) -> dict[str, Any]:
        for group in self.summary.get("suites", []):
            if group.get("suite") == suite and group.get("model") == model:
                return dict(group)
        return {}

    @property
    def models(self) -> set[str]:
        return {model for _, model in self.tables}


def _saved_summary(directory: Path) -> dict[str, Any]:
    """summary.json (empty when absent or unreadable), refusing a newer schema version."""
    path = directory / SUMMARY_FILE
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}
    if not isinstance(saved, dict):
        return {}
    version = saved.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise DiffInputError(
            f"{path}: results schema version {version} is newer than this llmops-ci reads "
            f"({SCHEMA_VERSION}); upgrade llmops-ci"
        )
    return saved


def _record_counts(summary: dict[str, Any]) -> dict[tuple[str, str], int] | None:
    """Records per suite x model of a complete saved summary; None when it cannot vouch for the records."""
    if summary.get("complete") is not True or summary.get("schema_version") != SCHEMA_VERSION:
        return None
    counts: dict[tuple[str, str], int] = {}
    for group in summary.get("suites") or []:
        if not isinstance(group, dict) or not isinstance(group.get("records"), int):
            return None
        counts[(str(group.get("suite")), str(group.get("model")))] = group["records"]
    return counts


def resolve_directory(path: Path, role: str) -> Path:
    """A results directory given as itself or as its records.jsonl."""
    if not path.exists():
        raise DiffInputError(f"{role} {path}: no such results directory")
    directory = path.parent if path.is_file() else path
    if not (directory / RECORDS_FILE).is_file():
        raise DiffInputError(
            f"{role} {path}: no {RECORDS_FILE} here; is it a results directory (--output of eval)?"
        )
    return directory


def read_run(path: Path, role: str) -> Run:
    """Read a results directory in one pass over its records: the case tables, and the summary.

    The summary is recomputed from the records (``summarize``, as ``show`` does) unless summary.json is
    the complete run's own and matches the records (same suite x model groups, same number of records in
    each): then it was derived from exactly these records, and recomputing it would only double the time
    (the Summarizer costs as much as the parsing). Run facts (id, git sha, completeness) come from
    summary.json, else from the directory name and the first record's lineage.
    """
    directory = resolve_directory(path, role)
    saved = _saved_summary(directory)
    facts: dict[str, Any] = {"run_id": directory.name, "complete": False}
    facts.update({key: saved[key] for key in _RUN_FACTS if key in saved})
    expected = _record_counts(saved)
    tables: dict[tuple[str, str], CaseTable] = {}
    count = 0

    def tally() -> Iterator[dict[str, Any]]:
        nonlocal count
        for record in read_records(directory):
            key = (record["suite"], record["model"])
            table = tables.get(key)
            if table is None:
                table = tables[key] = CaseTable(key[0], key[1], int(record.get("min_passes") or 1))
            table.add(record)
            if count == 0 and facts.get("git_sha") is None:
                lineage = record.get("lineage")
                facts["git_sha"] = lineage.get("git_sha") if isinstance(lineage, dict) else None
            count += 1
            yield record

    try:
        if expected is None:
            summary = summarize(tally(), facts)
        else:
            for _ in tally():
                pass
            counts = {key: table.records() for key, table in tables.items()}
            summary = {**saved, **facts} if counts == expected else summarize(read_records(directory), facts)
    except ResultsError as error:
        raise DiffInputError(f"{role}: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DiffInputError(
            f"{role} {directory / RECORDS_FILE}: record {count + 1} is not a results record ({error!r})"
        ) from None
    if count == 0:
        raise DiffInputError(f"{role} {directory}: {RECORDS_FILE} holds no records")
    return Run(directory, facts, summary, tables, count)


def read_runs(base: Path, head: Path) -> tuple[Run, Run]:
    """Read base and head; side by side in two processes when they are large (see the module docstring)."""
    if not _parallel(base, head):
        return read_run(base, "base"), read_run(head, "head")
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, reported through the pipe
        os.close(reader)
        try:
            payload = pickle.dumps((True, read_run(head, "head")), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # every failure goes back to the parent, which raises it
            try:
                payload = pickle.dumps((False, error))
            except Exception:
                payload = pickle.dumps((False, DiffInputError(f"head {head}: {error}")))
        with os.fdopen(writer, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(writer)
    try:
        base_run = read_run(base, "base")
    finally:
        with os.fdopen(reader, "rb") as pipe:
            payload = pipe.read()
        os.waitpid(child, 0)
    if not payload:
        raise DiffInputError(f"head {head}: the reader process ended without a result")
    ok, result = pickle.loads(payload)
    if not ok:
        raise result
    head_run: Run = result
    return base_run, head_run


def _parallel(base: Path, head: Path) -> bool:
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    try:
        size = sum(
            (resolve_directory(p, role) / RECORDS_FILE).stat().st_size
            for p, role in ((base, "base"), (head, "head"))
        )
    except DiffInputError:
        return False  # read_run says what is wrong
    return size >= PARALLEL_MIN_BYTES
