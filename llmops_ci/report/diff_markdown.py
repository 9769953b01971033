"""``llmops-ci diff --format markdown``: the pull-request comment.

Layout: the summary line first (overall verdict and counts), the verdict rule, the artifact changes
(when ``--artifacts`` was given: they come above the numbers), a Mermaid chart of pass-rate and cost
deltas, then a section per suite — a table with a row per model (pass rate, delta with its interval,
p-value, verdict, flips, new/removed cases, errors) and a table of the other metrics — with the flipped
cases and long lists in collapsible ``<details>``.

GitHub refuses a comment over 65,536 characters: the comment is rendered with at most N items per list
(flipped cases, changed fields, case names, diff lines), N lowered step by step until it fits in
``max_chars``; every cut list says how many items it left out. As a last resort the text is cut.
Text that comes from results or artifacts (reasons, case ids, diffs) is escaped so it cannot break the
table, open HTML, or @-mention anyone.
"""

from __future__ import annotations

import re
from typing import Any

from llmops_ci.report.diff_text import (
    MINUS,
    NA,
    change_word,
    fmt_ci,
    fmt_delta,
    fmt_fraction,
    fmt_p,
    fmt_value,
    headline,
    model_label,
    plural,
)

#: GitHub's comment limit is 65,536 characters; keep a margin for what a caller wraps around it.
MAX_CHARS = 65_000
_ITEM_STEPS = (50, 25, 10, 5, 2, 0)
_CHART_BARS = 20
_CELL_CHARS = 160

_ICONS = {
    "regressed": "🔴",
    "improved": "🟢",
    "no significant change": "⚪",
    "not comparable": "⚫",
}


def render(comparison: dict[str, Any], *, max_chars: int = MAX_CHARS) -> str:
    """The comment, at most ``max_chars`` characters."""
    text = ""
    for items in _ITEM_STEPS:
        text = _render(comparison, items)
        if len(text) <= max_chars:
            return text
    note = "\n\n… (comment cut to fit GitHub's size limit; `--format json` has everything)\n"
    return text[: max_chars - len(note)] + note


def cell(text: Any, limit: int = _CELL_CHARS) -> str:
    """Plain text safe inside a table cell (and outside one): no pipes, tags, mentions or newlines."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("@", "@\u200b")
        .replace("`", "'")
    )


def _code(text: Any) -> str:
    return f"`{cell(text)}`"


def _fence(diff: str, max_lines: int) -> list[str]:
    """A fenced diff block; the fence is longer than any backtick run inside (so the text cannot close
    it). Mentions do not notify from inside code blocks, so the text is left as it is."""
    lines = diff.splitlines()
    shown = lines[:max_lines]
    longest = max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    out = [f"{fence}diff", *shown, fence]
    if len(lines) > max_lines:
        out.append(f"… and {len(lines) - max_lines:,} more lines")
    return out


def _render(comparison: dict[str, Any], items: int) -> str:
    if comparison.get("base") is None:  # --artifacts only
        return "\n".join(["### llmops-ci diff", "", *_artifacts(comparison["artifacts"], items)]) + "\n"
    verdict = comparison["verdict"]
    lines = [f"### {_ICONS[verdict]} llmops-ci diff: {verdict} — {headline(comparison)}", ""]
    base, head = comparison["base"], comparison["head"]
    lines.append(f"Base {_run_text(base)} → head {_run_text(head)}.")
    lines.append("")
    lines.append(f"<sub>Verdict rule: {cell(comparison['rule'], 2000)}</sub>")
    if comparison.get("artifacts"):
        lines.append("")
        lines.extend(_artifacts(comparison["artifacts"], items))
    comparisons = comparison["comparisons"]
    chart = _chart(comparisons)
    if chart:
        lines.append("")
        lines.extend(chart)
    suites: dict[str, list[dict[str, Any]]] = {}
    for entry in comparisons:
        suites.setdefault(entry["suite"], []).append(entry)
    for suite, entries in suites.items():
        lines.append("")
        lines.extend(_suite(suite, entries, items))
    leftovers = [("base", g) for g in comparison.get("only_in_base") or []] + [
        ("head", g) for g in comparison.get("only_in_head") or []
    ]
    if leftovers:
        lines.append("")
        lines.append(
            "**Not compared** (in one run only): "
            + ", ".join(
                f"{_code(g['suite'] + ' x ' + g['model'])} ({side}, {plural(g['cases'], 'case')})"
                for side, g in leftovers[: max(items, 5)]
            )
            + (f" … and {len(leftovers) - max(items, 5):,} more" if len(leftovers) > max(items, 5) else "")
        )
    return "\n".join(lines) + "\n"


def _run_text(run: dict[str, Any]) -> str:
    sha = f" @ `{str(run['git_sha'])[:7]}`" if run.get("git_sha") else ""
    partial = " (incomplete run)" if run.get("complete") is False else ""
    return f"{_code(run['run_id'])}{sha}{partial}"


def _suite(suite: str, entries: list[dict[str, Any]], items: int) -> list[str]:
    lines = [f"#### Suite {_code(suite)}", ""]
    lines.append(
        "| model | verdict | pass rate | Δ pass rate (95% CI) | p "
        "| pass→fail / fail→pass | new / removed | errors |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for entry in entries:
        rate = entry["pass_rate"]
        cases, errors = entry["cases"], entry["errors"]
        delta = (
            f"**{fmt_delta(rate['delta'], 'ratio')}** ({fmt_ci(rate['ci'], 'ratio')})"
            if rate["paired"]
            else NA
        )
        p_text = (
            f"{fmt_p(rate['p_value'])}<br><sub>{rate['method']}, "
            f"{rate['informative']:,} of {rate['paired']:,}</sub>"
            if rate["paired"]
            else NA
        )
        error_text = f"{errors['base']:,} → {errors['head']:,}" + (
            f" ({errors['delta']:+,})" if errors["delta"] else ""
        )
        lines.append(
            f"| {_code(model_label(entry))} | {_ICONS[entry['verdict']]} {entry['verdict']} | "
            f"{fmt_value(rate['base'], 'ratio')} → {fmt_value(rate['head'], 'ratio')} | {delta} | {p_text} | "
            f"{len(entry['flips']['pass_to_fail']):,} / {len(entry['flips']['fail_to_pass']):,} | "
            f"{len(cases['new']):,} / {len(cases['removed']):,} | {error_text} |"
        )
    lines.append("")
    lines.append(
        "<sub>Δ pass rate, its bootstrap interval and p are over the cases judged in both runs "
        "(p: informative of paired cases).</sub>"
    )
    lines.extend(_metrics_table(entries))
    for entry in entries:
        lines.extend(_breaches(entry))
        lines.extend(_flips(entry, items, len(entries) > 1))
        lines.extend(_case_lists(entry, items, len(entries) > 1))
    return lines


def _metrics_table(entries: list[dict[str, Any]]) -> list[str]:
    several = len(entries) > 1
    rows: list[str] = []
    for entry in entries:
        for m in entry["metrics"]:
            if m["base"] is None and m["head"] is None:
                continue
            unit = m["unit"]
            relative = (
                f" ({_percent(m['relative'])})" if m.get("relative") is not None and unit != "ratio" else ""
            )
            model = f"{_code(model_label(entry))} | " if several else ""
            rows.append(
                f"| {model}{_code(m['name'])} | {fmt_value(m['base'], unit)} | "
                f"{fmt_value(m['head'], unit)} | "
                f"{fmt_delta(m['delta'], unit)}{relative} | {fmt_ci(m['ci'], unit)} | {change_word(m)} |"
            )
    if not rows:
        return []
    header = ("| model " if several else "") + "| metric | base | head | Δ | 95% CI | |"
    rule = ("| --- " if several else "") + "| --- | --- | --- | --- | --- | --- |"
    return [
        "",
        "<details><summary>Other metrics (reported; gated only by explicit limits)</summary>",
        "",
        header,
        rule,
        *rows,
        "",
        "</details>",
    ]


def _breaches(entry: dict[str, Any]) -> list[str]:
    return [
        f"\n⚠️ {_code(model_label(entry))}: {_code(b['metric'])} "
        f"moved {fmt_delta(b['delta'], b.get('unit'))}, "
        f"over the limit {_code(b['limit'])}"
        for b in entry["breaches"]
    ]


def _flips(entry: dict[str, Any], items: int, several: bool) -> list[str]:
    flips = entry["flips"]
    down, up = flips["pass_to_fail"], flips["fail_to_pass"]
    if not down and not up:
        return []
    who = f" — {_code(model_label(entry))}" if several else ""
    lines = [
        "",
        f"<details><summary>Flipped cases{who}: {len(down):,} pass → fail, {len(up):,} fail → pass</summary>",
        "",
    ]
    for title, listed in (("pass → fail", down), ("fail → pass", up)):
        if not listed:
            continue
        lines.append(f"**{title}**")
        lines.append("")
        if items:
            lines.append("| case | base | head | failing assertion |")
            lines.append("| --- | --- | --- | --- |")
            for flip in listed[:items]:
                reason = cell(flip["reason"]) if flip.get("reason") else NA
                lines.append(
                    f"| {_code(flip['case'])} | {fmt_fraction(flip['base'])} | "
                    f"{fmt_fraction(flip['head'])} | {reason} |"
                )
        if len(listed) > items:
            lines.append("")
            lines.append(f"… and {len(listed) - items:,} more (`--format json` lists all)")
        lines.append("")
    lines.append("</details>")
    return lines


def _case_lists(entry: dict[str, Any], items: int, several: bool) -> list[str]:
    cases = entry["cases"]
    parts = [
        (title, cases[key])
        for key, title in (
            ("new", "New cases"),
            ("removed", "Removed cases"),
            ("unpaired", "Not paired (errored on a side)"),
        )
        if cases[key]
    ]
    if not parts:
        return []
    who = f" — {_code(model_label(entry))}" if several else ""
    lines = [
        "",
        f"<details><summary>Case changes{who}: "
        + ", ".join(f"{title.lower()} {len(names):,}" for title, names in parts)
        + "</summary>",
        "",
    ]
    for title, names in parts:
        shown = ", ".join(_code(name) for name in names[:items])
        more = f" … and {len(names) - items:,} more" if len(names) > items else ""
        lines.append(f"- {title} ({len(names):,}): {shown}{more}")
    lines.extend(["", "</details>"])
    return lines


def _chart(comparisons: list[dict[str, Any]]) -> list[str]:
    """Mermaid bar charts: pass-rate delta (pp) and total-cost change (%) per suite x model."""
    shown = [c for c in comparisons if c["pass_rate"]["delta"] is not None][:_CHART_BARS]
    if not shown:
        return []
    labels = ", ".join(_label(c) for c in shown)
    rates = [round(c["pass_rate"]["delta"] * 100, 2) for c in shown]
    lines = [
        "```mermaid",
        "xychart-beta",
        '    title "Δ pass rate (percentage points)"',
        f"    x-axis [{labels}]",
    ]
    lines.append(f'    y-axis "pp" {_axis(rates)}')
    lines.append(f"    bar [{', '.join(f'{v:g}' for v in rates)}]")
    lines.append("```")
    costs: list[float] = []
    for c in shown:
        cost = next((m for m in c["metrics"] if m["name"] == "cost_usd_total"), None)
        costs.append(round(cost["relative"] * 100, 2) if cost and cost.get("relative") is not None else 0.0)
    if any(costs):
        lines += ["", "```mermaid", "xychart-beta", '    title "Δ total cost (%)"', f"    x-axis [{labels}]"]
        lines.append(f'    y-axis "%" {_axis(costs)}')
        lines.append(f"    bar [{', '.join(f'{v:g}' for v in costs)}]")
        lines.append("```")
    if len(comparisons) > len(shown):
        lines.append(f"<sub>Charts show the first {len(shown)} of {len(comparisons)} suite x model.</sub>")
    return lines


def _label(comparison: dict[str, Any]) -> str:
    text = f"{comparison['suite']} {model_label(comparison)}".replace('"', "'")
    return f'"{text[:40]}"'


def _axis(values: list[float]) -> str:
    top = max(1.0, *(abs(v) for v in values))
    top = float(int(top * 1.2) + 1)
    return f"{-top:g} --> {top:g}"


def _artifacts(artifacts: dict[str, Any], items: int) -> list[str]:
    lines = [f"#### Artifact changes {_code(artifacts['base_ref'])} → {_code(artifacts['head_ref'])}", ""]
    changed, added, removed = artifacts["changed"], artifacts["added"], artifacts["removed"]
    if not (changed or added or removed):
        lines.append("No artifact changed.")
    for change in changed:
        moved = f", moved from {_code(change['moved_from'])}" if change.get("moved_from") else ""
        lines.append(
            f"**{cell(change['kind'])}/{cell(change['name'])}** ({_code(change['path'])}{moved}): "
            + ", ".join(change["areas"])
        )
        lines.append("")
        for key, title in (
            ("inputs_added", "inputs added"),
            ("inputs_removed", "inputs removed"),
            ("checks_added", "guardrail checks added"),
            ("checks_removed", "guardrail checks removed"),
            ("checks_changed", "guardrail checks changed"),
        ):
            if change[key]:
                lines.append(f"- {title}: " + ", ".join(_code(name) for name in change[key]))
        fields = change["fields"]
        for field in fields[:items]:
            lines.append(f"- {_field(field)}")
        if len(fields) > items:
            lines.append(f"- … and {len(fields) - items:,} more changed fields")
        diffs = ([("Template diff", change["template_diff"])] if change.get("template_diff") else []) + [
            (f"Text diff of {_code(d['path'])}", d["diff"]) for d in change["text_diffs"]
        ]
        for title, diff in diffs:
            lines += [
                "",
                f"<details><summary>{title}</summary>",
                "",
                *_fence(diff, items * 4),
                "",
                "</details>",
            ]
        lines.append("")
    for title, listed in (("Added", added), ("Removed", removed)):
        if listed:
            names = ", ".join(
                f"{cell(i['kind'])}/{cell(i['name'])} ({_code(i['path'])})" for i in listed[: max(items, 5)]
            )
            more = f" … and {len(listed) - max(items, 5):,} more" if len(listed) > max(items, 5) else ""
            lines.append(f"{title}: {names}{more}")
            lines.append("")
    for item in artifacts.get("unreadable", [])[: max(items, 5)]:
        lines.append(f"Unreadable at {_code(item['ref'])}: {_code(item['path'])}: {cell(item['problem'])}")
        lines.append("")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _field(field: dict[str, Any]) -> str:
    if field["change"] == "added":
        return f"{_code(field['path'])}: added {_code(field['head'])}"
    if field["change"] == "removed":
        return f"{_code(field['path'])}: removed (was {_code(field['base'])})"
    return f"{_code(field['path'])}: {_code(field['base'])} → {_code(field['head'])}"


def _percent(fraction: float) -> str:
    number = fraction * 100
    sign = "+" if number > 0 else MINUS if number < 0 else "±"
    return f"{sign}{abs(number):.1f}%"
