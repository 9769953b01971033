"""What the HTML report shows, gathered in one pass over the run's records (the template only lays it out).

- the run's summary (recomputed from the records, as ``show`` does) or, with a base run, the comparison
  of ``diff`` (:func:`llmops_ci.compare.align.compare_runs`: verdicts, deltas with intervals, flips);
- charts: pass rate per suite and model, and pass rate, cost and latency per model; with a base run also
  pass rate, total cost and p95 latency of base against head per suite x model;
- the drill-down: at most ``max_cases`` records, each with its rendered prompt (from the response cache),
  output, assertions, guardrail findings and retrieved chunks. The places are shared out fairly between
  the kinds of record that need a look (flips to fail, errors, other failures, flips to pass), listed in
  that order, and passes fill what is left; the records left out are counted by kind, so a 10,000-case
  run stays a light page;
- agent suites: a table of the registry's agent metrics per suite x model with a tally of how the tasks
  stopped, and in every agent record of the drill-down its transcript (each tool call's step, name,
  arguments as compact JSON, validity or the reason it was invalid, the tool's result; how the task
  stopped), the output being the final answer.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from llmops_ci.errors import UsageError
from llmops_ci.eval.results import SCHEMA_VERSION, SUMMARY_FILE, percentile, read_records, summarize
from llmops_ci.report.eval_markdown import (
    AGENT_METRICS,
    call_count,
    compact_json,
    is_agent_group,
    stop_tally,
    stop_text,
)
from llmops_ci.report.html.charts import BASE_HEAD, Group, bar_chart
from llmops_ci.report.html.prompts import Messages, find_messages

#: records shown in the drill-down by default (the rest are counted)
MAX_CASES = 500
#: the kinds of record in drill-down order, with the words the page counts them in; passes come last
KINDS: dict[str, str] = {
    "regression": "flipped to fail",
    "error": "errored",
    "fail": "failed",
    "unjudged": "unjudged",
    "improvement": "flipped to pass",
    "pass": "passed",
}
_FLIP_KINDS = {"pass_to_fail": "regression", "fail_to_pass": "improvement"}
_FLIP_TEXT = {"regression": "pass → fail", "improvement": "fail → pass"}
_REASONS_SHOWN = 3
#: tool calls listed per agent transcript (the rest are counted)
TOOL_CALLS_SHOWN = 100
_RUN_FACTS = ("run_id", "started_at", "finished_at", "complete", "git_sha", "toolkit_version")


@dataclass(frozen=True)
class Section:
    """An extra part of the report (e.g. the monitoring summary): a heading and a body of HTML that its
    maker has already escaped (build it with :func:`markupsafe.escape` or an autoescaping template)."""

    title: str
    html: Markup


def render_section(title: str, html: str) -> Section:
    """A section for :func:`llmops_ci.report.html.render_report`'s ``sections``; ``html`` is trusted as is."""
    return Section(title, Markup(html))


@dataclass(frozen=True)
class ToolCallView:
    """One tool call of an agent transcript, its values as compact JSON."""

    step: Any
    name: str
    arguments: str
    valid: bool
    error: str | None
    #: the tool's answer; None when it was the call's error, told back to the model
    result: str | None


@dataclass(frozen=True)
class TranscriptView:
    """An agent record's transcript (``record["agent"]``)."""

    stopped: str
    summary: str
    #: "3 tool calls, 1 invalid" (all of them, shown or not)
    counts: str
    #: the first :data:`TOOL_CALLS_SHOWN` calls
    calls: list[ToolCallView]
    hidden: int


def transcript_of(record: dict[str, Any]) -> TranscriptView | None:
    """The transcript of an agent record, None for other records (and agent tasks that errored)."""
    agent = record.get("agent")
    if not isinstance(agent, dict):
        return None
    every = agent.get("tool_calls") or []
    calls = [
        ToolCallView(
            step=call.get("step", "?"),
            name=str(call.get("name", "?")),
            arguments=compact_json(call.get("arguments")),
            valid=bool(call.get("valid")),
            error=None if call.get("error") is None else str(call["error"]),
            result=None
            if call.get("result") == {"error": call.get("error")}
            else compact_json(call.get("result")),
        )
        for call in every[:TOOL_CALLS_SHOWN]
    ]
    counts = call_count(len(every), sum(1 for call in every if not call.get("valid")))
    return TranscriptView(str(agent.get("stopped")), stop_text(agent), counts, calls, len(every) - len(calls))


@dataclass(frozen=True)
class AgentGroup:
    """A suite x model that ran an agent: its summary group and how its tasks stopped."""

    group: dict[str, Any]
    stops: str


@dataclass
class CaseView:
    """One record of the drill-down."""

    anchor: str
    record: dict[str, Any]
    status: str
    flip: str | None
    reason: str
    findings: list[dict[str, Any]]
    messages: Messages | None = None
    #: a flip's record in the base run (same case, repeat and paired model)
    base: dict[str, Any] | None = None

    @property
    def filters(self) -> str:
        """The filter names this record answers to (``data-status``)."""
        return " ".join(name for name in (self.status, "flip" if self.flip else "") if name)

    @property
    def base_reason(self) -> str:
        return reason_of(self.base) if self.base is not None else ""

    @property
    def vars_json(self) -> str:
        return json.dumps(self.record.get("vars") or {}, indent=2, ensure_ascii=False, default=str)

    @property
    def transcript(self) -> TranscriptView | None:
        return transcript_of(self.record)


@dataclass
class Report:
    summary: dict[str, Any]
    results_dir: str
    comparison: dict[str, Any] | None
    charts: list[tuple[str, Markup]]
    cases: list[CaseView]
    totals: Counter[str]
    hidden: Counter[str]
    cache_dir: str | None
    prompts_found: int
    sections: Sequence[Section] = field(default_factory=tuple)
    agents: list[AgentGroup] = field(default_factory=list)
    #: the agent metric names (columns of the agent table)
    agent_metrics: tuple[str, ...] = AGENT_METRICS

    @property
    def record_count(self) -> int:
        return sum(self.totals.values())


def status_of(record: dict[str, Any]) -> str:
    if record.get("error") is not None:
        return "error"
    if record.get("passed") is True:
        return "pass"
    return "fail" if record.get("passed") is False else "unjudged"


def reason_of(record: dict[str, Any]) -> str:
    """Why a record did not pass: its error, or its failing assertions' reasons."""
    error = record.get("error")
    if error:
        return f"{error.get('kind')}: {error.get('message', '')}"
    if record.get("blocked"):
        return f"blocked by a guardrail at {record['blocked']}"
    failed = [a for a in record.get("assertions") or [] if not a.get("passed")]
    text = "; ".join(f"{a.get('type')}: {a.get('reason', '')}" for a in failed[:_REASONS_SHOWN])
    return text + (f" (+{len(failed) - _REASONS_SHOWN} more)" if len(failed) > _REASONS_SHOWN else "")


def findings_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    guarded = record.get("guardrails") or {}
    return [
        {"scope": scope, **finding}
        for scope, entry in guarded.items()
        if isinstance(entry, dict)
        for finding in entry.get("findings") or []
    ]


def _flip_index(comparison: dict[str, Any] | None) -> dict[tuple[str, str, str], str]:
    """(suite, head model, case id) -> "regression" / "improvement"."""
    flips: dict[tuple[str, str, str], str] = {}
    for group in (comparison or {}).get("comparisons", []):
        for direction, kind in _FLIP_KINDS.items():
            for flip in group["flips"][direction]:
                flips[(group["suite"], group["head_model"], flip["case_id"])] = kind
    return flips


def allot(available: Sequence[int], limit: int) -> list[int]:
    """How many records of each kind to show: the kinds before the last share ``limit`` fairly (each up to
    what it has, the unused share of one going to the others), the last kind (passes) gets the rest."""
    counts = [0] * len(available)
    left = limit
    open_kinds = [i for i in range(len(available) - 1) if available[i]]
    while left > 0 and open_kinds:
        share = max(left // len(open_kinds), 1)
        for i in open_kinds:
            take = min(share, available[i] - counts[i], left)
            counts[i] += take
            left -= take
        open_kinds = [i for i in open_kinds if counts[i] < available[i]]
    if available:
        counts[-1] = min(available[-1], left)
    return counts


class _Collector:
    """Streams the records: keeps at most ``limit`` per drill-down status and the latencies per model."""

    def __init__(self, limit: int, flips: dict[tuple[str, str, str], str]) -> None:
        self.limit = limit
        self.flips = flips
        self.kept: dict[str, list[CaseView]] = {name: [] for name in KINDS}
        self.totals: Counter[str] = Counter()
        self.latencies: dict[str, array[float]] = {}
        self.stops: dict[tuple[str, str], Counter[str]] = {}
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        status = status_of(record)
        flip = self.flips.get((record["suite"], record["model"], record["case_id"]))
        kind = flip or status
        self.totals[kind] += 1
        if isinstance(record.get("agent"), dict):
            stops = self.stops.setdefault((record["suite"], record["model"]), Counter())
            stops[str(record["agent"].get("stopped"))] += 1
        latency = (record.get("metrics") or {}).get("latency_ms")
        if isinstance(latency, (int, float)) and record.get("error") is None:
            self.latencies.setdefault(record["model"], array("d")).append(float(latency))
        kept = self.kept[kind]
        if len(kept) < self.limit:
            view = CaseView(
                f"r{self.count}", record, status, flip and _FLIP_TEXT[flip], reason_of(record), []
            )
            view.findings = findings_of(record)
            kept.append(view)

    def feed(self, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Collect each record and pass it on (to the summarizer)."""
        for record in records:
            self.add(record)
            yield record

    def shown(self) -> tuple[list[CaseView], Counter[str]]:
        counts = allot([self.totals[name] for name in KINDS], self.limit)
        cases: list[CaseView] = []
        shown: Counter[str] = Counter()
        for name, count in zip(KINDS, counts, strict=True):
            cases += self.kept[name][:count]
            shown[name] = count
        return cases, self.totals - shown


def _rate(value: float) -> str:
    return f"{value * 100:.1f}%"


def usd(value: float) -> str:
    """Dollars: cents above $100, 4 places down to a cent, below that the first significant digits
    ($0.0000084, not $8.4e-06)."""
    size = abs(value)
    if size >= 100:
        text = f"{size:,.2f}"
    elif size >= 0.01 or size == 0:
        text = f"{size:.4f}"
    else:
        text = f"{size:.{1 - math.floor(math.log10(size))}f}"  # two significant digits
    return f"{'-' if value < 0 else ''}${text}"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def run_charts(summary: dict[str, Any], latencies: dict[str, array[float]]) -> list[tuple[str, Markup]]:
    """Pass rate per suite and model; pass rate, cost and latency per model."""
    groups = summary.get("suites", [])
    suites = _ordered(g["suite"] for g in groups)
    models = _ordered(g["model"] for g in groups)
    rates = {(g["suite"], g["model"]): g["metrics"].get("pass_rate") for g in groups}
    ran = {suite: [m for m in models if (suite, m) in rates] for suite in suites}
    if all(len(mine) == 1 for mine in ran.values()):  # each suite on its own model: one bar per suite
        by_suite = [Group(suite, (rates[(suite, ran[suite][0])],)) for suite in suites]
        suite_chart = bar_chart("Pass rate by suite", by_suite, ("pass rate",), _rate, maximum=1.0)
    else:
        grouped = [Group(suite, tuple(rates.get((suite, m)) for m in models)) for suite in suites]
        suite_chart = bar_chart("Pass rate by suite and model", grouped, models, _rate, maximum=1.0)
    one_each = all(len(mine) == 1 for mine in ran.values())
    charts = [("Pass rate by suite" if one_each else "Pass rate by suite and model", suite_chart)]
    per_model: list[tuple[str, float | None, float | None]] = []
    for model in models:
        mine = [g for g in groups if g["model"] == model]
        judged = sum(g["passed"] + g["failed"] for g in mine)
        costs = [g["metrics"].get("cost_usd_total") for g in mine]
        known = all(isinstance(c, (int, float)) for c in costs) and all(g.get("cost_known") for g in mine)
        per_model.append(
            (
                model,
                sum(g["passed"] for g in mine) / judged if judged else None,
                sum(costs) if known else None,
            )
        )
    charts.append(
        (
            "Pass rate by model",
            bar_chart(
                "Pass rate by model",
                [Group(m, (r,)) for m, r, _ in per_model],
                ["pass rate"],
                _rate,
                maximum=1.0,
            ),
        )
    )
    charts.append(
        (
            "Cost by model (total, USD)",
            bar_chart("Cost by model", [Group(m, (c,)) for m, _, c in per_model], ["cost"], usd),
        )
    )
    latency_groups = [
        Group(m, (percentile(list(latencies.get(m, [])), 0.5), percentile(list(latencies.get(m, [])), 0.95)))
        for m in models
    ]
    charts.append(("Latency by model", bar_chart("Latency by model", latency_groups, ["p50", "p95"], _ms)))
    return charts


def _compared(comparison: dict[str, Any], name: str) -> list[Group]:
    groups: list[Group] = []
    for group in comparison.get("comparisons", []):
        models = group["head_model"]
        if group["base_model"] != group["head_model"]:
            models = f"{group['base_model']} → {group['head_model']}"
        label = f"{group['suite']} · {models}"
        if name == "pass_rate":
            entry: dict[str, Any] = group["pass_rate"]
        else:
            entry = next((m for m in group["metrics"] if m["name"] == name), {})
        groups.append(Group(label, (entry.get("base"), entry.get("head"))))
    return groups


def compare_charts(comparison: dict[str, Any]) -> list[tuple[str, Markup]]:
    """Base against head per suite x model: pass rate, total cost, p95 latency."""
    specs = (
        ("Pass rate: base vs head", "pass_rate", _rate, 1.0),
        ("Total cost: base vs head (USD)", "cost_usd_total", usd, None),
        ("Latency p95: base vs head", "latency_p95_ms", _ms, None),
    )
    return [
        (
            title,
            bar_chart(
                title, _compared(comparison, name), ["base", "head"], fmt, colours=BASE_HEAD, maximum=top
            ),
        )
        for title, name, fmt, top in specs
    ]


def run_facts(directory: Path) -> dict[str, Any]:
    """The run's id, times, completeness and commit from summary.json (as ``show`` reads them)."""
    facts: dict[str, Any] = {"run_id": directory.name, "complete": False}
    path = directory / SUMMARY_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return facts
    if not isinstance(saved, dict):
        return facts
    version = saved.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UsageError(
            f"{path}: results schema version {version} is newer than this llmops-ci reads "
            f"({SCHEMA_VERSION}); upgrade llmops-ci"
        )
    facts.update({key: saved[key] for key in _RUN_FACTS if key in saved})
    return facts


def _compare(head: Path, base: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from llmops_ci.compare.runs import read_runs

    base_run, head_run = read_runs(base, head)

    from llmops_ci.compare.align import compare_runs

    return head_run.summary, compare_runs(base_run, head_run)


def _attach_base(cases: list[CaseView], base: Path, comparison: dict[str, Any]) -> None:
    """Give each flip shown its base record (one more pass over base's records, only when flips are shown)."""
    models = {(g["suite"], g["head_model"]): g["base_model"] for g in comparison.get("comparisons", [])}
    wanted: dict[tuple[str, str, str, int], CaseView] = {}
    for view in cases:
        if view.flip:
            record = view.record
            model = models.get((record["suite"], record["model"]), record["model"])
            wanted[(record["suite"], model, record["case_id"], int(record.get("repeat") or 0))] = view
    if not wanted:
        return
    for record in read_records(base):
        key = (record["suite"], record["model"], record["case_id"], int(record.get("repeat") or 0))
        flipped = wanted.pop(key, None)
        if flipped is not None:
            flipped.base = record
            if not wanted:
                return


def build(
    head: Path,
    *,
    base: Path | None = None,
    cache_dir: Path | None = None,
    max_cases: int = MAX_CASES,
    sections: Sequence[Section] = (),
) -> Report:
    """Everything the report shows about the run in ``head`` (compared with ``base`` when given)."""
    comparison: dict[str, Any] | None = None
    if base is not None:
        summary, comparison = _compare(head, base)
    collector = _Collector(max_cases, _flip_index(comparison))
    if comparison is None:  # one pass: the summary is recomputed from the records as they are collected
        summary = summarize(collector.feed(read_records(head)), run_facts(head))
    else:
        for _ in collector.feed(read_records(head)):
            pass
    cases, hidden = collector.shown()
    wanted = {str(v.record.get("messages_digest")) for v in cases if v.record.get("messages_digest")}
    prompts = find_messages(cache_dir, wanted)
    for view in cases:
        view.messages = prompts.get(str(view.record.get("messages_digest")))
    if base is not None and comparison is not None:
        _attach_base(cases, base, comparison)
    charts = run_charts(summary, collector.latencies)
    if comparison is not None:
        charts = compare_charts(comparison) + charts
    return Report(
        summary=summary,
        results_dir=str(head),
        comparison=comparison,
        charts=charts,
        cases=cases,
        totals=collector.totals,
        hidden=hidden,
        cache_dir=str(cache_dir) if cache_dir is not None else None,
        prompts_found=sum(1 for v in cases if v.messages is not None),
        sections=tuple(sections),
        agents=[
            AgentGroup(group, stop_tally(collector.stops.get((group["suite"], group["model"]), Counter())))
            for group in summary.get("suites", [])
            if is_agent_group(group)
        ],
    )
