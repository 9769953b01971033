"""``llmops-ci history NAME [--env ENV]``: every release and promotion of an artifact, oldest first, with
who, when and the evidence; then what is live in each environment. Exit 0 (2 for misuse)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from llmops_ci.errors import EXIT_OK
from llmops_ci.release.evidence import describe
from llmops_ci.release.ledger import Repository
from llmops_ci.release.promotion import history, split_text
from llmops_ci.release.tags import parse_artifact


def _who(who: dict[str, Any]) -> str:
    text = f"{who.get('name') or '?'} <{who.get('email') or '?'}>"
    return text + (f" (GitHub @{who['github']})" if who.get("github") else "")


def _event_lines(event: dict[str, Any]) -> list[str]:
    when = str(event["date"]).replace("T", " ")
    by = _who(event["who"])
    if event["event"] == "release":
        bump = (
            "first release" if event.get("bump") == "first" else event.get("bump") or "not made by llmops-ci"
        )
        lines = [f"{when}  release    {event['version']:<10} {event['tag']}  by {by}"]
        lines.append(f"    {bump}" + (f": {'; '.join(event['reasons'])}" if event.get("reasons") else ""))
        if event.get("digest"):
            lines.append(f"    digest {event['digest']}")
    else:
        verb = "rollback" if event["event"] == "rollback" else "promotion"
        where = f"{event['env']} #{event['sequence']:04d}"
        lines = [f"{when}  {verb:<10} {where}: {split_text(event['live'])}  by {by}"]
        lines.append(
            f"    was {split_text(event.get('previous') or [])}"
            + (f"; why: {event['reason']}" if event.get("reason") else "")
        )
    for group in event.get("evidence") or []:
        lines.append(f"    evidence: {describe(group)}")
    if not event.get("evidence"):
        lines.append("    evidence: none")
    return lines


def run(name: str, *, env: str | None, project: Path | None, output_format: str) -> int:
    key = parse_artifact(name)
    repo = Repository(project)
    result = history(repo, key, env)
    if output_format == "json":
        click.echo(json.dumps(result, indent=2))
        return EXIT_OK
    if not result["events"]:
        click.echo(f"{key}: no releases or promotions" + (f" in {env}" if env else "") + " yet.")
        return EXIT_OK
    click.echo(f"{key}")
    for event in result["events"]:
        for line in _event_lines(event):
            click.echo(line)
    if result["live"]:
        click.echo(
            "Live: " + "; ".join(f"{e} {split_text(v['live'])}" for e, v in sorted(result["live"].items()))
        )
    for env_name, state in sorted(result["live"].items()):
        says = state.get("env_file_says")
        if says is not None and says != state["live"]:
            click.echo(
                f"note: {state['env_file']} says {split_text(says)} for {env_name} "
                "(the promotion tags decide; promote with --update-env-file to keep the file in step)"
            )
    return EXIT_OK
