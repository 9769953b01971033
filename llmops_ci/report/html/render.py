"""Lay the report out: one Jinja2 template (autoescaping every value: names, outputs and chunks come from
the run under review) with its stylesheet and script included inline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from llmops_ci import __version__
from llmops_ci.eval.metrics import METRICS
from llmops_ci.report.html.view import KINDS, MAX_CASES, Report, Section, build, usd

TEMPLATE = "report.html.j2"
#: characters of one text (output, message, chunk, vars) shown; the rest is in records.jsonl or the cache
CLIP_CHARS = 20_000
#: characters of one tool call's arguments, error or result in an agent transcript
TOOL_CLIP_CHARS = 2_000
#: flips listed per suite x model and direction in the comparison (all of them are in the drill-down)
FLIPS_LISTED = 25


def number(value: Any, unit: str = "") -> str:
    """A metric value for a table cell: rates as percentages, dollars to 4 places, counts grouped."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "$":
        return usd(value)
    if unit == "pp":
        return f"{value * 100:+.1f} pp"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value:,}"


def metric_value(value: Any, name: str, delta: bool = False) -> str:
    """A registry metric's value in its unit (ratios ending in ``rate`` as percentages); a ``delta`` is
    signed, and a rate's delta is in percentage points."""
    unit = METRICS[name].unit if name in METRICS else ""
    if unit == "ratio" and name.endswith("rate"):
        return number(value, "pp" if delta else "%")
    text = number(value, "$" if name.startswith("cost_usd") else "")
    positive = isinstance(value, (int, float)) and value > 0
    return f"+{text}" if delta and positive else text


def clip(value: Any, limit: int = CLIP_CHARS) -> str:
    """A long text cut to ``limit`` characters, saying how much was left out (keeps the page light)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… ({len(text) - limit:,} more characters not shown)"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("llmops_ci.report.html", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, metric=metric_value, clip=clip)
    return env


def render(report: Report) -> str:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            summary=report.summary,
            generated=generated,
            version=__version__,
            flips_listed=FLIPS_LISTED,
            kinds=KINDS,
            tool_chars=TOOL_CLIP_CHARS,
        )
    )


def render_report(
    results: Path,
    *,
    compare: Path | None = None,
    cache_dir: Path | None = None,
    max_cases: int = MAX_CASES,
    sections: Sequence[Section] = (),
) -> str:
    """The HTML of the run in ``results`` (a results directory), compared with ``compare`` when given."""
    report = build(results, base=compare, cache_dir=cache_dir, max_cases=max_cases, sections=sections)
    return render(report)
