"""``llmops-ci ci release``: the release job of the GitHub Action.

Reads ``GITHUB_EVENT_NAME``, ``GITHUB_REF`` and the event payload at ``GITHUB_EVENT_PATH``:

- push of a release tag (``refs/tags/prompts/x@1.4.0``): verify it. The tag must carry llmops-ci's data,
  the artifact's content digest at the tagged commit must equal the digest the tag recorded, and the
  recorded evidence must have met its suites' thresholds (``--require-eval``: evidence must exist).
  Prints a summary and appends it to ``$GITHUB_STEP_SUMMARY`` when set. Exit 1 when verification fails.
- push of a promotion tag: print what it made live.
- workflow_dispatch with inputs ``name``, ``version``, ``env`` (optional ``reason``, ``weight``,
  ``update_env_file``): run ``promote`` as the GitHub actor (``@login`` may be listed in approvers).
- anything else: nothing to do (exit 0).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import click

from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.release.evidence import describe, suite_problems
from llmops_ci.release.ledger import Repository
from llmops_ci.release.promotion import split_text
from llmops_ci.release.tags import EVAL_TARGET_KINDS, PROMOTION_TAG, RELEASE_KINDS, RELEASE_TAG, data_of


def _payload() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: cannot read the event payload ({error})") from None
    if not isinstance(payload, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: the event payload is not a JSON object")
    return payload


def _summary(lines: list[str]) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def _digest_at(repo: Repository, commit: str, kind: str, name: str) -> str | None:
    """The content digest of an artifact as of ``commit`` (its project exported to a temporary directory)."""
    from llmops_ci.artifacts.digest import artifact_digest, short
    from llmops_ci.artifacts.loader import load_graph, load_project

    prefix = repo.git.relative(repo.root)
    archive = repo.git.archive(commit, "" if prefix == "." else prefix)
    with tempfile.TemporaryDirectory(prefix="llmops-ci-verify-") as temporary:
        root = Path(temporary)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tar.extractall(root, members=[m for m in members if not m.name.startswith(("/", ".."))])
        graph = load_graph(load_project(root))
        artifact = graph.get(kind, name)
        return short(artifact_digest(artifact, graph)) if artifact is not None else None


def _verify_release(repo: Repository, tag_name: str, require_eval: bool) -> int:
    match = RELEASE_TAG.match(tag_name)
    assert match is not None
    tag = next((t for t in repo.git.tags(tag_name) if t.name == tag_name), None)
    if tag is None:
        raise UsageError(f"tag {tag_name} is not in this checkout (check out with fetch-depth: 0 and tags)")
    data = data_of(tag)
    lines = [f"## Release {tag_name}", ""]
    problems: list[str] = []
    if data is None:
        problems.append("the tag carries no llmops-ci data: it was not made by llmops-ci release tag")
    else:
        kind = RELEASE_KINDS[match["prefix"]]
        actual = _digest_at(repo, tag.commit, kind, match["name"])
        recorded = data.get("digest")
        if actual is None:
            problems.append(f"no {kind} named {match['name']} at the tagged commit {tag.commit[:12]}")
        elif actual != recorded:
            problems.append(f"digest mismatch: the tag records {recorded}, the tagged content is {actual}")
        else:
            lines.append(f"- content digest `{actual}` matches the tagged commit `{tag.commit[:12]}`")
        bump = data.get("bump")
        reasons = "; ".join(r.get("reason", "") for r in data.get("reasons", []))
        lines.append(
            f"- bump: {'first release' if bump == 'first' else bump}" + (f" ({reasons})" if reasons else "")
        )
        lines.append(f"- tagged by {tag.tagger_name} <{tag.tagger_email}> at {tag.date}")
        evidence = list(data.get("evidence", []))
        if evidence:
            lines.append("- evidence:")
            lines += [f"  - {describe(group)}" for group in evidence]
            problems += suite_problems(evidence)
        else:
            lines.append("- evidence: none recorded")
            if require_eval and RELEASE_KINDS[match["prefix"]] in EVAL_TARGET_KINDS:
                problems.append("--require-eval: the tag records no eval evidence")
    lines += ["", f"**{'Verification failed' if problems else 'Verified'}**"] + [f"- {p}" for p in problems]
    for line in lines:
        click.echo(line)
    _summary(lines)
    return EXIT_FINDINGS if problems else EXIT_OK


def _describe_promotion(repo: Repository, tag_name: str) -> int:
    tag = next((t for t in repo.git.tags(tag_name) if t.name == tag_name), None)
    data = data_of(tag) if tag is not None else None
    if tag is None or data is None:
        click.echo(f"{tag_name}: not an llmops-ci promotion tag in this checkout; nothing to do")
        return EXIT_OK
    who = data.get("who") or {}
    lines = [
        f"## {str(data.get('type', 'promotion')).capitalize()} {tag_name}",
        "",
        f"- live in {data.get('env')}: {split_text(data.get('live', []))}"
        f" (was {split_text(data.get('previous', []))})",
        f"- by {who.get('name')} <{who.get('email')}>: {data.get('reason') or 'no reason given'}",
    ]
    lines += [f"- evidence: {describe(group)}" for group in data.get("evidence", [])]
    for line in lines:
        click.echo(line)
    _summary(lines)
    return EXIT_OK


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _dispatch(payload: dict[str, Any], project: Path | None, results: list[Path], push: str | None) -> int:
    from llmops_ci.commands import promote

    inputs = payload.get("inputs") or {}
    missing = [key for key in ("name", "version", "env") if not str(inputs.get(key) or "").strip()]
    if missing:
        raise UsageError(
            f"workflow_dispatch: missing input(s) {', '.join(missing)} (need name, version, env)"
        )
    actor = str((payload.get("sender") or {}).get("login") or os.environ.get("GITHUB_ACTOR") or "") or None
    weight_text = str(inputs.get("weight") or "").strip()
    try:
        weight = float(weight_text) if weight_text else None
    except ValueError:
        raise UsageError(f"workflow_dispatch: input weight {weight_text!r} is not a number") from None
    reason = str(inputs.get("reason") or "").strip() or f"workflow_dispatch by @{actor or 'unknown'}"
    return promote.run(
        f"{inputs['name']}@{inputs['version']}",
        env=str(inputs["env"]),
        project=project,
        reason=reason,
        weight=weight,
        update_env_file=_flag(inputs.get("update_env_file")),
        results=results,
        push=push,
        output_format="text",
        github_actor=actor,
    )


def run(*, project: Path | None, require_eval: bool, results: list[Path], push: str | None) -> int:
    event = os.environ.get("GITHUB_EVENT_NAME", "")
    payload = _payload()
    ref = os.environ.get("GITHUB_REF") or str(payload.get("ref") or "")
    if event == "push" and ref.startswith("refs/tags/"):
        tag_name = ref.removeprefix("refs/tags/")
        repo = Repository(project)
        if RELEASE_TAG.match(tag_name):
            return _verify_release(repo, tag_name, require_eval)
        if PROMOTION_TAG.match(tag_name):
            return _describe_promotion(repo, tag_name)
        click.echo(f"{tag_name}: not an llmops-ci release or promotion tag; nothing to do")
        return EXIT_OK
    if event == "workflow_dispatch":
        return _dispatch(payload, project, results, push)
    click.echo(f"ci release: nothing to do for event {event or '(GITHUB_EVENT_NAME unset)'} {ref}".rstrip())
    return EXIT_OK
