"""``promote``, ``rollback`` and ``history``.

A promotion is an immutable annotated tag ``promotions/<env>/<prefix>/<name>/<seq>`` on the release's
commit; its message holds the version, digest, who, why, the evidence and the full split it made live.
The highest sequence is what is live; tags are never moved or deleted (clones keep stale moved tags).

- Gate: evidence (results for the release's digest under the runs directory and ``--results``; else the
  summary the release tag carries) must exist, and every suite x model must meet the environment's
  ``gate`` thresholds (without a gate: its own suite's thresholds). Only prompts and RAG pipelines are
  eval targets; a policy or a suite is promoted without evidence (approvers and requires still apply).
- ``approvers`` (git e-mails, or ``@login`` for the GitHub actor of ``ci release``): anyone else is refused.
- ``requires``: the version must be live (with a weight above 0) in each of those environments first.
- Rollout: ``--weight N`` makes the version the canary at N% next to the stable version (the one fully
  live, or the stable side of the rollout in progress) at 100-N%. Without ``--weight`` (or at 100) the
  version becomes fully live, which ends a rollout.
- Rollback: the promotions replay as a stack (a promotion pushes its split, a rollback pops one); a
  rollback makes the split below the top live again (an emergency path: approvers apply, the gate does not).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.errors import UsageError
from llmops_ci.release import ReleaseError
from llmops_ci.release.environments import Environment, Split, environment, update_releases
from llmops_ci.release.evidence import (
    Evidence,
    collect,
    describe,
    gate_problems,
    run_directories,
    suite_problems,
)
from llmops_ci.release.git import Identity, NewTag
from llmops_ci.release.ledger import Promotion, Release, Repository
from llmops_ci.release.tags import EVAL_TARGET_KINDS, ArtifactKey, message
from llmops_ci.release.versions import Version


@dataclass
class PromoteOptions:
    key: ArtifactKey
    env: str
    version: Version | None = None  # None: rollback
    reason: str = ""
    weight: float | None = None
    update_env_file: bool = False
    results: list[Path] = field(default_factory=list)
    push: str | None = None
    github_actor: str | None = None


@dataclass
class Outcome:
    tag: str
    sequence: int
    live: Split
    previous: Split
    evidence: Evidence
    env_file: str | None = None
    pushed: bool = False


def split_text(split: Split) -> str:
    if not split:
        return "nothing"
    if len(split) == 1:
        return str(split[0]["version"])
    return " / ".join(f"{p['version']} ({_pct(p['weight'])})" for p in split)


def _pct(weight: Any) -> str:
    return f"{int(weight)}%" if float(weight).is_integer() else f"{weight}%"


def _serves(split: Split, version: str) -> bool:
    return any(p["version"] == version and float(p["weight"]) > 0 for p in split)


def _authorize(env: Environment, who: Identity, actor: str | None) -> None:
    if not env.approves(who, actor):
        as_actor = f" / @{actor}" if actor else ""
        raise ReleaseError(
            f"{who.email}{as_actor} may not promote to {env.name}: its approvers are "
            f"{', '.join(env.approvers)} ({env.artifact.rel})"
        )


def _requires(repo: Repository, env: Environment, key: ArtifactKey, version: str) -> None:
    for required in env.requires:
        environment(repo.graph, required)
        live = repo.live(key, required)
        split = live.live if live else []
        if not _serves(split, version):
            raise ReleaseError(
                f"{key}@{version} must be live in {required} before {env.name} "
                f"(requires: {', '.join(env.requires)}); {required} runs {split_text(split)}"
            )


def evidence_for(repo: Repository, release: Release, results: list[Path]) -> Evidence:
    """Fresh results for the release's digest if any, else the evidence its tag recorded."""
    digest = release.digest or ""
    found = collect(run_directories(repo.runs_dir, results), {(release.key.kind, release.key.name, digest)})
    fresh = found.get((release.key.kind, release.key.name, digest))
    if fresh is not None and fresh.groups:
        return fresh
    return Evidence(release.evidence, "release tag") if release.evidence else Evidence()


def _gate(env: Environment, release: Release, evidence: Evidence) -> list[str]:
    if release.key.kind not in EVAL_TARGET_KINDS:
        return []  # eval results never target a policy or a suite: no evidence to gate on
    if not evidence.groups:
        return [
            f"no eval evidence for {release.tag.name} (digest {release.digest}): run llmops-ci eval on that "
            "version (or pass --results DIR) and release with its results"
        ]
    if env.gate:
        return gate_problems(evidence.groups, env.gate)
    return suite_problems(evidence.groups)


def _gate_text(env: Environment) -> str:
    if not env.gate:
        return "suite thresholds (the environment sets no gate)"
    return ", ".join(
        f"{metric} " + " ".join(f"{side} {value}" for side, value in bound.items())
        for metric, bound in env.gate.items()
    )


def _new_split(current: Promotion | None, version: str, weight: float | None) -> tuple[Split, str | None]:
    """The split after promoting ``version`` at ``weight`` (None/100: fully), and the stable version."""
    if weight is None or weight >= 100:
        return [{"version": version, "weight": 100}], None
    live = current.live if current else []
    if not live:
        raise UsageError(
            "--weight: nothing is live in that environment yet to split traffic with; "
            "promote without --weight first"
        )
    stable = None
    if len(live) == 1:
        stable = live[0]["version"]
    elif current is not None and current.data and current.data.get("stable"):
        stable = str(current.data["stable"])
    else:
        stable = max(live, key=lambda p: float(p["weight"]))["version"]
    if stable == version:
        raise UsageError(
            f"--weight: {version} is the stable version already; promote another version as the canary"
        )
    value: float | int = int(weight) if float(weight).is_integer() else weight
    rest: float | int = 100 - value
    return [{"version": stable, "weight": rest}, {"version": version, "weight": value}], stable


def _who_text(who: Identity, actor: str | None) -> str:
    return str(who) + (f" (GitHub @{actor})" if actor else "")


def _write(
    repo: Repository, options: PromoteOptions, env: Environment, split: Split, tag: NewTag
) -> tuple[str | None, bool]:
    git = repo.git
    env_file = None
    if options.update_env_file:
        env_file = git.relative(env.artifact.path)
        if git.dirty(env_file):
            raise ReleaseError(
                f"{env_file} has uncommitted changes: commit them first (--update-env-file commits it)"
            )
        branch = git.branch()
        head = git.head()
        current = git.show(head, env_file)
        if current is None:
            raise ReleaseError(f"{env_file} is not committed: commit it first (--update-env-file commits it)")
        text = update_releases(current.decode("utf-8"), options.key, split)
        subject = f"{env.name}: {options.key} {split_text(split)}"
        commit = git.commit_files(head, {env_file: text}, f"{subject}\n\nRecorded by {tag.name}.\n")
        git.transaction(branch=(branch, commit, head), tags=[tag])
        git.sync_worktree({env_file: text})
    else:
        git.transaction(tags=[tag])
    pushed = False
    if options.push:
        git.push(options.push, [f"refs/tags/{tag.name}"])
        pushed = True
    return env_file, pushed


def _record(
    repo: Repository,
    options: PromoteOptions,
    env: Environment,
    release: Release,
    who: Identity,
    current: Promotion | None,
    sequence: int,
    split: Split,
    evidence: Evidence,
    extra: dict[str, Any],
) -> Outcome:
    key = options.key
    previous = current.live if current else []
    tag_name = key.promotion_tag(env.name, sequence)
    action = extra.get("type", "promotion")
    if action == "rollback":
        title = f"Roll back {key} in {env.name} to {split_text(split)}"
    else:
        title = f"Promote {key} {release.version} to {env.name}" + (
            f" ({split_text(split)})" if len(split) > 1 else ""
        )
    lines = [
        f"Environment: {env.name} ({action} {sequence:04d})",
        f"Version: {release.version} (release {release.tag.name})",
        f"Digest: {release.digest}",
        f"Live: {split_text(split)}",
        f"Previous: {split_text(previous)}",
        f"By: {_who_text(who, options.github_actor)}",
        f"Why: {options.reason or '(no reason given)'}",
    ]
    if action != "rollback":
        if key.kind in EVAL_TARGET_KINDS:
            lines.append(f"Gate: {_gate_text(env)}: met by every suite x model")
        else:
            lines.append(f"Gate: not applicable (eval results do not target a {key.kind})")
    if evidence.groups:
        lines.append(f"Evidence (from {evidence.source}):")
        lines += [f"- {describe(group)}" for group in evidence.groups]
    else:
        lines.append("Evidence: none recorded")
    data = {
        "type": action,
        "env": env.name,
        "kind": key.kind,
        "name": key.name,
        "sequence": sequence,
        "version": str(release.version),
        "digest": release.digest,
        "release_tag": release.tag.name,
        "live": split,
        "previous": previous,
        "reason": options.reason,
        "who": {"name": who.name, "email": who.email, "github": options.github_actor},
        "gate": env.gate,
        "evidence": evidence.groups,
        "evidence_source": evidence.source,
        **extra,
    }
    tag = NewTag(tag_name, release.tag.commit, message(title, lines, data))
    env_file, pushed = _write(repo, options, env, split, tag)
    return Outcome(tag_name, sequence, split, previous, evidence, env_file, pushed)


def _release(repo: Repository, key: ArtifactKey, version: Version) -> Release:
    release = repo.release(key, version)
    if release is None:
        known = [str(r.version) for r in repo.releases(key)]
        raise ReleaseError(
            f"no release tag {key.release_tag(version)}"
            + (f" (released: {', '.join(known)})" if known else " (llmops-ci release tag makes one)")
        )
    if release.data is None or not release.digest:
        raise ReleaseError(
            f"{release.tag.name} was not made by llmops-ci release tag (no digest in its message)"
        )
    return release


def promote(repo: Repository, options: PromoteOptions) -> Outcome:
    assert options.version is not None
    if options.weight is not None and not 0 < options.weight <= 100:
        raise UsageError("--weight must be above 0 and at most 100")
    env = environment(repo.graph, options.env)
    promotions = repo.promotions(options.key, env.name)
    current = promotions[-1] if promotions else None
    version = str(options.version)
    split, stable = _new_split(current, version, options.weight)
    who = repo.git.identity()
    _authorize(env, who, options.github_actor)
    release = _release(repo, options.key, options.version)
    _requires(repo, env, options.key, version)
    evidence = evidence_for(repo, release, options.results)
    problems = _gate(env, release, evidence)
    if problems:
        raise ReleaseError(
            f"promotion of {release.tag.name} to {env.name} refused: "
            f"the gate ({_gate_text(env)}) is not met:\n  " + "\n  ".join(problems)
        )
    if current is not None and current.live == split:
        raise ReleaseError(
            f"{options.key} {split_text(split)} is already live in {env.name} ({current.tag.name})"
        )
    sequence = (promotions[-1].sequence + 1) if promotions else 1
    extra: dict[str, Any] = {"type": "promotion", "stable": stable}
    return _record(repo, options, env, release, who, current, sequence, split, evidence, extra)


def stack(promotions: list[Promotion]) -> list[tuple[Promotion, Split]]:
    """Replay: a promotion pushes its split, a rollback pops; what remains, bottom to top."""
    states: list[tuple[Promotion, Split]] = []
    for promotion in promotions:
        if promotion.data is None:
            continue
        if promotion.action == "rollback":
            if states:
                states.pop()
        else:
            states.append((promotion, promotion.live))
    return states


def rollback(repo: Repository, options: PromoteOptions) -> Outcome:
    env = environment(repo.graph, options.env)
    who = repo.git.identity()
    _authorize(env, who, options.github_actor)
    promotions = repo.promotions(options.key, env.name)
    if not promotions:
        raise ReleaseError(f"{options.key} was never promoted to {env.name}: nothing to roll back")
    states = stack(promotions)
    if len(states) < 2:
        raise ReleaseError(
            f"no earlier version of {options.key} to roll back to in {env.name} "
            f"(live: {split_text(promotions[-1].live)})"
        )
    restored_by, split = states[-2]
    main = max(split, key=lambda p: float(p["weight"]))["version"]
    release = _release(repo, options.key, Version.parse(main))
    evidence = Evidence(release.evidence, "release tag") if release.evidence else Evidence()
    current = promotions[-1]
    extra = {
        "type": "rollback",
        "rollback_of": current.sequence,
        "restores": restored_by.sequence,
        "stable": restored_by.data.get("stable") if restored_by.data else None,
    }
    return _record(repo, options, env, release, who, current, current.sequence + 1, split, evidence, extra)


# --- history ----------------------------------------------------------------------------------------------


def _when(date: str) -> float:
    try:
        return dt.datetime.fromisoformat(date).timestamp()
    except ValueError:
        return 0.0


def history(repo: Repository, key: ArtifactKey, env: str | None) -> dict[str, Any]:
    """Every release and promotion of ``key`` (promotions of ``env`` only, if given), oldest first."""
    events: list[dict[str, Any]] = []
    for release in repo.releases(key):
        data = release.data or {}
        events.append(
            {
                "event": "release",
                "tag": release.tag.name,
                "date": release.tag.date,
                "version": str(release.version),
                "who": {"name": release.tag.tagger_name, "email": release.tag.tagger_email},
                "bump": data.get("bump"),
                "reasons": [r.get("reason") for r in data.get("reasons", [])],
                "digest": data.get("digest"),
                "evidence": data.get("evidence", []),
                "llmops_ci": release.data is not None,
            }
        )
    promotions = repo.promotions(key, env)
    for promotion in promotions:
        data = promotion.data or {}
        who = data.get("who") or {"name": promotion.tag.tagger_name, "email": promotion.tag.tagger_email}
        events.append(
            {
                "event": promotion.action,
                "tag": promotion.tag.name,
                "date": promotion.tag.date,
                "env": promotion.env,
                "sequence": promotion.sequence,
                "version": data.get("version"),
                "live": promotion.live,
                "previous": data.get("previous", []),
                "who": who,
                "reason": data.get("reason", ""),
                "digest": data.get("digest"),
                "evidence": data.get("evidence", []),
                "evidence_source": data.get("evidence_source"),
                "llmops_ci": promotion.data is not None,
            }
        )
    order = {"release": 0}
    events.sort(
        key=lambda e: (_when(e["date"]), order.get(e["event"], 1), e.get("env", ""), e.get("sequence", 0))
    )
    live: dict[str, Any] = {}
    for promotion in promotions:
        found = repo.graph.get("Environment", promotion.env)
        declared = Environment(found).declared(key) if found is not None and found.valid else None
        live[promotion.env] = {
            "tag": promotion.tag.name,
            "live": promotion.live,
            "env_file": found.rel if found is not None else None,
            "env_file_says": declared,  # the file mirrors the tags for GitOps; it may lag behind
        }
    return {"artifact": str(key), "events": events, "live": live}
