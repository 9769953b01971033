"""``llmops-ci release plan`` and ``llmops-ci release tag``.

plan: exit 0 (it only reports). tag: exit 0 when tagged (or nothing changed), 1 when refused (dirty
tree, existing tag, invalid artifact, named artifact unchanged, ``--require-eval`` without passing
results), 2 for misuse (unknown artifact, ``--bump`` below the proposed bump, not a git repository).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from llmops_ci.errors import EXIT_OK, UsageError
from llmops_ci.release.evidence import describe
from llmops_ci.release.ledger import Repository
from llmops_ci.release.releasing import PlanItem, TagOptions, plan, tag
from llmops_ci.release.versions import Level, Version


def _evidence_lines(item: PlanItem) -> list[str]:
    if not item.evidence.groups:
        return [f"  digest {item.digest}; evidence: {item.no_evidence}"]
    return [f"  digest {item.digest}; evidence:"] + [
        f"    {describe(group)}" for group in item.evidence.groups
    ]


def _item_text(item: PlanItem) -> list[str]:
    if item.problem:
        return [f"{item.key}: cannot release: {item.problem}"]
    if not item.changed:
        version = item.previous.version if item.previous else "?"
        return [f"{item.key}: {version}, unchanged ({item.digest})"]
    if item.first:
        lines = [f"{item.key}: new -> {item.version} (first release)"]
    else:
        previous = item.previous.version if item.previous else "?"
        lines = [f"{item.key}: {previous} -> {item.version} ({item.level})"]
        lines += [f"  {change.level:<5}  {change.reason}" for change in item.changes]
    return lines + _evidence_lines(item)


def run_plan(
    names: list[str], *, project: Path | None, results: list[Path], show_all: bool, output_format: str
) -> int:
    repo = Repository(project)
    items = plan(repo, names, results)
    if output_format == "json":
        click.echo(
            json.dumps(
                {"artifacts": [i.to_json() for i in items if show_all or names or i.changed or i.problem]},
                indent=2,
            )
        )
        return EXIT_OK
    shown = [i for i in items if show_all or names or i.changed or i.problem]
    for item in shown:
        for line in _item_text(item):
            click.echo(line)
    changed = sum(1 for i in items if i.changed)
    unchanged = sum(1 for i in items if not i.changed and not i.problem)
    hidden = len(items) - len(shown)
    summary = f"{changed} to release, {unchanged} unchanged"
    if hidden:
        summary += " (--all lists them)"
    click.echo(("\n" if shown else "") + summary + ".")
    return EXIT_OK


def run_tag(
    names: list[str],
    *,
    project: Path | None,
    results: list[Path],
    require_eval: bool,
    bump: Level | None,
    changelog: str,
    output_format: str,
    version: str | None = None,
) -> int:
    try:
        wanted = Version.parse(version) if version is not None else None
    except ValueError as error:
        raise UsageError(f"--version: {error}") from None
    repo = Repository(project)
    options = TagOptions(
        names=names,
        results=results,
        require_eval=require_eval,
        bump=bump,
        version=wanted,
        changelog=changelog,
    )
    released, commit = tag(repo, options)
    if output_format == "json":
        click.echo(
            json.dumps(
                {"commit": commit if released else None, "released": [i.to_json() for i in released]},
                indent=2,
            )
        )
        return EXIT_OK
    if not released:
        click.echo("Nothing to release: every artifact matches its latest release tag.")
        return EXIT_OK
    for item in released:
        why = "first release" if item.first else f"{item.level}: {item.reason}"
        click.echo(f"Tagged {item.tag()} ({why})")
        for group in item.evidence.groups:
            click.echo(f"  evidence: {describe(group)}")
        if not item.evidence.groups:
            click.echo(f"  evidence: {item.no_evidence}")
    click.echo(f"Committed {changelog} ({commit[:12]}).")
    tags = " ".join(item.tag() for item in released)
    click.echo(f"Publish: git push origin HEAD {tags}")
    return EXIT_OK


def run_lock(envs: list[str], *, project: Path | None, output: Path | None, check: bool) -> int:
    """``release lock``: write llmops.lock for ``envs`` (exit 0), or with ``check`` compare it with the
    file (exit 1 when it is missing or out of date)."""
    from llmops_ci.errors import EXIT_FINDINGS
    from llmops_ci.release.promotion import split_text
    from llmops_ci.runtime import lockfile

    if not envs:
        raise UsageError("name the environments to lock: --env prod (repeat --env for several)")
    repo = Repository(project)
    data = lockfile.build(repo, envs)
    path = output if output is not None else repo.root / lockfile.LOCK_FILE
    if check:
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if isinstance(current, dict) and lockfile.same_content(current, data):
            click.echo(f"{path} is up to date.")
            return EXIT_OK
        click.echo(
            f"{path} is {'out of date' if current is not None else 'missing or unreadable'}: "
            f"run llmops-ci release lock {' '.join(f'--env {env}' for env in envs)}",
            err=True,
        )
        return EXIT_FINDINGS
    from llmops_ci.atomic import write_atomically

    write_atomically(path, lockfile.dump(data))
    for env, locked in data["environments"].items():
        for ref, entry in locked["artifacts"].items():
            click.echo(f"{env}: {ref} {split_text(entry['live'])} ({entry['promotion']})")
    click.echo(f"Wrote {path}.")
    return EXIT_OK
