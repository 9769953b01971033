"""Eval output: a progress line on a TTY, then a table per suite x model (text), the summary (json), or
JUnit XML for any CI (one testsuite per suite x model, one testcase per case)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from typing import Any
from xml.etree import ElementTree

_GREEN, _RED, _RESET = "\033[32m", "\033[31m", "\033[0m"


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


class Progress:
    """``[done/total] passed failed errors  rate/s`` on stderr, rewritten in place; silent off a TTY."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done_count = 0
        self.counts = {"pass": 0, "fail": 0, "error": 0}
        self.started = time.monotonic()
        self.enabled = sys.stderr.isatty() and total > 0

    def advance(self, record: dict[str, Any]) -> None:
        self.done_count += 1
        outcome = "error" if record.get("error") else "pass" if record.get("passed") else "fail"
        self.counts[outcome] += 1
        if self.enabled:
            rate = self.done_count / max(time.monotonic() - self.started, 1e-6)
            sys.stderr.write(
                f"\r[{self.done_count}/{self.total}] {self.counts['pass']} passed, "
                f"{self.counts['fail']} failed, "
                f"{self.counts['error']} errors  {rate:.1f}/s "
            )
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if unit == "%":
            return f"{value * 100:.1f}%"
        if unit == "$":
            return f"${value:.4f}"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _threshold_text(verdict: dict[str, Any], color: bool) -> str:
    bounds = " ".join(f"{key} {verdict[key]}" for key in ("min", "max") if key in verdict)
    mark = "PASS" if verdict["passed"] else "FAIL"
    if color:
        mark = f"{_GREEN if verdict['passed'] else _RED}{mark}{_RESET}"
    value = _fmt(verdict.get("value"))
    reason = f" ({verdict['reason']})" if verdict.get("reason") else ""
    return f"    {mark} {verdict['metric']} = {value} ({bounds}){reason}"


_RAG_METRICS = (
    ("hit_rate", "hit"),
    ("recall_at_k", "recall@k"),
    ("mrr", "MRR"),
    ("ndcg_at_k", "nDCG@k"),
    ("context_relevance_mean", "context relevance"),
    ("groundedness_mean", "groundedness"),
    ("chunk_utilization_mean", "chunk use"),
)


def _rag_lines(metrics: dict[str, Any]) -> list[str]:
    """A RAG suite's retrieval and grounding means on one line (other suites have none of them)."""
    shown = [f"{label} {metrics[name]:.2f}" for name, label in _RAG_METRICS if name in metrics]
    return [f"    retrieval: {', '.join(shown)}"] if shown else []


def render_text(summary: dict[str, Any]) -> str:
    color = _color()
    header = (
        f"{'suite':<34} {'model':<34} {'cases':>5} {'pass':>7} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'tokens':>9} {'cost':>10}"
    )
    lines = [header, "-" * len(header)]
    for group in summary["suites"]:
        metrics = group["metrics"]
        tokens = int((metrics.get("input_tokens_total") or 0) + (metrics.get("output_tokens_total") or 0))
        cost = _fmt(metrics.get("cost_usd_total"), "$") if group["cost_known"] else "unknown"
        lines.append(
            f"{group['suite'][:34]:<34} {group['model'][:34]:<34} {group['cases']:>5} "
            f"{_fmt(metrics.get('pass_rate'), '%'):>7} {group['errors']:>4} "
            f"{_fmt(metrics.get('latency_p50_ms')):>8} "
            f"{_fmt(metrics.get('latency_p95_ms')):>8} {tokens:>9,} {cost:>10}"
        )
        lines += _rag_lines(metrics)
        lines += [_threshold_text(verdict, color) for verdict in group["thresholds"]]
    verdict = "PASSED" if summary["passed"] else "FAILED"
    if not summary.get("complete", True):
        verdict += " (incomplete run)"
    calls = summary.get("model_calls")
    lines.append(
        f"\n{verdict}: results in {summary.get('results_dir', '?')}"
        + (f" ({calls} model call{'s' if calls != 1 else ''})" if calls is not None else "")
    )
    return "\n".join(lines) + "\n"


def render_junit(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_group[(record["suite"], record["model"])].append(record)
    root = ElementTree.Element("testsuites", name="llmops-ci eval")
    for group in summary["suites"]:
        group_records = by_group[(group["suite"], group["model"])]
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"{group['suite']} [{group['model']}]",
            tests=str(len(group_records)),
            failures=str(sum(1 for r in group_records if r.get("passed") is False)),
            errors=str(sum(1 for r in group_records if r.get("error"))),
        )
        for record in group_records:
            name = record["case"] + (f" #{record['repeat']}" if record.get("repeat") else "")
            latency = (record.get("metrics") or {}).get("latency_ms") or 0
            case = ElementTree.SubElement(
                suite, "testcase", classname=group["suite"], name=name, time=f"{latency / 1000:.3f}"
            )
            if record.get("error"):
                ElementTree.SubElement(
                    case, "error", type=record["error"]["kind"], message=record["error"]["message"]
                )
            elif record.get("passed") is False:
                reasons = "; ".join(a["reason"] for a in record.get("assertions", []) if not a.get("passed"))
                ElementTree.SubElement(case, "failure", message=reasons[:1000])
        for verdict in group["thresholds"]:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"{group['suite']}.thresholds", name=verdict["metric"]
            )
            if not verdict["passed"]:
                ElementTree.SubElement(case, "failure", message=_threshold_text(verdict, False).strip())
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def emit(summary: dict[str, Any], output_format: str, records: list[dict[str, Any]]) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    elif output_format == "junit":
        sys.stdout.write(render_junit(summary, records))
    else:
        sys.stdout.write(render_text(summary))
