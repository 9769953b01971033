"""The monitor report: built once from the calls, rendered as text, Markdown (for a scheduled workflow to
post as an issue or step summary) or JSON (``to_dict``, stable keys)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.monitoring import analysis
from llmops_ci.monitoring.alerts import Alert, Facts, Rule, evaluate
from llmops_ci.monitoring.analysis import Grounded, Rollout, Trigger, Usage

SUMMARY_METRICS = (
    "calls",
    "cost_usd",
    "tokens_total",
    "error_rate",
    "block_rate",
    "trigger_rate",
    "fallback_rate",
    "latency_p95_ms",
    "groundedness_mean",
    "hallucination_rate",
    "faithfulness_mean",
)


@dataclass
class Report:
    window: dict[str, Any]
    baseline: dict[str, Any] | None
    summary: dict[str, float | None]
    usage: dict[str, dict[str, Usage]]
    triggers: list[Trigger]
    grounding: dict[str, Any]
    grounded: list[Grounded]
    drift: dict[str, float]
    rollouts: list[Rollout]
    alerts: list[Alert]
    notes: list[str] = field(default_factory=list)

    @property
    def fired(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.fired]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "baseline": self.baseline,
            "summary": {k: (None if v is None else round(v, 6)) for k, v in self.summary.items()},
            "usage": {by: {k: u.to_dict() for k, u in rows.items()} for by, rows in self.usage.items()},
            "guardrails": [trigger.to_dict() for trigger in self.triggers],
            "groundedness": {**self.grounding, "answers": [g.to_dict() for g in self.grounded]},
            "drift": {k: round(v, 6) for k, v in self.drift.items()},
            "rollouts": [rollout.to_dict() for rollout in self.rollouts],
            "alerts": [alert.to_dict() for alert in self.alerts],
            "fired": [alert.rule.name for alert in self.fired],
            "notes": self.notes,
        }


def build(
    facts: Facts,
    rules: Sequence[Rule],
    *,
    window: dict[str, Any],
    baseline: dict[str, Any] | None,
    grounded: list[Grounded],
    grounding: dict[str, Any],
    notes: list[str],
    splits: Mapping[analysis.RolloutKey, analysis.Split] | None = None,
) -> Report:
    calls = facts.calls
    usage = {
        "day": analysis.usage_by(calls, lambda c: c.day),
        "version": analysis.usage_by(calls, lambda c: str(c.get("artifact"))),
        "model": analysis.usage_by(calls, lambda c: str(c.get("model") or "(none)")),
        "owner": analysis.usage_by(calls, facts.owner),
    }
    from llmops_ci.monitoring.alerts import value

    return Report(
        window=window,
        baseline=baseline,
        summary={metric: value(metric, calls, facts) for metric in SUMMARY_METRICS},
        usage=usage,
        triggers=analysis.triggers(calls),
        grounding=grounding,
        grounded=grounded,
        drift=analysis.drift_values(facts.baseline, calls) if facts.baseline else {},
        rollouts=analysis.rollouts(calls, facts.grounded, splits),
        alerts=[evaluate(rule, facts) for rule in rules],
        notes=notes,
    )


# --- rendering ----------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1:
            return f"{value:,.0f}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _usage_rows(rows: dict[str, Usage]) -> list[list[str]]:
    return [
        [
            key,
            str(u.calls),
            f"{u.input_tokens:,}",
            f"{u.output_tokens:,}",
            f"${u.cost_usd:.4f}",
            str(u.unpriced),
        ]
        for key, u in rows.items()
    ]


_USAGE_HEAD = ["tokens in", "tokens out", "cost", "unpriced"]


def _sections(report: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by the text and Markdown renderers."""
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if report.alerts:
        rows = [
            [
                "FIRED" if a.fired else "ok",
                a.rule.name,
                a.rule.describe(),
                _fmt(a.value),
                ", ".join(a.days) or "-",
            ]
            for a in report.alerts
        ]
        tables.append(("Alerts", ["status", "rule", "condition", "value", "days"], rows))
    tables.append(("Summary", ["metric", "value"], [[k, _fmt(v)] for k, v in report.summary.items()]))
    for by in ("day", "version", "model", "owner"):
        tables.append((f"Usage by {by}", [by, "calls", *_USAGE_HEAD], _usage_rows(report.usage[by])))
    if report.triggers:
        rows = [
            [
                t.check,
                str(t.calls),
                _pct(t.share),
                ", ".join(f"{k} {v}" for k, v in t.actions.items()),
                "-" if t.change is None else f"{t.change * 100:+.1f} pts",
            ]
            for t in report.triggers
        ]
        tables.append(("Guardrail triggers", ["check", "calls", "share", "actions", "trend"], rows))
    if report.grounded:
        rows = [
            [g.id[:12], _fmt(g.score), _fmt(g.graded), "; ".join(g.unsupported)[:80] or g.grader_error or "-"]
            for g in report.grounded
            if g.score is not None and (g.score < 1.0 or (g.graded is not None and g.graded < 1.0))
        ]
        if rows:
            tables.append(("Answers not fully grounded", ["call", "lexical", "graded", "unsupported"], rows))
    if report.drift:
        tables.append(
            (
                "Drift against the baseline",
                ["measure", "value"],
                [[k, _fmt(v)] for k, v in report.drift.items()],
            )
        )
    for rollout in report.rollouts:
        head = [
            "version",
            "weight",
            "calls",
            "answered",
            "blocked",
            "errors",
            "latency ms",
            "cost/call",
            "grounded",
            "verdict",
            "p",
        ]
        rows = [
            [
                v.version + (" (base)" if v.version == rollout.base else ""),
                "-" if v.weight is None else f"{v.weight:g}%",
                str(v.calls),
                _pct(v.ok_rate),
                _pct(v.block_rate),
                _pct(v.error_rate),
                _fmt(v.latency_mean_ms),
                _fmt(v.cost_usd_per_call),
                _fmt(v.groundedness_mean),
                v.verdict or "-",
                _p(v.p_value),
            ]
            for v in rollout.variants
        ]
        env = f" in {rollout.env}" if rollout.env else ""
        tables.append((f"Rollout of {rollout.prompt}{env}", head, rows))
    return tables


def _window_line(report: Report) -> str:
    window = report.window
    line = f"{window['calls']} calls from {window['from'] or '-'} to {window['to'] or '-'}"
    if report.baseline:
        base = report.baseline
        line += f"; baseline {base['calls']} calls from {base['from']} to {base['to']}"
    return line


def _grounding_line(report: Report) -> str:
    g = report.grounding
    line = f"groundedness: {g['checked']} of {g['candidates']} answers with chunks checked"
    line += f" (sample {g['sample']}, threshold {g['threshold']:g})"
    if g.get("chunks_missing"):
        line += f"; {g['chunks_missing']} skipped: chunk texts not found ({g.get('missing_reason', '')})"
    return line


def render_text(report: Report) -> str:
    out = [f"llmops-ci monitor: {_window_line(report)}", _grounding_line(report)]
    for title, header, rows in _sections(report):
        out += ["", title, *_columns([header, *rows])]
    out += ["", *report.notes]
    fired = report.fired
    out.append(
        f"{len(fired)} alert(s) fired: {', '.join(a.rule.name for a in fired)}" if fired else "no alert fired"
    )
    return "\n".join(out).rstrip() + "\n"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    fired = report.fired
    status = f"🚨 {len(fired)} alert(s) fired" if fired else "✅ no alert fired"
    out = ["## llmops-ci monitor", "", f"**{status}** · {_window_line(report)}", "", _grounding_line(report)]
    for title, header, rows in _sections(report):
        out += ["", f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if report.notes:
        out += ["", *[f"- {note}" for note in report.notes]]
    return "\n".join(out) + "\n"


def render_html(report: Report) -> str:
    """The same tables as HTML (every value escaped), for the monitoring section of ``llmops-ci report``."""
    from markupsafe import escape

    fired = report.fired
    status = f"{len(fired)} alert(s) fired" if fired else "no alert fired"
    out = [f"<p><strong>{escape(status)}</strong> · {escape(_window_line(report))}</p>"]
    out.append(f"<p>{escape(_grounding_line(report))}</p>")
    for title, header, rows in _sections(report):
        out.append(f"<h3>{escape(title)}</h3><table><thead><tr>")
        out += [f"<th>{escape(cell)}</th>" for cell in header]
        out.append("</tr></thead><tbody>")
        for row in rows:
            out.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        out.append("</tbody></table>")
    if report.notes:
        out.append("<ul>" + "".join(f"<li>{escape(note)}</li>" for note in report.notes) + "</ul>")
    return "\n".join(out)


RENDERERS: dict[str, Callable[[Report], str]] = {"text": render_text, "markdown": render_markdown}
