"""The results contract (schemas/results.schema.json): a run directory with ``records.jsonl``, appended as
cases finish (each line self-contained), and ``summary.json``, always derivable from the records — so a
killed run still reads, and ``show`` recomputes the summary rather than trusting a stale one."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from llmops_ci.errors import LlmopsError
from llmops_ci.eval.cache import write_atomically
from llmops_ci.eval.metrics import METRICS

SCHEMA_VERSION = 1
RECORDS_FILE = "records.jsonl"
SUMMARY_FILE = "summary.json"
DEFAULT_GATES: dict[str, dict[str, float]] = {"error_rate": {"max": 0.0}}


class ResultsError(LlmopsError):
    """A results directory that cannot be read (missing, corrupt, or from a newer llmops-ci)."""


class RecordWriter:
    """Appends one JSON line per finished call and flushes it, so an interrupted run keeps every result."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._handle: TextIO = (directory / RECORDS_FILE).open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def read_records(directory: Path) -> Iterator[dict[str, Any]]:
    path = directory / RECORDS_FILE
    if not path.is_file():
        raise ResultsError(f"{directory}: no {RECORDS_FILE} here; is it a results directory?")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if not line.endswith("\n"):
                    return  # the last line of a killed run may be cut short: everything before it counts
                raise ResultsError(f"{path}:{number}: not a JSON record") from None
            version = record.get("schema_version")
            if not isinstance(version, int) or version > SCHEMA_VERSION:
                raise ResultsError(
                    f"{path}:{number}: results schema version {version!r} is newer than this llmops-ci reads "
                    f"({SCHEMA_VERSION}); upgrade llmops-ci"
                )
            yield record


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class _Group:
    suite: str
    model: str
    min_passes: int = 1
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)


def _case_outcomes(records: list[dict[str, Any]], min_passes: int) -> tuple[dict[str, float], int, int, int]:
    """Per case: pass fraction over its non-errored repeats; counts of passed / failed cases (k-of-N gate)
    and of cases whose every repeat passed (for pass^k)."""
    by_case: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        if record.get("error") is None and record.get("passed") is not None:
            by_case[record["case_id"]].append(bool(record["passed"]))
    fractions = {case: sum(runs) / len(runs) for case, runs in by_case.items()}
    passed = sum(1 for runs in by_case.values() if sum(runs) >= min(min_passes, len(runs)))
    all_passed = sum(1 for runs in by_case.values() if all(runs))
    return fractions, passed, len(by_case) - passed, all_passed


def _numbers(records: list[dict[str, Any]], name: str) -> list[float]:
    values = (record.get("metrics", {}).get(name) for record in records if record.get("error") is None)
    return [float(value) for value in values if isinstance(value, (int, float))]


#: Registry metrics that are the mean score of one assertion type, and the failure rate metrics.
_TYPE_MEANS = {
    "factuality": "factuality_mean",
    "answer-relevance": "answer_relevance_mean",
    "similar": "similarity_mean",
}


def _assertion_metrics(records: list[dict[str, Any]]) -> dict[str, float]:
    """factuality / relevance / similarity means; hallucination rate = share of outputs failing
    context-faithfulness; refusal rate = share of outputs that are refusals (is-refusal passing)."""
    scores: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        for result in record.get("assertions", []):
            kind = str(result.get("type", "")).removeprefix("not-")
            if kind in _TYPE_MEANS:
                scores[_TYPE_MEANS[kind]].append(float(result.get("score", 0.0)))
            if kind == "context-faithfulness":
                outcomes["hallucination_rate"].append(not result.get("passed"))
            elif kind == "is-refusal":
                negated = str(result.get("type", "")).startswith("not-")
                outcomes["refusal_rate"].append(bool(result.get("passed")) != negated)
    metrics = {name: sum(values) / len(values) for name, values in scores.items()}
    metrics |= {name: sum(flags) / len(flags) for name, flags in outcomes.items()}
    return metrics


def _custom_metrics(records: list[dict[str, Any]]) -> dict[str, float]:
    scores: dict[str, list[float]] = defaultdict(list)
    for record in records:
        for result in record.get("assertions", []):
            if result.get("metric"):
                scores[result["metric"]].append(float(result.get("score", 0.0)))
    return {name: sum(values) / len(values) for name, values in scores.items()}


def summarize_group(group: _Group) -> dict[str, Any]:
    records = group.records
    errored = [r for r in records if r.get("error") is not None]
    fractions, passed, failed, all_passed = _case_outcomes(records, group.min_passes)
    latency, ttft = _numbers(records, "latency_ms"), _numbers(records, "ttft_ms")
    input_tokens, output_tokens = _numbers(records, "input_tokens"), _numbers(records, "output_tokens")
    costs = [r.get("metrics", {}).get("cost_usd") for r in records if r.get("error") is None]
    cost_known = all(isinstance(cost, (int, float)) for cost in costs)
    scores = [float(r["score"]) for r in records if isinstance(r.get("score"), (int, float))]
    values: dict[str, float | None] = {
        "pass_rate": _mean(list(fractions.values())),
        "error_rate": len(errored) / len(records) if records else None,
        "score_mean": _mean(scores),
        "latency_mean_ms": _mean(latency),
        "latency_p50_ms": percentile(latency, 0.5),
        "latency_p95_ms": percentile(latency, 0.95),
        "ttft_p50_ms": percentile(ttft, 0.5),
        "ttft_p95_ms": percentile(ttft, 0.95),
        "tokens_per_s_mean": _mean(_numbers(records, "tokens_per_s")),
        "input_tokens_total": sum(input_tokens) if input_tokens else None,
        "output_tokens_total": sum(output_tokens) if output_tokens else None,
        "input_tokens_mean": _mean(input_tokens),
        "output_tokens_mean": _mean(output_tokens),
        "cost_usd_total": sum(float(c) for c in costs if c is not None) if cost_known and costs else None,
        "cost_usd_mean": _mean([float(c) for c in costs if c is not None]) if cost_known else None,
        **_assertion_metrics(records),
        **_custom_metrics(records),
    }
    gates = {
        **DEFAULT_GATES,
        **({"pass_rate": {"min": 1.0}} if not group.thresholds else {}),
        **group.thresholds,
    }
    verdicts = [_verdict(name, bound, values.get(name)) for name, bound in gates.items()]
    return {
        "suite": group.suite,
        "model": group.model,
        "records": len(records),
        "cases": len({r["case_id"] for r in records}),
        "passed": passed,
        "failed": failed,
        "errors": len(errored),
        "pass_all_repeats": all_passed,
        "cost_known": cost_known,
        "metrics": {name: value for name, value in values.items() if value is not None},
        "thresholds": verdicts,
        "passed_gates": all(v["passed"] for v in verdicts),
    }


def _verdict(name: str, bound: dict[str, float], value: float | None) -> dict[str, Any]:
    verdict: dict[str, Any] = {"metric": name, **bound, "value": value}
    if value is None:
        verdict.update(passed=False, reason="not measured in this run")
        return verdict
    low, high = bound.get("min"), bound.get("max")
    verdict["passed"] = (low is None or value >= low) and (high is None or value <= high)
    direction = METRICS[name].direction if name in METRICS else "higher"
    verdict["direction"] = direction
    return verdict


def summarize(records: Iterable[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """The summary of a run, recomputed from its records; ``run`` holds run-level facts (id, times)."""
    groups: dict[tuple[str, str], _Group] = {}
    for record in records:
        key = (record["suite"], record["model"])
        if key not in groups:
            groups[key] = _Group(
                record["suite"],
                record["model"],
                int(record.get("min_passes", 1)),
                dict(record.get("thresholds") or {}),
            )
        groups[key].records.append(record)
    suites = [summarize_group(group) for group in groups.values()]
    return {
        "schema_version": SCHEMA_VERSION,
        **run,
        "suites": suites,
        "passed": bool(suites) and all(s["passed_gates"] for s in suites) and run.get("complete", True),
    }


def write_summary(directory: Path, summary: dict[str, Any]) -> None:
    write_atomically(directory / SUMMARY_FILE, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def load_run(directory: Path) -> dict[str, Any]:
    """Recompute the summary of a saved run from its records (run facts from summary.json if present)."""
    run: dict[str, Any] = {"run_id": directory.name, "complete": False}
    summary_path = directory / SUMMARY_FILE
    if summary_path.is_file():
        try:
            saved = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            saved = {}
        version = saved.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise ResultsError(
                f"{summary_path}: results schema version {version} is newer than this llmops-ci "
                f"reads ({SCHEMA_VERSION}); upgrade llmops-ci"
            )
        run.update(
            {
                k: saved[k]
                for k in ("run_id", "started_at", "finished_at", "complete", "git_sha", "toolkit_version")
                if k in saved
            }
        )
    return summarize(read_records(directory), run)
