"""``llmops-ci eval --report PATH`` (and ``llmops-ci show RESULTS --report PATH``): a run as one Markdown
file a person reads or a workflow posts as a step summary: the verdict, a table per suite x model (pass
rate, mean score, latency, tokens, cost), each gate with its value, the RAG retrieval and grounding means,
and the failed and errored cases with the reasons their assertions gave and what the model answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from llmops_ci.eval.metrics import METRICS

#: failed/errored cases listed per suite x model (the rest are counted)
SHOWN_FAILURES = 15
_OUTPUT_CHARS = 160


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "$":
        return f"${value:.4f}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value:,}"


def _gate(verdict: dict[str, Any]) -> str:
    bound = ", ".join(f"{key} {verdict[key]}" for key in ("min", "max") if key in verdict)
    mark = "✅" if verdict["passed"] else "❌"
    unit = METRICS[verdict["metric"]].unit if verdict["metric"] in METRICS else ""
    value = _number(
        verdict.get("value"), "%" if unit == "ratio" and verdict["metric"].endswith("rate") else ""
    )
    return f"{mark} `{verdict['metric']}` {value} ({bound})"


def _reasons(record: dict[str, Any]) -> str:
    if record.get("error"):
        error = record["error"]
        return f"error {error.get('kind')}: {error.get('message', '')}"
    failed = [a for a in record.get("assertions", []) if not a.get("passed")]
    return "; ".join(f"{a['type']}: {a.get('reason', '')}" for a in failed[:3]) + (
        f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
    )


def _failures(records: list[dict[str, Any]]) -> list[str]:
    bad = [r for r in records if r.get("error") or r.get("passed") is False]
    lines = []
    for record in bad[:SHOWN_FAILURES]:
        output = " ".join(str(record.get("output") or "").split())
        shown = output[:_OUTPUT_CHARS] + ("…" if len(output) > _OUTPUT_CHARS else "")
        repeat = f" #{record['repeat']}" if record.get("repeat") else ""
        lines.append(f"| `{_cell(record['case'])}`{repeat} | {_cell(_reasons(record))} | {_cell(shown)} |")
    if not lines:
        return []
    more = len(bad) - SHOWN_FAILURES
    tail = [f"\n...and {more} more in records.jsonl."] if more > 0 else []
    return ["", "| case | why | output |", "| --- | --- | --- |", *lines, *tail]


def render(summary: dict[str, Any], records: Iterable[dict[str, Any]]) -> str:
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record.get("error") or record.get("passed") is False:
            by_group[(record["suite"], record["model"])].append(record)
    verdict = "PASSED" if summary.get("passed") else "FAILED"
    if not summary.get("complete", True):
        verdict += " (incomplete run)"
    facts = [f"run `{summary.get('run_id', '?')}`"]
    if summary.get("git_sha"):
        facts.append(f"commit `{str(summary['git_sha'])[:12]}`")
    if summary.get("model_calls") is not None:
        facts.append(f"{summary['model_calls']} model calls (the rest from the cache)")
    lines = [
        f"# llmops-ci eval: {verdict}",
        "",
        " · ".join(facts),
        "",
        "| suite | model | cases | pass rate | score | p50 ms | p95 ms | tokens | cost | gates |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for group in summary.get("suites", []):
        metrics = group["metrics"]
        tokens = int((metrics.get("input_tokens_total") or 0) + (metrics.get("output_tokens_total") or 0))
        cost = _number(metrics.get("cost_usd_total"), "$") if group.get("cost_known") else "unknown"
        gates = "✅" if group.get("passed_gates") else "❌"
        lines.append(
            f"| {_cell(group['suite'])} | `{_cell(group['model'])}` | {group['cases']} | "
            f"{_number(metrics.get('pass_rate'), '%')} | {_number(metrics.get('score_mean'))} | "
            f"{_number(metrics.get('latency_p50_ms'))} | {_number(metrics.get('latency_p95_ms'))} | "
            f"{tokens:,} | {cost} | {gates} |"
        )
    for group in summary.get("suites", []):
        lines += ["", f"## {group['suite']} on `{group['model']}`", ""]
        lines.append(
            f"{group['passed']} passed, {group['failed']} failed, {group['errors']} errored "
            f"of {group['cases']} cases."
        )
        lines += ["", *(f"- {_gate(verdict)}" for verdict in group.get("thresholds", []))]
        retrieval = [
            f"{name} {group['metrics'][name]:.3f}"
            for name in (
                "hit_rate",
                "recall_at_k",
                "precision_at_k",
                "mrr",
                "ndcg_at_k",
                "context_relevance_mean",
                "groundedness_mean",
                "chunk_utilization_mean",
            )
            if name in group["metrics"]
        ]
        if retrieval:
            lines += ["", "Retrieval and grounding: " + ", ".join(retrieval) + "."]
        lines += _failures(by_group[(group["suite"], group["model"])])
    return "\n".join(lines).rstrip() + "\n"
