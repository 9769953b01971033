"""Inline SVG charts for the HTML report: horizontal grouped bars, drawn in Python (no JavaScript library,
nothing fetched), so the report opens offline and prints as it shows.

A chart is a list of groups (one row label each: a suite, a model, ``suite · model``), each with one bar per
series (the models of a suite, or base and head). A missing value is written ``n/a`` and draws no bar.
Every label is escaped: suite, case and model names come from the repository under review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560
LABEL_WIDTH = 190
VALUE_WIDTH = 80
BAR_HEIGHT = 14
GROUP_GAP = 10
LEGEND_HEIGHT = 22
LABEL_CHARS = 30
#: series colours in order (base is drawn grey, head blue when comparing; see ``BASE_HEAD``)
PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#718096", "#b7791f")
BASE_HEAD = ("#a0aec0", "#2b6cb0")


@dataclass(frozen=True)
class Group:
    """One row of the chart: its label and one value per series (None: not measured)."""

    label: str
    values: tuple[float | None, ...]


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _legend(series: Sequence[str], colours: Sequence[str]) -> list[str]:
    parts: list[str] = []
    x = LABEL_WIDTH
    for name, colour in zip(series, colours, strict=False):
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="14" class="legend">{escape(_short(name))}</text>')
        x += 24 + 7 * min(len(name), LABEL_CHARS)
    return parts


def bar_chart(
    title: str,
    groups: Sequence[Group],
    series: Sequence[str],
    fmt: Callable[[float], str],
    *,
    colours: Sequence[str] = PALETTE,
    maximum: float | None = None,
) -> Markup:
    """An ``<svg>`` of horizontal grouped bars; ``maximum`` fixes the scale (1.0 for rates), else the
    largest value sets it."""
    values = [v for group in groups for v in group.values if v is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / top if top > 0 else 0.0
    group_height = BAR_HEIGHT * max(len(series), 1) + GROUP_GAP
    height = LEGEND_HEIGHT + group_height * len(groups) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        *_legend(series, colours),
    ]
    for row, group in enumerate(groups):
        y = LEGEND_HEIGHT + row * group_height
        middle = y + BAR_HEIGHT * len(series) / 2 + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end" class="label">'
            f"<title>{escape(group.label)}</title>{escape(_short(group.label))}</text>"
        )
        for index, value in enumerate(group.values):
            bar_y = y + index * BAR_HEIGHT
            colour = colours[index % len(colours)]
            width = max(value * scale, 0.0) if value is not None else 0.0
            if value is not None:
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{width:.1f}" height="{BAR_HEIGHT - 2}" '
                    f'fill="{colour}"><title>{escape(series[index])}: {escape(fmt(value))}</title></rect>'
                )
            parts.append(
                f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{bar_y + BAR_HEIGHT - 3}" class="value">'
                f"{escape(fmt(value)) if value is not None else 'n/a'}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
