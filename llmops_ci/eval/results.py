"""The results contract (schemas/results.schema.json): a run directory with ``records.jsonl``, appended as
cases finish (each line self-contained), and ``summary.json``, always derivable from the records — so a
killed run still reads, and ``show`` recomputes the summary rather than trusting a stale one."""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from llmops_ci.atomic import write_atomically
from llmops_ci.errors import LlmopsError
from llmops_ci.eval.metrics import METRICS

SCHEMA_VERSION = 1
RECORDS_FILE = "records.jsonl"
SUMMARY_FILE = "summary.json"
DEFAULT_GATES: dict[str, dict[str, float]] = {"error_rate": {"max": 0.0}}


class ResultsError(LlmopsError):
    """A results directory that cannot be read (missing, corrupt, or from a newer llmops-ci)."""


class RecordWriter:
    """Appends one JSON line per finished call and flushes it, so an interrupted run keeps every result.
    Records that cost nothing to make again (``flush=False``: served from the cache) may wait in the
    buffer for the next flush (the next record, at the latest ``close``)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._handle: TextIO = (directory / RECORDS_FILE).open("a", encoding="utf-8")
        self._encode = json.JSONEncoder(ensure_ascii=False, default=str).encode

    def write(self, record: dict[str, Any], *, flush: bool = True) -> None:
        self._handle.write(self._encode(record) + "\n")
        if flush:
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


_NUMERIC_METRICS = ("latency_ms", "ttft_ms", "input_tokens", "output_tokens", "tokens_per_s")

#: Registry metrics that are the mean score of one assertion type, and the failure rate metrics.
_TYPE_MEANS = {
    "factuality": "factuality_mean",
    "answer-relevance": "answer_relevance_mean",
    "similar": "similarity_mean",
}


#: a RAG record's retrieval measures -> the summary metric averaging them (llmops_ci.rag.evaluate)
_RETRIEVAL_SUMMARY = {
    "hit_rate": "hit_rate",
    "recall_at_k": "recall_at_k",
    "precision_at_k": "precision_at_k",
    "mrr": "mrr",
    "ndcg_at_k": "ndcg_at_k",
    "context_relevance": "context_relevance_mean",
    "groundedness": "groundedness_mean",
    "chunk_utilization": "chunk_utilization_mean",
}


class _Group:
    """The running totals of one suite x model: per record a few 8-byte floats (for percentiles and exact
    means) and per case one tally, never the records themselves (about a tenth of a kilobyte per case
    instead of several). Values are kept in arrival order and reduced with the same ``sum``/``sorted``
    calls as a list of records would be, so the figures do not depend on how the records were fed
    (streamed during the run, or re-read from records.jsonl)."""

    def __init__(
        self,
        suite: str,
        model: str,
        min_passes: int = 1,
        thresholds: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.suite = suite
        self.model = model
        self.min_passes = min_passes
        self.thresholds = thresholds or {}
        self.count = 0
        self.errored = 0
        self.case_ids: set[str] = set()
        # per case with a non-errored verdict: [repeats passed, repeats judged], in order of first verdict
        self.outcomes: dict[str, list[int]] = {}
        self.numbers: dict[str, array[float]] = {name: array("d") for name in _NUMERIC_METRICS}
        self.costs = array("d")
        self.cost_count = 0  # non-errored records, priced or not
        self.cost_known = True
        self.scores = array("d")
        # factuality / relevance / similarity means; hallucination rate = share of outputs failing
        # context-faithfulness; refusal rate = share of outputs that are refusals (is-refusal passing)
        self.type_scores: dict[str, array[float]] = {}
        self.rates: dict[str, list[int]] = {}  # name -> [outcomes counted, outcomes seen]
        self.custom: dict[str, array[float]] = {}
        self.checks: dict[str, list[int]] = {}  # "policy/check" -> [records it fired on, records it blocked]
        self.retrieval: dict[str, array[float]] = {}  # summary metric -> per-record values (RAG)
        self.agent_steps = array("d")  # agent suites: model calls per task

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        self.case_ids.add(record["case_id"])
        if record.get("guardrails") is not None:
            self._guardrails(record)
        if record.get("pii") is not None:
            self._rate("pii_leakage_rate", bool(record["pii"]))
        if record.get("retrieval") is not None:
            for name, value in record["retrieval"].get("metrics", {}).items():
                summary_name = _RETRIEVAL_SUMMARY.get(name)
                if summary_name is not None and isinstance(value, (int, float)):
                    self.retrieval.setdefault(summary_name, array("d")).append(float(value))
        if record.get("agent") is not None:  # --- agent suites: steps, and each tool call's validity
            self.agent_steps.append(float(record["agent"].get("steps", 0)))
            for call in record["agent"].get("tool_calls", []):
                self._rate("tool_call_valid_rate", bool(call.get("valid")))
        if isinstance(record.get("score"), (int, float)):
            self.scores.append(float(record["score"]))
        for result in record.get("assertions", []):
            self._assertion(result)
        if record.get("error") is not None:
            self.errored += 1
            return
        if record.get("passed") is not None:
            outcome = self.outcomes.setdefault(record["case_id"], [0, 0])
            outcome[0] += bool(record["passed"])
            outcome[1] += 1
        metrics = record.get("metrics", {})
        for name, values in self.numbers.items():
            value = metrics.get(name)
            if isinstance(value, (int, float)):
                values.append(float(value))
        cost = metrics.get("cost_usd")
        self.cost_count += 1
        if isinstance(cost, (int, float)):
            self.costs.append(float(cost))
        else:
            self.cost_known = False

    def _assertion(self, result: dict[str, Any]) -> None:
        kind = str(result.get("type", "")).removeprefix("not-")
        if kind in _TYPE_MEANS:
            self.type_scores.setdefault(_TYPE_MEANS[kind], array("d")).append(float(result.get("score", 0.0)))
        if kind == "context-faithfulness":
            self._rate("hallucination_rate", not result.get("passed"))
        elif kind == "is-refusal":
            negated = str(result.get("type", "")).startswith("not-")
            self._rate("refusal_rate", bool(result.get("passed")) != negated)
        if result.get("metric"):
            self.custom.setdefault(result["metric"], array("d")).append(float(result.get("score", 0.0)))

    def _guardrails(self, record: dict[str, Any]) -> None:
        findings = [f for scope in record["guardrails"].values() for f in scope.get("findings", [])]
        self._rate("guardrail_trigger_rate", bool(findings))
        self._rate("guardrail_block_rate", record.get("blocked") is not None)
        fired: dict[str, bool] = {}
        for finding in findings:
            check = f"{finding['policy']}/{finding['check']}"
            fired[check] = fired.get(check, False) or finding.get("action") == "block"
        for check, blocked in fired.items():
            tally = self.checks.setdefault(check, [0, 0])
            tally[0] += 1
            tally[1] += blocked

    def _rate(self, name: str, counted: bool) -> None:
        tally = self.rates.setdefault(name, [0, 0])
        tally[0] += counted
        tally[1] += 1


def _case_outcomes(group: _Group) -> tuple[dict[str, float], int, int, int]:
    """Per case: pass fraction over its non-errored repeats; counts of passed / failed cases (k-of-N gate)
    and of cases whose every repeat passed (for pass^k)."""
    outcomes = group.outcomes
    fractions = {case: passes / runs for case, (passes, runs) in outcomes.items()}
    passed = sum(1 for passes, runs in outcomes.values() if passes >= min(group.min_passes, runs))
    all_passed = sum(1 for passes, runs in outcomes.values() if passes == runs)
    return fractions, passed, len(outcomes) - passed, all_passed


def _mean_of(values: array[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize_group(group: _Group) -> dict[str, Any]:
    fractions, passed, failed, all_passed = _case_outcomes(group)
    numbers = group.numbers
    latency, ttft = list(numbers["latency_ms"]), list(numbers["ttft_ms"])
    input_tokens, output_tokens = numbers["input_tokens"], numbers["output_tokens"]
    cost_known = group.cost_known
    values: dict[str, float | None] = {
        "pass_rate": _mean(list(fractions.values())),
        "error_rate": group.errored / group.count if group.count else None,
        "score_mean": _mean_of(group.scores),
        "latency_mean_ms": _mean(latency),
        "latency_p50_ms": percentile(latency, 0.5),
        "latency_p95_ms": percentile(latency, 0.95),
        "ttft_p50_ms": percentile(ttft, 0.5),
        "ttft_p95_ms": percentile(ttft, 0.95),
        "tokens_per_s_mean": _mean_of(numbers["tokens_per_s"]),
        "input_tokens_total": sum(input_tokens) if input_tokens else None,
        "output_tokens_total": sum(output_tokens) if output_tokens else None,
        "input_tokens_mean": _mean_of(input_tokens),
        "output_tokens_mean": _mean_of(output_tokens),
        "cost_usd_total": sum(group.costs) if cost_known and group.cost_count else None,
        "cost_usd_mean": _mean_of(group.costs) if cost_known else None,
        **{name: sum(scores) / len(scores) for name, scores in group.type_scores.items()},
        **{name: counted / seen for name, (counted, seen) in group.rates.items()},
        **{name: sum(scores) / len(scores) for name, scores in group.custom.items()},
        **{name: sum(values) / len(values) for name, values in group.retrieval.items()},
        "agent_steps_mean": _mean_of(group.agent_steps),
        "cost_usd_per_task": _mean_of(group.costs) if cost_known and group.agent_steps else None,
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
        "records": group.count,
        "cases": len(group.case_ids),
        "passed": passed,
        "failed": failed,
        "errors": group.errored,
        "pass_all_repeats": all_passed,
        "cost_known": cost_known,
        "metrics": {name: value for name, value in values.items() if value is not None},
        "thresholds": verdicts,
        **({"guardrails": _check_tallies(group)} if "guardrail_trigger_rate" in group.rates else {}),
        "passed_gates": all(v["passed"] for v in verdicts),
    }


def _check_tallies(group: _Group) -> dict[str, dict[str, Any]]:
    guarded = group.rates["guardrail_trigger_rate"][1]
    return {
        check: {"triggered": fired, "blocked": blocked, "trigger_rate": fired / guarded}
        for check, (fired, blocked) in sorted(group.checks.items())
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


class Summarizer:
    """Builds the summary as records arrive (``add``), keeping running totals rather than records;
    ``summary(run)`` may be called at any point and equals ``summarize`` over the records added so far."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], _Group] = {}
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        key = (record["suite"], record["model"])
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(
                record["suite"],
                record["model"],
                int(record.get("min_passes", 1)),
                dict(record.get("thresholds") or {}),
            )
        group.add(record)

    def summary(self, run: dict[str, Any]) -> dict[str, Any]:
        suites = [summarize_group(group) for group in self.groups.values()]
        return {
            "schema_version": SCHEMA_VERSION,
            **run,
            "suites": suites,
            "passed": bool(suites) and all(s["passed_gates"] for s in suites) and run.get("complete", True),
        }


def summarize(records: Iterable[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """The summary of a run, recomputed from its records; ``run`` holds run-level facts (id, times)."""
    summarizer = Summarizer()
    for record in records:
        summarizer.add(record)
    return summarizer.summary(run)


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
