"""## What it does
Reports an Environment whose `releases` say something else than what is live: a version or rollout split
that is not the one the latest promotion tag (`promotions/<env>/<kind>/<name>/<seq>`) made live, an entry
for an artifact never promoted there, or a promoted artifact missing from `releases`.

What is live comes from the promotion tags when the repository has any (one `git for-each-ref`); in a
clone without tags, from `llmops.lock` at the project root when there is one (`llmops-ci release lock`).
Without either, or for an environment nothing was ever promoted to, or an Environment without a
`releases` key, the rule says nothing.

## Why is this bad?
The tags decide what is live: `load_prompt(name, env=...)` and `llmops.lock` follow them, not the file.
The file is a mirror for reviews and GitOps; one that disagrees tells readers that another version
serves users, and tempts them to edit it expecting a deploy.

## Example
```yaml
# environments/prod.yaml, while promotions/prod/prompts/invoice-classifier/0007 made 1.5.0 live
spec:
  releases:
    invoice-classifier: {version: 1.4.0}
```

## Use instead
Promote with `--update-env-file` (it rewrites the entry and commits it with the promotion tag), or write
what the tags say (`llmops-ci history invoice-classifier --env prod` shows it):
```yaml
spec:
  releases:
    invoice-classifier: {version: 1.5.0}
```
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "V001"
NAME = "environment-file-disagrees"
SEVERITY = Severity.WARNING
SUMMARY = "Environment file's releases disagree with the promotion tags"

LOCK_FILE = "llmops.lock"
GIT_TIMEOUT_S = 20.0
Split = list[tuple[str, float]]
#: env -> artifact reference (prompts/x, policies/x...) -> (live split, the promotion that made it live)
Live = dict[str, dict[str, tuple[Split, str]]]


def _split(value: Any) -> Split | None:
    """A releases entry or a recorded split as (version, weight) pairs in order; None when unreadable."""
    if isinstance(value, dict) and "version" in value:
        return [(str(value["version"]), 100.0)]
    parts = value.get("rollout") if isinstance(value, dict) else value
    if not isinstance(parts, list):
        return None
    pairs = []
    for part in parts:
        if not isinstance(part, dict) or "version" not in part:
            return None
        try:
            weight = float(part.get("weight", 100))
        except (TypeError, ValueError):
            return None
        if weight > 0:
            pairs.append((str(part["version"]), weight))
    return pairs


def _text(split: Split) -> str:
    if len(split) == 1:
        return split[0][0]
    return " / ".join(f"{version} ({weight:g}%)" for version, weight in split)


def _entry(split: Split) -> str:
    """The flow-style releases entry for ``split`` (as ``promote --update-env-file`` writes it)."""
    if len(split) == 1:
        return f"{{version: {split[0][0]}}}"
    parts = ", ".join(f"{{version: {version}, weight: {weight:g}}}" for version, weight in split)
    return f"{{rollout: [{parts}]}}"


def _reference(key: str) -> str:
    return key if "/" in key else f"prompts/{key}"


def _short(reference: str) -> str:
    """How releases names an artifact: the bare name for a prompt."""
    return reference.removeprefix("prompts/")


def _git_top(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _from_tags(root: Path) -> Live | None:
    """The live split per environment and artifact from the promotion tags; None when the repository has
    none (or git cannot tell)."""
    if _git_top(root) is None:
        return None
    import subprocess  # here: most lint runs have no Environment to check

    fmt = "%(refname:strip=2)%00%(objecttype)%00%(contents)%00%1e"
    try:
        done = subprocess.run(
            [
                "git",
                "--no-optional-locks",
                "-C",
                str(root),
                "for-each-ref",
                f"--format={fmt}",
                "refs/tags/promotions/",
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    from llmops_ci.release.git import TagInfo
    from llmops_ci.release.tags import PROMOTION_TAG, data_of

    latest: dict[tuple[str, str], tuple[int, TagInfo]] = {}
    for record in done.stdout.split("\x00\x1e\n"):
        parts = record.lstrip("\n").split("\x00")
        if len(parts) < 3:
            continue
        name, kind, message = parts[0], parts[1], parts[2]
        match = PROMOTION_TAG.match(name)
        if match is None:
            continue
        tag = TagInfo(name, kind == "tag", "", "", "", "", message)
        key = (match["env"], f"{match['prefix']}/{match['name']}")
        sequence = int(match["seq"])
        if key not in latest or sequence > latest[key][0]:
            latest[key] = (sequence, tag)
    live: Live = {}
    for (env, reference), (_, tag) in latest.items():
        data = data_of(tag)
        split = _split(data.get("live")) if data is not None else None
        if split is not None:
            live.setdefault(env, {})[reference] = (split, tag.name)
    return live


def _from_lock(root: Path) -> Live | None:
    try:
        data = json.loads((root / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    environments = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(environments, dict):
        return None
    live: Live = {}
    for env, locked in environments.items():
        artifacts = locked.get("artifacts") if isinstance(locked, dict) else None
        for reference, entry in (artifacts or {}).items():
            split = _split(entry.get("live")) if isinstance(entry, dict) else None
            if split is not None:
                live.setdefault(str(env), {})[str(reference)] = (split, str(entry.get("promotion", "")))
    return live


def _recorded(root: Path) -> tuple[str, Live] | None:
    tags = _from_tags(root)
    if tags is not None:
        return "the promotion tags make", tags
    lock = _from_lock(root)
    if lock is not None:
        return f"{LOCK_FILE} makes", lock
    return None


def _check_environment(env: Artifact, source: str, promoted: dict[str, tuple[Split, str]]) -> Iterator[Hit]:
    releases: dict[str, Any] = env.spec["releases"]
    listed = set()
    for key, value in releases.items():
        reference = _reference(str(key))
        listed.add(reference)
        declared = _split(value)
        if declared is None:
            continue  # the schema rule reports it
        found = promoted.get(reference)
        path = ("spec", "releases", key)
        if found is None:
            yield hit(
                env,
                path,
                f"releases says {key} {_text(declared)}, but {source} nothing of it live in {env.name}",
                f"remove the entry, or promote it: llmops-ci promote {key}@{declared[-1][0]} --to {env.name}",
                key=True,
            )
        elif sorted(found[0]) != sorted(declared):
            yield hit(
                env,
                path,
                f"releases says {key} {_text(declared)}, but {source} {_text(found[0])} live in "
                f"{env.name} ({found[1]})",
                f"write {key}: {_entry(found[0])}, or promote with --update-env-file",
                key=True,
            )
    for reference, (split, promotion) in sorted(promoted.items()):
        if reference not in listed:
            yield hit(
                env,
                ("spec", "releases"),
                f"{reference} is live in {env.name} as {_text(split)} ({promotion}), "
                "but releases does not list it",
                f"add {_short(reference)}: {_entry(split)}, or promote with --update-env-file",
                key=True,
            )


def check(context: LintContext) -> Iterator[Hit]:
    envs = [env for env in context.graph.of_kind("Environment") if isinstance(env.spec.get("releases"), dict)]
    if not envs:
        return
    recorded = _recorded(context.config.root)
    if recorded is None:
        return
    source, live = recorded
    for env in envs:
        promoted = live.get(str(env.name))
        if promoted:
            yield from _check_environment(env, source, promoted)
