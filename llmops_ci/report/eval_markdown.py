"""``llmops-ci eval --report PATH`` (and ``llmops-ci show RESULTS --report PATH``): a run as one Markdown
file a person reads or a workflow posts as a step summary: the verdict, a table per suite x model (pass
rate, mean score, latency, tokens, cost), each gate with its value, the RAG retrieval and grounding means,
and the failed and errored cases with the reasons their assertions gave and what the model answered.

Agent suites (``target: {agent: NAME}``) add a table of the registry's agent metrics per suite x model
(``agent_steps_mean``, ``tool_call_valid_rate``, ``cost_usd_per_task``) with a tally of how the tasks
stopped, and after each failed or errored agent case its transcript in a collapsed ``<details>`` block:
every tool call as ``name(arguments as compact JSON)``, whether it was valid (or why not), the result the
tool gave, how the task stopped (its answer, a stop tool, or ``max_steps``) and the final answer. Long
values are cut (the whole transcript is in records.jsonl); text from the run is escaped so that pipes,
newlines, backticks and HTML in it cannot break the tables or the page."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from llmops_ci.eval.metrics import METRICS

#: failed/errored cases listed per suite x model (the rest are counted)
SHOWN_FAILURES = 15
_OUTPUT_CHARS = 160
#: tool calls listed per transcript (the rest are counted)
SHOWN_TOOL_CALLS = 25
_ARGUMENT_CHARS = 200
_RESULT_CHARS = 200
_ERROR_CHARS = 160
_ANSWER_CHARS = 500
#: how an agent task ended, in the order the tallies list them
STOPS = ("answer", "stop_tool", "max_steps")
#: the agent metrics of the registry, in its order
AGENT_METRICS = tuple(name for name, metric in METRICS.items() if metric.category == "agent")


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _safe_cell(text: Any) -> str:
    """A table cell of free text from a run (a model's output, a check's reason): also HTML-escaped, so a
    viewer that renders HTML in Markdown shows ``<script>`` as text."""
    return html.escape(_cell(text), quote=False)


def _clipped(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat[:limit] + ("…" if len(flat) > limit else "")


def _code(text: str, limit: int, *, table: bool = True) -> str:
    """Untrusted text as one code span (which neither Markdown nor HTML reads): cut to ``limit``
    characters, on one line, backticks made quotes, pipes escaped inside a table."""
    shown = _clipped(text, limit).replace("`", "'")
    if table:
        shown = shown.replace("|", "\\|")
    return f"`{shown}`" if shown else "(empty)"


def compact_json(value: Any) -> str:
    """A value as compact JSON (a string that was not JSON shows quoted, so the reader can tell)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def stop_text(agent: dict[str, Any]) -> str:
    """How an agent task ended, in words: ``answered after 2 of 4 steps``."""
    steps = f"{agent.get('steps', '?')} of {agent.get('max_steps', '?')} steps"
    stopped = agent.get("stopped")
    if stopped == "answer":
        return f"answered after {steps}"
    if stopped == "stop_tool":
        return f"ended by a stop tool after {steps}"
    if stopped == "max_steps":
        return f"stopped at max_steps ({steps}) without an answer"
    return f"stopped ({stopped}) after {steps}"


def stop_tally(stops: Counter[str]) -> str:
    """``2 answer · 1 max_steps``: how many tasks ended which way."""
    order = [*STOPS, *sorted(set(stops) - set(STOPS))]
    return " · ".join(f"{stops[name]} {name}" for name in order if stops[name]) or "-"


def call_count(calls: int, invalid: int) -> str:
    """``3 tool calls, 1 invalid``."""
    return f"{calls} tool call{'' if calls == 1 else 's'}, {invalid} invalid"


def is_agent_group(group: dict[str, Any]) -> bool:
    return group.get("metrics", {}).get("agent_steps_mean") is not None


def _is_agent(record: dict[str, Any]) -> bool:
    return record.get("agent") is not None or (record.get("target") or {}).get("kind") == "Agent"


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


def _agent_metric(group: dict[str, Any], name: str) -> str:
    value = group["metrics"].get(name)
    if name.startswith("cost_usd"):
        return _number(value, "$") if group.get("cost_known") else "unknown"
    return _number(value, "%" if METRICS[name].unit == "ratio" and name.endswith("rate") else "")


def _agent_table(groups: list[dict[str, Any]], stops: dict[tuple[str, str], Counter[str]]) -> list[str]:
    """The agent metrics per suite x model (only when the run has agent suites)."""
    agents = [group for group in groups if is_agent_group(group)]
    if not agents:
        return []
    lines = [
        "",
        "| agent suite | model | " + " | ".join(f"`{name}`" for name in AGENT_METRICS) + " | stopped |",
        "| --- | --- | " + " | ".join("---:" for _ in AGENT_METRICS) + " | --- |",
    ]
    for group in agents:
        values = " | ".join(_agent_metric(group, name) for name in AGENT_METRICS)
        tally = stop_tally(stops.get((group["suite"], group["model"]), Counter()))
        lines.append(f"| {_cell(group['suite'])} | `{_cell(group['model'])}` | {values} | {tally} |")
    return lines


def _call_row(call: dict[str, Any]) -> str:
    signature = f"{call.get('name', '?')}({compact_json(call.get('arguments'))})"
    valid = "✅" if call.get("valid") else f"❌ {_code(str(call.get('error') or 'invalid'), _ERROR_CHARS)}"
    told = call.get("result") == {"error": call.get("error")}  # an invalid call is answered with its error
    result = "(the error)" if told else _code(compact_json(call.get("result")), _RESULT_CHARS)
    return f"| {call.get('step', '?')} | {_code(signature, _ARGUMENT_CHARS)} | {valid} | {result} |"


def _transcript(record: dict[str, Any]) -> list[str]:
    """One agent case's transcript as a collapsed ``<details>`` block (GitHub renders the Markdown inside)."""
    name = html.escape(str(record["case"])) + (f" #{record['repeat']}" if record.get("repeat") else "")
    agent = record.get("agent")
    if agent is None:
        return ["", f"No transcript for <code>{name}</code>: the task errored before it finished."]
    calls = agent.get("tool_calls") or []
    invalid = sum(1 for call in calls if not call.get("valid"))
    facts = f"{stop_text(agent)}; {call_count(len(calls), invalid)}"
    lines = ["", f"<details><summary>Transcript of <code>{name}</code>: {html.escape(facts)}</summary>", ""]
    if calls:
        lines += ["| step | tool call | valid | result |", "| ---: | --- | --- | --- |"]
        lines += [_call_row(call) for call in calls[:SHOWN_TOOL_CALLS]]
        if len(calls) > SHOWN_TOOL_CALLS:
            lines += ["", f"...and {len(calls) - SHOWN_TOOL_CALLS} more tool calls in records.jsonl."]
        lines.append("")
    answer = str(record.get("output") or "")
    shown = _code(answer, _ANSWER_CHARS, table=False) if answer else "none"
    return [*lines, f"Final answer: {shown}", "", "</details>"]


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
        lines.append(
            f"| `{_cell(record['case'])}`{repeat} | {_safe_cell(_reasons(record))} | {_safe_cell(shown)} |"
        )
    if not lines:
        return []
    more = len(bad) - SHOWN_FAILURES
    tail = [f"\n...and {more} more in records.jsonl."] if more > 0 else []
    transcripts = [
        line for record in bad[:SHOWN_FAILURES] if _is_agent(record) for line in _transcript(record)
    ]
    return ["", "| case | why | output |", "| --- | --- | --- |", *lines, *tail, *transcripts]


def render(summary: dict[str, Any], records: Iterable[dict[str, Any]]) -> str:
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    stops: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for record in records:
        if record.get("agent") is not None:
            stops[(record["suite"], record["model"])][str(record["agent"].get("stopped"))] += 1
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
    lines += _agent_table(summary.get("suites", []), stops)
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
