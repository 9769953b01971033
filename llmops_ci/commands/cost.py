"""``llmops-ci cost [RESULTS|AUDIT...]``: token and cost totals by owner, suite, model, label or
artifact, and each owner's spend against its budget (exit 1 when an owner is over).

See :mod:`llmops_ci.governance.cost` for the inputs, the attribution and the budget rules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.governance.cost import (
    GROUPINGS,
    PERIODS,
    WARN_SHARE,
    BudgetCheck,
    Owners,
    Row,
    check_budgets,
    default_inputs,
    parse_budgets,
    parse_time,
    read_inputs,
    total,
    totals,
    within,
)


def _owners(root: Path | None) -> tuple[Owners, dict[str, Any]]:
    if root is None:
        return Owners(), {}
    config = load_project(root)
    owners = Owners()
    for artifact in load_graph(config).artifacts:
        metadata = artifact.data.get("metadata")
        if not artifact.kind or not artifact.name or not isinstance(metadata, dict):
            continue
        key = f"{artifact.kind}/{artifact.name}"
        if isinstance(metadata.get("owner"), str):
            owners.owner[key] = metadata["owner"]
        if isinstance(metadata.get("labels"), dict):
            owners.labels[key] = {str(k): str(v) for k, v in metadata["labels"].items()}
    governance = config.spec.get("governance")
    declared = governance.get("owners") if isinstance(governance, dict) else None
    for owner, about in (declared or {}).items():
        if isinstance(about, dict) and isinstance(about.get("cost_center"), str):
            owners.cost_centers[str(owner)] = about["cost_center"]
    return owners, config.spec


def _money(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _cells(row: Row) -> list[str]:
    cost = _money(row.cost_usd) + (f" (+{row.unpriced} unpriced)" if row.unpriced else "")
    return [row.key, str(row.calls), f"{row.input_tokens:,}", f"{row.output_tokens:,}", cost]


def _check_line(check: BudgetCheck) -> str:
    label = "OVER BUDGET" if check.status == "over" else "near budget"
    percent = f"{check.share:.0%}" if check.budget_usd else "n/a"
    return (
        f"{label}: {check.owner} spent {_money(check.spent_usd)} of {_money(check.budget_usd)} "
        f"in {check.bucket} ({percent})"
    )


def _text(by: str, rows: list[Row], grand: Row, checks: list[BudgetCheck], window: str) -> str:
    header = [by, "calls", "input tokens", "output tokens", "cost"]
    table = [header, *(_cells(row) for row in rows), _cells(grand)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [f"Cost by {by} ({window})"]
    for index, cells in enumerate(table):
        if index == len(table) - 1:
            lines.append("  ".join("-" * width for width in widths))
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    lines += [_check_line(check) for check in checks if check.status != "ok"]
    within = sum(1 for check in checks if check.status == "ok")
    if within:
        lines.append(f"within budget: {within} owner-period(s) under {WARN_SHARE:.0%} of their budget")
    return "\n".join(lines)


def _markdown(by: str, rows: list[Row], grand: Row, checks: list[BudgetCheck], window: str) -> str:
    lines = [
        f"## Cost by {by}",
        "",
        f"_{window}_",
        "",
        f"| {by} | calls | input tokens | output tokens | cost |",
    ]
    lines.append("|---|---:|---:|---:|---:|")
    for row in rows:
        lines.append("| " + " | ".join(_cells(row)) + " |")
    lines.append("| " + " | ".join(f"**{cell}**" for cell in _cells(grand)) + " |")
    if checks:
        lines += [
            "",
            "### Budgets",
            "",
            "| owner | period | spent | budget | used | status |",
            "|---|---|---:|---:|---:|---|",
        ]
        for check in checks:
            status = {"over": ":red_circle: over budget", "warn": ":warning: near", "ok": "ok"}[check.status]
            percent = f"{check.share:.0%}" if check.budget_usd else "n/a"
            lines.append(
                f"| {check.owner} | {check.bucket} | {_money(check.spent_usd)} | {_money(check.budget_usd)} "
                f"| {percent} | {status} |"
            )
    return "\n".join(lines)


def run(
    paths: Sequence[Path],
    *,
    by: str = "owner",
    label_key: str | None = None,
    since: str | None = None,
    until: str | None = None,
    period: str = "month",
    project: Path | None = None,
    output_format: str = "text",
) -> int:
    if by not in GROUPINGS or period not in PERIODS:
        raise UsageError(f"--by must be one of {', '.join(GROUPINGS)}; --period one of {', '.join(PERIODS)}")
    if label_key is not None and by != "label":
        raise UsageError("--label KEY goes with --by label")
    start = project if project is not None else Path.cwd()
    root = find_root(start) if start.exists() else None
    if project is not None and root is None:
        raise UsageError(f"{project}: no llmops.yaml here or above")
    owners, spec = _owners(root)
    inputs = list(paths) or default_inputs(root or Path.cwd(), spec)
    low = parse_time(since) if since else None
    high = parse_time(until, end=True) if until else None
    usages = within(read_inputs(inputs), low, high)
    rows = totals(usages, by, owners, label_key)
    grand = total(usages)
    checks = check_budgets(usages, owners, parse_budgets(spec), period)
    window = _window(usages, since, until)
    if output_format == "json":
        document = {
            "by": by,
            "period": period,
            "window": {"since": since, "until": until, "first": _iso(usages, min), "last": _iso(usages, max)},
            "rows": [row.to_dict() for row in rows],
            "total": grand.to_dict(),
            "budgets": [check.to_dict() for check in checks],
            "over_budget": sorted({c.owner for c in checks if c.status == "over"}),
        }
        click.echo(json.dumps(document, indent=2))
    elif output_format == "markdown":
        click.echo(_markdown(by, rows, grand, checks, window))
    else:
        click.echo(_text(by, rows, grand, checks, window))
    return EXIT_FINDINGS if any(check.status == "over" for check in checks) else EXIT_OK


def _iso(usages: list[Any], pick: Any) -> str | None:
    return str(pick(u.time for u in usages).isoformat()) if usages else None


def _window(usages: list[Any], since: str | None, until: str | None) -> str:
    if not usages:
        return "no calls" + (f" from {since}" if since else "") + (f" until {until}" if until else "")
    first, last = _iso(usages, min), _iso(usages, max)
    return f"{len(usages)} calls, {first} .. {last}"
