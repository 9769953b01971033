"""``llmops-ci rollback NAME --env ENV``: promote the previous version again (a new promotion tag; the
tags already there are never moved). Exit 0 rolled back; 1 refused (nothing earlier, not an approver);
2 misuse."""

from __future__ import annotations

from pathlib import Path

from llmops_ci.commands.promote import report
from llmops_ci.errors import EXIT_OK
from llmops_ci.release.ledger import Repository
from llmops_ci.release.promotion import PromoteOptions, rollback
from llmops_ci.release.tags import parse_artifact


def run(
    name: str,
    *,
    env: str,
    project: Path | None,
    reason: str,
    update_env_file: bool,
    push: str | None,
    output_format: str,
) -> int:
    key = parse_artifact(name)
    repo = Repository(project)
    options = PromoteOptions(key=key, env=env, reason=reason, update_env_file=update_env_file, push=push)
    outcome = rollback(repo, options)
    report(outcome, f"Rolled back {key} in {env}", output_format)
    return EXIT_OK
