"""``llmops-ci diff`` as text (a terminal) and JSON (the comparison itself), and the number formatting the
markdown reporter shares. Input: the comparison dict built by ``llmops_ci.compare.align``."""

from __future__ import annotations

import json
from typing import Any

NA = "\u2013"  # en dash: no value
MINUS = "\u2212"

#: Items of a list (flips, new cases, changed fields) shown in text before "... and N more".
TEXT_ITEMS = 20

VERDICT_WORDS = {
    "regressed": "REGRESSED",
    "improved": "IMPROVED",
    "no significant change": "no significant change",
    "not comparable": "not comparable",
}


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def fmt_value(value: Any, unit: str | None) -> str:
    """A metric value in its unit: ratios as percentages, USD with a $, ms and tokens with separators."""
    if value is None:
        return NA
    number = float(value)
    if unit == "ratio":
        return f"{number * 100:.1f}%"
    if unit == "USD":
        return f"${number:,.2f}" if abs(number) >= 1 else f"${number:.3g}"
    if unit == "ms":
        return f"{number:,.0f} ms"
    if unit == "tokens":
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.1f}"
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"


def fmt_delta(value: Any, unit: str | None) -> str:
    """A signed difference: ratios in percentage points."""
    if value is None:
        return NA
    number = float(value)
    sign = "+" if number > 0 else MINUS if number < 0 else "±"
    magnitude = abs(number)
    if unit == "ratio":
        return f"{sign}{magnitude * 100:.1f} pp"
    if unit == "USD":
        return f"{sign}${magnitude:,.2f}" if magnitude >= 1 else f"{sign}${magnitude:.3g}"
    if unit == "ms":
        return f"{sign}{magnitude:,.0f} ms"
    if unit == "tokens":
        return f"{sign}{magnitude:,.0f}" if magnitude >= 100 else f"{sign}{magnitude:.1f}"
    return f"{sign}{magnitude:,.0f}" if magnitude >= 1000 else f"{sign}{magnitude:.3g}"


def fmt_ci(ci: Any, unit: str | None) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return NA
    return f"{fmt_delta(ci[0], unit)} … {fmt_delta(ci[1], unit)}"


def fmt_p(p_value: Any) -> str:
    if p_value is None:
        return NA
    return "< 0.0001" if p_value < 1e-4 else f"{p_value:.4f}" if p_value < 0.01 else f"{p_value:.3f}"


def fmt_fraction(value: Any) -> str:
    return NA if value is None else f"{float(value) * 100:.0f}%"


def change_word(entry: dict[str, Any]) -> str:
    """better / worse / same, by the metric's direction (blank when it has none)."""
    delta, direction = entry.get("delta"), entry.get("direction")
    if delta is None or direction is None:
        return ""
    if delta == 0:
        return "same"
    return "better" if (delta > 0) == (direction == "higher") else "worse"


def model_label(comparison: dict[str, Any]) -> str:
    base, head = comparison["base_model"], comparison["head_model"]
    return base if base == head else f"{base} → {head}"


def headline(comparison: dict[str, Any]) -> str:
    """``1 regressed, 0 improved, 2 no significant change (3 suite x model)``."""
    counts = comparison["counts"]
    total = len(comparison["comparisons"])
    parts = [
        f"{counts['regressed']} regressed",
        f"{counts['improved']} improved",
        f"{counts['no significant change']} no significant change",
    ]
    if counts["not comparable"]:
        parts.append(f"{counts['not comparable']} not comparable")
    if counts["breaches"]:
        parts.append(f"{plural(counts['breaches'], 'limit')} exceeded")
    return f"{', '.join(parts)} ({total} suite x model)"


def pass_rate_line(comparison: dict[str, Any]) -> str:
    rate = comparison["pass_rate"]
    if not rate["paired"]:
        return f"{fmt_value(rate['base'], 'ratio')} → {fmt_value(rate['head'], 'ratio')}  (no paired case)"
    return (
        f"{fmt_value(rate['base'], 'ratio')} → {fmt_value(rate['head'], 'ratio')}  "
        f"Δ {fmt_delta(rate['delta'], 'ratio')} [95% CI {fmt_ci(rate['ci'], 'ratio')}]  "
        f"p {fmt_p(rate['p_value'])} ({rate['method']}; {rate['informative']:,} informative of "
        f"{rate['paired']:,} paired cases)"
    )


def render_json(comparison: dict[str, Any]) -> str:
    return json.dumps(comparison, indent=2, ensure_ascii=False) + "\n"


def _more(items: list[Any], shown: int) -> str:
    return f"    … and {len(items) - shown:,} more (--format json lists all)" if len(items) > shown else ""


def render_text(comparison: dict[str, Any], *, items: int = TEXT_ITEMS) -> str:
    if comparison.get("base") is None:  # --artifacts only
        return "\n".join(_artifact_lines(comparison["artifacts"], items)) + "\n"
    lines = [f"llmops-ci diff: {VERDICT_WORDS[comparison['verdict']]} — {headline(comparison)}"]
    for side in ("base", "head"):
        run = comparison[side]
        sha = f" @ {str(run['git_sha'])[:12]}" if run.get("git_sha") else ""
        lines.append(f"{side}: {run['run_id']}{sha} ({run['dir']}, {plural(run['records'], 'record')})")
    lines.append(f"rule: {comparison['rule']}")
    if comparison.get("artifacts"):
        lines.append("")
        lines.extend(_artifact_lines(comparison["artifacts"], items))
    for entry in comparison["comparisons"]:
        lines.append("")
        lines.extend(_comparison_lines(entry, items))
    for side in ("only_in_base", "only_in_head"):
        groups = comparison.get(side) or []
        if groups:
            lines.append("")
            where = "base" if side == "only_in_base" else "head"
            names = ", ".join(f"{g['suite']} x {g['model']} ({plural(g['cases'], 'case')})" for g in groups)
            lines.append(f"only in {where}: {names}")
    return "\n".join(lines) + "\n"


def _comparison_lines(entry: dict[str, Any], items: int) -> list[str]:
    lines = [f"{entry['suite']} x {model_label(entry)}: {VERDICT_WORDS[entry['verdict']]}"]
    lines.append(f"  pass rate  {pass_rate_line(entry)}")
    metrics = [m for m in entry["metrics"] if m["base"] is not None or m["head"] is not None]
    if metrics:
        width = max(len(m["name"]) for m in metrics)
        lines.append(f"  {'metric':<{width}}  {'base':>12}  {'head':>12}  {'Δ':>12}  95% CI")
        for m in metrics:
            unit = m["unit"]
            word = change_word(m)
            base_text, head_text = fmt_value(m["base"], unit), fmt_value(m["head"], unit)
            lines.append(
                f"  {m['name']:<{width}}  {base_text:>12}  {head_text:>12}  "
                f"{fmt_delta(m['delta'], unit):>12}  {fmt_ci(m['ci'], unit)}{'  ' + word if word else ''}"
            )
    for key, title in (("pass_to_fail", "pass → fail"), ("fail_to_pass", "fail → pass")):
        flips = entry["flips"][key]
        if not flips:
            continue
        lines.append(f"  {title} ({len(flips):,}):")
        for flip in flips[:items]:
            reason = f"  {flip['reason']}" if flip.get("reason") else ""
            lines.append(
                f"    {flip['case']}  {fmt_fraction(flip['base'])} → {fmt_fraction(flip['head'])}{reason}"
            )
        more = _more(flips, items)
        if more:
            lines.append(more)
    cases = entry["cases"]
    for key, title in (
        ("new", "new cases"),
        ("removed", "removed cases"),
        ("unpaired", "unpaired (errored)"),
    ):
        names = cases[key]
        if names:
            shown = ", ".join(names[:items])
            extra = f" … and {len(names) - items:,} more" if len(names) > items else ""
            lines.append(f"  {title} ({len(names):,}): {shown}{extra}")
    errors = entry["errors"]
    if errors["base"] or errors["head"]:
        lines.append(f"  errors: {errors['base']:,} → {errors['head']:,} ({errors['delta']:+,})")
    for breach in entry["breaches"]:
        lines.append(
            f"  limit exceeded: {breach['metric']} moved {fmt_delta(breach['delta'], breach.get('unit'))} "
            f"(limit {breach['limit']})"
        )
    return lines


def _artifact_lines(artifacts: dict[str, Any], items: int) -> list[str]:
    lines = [f"artifacts {artifacts['base_ref']} → {artifacts['head_ref']}:"]
    if not (artifacts["changed"] or artifacts["added"] or artifacts["removed"]):
        lines.append("  no artifact changed")
    for change in artifacts["changed"]:
        moved = f", moved from {change['moved_from']}" if change.get("moved_from") else ""
        lines.append(
            f"  changed {change['kind']}/{change['name']} ({change['path']}{moved}): "
            + ", ".join(change["areas"])
        )
        for key, title in (
            ("inputs_added", "inputs added"),
            ("inputs_removed", "inputs removed"),
            ("checks_added", "checks added"),
            ("checks_removed", "checks removed"),
            ("checks_changed", "checks changed"),
        ):
            if change[key]:
                lines.append(f"    {title}: {', '.join(change[key])}")
        for field in change["fields"][:items]:
            lines.append(f"    {_field_text(field)}")
        if len(change["fields"]) > items:
            lines.append(f"    … and {len(change['fields']) - items:,} more fields")
        for diff in ([change["template_diff"]] if change.get("template_diff") else []) + [
            d["diff"] for d in change["text_diffs"]
        ]:
            lines.extend("    " + line for line in diff.splitlines())
    for item in artifacts["added"]:
        lines.append(f"  added {item['kind']}/{item['name']} ({item['path']})")
    for item in artifacts["removed"]:
        lines.append(f"  removed {item['kind']}/{item['name']} ({item['path']})")
    for item in artifacts.get("unreadable", []):
        lines.append(f"  unreadable at {item['ref']}: {item['path']}: {item['problem']}")
    return lines


def _field_text(field: dict[str, Any]) -> str:
    if field["change"] == "added":
        return f"{field['path']}: added {field['head']}"
    if field["change"] == "removed":
        return f"{field['path']}: removed (was {field['base']})"
    return f"{field['path']}: {field['base']} → {field['head']}"
