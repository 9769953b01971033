"""``llmops-ci merge RUN_DIR... --output DIR``: combine runs (the shards of ``eval --shard I/N``, or any
runs of the same suites) into one run directory. Records are concatenated as they are; the summary is
recomputed from them (the results contract: a summary is always derivable from its records).

The merged run is complete only when every input is complete and, when the inputs declare shards, each
of shards 1..N is given exactly once. The output appears whole or not at all: it is written into a
temporary directory beside it, then renamed."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci import __version__
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.eval.results import (
    RECORDS_FILE,
    SCHEMA_VERSION,
    SUMMARY_FILE,
    RecordWriter,
    ResultsError,
    Summarizer,
    read_records,
    write_summary,
)
from llmops_ci.report import eval_text


@dataclass
class _Input:
    directory: Path
    summary: dict[str, Any]  # the input's summary.json as saved ({} for a run killed before writing it)

    @property
    def shard(self) -> tuple[int, int] | None:
        shard = self.summary.get("shard")
        if not isinstance(shard, dict):
            return None
        index, count = shard.get("index"), shard.get("count")
        if not isinstance(index, int) or not isinstance(count, int) or not 1 <= index <= count:
            raise UsageError(f"{self.directory / SUMMARY_FILE}: shard {shard!r} is not {{index, count}}")
        return index, count

    @property
    def complete(self) -> bool:
        return self.summary.get("complete") is True


def _read_input(directory: Path) -> _Input:
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such results directory")
    if not (directory / RECORDS_FILE).is_file():
        raise UsageError(f"{directory}: no {RECORDS_FILE} here; is it a results directory?")
    path = directory / SUMMARY_FILE
    summary: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            loaded = {}  # cut short: the records still count, the run reads as incomplete
        summary = loaded if isinstance(loaded, dict) else {}
        version = summary.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ResultsError(
                f"{path}: results schema version {version!r} is newer than this llmops-ci reads "
                f"({SCHEMA_VERSION}); upgrade llmops-ci"
            )
    return _Input(directory, summary)


def _check_output(output: Path, inputs: list[_Input]) -> None:
    if output.exists() and not (output.is_dir() and not any(output.iterdir())):
        raise UsageError(f"{output} already exists: choose another --output (runs never mix)")
    resolved = output.resolve()
    for run in inputs:
        if run.directory.resolve() == resolved:
            raise UsageError(f"--output {output} is one of the runs to merge")


def _shards(inputs: list[_Input]) -> tuple[int | None, list[int]]:
    """The shard count the inputs declare (None when none does) and the shards missing from 1..N.
    Mixed counts, a shard given twice, or shard runs mixed with whole runs are usage errors."""
    declared = [(run, run.shard) for run in inputs]
    sharded = [(run, shard) for run, shard in declared if shard is not None]
    if not sharded:
        return None, []
    # a run killed before its summary was written cannot say its shard: it counts as incomplete
    whole = [run for run, shard in declared if shard is None and run.summary]
    if whole:
        raise UsageError(f"{whole[0].directory} is not a shard run, the others are: merge shards of one run")
    counts = sorted({shard[1] for _, shard in sharded})
    if len(counts) > 1:
        raise UsageError(f"the runs are shards of different counts ({', '.join(map(str, counts))})")
    count = counts[0]
    seen: dict[int, Path] = {}
    for run, (index, _) in sharded:
        if index in seen:
            raise UsageError(f"shard {index}/{count} given twice: {seen[index]} and {run.directory}")
        seen[index] = run.directory
    return count, [index for index in range(1, count + 1) if index not in seen]


def _same(inputs: list[_Input], key: str) -> Any:
    values = {json.dumps(run.summary.get(key)) for run in inputs}
    return inputs[0].summary.get(key) if len(values) == 1 else None


def _run_facts(inputs: list[_Input], output: Path, complete: bool) -> dict[str, Any]:
    started = [s for run in inputs if isinstance(s := run.summary.get("started_at"), str)]
    finished = [s for run in inputs if isinstance(s := run.summary.get("finished_at"), str)]
    calls = [c for run in inputs if isinstance(c := run.summary.get("model_calls"), int)]
    facts: dict[str, Any] = {
        "run_id": output.name,
        **({"started_at": min(started)} if started else {}),
        **({"finished_at": max(finished)} if finished else {}),
        "git_sha": _same(inputs, "git_sha"),
        "toolkit_version": _same(inputs, "toolkit_version") or __version__,
        "complete": complete,
        "results_dir": str(output),
        "model_calls": sum(calls),
    }
    return facts


def _write(inputs: list[_Input], output: Path, complete: bool) -> dict[str, Any]:
    """Concatenate the records into a temporary directory beside ``output``, summarize them as they
    pass, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"))
    try:
        writer = RecordWriter(temporary)
        summarizer = Summarizer()
        seen: dict[tuple[str, str, int], Path] = {}
        try:
            for run in inputs:
                for record in read_records(run.directory):
                    key = (str(record.get("case_id")), str(record.get("model")), int(record.get("repeat", 0)))
                    if key in seen:
                        raise UsageError(
                            f"case {key[0]!r} on model {key[1]!r}, repeat {key[2]}, is in both "
                            f"{seen[key]} and {run.directory}: the runs overlap; merge each result once"
                        )
                    seen[key] = run.directory
                    writer.write(record, flush=False)
                    summarizer.add(record)
        finally:
            writer.close()
        summary = summarizer.summary(_run_facts(inputs, output, complete))
        write_summary(temporary, summary)
        if output.is_dir():
            output.rmdir()  # empty (checked): rename needs it gone on every platform
        os.replace(temporary, output)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return summary


def run(runs: list[Path], *, output: Path, allow_partial: bool = False, output_format: str = "text") -> int:
    if not runs:
        raise UsageError("give the run directories to merge")
    if output_format not in ("text", "json"):
        raise UsageError("--format must be text or json")
    inputs = [_read_input(directory) for directory in runs]
    resolved = [run.directory.resolve() for run in inputs]
    for position, directory in enumerate(resolved):
        if directory in resolved[:position]:
            raise UsageError(f"{runs[position]} is given twice")
    _check_output(output, inputs)
    count, missing = _shards(inputs)
    if count is not None:
        inputs.sort(key=lambda run: run.shard or (0, 0))  # records in shard order
    unfinished = [run.directory for run in inputs if not run.complete]
    complete = not missing and not unfinished
    summary = _write(inputs, output, complete)
    eval_text.emit(summary, output_format, [])
    problems = []
    if missing:
        problems.append(
            f"missing shard(s) {', '.join(f'{index}/{count}' for index in missing)}: the merged run is "
            "incomplete"
        )
    if unfinished:
        problems.append("incomplete input run(s): " + ", ".join(str(directory) for directory in unfinished))
    for problem in problems:
        sys.stderr.write(f"llmops-ci: {problem}\n")
    if not complete and not allow_partial:
        sys.stderr.write(f"llmops-ci: merged into {output} (marked incomplete); --allow-partial accepts it\n")
        return EXIT_FINDINGS
    return EXIT_OK
