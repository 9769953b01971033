"""Line two runs up and compare them, per suite x model.

Cases are aligned by their stable id (``case_id``, ``suite/case``) within the same suite and model; with
``--pair-models A=B``, base's model A is aligned with head's model B on case id (an offline baseline
against an LLM on the same suite, or two LLMs). Two runs that share no suite x model, where every shared
suite ran one model on each side, are compared suite by suite across those models without the option.
A case is *paired* when it has at least one judged (non-errored) repeat on both sides; errored records are
left out of the pairing and counted in the error changes. Statistics: :mod:`llmops_ci.compare.stats`.

The result is a plain dict (the ``--format json`` output; the markdown and text reporters render it):

``{"diff_version", "base", "head", "alpha", "rule", "verdict", "counts", "comparisons": [...],
"only_in_base", "only_in_head", "artifacts"}``; a comparison holds ``suite``, ``base_model``,
``head_model``, ``verdict``, ``pass_rate`` (base, head, delta, ci, p_value, paired, informative, method),
``metrics`` (name, unit, direction, base, head, delta, relative, ci, paired_cases), ``flips``
(``pass_to_fail`` / ``fail_to_pass``: case, case_id, base, head fractions, reason), ``cases`` (counts, and
the ``new``, ``removed`` and ``unpaired`` case ids), ``errors`` and ``breaches`` of explicit limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from llmops_ci.compare import DiffInputError, Limit, stats
from llmops_ci.compare.runs import (
    COST,
    COST_N,
    ERRORS,
    FAITHFULNESS_N,
    HALLUCINATED,
    INPUT,
    INPUT_N,
    JUDGED,
    LATENCY,
    LATENCY_N,
    OUTPUT,
    OUTPUT_N,
    PASSES,
    RECORDS,
    SCORE,
    SCORE_N,
    CaseTable,
    Run,
)
from llmops_ci.eval.metrics import METRICS

DIFF_VERSION = 1

#: Metrics that are a mean per case: their delta is the mean paired per-case difference, with an interval.
PAIRED_METRICS: dict[str, tuple[int, int]] = {
    "score_mean": (SCORE, SCORE_N),
    "hallucination_rate": (HALLUCINATED, FAITHFULNESS_N),
    "latency_mean_ms": (LATENCY, LATENCY_N),
    "input_tokens_mean": (INPUT, INPUT_N),
    "output_tokens_mean": (OUTPUT, OUTPUT_N),
    "cost_usd_mean": (COST, COST_N),
}

#: Shown first, in this order (the issue's list); the rest follow in registry order, then custom metrics.
LEADING_METRICS = (
    "score_mean",
    "hallucination_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "input_tokens_mean",
    "output_tokens_mean",
    "cost_usd_mean",
    "cost_usd_total",
    "error_rate",
)


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _pairs_of(base: Run, head: Run, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(suite, base model, head model) to compare."""
    if not pairs:
        shared = sorted((s, model, model) for s, model in base.tables if (s, model) in head.tables)
        return shared or _one_model_per_suite(base, head)
    found: list[tuple[str, str, str]] = []
    for base_model, head_model in pairs:
        if base_model not in base.models:
            raise DiffInputError(
                f"--pair-models {base_model}={head_model}: no model {base_model!r} in base "
                f"(its models: {', '.join(sorted(base.models))})"
            )
        if head_model not in head.models:
            raise DiffInputError(
                f"--pair-models {base_model}={head_model}: no model {head_model!r} in head "
                f"(its models: {', '.join(sorted(head.models))})"
            )
        suites = sorted(s for s, m in base.tables if m == base_model and (s, head_model) in head.tables)
        if not suites:
            raise DiffInputError(
                f"--pair-models {base_model}={head_model}: no suite ran {base_model!r} in base "
                f"and {head_model!r} in head"
            )
        found.extend((suite, base_model, head_model) for suite in suites)
    return found


def _one_model_per_suite(base: Run, head: Run) -> list[tuple[str, str, str]]:
    """Runs that share no suite x model, where each suite ran one model on each side (an offline
    baseline against an LLM, ``LLMOPS_CI_MODEL``): each suite compared across its two models."""
    base_models: dict[str, list[str]] = {}
    head_models: dict[str, list[str]] = {}
    for suite, model in base.tables:
        base_models.setdefault(suite, []).append(model)
    for suite, model in head.tables:
        head_models.setdefault(suite, []).append(model)
    shared = sorted(base_models.keys() & head_models.keys())
    if not shared or any(len(base_models[s]) != 1 or len(head_models[s]) != 1 for s in shared):
        return []
    return [(suite, base_models[suite][0], head_models[suite][0]) for suite in shared]


def compare_runs(
    base: Run,
    head: Run,
    *,
    pairs: Sequence[tuple[str, str]] = (),
    alpha: float = stats.ALPHA,
    limits: Sequence[Limit] = (),
) -> dict[str, Any]:
    """The comparison of two runs (see the module docstring for its shape)."""
    selected = _pairs_of(base, head, pairs)
    if not selected:
        raise DiffInputError(
            f"base ({base.directory}) and head ({head.directory}) share no suite x model: "
            f"base has {_groups_text(base)}; head has {_groups_text(head)}"
            + ("; use --pair-models A=B to compare different models" if base.models != head.models else "")
        )
    comparisons = [
        _compare_group(base, head, suite, base_model, head_model, alpha, limits)
        for suite, base_model, head_model in selected
    ]
    if not any(c["cases"]["common"] for c in comparisons):
        raise DiffInputError(
            f"base ({base.directory}) and head ({head.directory}) share no case: nothing to compare "
            "(case ids are suite/case; were the cases renamed?)"
        )
    used_base = {(suite, model) for suite, model, _ in selected}
    used_head = {(suite, model) for suite, _, model in selected}
    counts = {
        stats.REGRESSED: sum(c["verdict"] == stats.REGRESSED for c in comparisons),
        stats.IMPROVED: sum(c["verdict"] == stats.IMPROVED for c in comparisons),
        stats.UNCHANGED: sum(c["verdict"] == stats.UNCHANGED for c in comparisons),
        stats.NOT_COMPARABLE: sum(c["verdict"] == stats.NOT_COMPARABLE for c in comparisons),
        "breaches": sum(len(c["breaches"]) for c in comparisons),
    }
    if counts[stats.REGRESSED] or counts["breaches"]:
        overall = stats.REGRESSED
    elif counts[stats.IMPROVED]:
        overall = stats.IMPROVED
    else:
        overall = stats.UNCHANGED
    return {
        "diff_version": DIFF_VERSION,
        "base": _run_info(base),
        "head": _run_info(head),
        "alpha": alpha,
        "rule": stats.rule_text(alpha),
        "limits": [limit.text for limit in limits],
        "verdict": overall,
        "counts": counts,
        "comparisons": comparisons,
        "only_in_base": _leftovers(base, used_base if pairs else set(head.tables)),
        "only_in_head": _leftovers(head, used_head if pairs else set(base.tables)),
        "artifacts": None,
    }


def _groups_text(run: Run) -> str:
    names = sorted(f"{suite} x {model}" for suite, model in run.tables)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _run_info(run: Run) -> dict[str, Any]:
    facts = run.facts
    return {
        "dir": str(run.directory),
        "run_id": facts.get("run_id"),
        "git_sha": facts.get("git_sha"),
        "complete": facts.get("complete"),
        "records": run.records,
    }


def _leftovers(run: Run, used: set[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"suite": suite, "model": model, "cases": len(table)}
        for (suite, model), table in sorted(run.tables.items())
        if (suite, model) not in used
    ]


def _compare_group(
    base_run: Run,
    head_run: Run,
    suite: str,
    base_model: str,
    head_model: str,
    alpha: float,
    limits: Sequence[Limit],
) -> dict[str, Any]:
    base, head = base_run.tables[(suite, base_model)], head_run.tables[(suite, head_model)]
    base_summary = base_run.group_summary(suite, base_model)
    head_summary = head_run.group_summary(suite, head_model)
    common = [case for case in base.index if case in head.index]
    b_rows = base.matrix[[base.index[c] for c in common]] if common else np.zeros((0, base.matrix.shape[1]))
    h_rows = head.matrix[[head.index[c] for c in common]] if common else np.zeros((0, head.matrix.shape[1]))
    judged = (b_rows[:, JUDGED] > 0) & (h_rows[:, JUDGED] > 0)
    b_pass, b_n = b_rows[judged, PASSES], b_rows[judged, JUDGED]
    h_pass, h_n = h_rows[judged, PASSES], h_rows[judged, JUDGED]
    test = stats.stratified_test(b_pass, b_n, h_pass, h_n)
    differences = h_pass / h_n - b_pass / b_n if b_n.size else np.zeros(0)
    ci = stats.bootstrap_mean_ci(differences)
    verdict = stats.verdict(test, alpha)
    common_ids = np.array(common, dtype=object)
    paired_ids = common_ids[judged] if common else common_ids
    pass_rate = {
        "base": _clean(base_summary.get("metrics", {}).get("pass_rate")),
        "head": _clean(head_summary.get("metrics", {}).get("pass_rate")),
        "delta": _clean(test.delta) if test.paired else None,
        "ci": [_clean(ci[0]), _clean(ci[1])] if ci else None,
        "p_value": _clean(test.p_value) if test.paired else None,
        "paired": test.paired,
        "informative": test.informative,
        "method": test.method,
        "unit": "ratio",
        "direction": "higher",
    }
    metrics = _metrics(base_summary, head_summary, b_rows[judged], h_rows[judged])
    comparison: dict[str, Any] = {
        "suite": suite,
        "base_model": base_model,
        "head_model": head_model,
        "verdict": verdict,
        "pass_rate": pass_rate,
        "metrics": metrics,
        "flips": _flips(base, head, paired_ids, b_pass, b_n, h_pass, h_n),
        "changed_fraction": int(np.count_nonzero(differences)),
        "cases": _cases(base, head, common_ids, judged, b_rows, h_rows),
        "errors": _errors(base, head, base_summary, head_summary),
        "breaches": [],
    }
    comparison["breaches"] = _breaches(comparison, limits)
    return comparison


def _flips(
    base: CaseTable,
    head: CaseTable,
    ids: Any,
    b_pass: Any,
    b_n: Any,
    h_pass: Any,
    h_n: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Cases whose verdict (k-of-N with the suite's min_passes) changed, with the failing reason."""
    base_ok = b_pass >= np.minimum(base.min_passes, b_n)
    head_ok = h_pass >= np.minimum(head.min_passes, h_n)
    flips: dict[str, list[dict[str, Any]]] = {"pass_to_fail": [], "fail_to_pass": []}
    for name, where, reasons_of, table in (
        ("pass_to_fail", base_ok & ~head_ok, head.reasons, head),
        ("fail_to_pass", ~base_ok & head_ok, base.reasons, base),
    ):
        for at in np.flatnonzero(where).tolist():
            case_id = str(ids[at])
            row = table.index[case_id]
            flips[name].append(
                {
                    "case": table.labels[row],
                    "case_id": case_id,
                    "base": _clean(b_pass[at] / b_n[at]),
                    "head": _clean(h_pass[at] / h_n[at]),
                    "reason": reasons_of[row],
                }
            )
    return flips


def _cases(
    base: CaseTable, head: CaseTable, common_ids: Any, judged: Any, b_rows: Any, h_rows: Any
) -> dict[str, Any]:
    new = [head.labels[head.index[c]] for c in head.index if c not in base.index]
    removed = [base.labels[base.index[c]] for c in base.index if c not in head.index]
    unpaired = [base.labels[base.index[str(c)]] for c in common_ids[~judged]] if len(common_ids) else []
    return {
        "base": len(base),
        "head": len(head),
        "common": len(common_ids),
        "paired": int(np.count_nonzero(judged)),
        "new": new,
        "removed": removed,
        "unpaired": unpaired,
        "unpaired_base_errored": int(np.count_nonzero(~judged & (b_rows[:, JUDGED] == 0)))
        if len(b_rows)
        else 0,
        "unpaired_head_errored": int(np.count_nonzero(~judged & (h_rows[:, JUDGED] == 0)))
        if len(h_rows)
        else 0,
    }


def _errors(
    base: CaseTable, head: CaseTable, base_summary: dict[str, Any], head_summary: dict[str, Any]
) -> dict[str, Any]:
    base_errors = int(base.matrix[:, ERRORS].sum()) if len(base) else 0
    head_errors = int(head.matrix[:, ERRORS].sum()) if len(head) else 0
    return {
        "base": base_errors,
        "head": head_errors,
        "delta": head_errors - base_errors,
        "base_records": int(base.matrix[:, RECORDS].sum()) if len(base) else 0,
        "head_records": int(head.matrix[:, RECORDS].sum()) if len(head) else 0,
        "base_rate": _clean(base_summary.get("metrics", {}).get("error_rate")),
        "head_rate": _clean(head_summary.get("metrics", {}).get("error_rate")),
    }


def _metric_order(names: set[str]) -> list[str]:
    leading = [name for name in LEADING_METRICS if name in names]
    registry = [name for name in METRICS if name in names and name not in leading and name != "pass_rate"]
    custom = sorted(name for name in names if name not in METRICS)
    return leading + registry + custom


def _metrics(
    base_summary: dict[str, Any], head_summary: dict[str, Any], b_rows: Any, h_rows: Any
) -> list[dict[str, Any]]:
    base_values: dict[str, Any] = base_summary.get("metrics", {})
    head_values: dict[str, Any] = head_summary.get("metrics", {})
    out: list[dict[str, Any]] = []
    for name in _metric_order(set(base_values) | set(head_values)):
        base_value, head_value = base_values.get(name), head_values.get(name)
        metric = METRICS.get(name)
        entry: dict[str, Any] = {
            "name": name,
            "unit": metric.unit if metric else None,
            "direction": metric.direction if metric else None,
            "base": _clean(base_value),
            "head": _clean(head_value),
            "delta": None,
            "relative": None,
            "ci": None,
            "paired_cases": None,
        }
        if isinstance(base_value, (int, float)) and isinstance(head_value, (int, float)):
            entry["delta"] = _clean(head_value - base_value)
            columns = PAIRED_METRICS.get(name)
            if columns is not None and len(b_rows):
                value, count = columns
                both = (b_rows[:, count] > 0) & (h_rows[:, count] > 0)
                if np.any(both):
                    differences = (
                        h_rows[both, value] / h_rows[both, count] - b_rows[both, value] / b_rows[both, count]
                    )
                    interval = stats.normal_mean_ci(differences)
                    entry["delta"] = _clean(np.mean(differences))
                    entry["ci"] = [_clean(interval[0]), _clean(interval[1])] if interval else None
                    entry["paired_cases"] = int(np.count_nonzero(both))
            if base_value:
                entry["relative"] = _clean(entry["delta"] / abs(base_value))
        out.append(entry)
    return out


def _breaches(comparison: dict[str, Any], limits: Sequence[Limit]) -> list[dict[str, Any]]:
    breaches: list[dict[str, Any]] = []
    entries = {entry["name"]: entry for entry in comparison["metrics"]}
    entries["pass_rate"] = {"name": "pass_rate", **comparison["pass_rate"]}
    for limit in limits:
        entry = entries.get(limit.metric)
        if entry is None or entry.get("delta") is None:
            continue
        direction = entry.get("direction") or "higher"
        worse_by = -entry["delta"] if direction == "higher" else entry["delta"]
        if limit.relative:
            base_value = entry.get("base")
            if not base_value:
                continue
            worse_by /= abs(base_value)
        if worse_by > limit.amount:
            breaches.append(
                {
                    "metric": limit.metric,
                    "unit": entry.get("unit"),
                    "limit": limit.text,
                    "delta": entry["delta"],
                    "worse_by": _clean(worse_by),
                }
            )
    return breaches
