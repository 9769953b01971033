"""``llmops-ci promote NAME@VERSION --to ENV``: record a promotion (or a weighted rollout) as an immutable
annotated tag behind the environment's gate.

Exit 0 when promoted; 1 when refused (no release tag, no evidence, gate not met, not an approver, not
live in a required environment yet, already live, a concurrent promotion took the sequence); 2 for misuse
(bad NAME@VERSION, unknown environment, bad --weight).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from llmops_ci.errors import EXIT_OK
from llmops_ci.release.evidence import describe
from llmops_ci.release.ledger import Repository
from llmops_ci.release.promotion import Outcome, PromoteOptions, promote, split_text
from llmops_ci.release.tags import parse_versioned


def report(outcome: Outcome, verb: str, output_format: str) -> None:
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "tag": outcome.tag,
                    "sequence": outcome.sequence,
                    "live": outcome.live,
                    "previous": outcome.previous,
                    "evidence": outcome.evidence.groups,
                    "evidence_source": outcome.evidence.source,
                    "env_file": outcome.env_file,
                    "pushed": outcome.pushed,
                },
                indent=2,
            )
        )
        return
    click.echo(f"{verb}: {outcome.tag}")
    click.echo(f"  live: {split_text(outcome.live)} (was {split_text(outcome.previous)})")
    for group in outcome.evidence.groups:
        click.echo(f"  evidence ({outcome.evidence.source}): {describe(group)}")
    if outcome.env_file:
        click.echo(f"  updated and committed {outcome.env_file}")
    if outcome.pushed:
        click.echo("  pushed the tag")
    else:
        click.echo(f"Publish: git push origin {outcome.tag}")


def run(
    target: str,
    *,
    env: str,
    project: Path | None,
    reason: str,
    weight: float | None,
    update_env_file: bool,
    results: list[Path],
    push: str | None,
    output_format: str,
    github_actor: str | None = None,
) -> int:
    key, version = parse_versioned(target)
    repo = Repository(project)
    options = PromoteOptions(
        key=key,
        env=env,
        version=version,
        reason=reason,
        weight=weight,
        update_env_file=update_env_file,
        results=results,
        push=push,
        github_actor=github_actor,
    )
    outcome = promote(repo, options)
    report(outcome, f"Promoted {key} {version} to {env}", output_format)
    return EXIT_OK
