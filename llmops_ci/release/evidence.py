"""Evidence: eval results whose records target an exact content digest.

The results directories are the project's runs directory (``spec.runs.dir`` of llmops.yaml, default
``.llmops/runs``) and any ``--results DIR`` (a run directory, or a directory of runs). Only complete runs
count (an interrupted run is not evidence). Each run's records for the digest are summarised again
(``eval.results.summarize``: the summary is always derived from the records); per suite x model the latest
run wins. The compact per-suite-x-model summaries are what release and promotion tags carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.eval.metrics import METRICS
from llmops_ci.eval.results import RECORDS_FILE, SCHEMA_VERSION, SUMMARY_FILE, ResultsError, summarize

DEFAULT_RUNS_DIR = ".llmops/runs"
TargetKey = tuple[str, str, str]  # kind, name, digest (sha256:12hex)


@dataclass
class Evidence:
    """Per suite x model summaries for one digest, and where they came from (results, tag, or none)."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    source: str = "none"

    @property
    def passed(self) -> bool:
        """Some results exist and every suite x model met its suite's thresholds."""
        return bool(self.groups) and all(g.get("passed_gates") for g in self.groups)


def run_directories(runs_dir: Path | None, extra: Iterable[Path] = ()) -> list[Path]:
    """Run directories (holding records.jsonl) of the runs directory and of each ``--results`` path."""
    found: list[Path] = []
    for directory in [*([runs_dir] if runs_dir is not None else []), *extra]:
        if (directory / RECORDS_FILE).is_file():
            found.append(directory)
        elif directory.is_dir():
            found += sorted(p for p in directory.iterdir() if (p / RECORDS_FILE).is_file())
    unique: dict[Path, None] = {}
    for directory in found:
        unique.setdefault(directory.resolve(), None)
    return list(unique)


def _run_facts(directory: Path) -> dict[str, Any] | None:
    """Run-level facts from summary.json; None when the run did not finish (no evidence)."""
    path = directory / SUMMARY_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(saved, dict) or not saved.get("complete", False):
        return None
    version = saved.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise ResultsError(
            f"{path}: results schema version {version} is newer than this llmops-ci reads "
            f"({SCHEMA_VERSION}); upgrade llmops-ci"
        )
    keys = ("run_id", "started_at", "finished_at", "complete", "git_sha", "toolkit_version")
    return {"run_id": directory.name, **{k: saved[k] for k in keys if k in saved}}


def _records_for(directory: Path, wanted: set[TargetKey]) -> dict[TargetKey, list[dict[str, Any]]]:
    digests = {digest for _, _, digest in wanted}
    found: dict[TargetKey, list[dict[str, Any]]] = {}
    path = directory / RECORDS_FILE
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not any(digest in line for digest in digests):
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise ResultsError(f"{path}:{number}: not a JSON record") from None
            version = record.get("schema_version")
            if not isinstance(version, int) or version > SCHEMA_VERSION:
                raise ResultsError(
                    f"{path}:{number}: results schema version {version!r} is newer than this llmops-ci "
                    f"reads ({SCHEMA_VERSION}); upgrade llmops-ci"
                )
            target = record.get("target") or {}
            key = (str(target.get("kind")), str(target.get("name")), str(target.get("digest")))
            if key in wanted:
                found.setdefault(key, []).append(record)
    return found


def compact(group: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """What a tag keeps of one suite x model summary."""
    return {
        "suite": group["suite"],
        "model": group["model"],
        "run_id": run.get("run_id"),
        "finished_at": run.get("finished_at"),
        "git_sha": run.get("git_sha"),
        "cases": group["cases"],
        "passed": group["passed"],
        "failed": group["failed"],
        "errors": group["errors"],
        "passed_gates": group["passed_gates"],
        "failed_thresholds": [
            {k: v for k, v in verdict.items() if k in ("metric", "min", "max", "value")}
            for verdict in group.get("thresholds", [])
            if not verdict.get("passed")
        ],
        "metrics": {k: round(v, 9) if isinstance(v, float) else v for k, v in group["metrics"].items()},
    }


def collect(run_dirs: list[Path], wanted: set[TargetKey]) -> dict[TargetKey, Evidence]:
    """Evidence for each wanted (kind, name, digest): per suite x model, the latest complete run."""
    latest: dict[TargetKey, dict[tuple[str, str], tuple[tuple[str, str], dict[str, Any]]]] = {}
    if wanted:
        for directory in run_dirs:
            run = _run_facts(directory)
            if run is None:
                continue
            order = (str(run.get("finished_at") or run.get("started_at") or ""), str(run["run_id"]))
            for key, records in _records_for(directory, wanted).items():
                for group in summarize(records, run)["suites"]:
                    slot = latest.setdefault(key, {})
                    pair = (group["suite"], group["model"])
                    if pair not in slot or slot[pair][0] <= order:
                        slot[pair] = (order, compact(group, run))
    return {
        key: Evidence(
            [
                entry
                for _, entry in sorted(slot.values(), key=lambda item: (item[1]["suite"], item[1]["model"]))
            ],
            "results",
        )
        for key, slot in latest.items()
    }


def gate_problems(groups: list[dict[str, Any]], gate: dict[str, dict[str, float]]) -> list[str]:
    """Why the evidence does not meet ``gate`` (metric -> {min, max}): every suite x model must."""
    problems: list[str] = []
    for group in groups:
        where = f"{group['suite']} x {group['model']}"
        for metric, bound in gate.items():
            value = group.get("metrics", {}).get(metric)
            direction = METRICS[metric].direction if metric in METRICS else "higher"
            if value is None:
                problems.append(f"{where}: {metric} was not measured (the gate needs it)")
                continue
            low, high = bound.get("min"), bound.get("max")
            if low is not None and value < low:
                problems.append(
                    f"{where}: {metric} {_fmt(metric, value)} < min {_fmt(metric, low)} "
                    f"({direction} is better)"
                )
            if high is not None and value > high:
                problems.append(
                    f"{where}: {metric} {_fmt(metric, value)} > max {_fmt(metric, high)} "
                    f"({direction} is better)"
                )
    return problems


def suite_problems(groups: list[dict[str, Any]]) -> list[str]:
    """Suite x model summaries that failed their own suite's thresholds."""
    problems = []
    for group in groups:
        if group.get("passed_gates"):
            continue
        failed = ", ".join(
            f"{t['metric']} {_fmt(t['metric'], t.get('value'))}"
            + (
                f" < min {t['min']}"
                if "min" in t and t.get("value") is not None and t["value"] < t["min"]
                else ""
            )
            + (
                f" > max {t['max']}"
                if "max" in t and t.get("value") is not None and t["value"] > t["max"]
                else ""
            )
            for t in group.get("failed_thresholds", [])
        )
        problems.append(
            f"{group['suite']} x {group['model']}: failed its suite thresholds ({failed or 'see the run'})"
        )
    return problems


def _fmt(metric: str, value: Any) -> str:
    if value is None:
        return "n/a"
    unit = METRICS[metric].unit if metric in METRICS else ""
    if unit == "ratio" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if unit == "USD" and isinstance(value, (int, float)):
        return f"${value:.4f}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe(group: dict[str, Any]) -> str:
    """``suite x model: pass rate 98.0% (49/50), cost $0.0123, suite gates passed (run ID)``."""
    metrics = group.get("metrics", {})
    parts = []
    if "pass_rate" in metrics:
        parts.append(
            f"pass rate {_fmt('pass_rate', metrics['pass_rate'])} "
            f"({group['passed']}/{group['passed'] + group['failed']})"
        )
    if group.get("errors"):
        parts.append(f"{group['errors']} errors")
    cost = metrics.get("cost_usd_total")
    parts.append(f"cost {_fmt('cost_usd_total', cost)}" if cost is not None else "cost unknown")
    parts.append("suite gates passed" if group.get("passed_gates") else "suite gates FAILED")
    return f"{group['suite']} x {group['model']}: {', '.join(parts)} (run {group.get('run_id')})"
