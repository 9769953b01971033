"""``llmops-ci show RESULTS``: print a saved run, its summary recomputed from the records."""

from __future__ import annotations

from pathlib import Path

from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.eval.results import load_run, read_records
from llmops_ci.report import eval_text


def _latest(runs: Path) -> Path:
    candidates = sorted((p for p in runs.iterdir() if (p / "records.jsonl").is_file()), key=lambda p: p.name)
    if not candidates:
        raise UsageError(f"{runs}: no runs here")
    return candidates[-1]


def run(results: Path, *, output_format: str = "text", report: Path | None = None) -> int:
    if not results.exists():
        raise UsageError(f"{results}: no such results directory")
    directory = results.parent if results.is_file() else results
    if not (directory / "records.jsonl").is_file() and directory.is_dir():
        directory = _latest(directory)
    summary = load_run(directory)
    summary["results_dir"] = str(directory)
    records = list(read_records(directory)) if output_format == "junit" else []
    eval_text.emit(summary, output_format, records)
    if report is not None:
        from llmops_ci.commands.eval import write_report

        write_report(report, summary, directory)
    return EXIT_OK if summary["passed"] else EXIT_FINDINGS
