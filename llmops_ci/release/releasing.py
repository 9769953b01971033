"""``release plan`` and ``release tag``.

An artifact is changed when its content digest (its own parsed content plus what it references) differs
from the digest its latest release tag recorded. The proposed version comes from the semantic diff
(``bump.classify``) between the content at that tag's commit and now; the first release is 1.0.0.

``release tag`` writes in one step that either happens completely or not at all: a commit adding the
CHANGELOG entries on top of HEAD, and one annotated tag per artifact on that commit, made with one ref
transaction (the branch moves only if it is still where it was, each tag is created only if it does not
exist). The CHANGELOG file in the working tree is then brought up to date and staged, so the tree is clean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.yamlsource import YamlProblem, parse_yaml
from llmops_ci.errors import UsageError
from llmops_ci.release import ReleaseError
from llmops_ci.release.bump import Change, bump_level, classify
from llmops_ci.release.evidence import Evidence, TargetKey, collect, describe, run_directories, suite_problems
from llmops_ci.release.git import Git, NewTag
from llmops_ci.release.ledger import Release, Repository
from llmops_ci.release.tags import EVAL_TARGET_KINDS, ArtifactKey, message, parse_artifact
from llmops_ci.release.versions import FIRST_VERSION, Level, Version, level_rank

CHANGELOG = "CHANGELOG.md"
CHANGELOG_HEADER = (
    "# Changelog\n\nReleases of the LLM artifacts of this repository, written by `llmops-ci release tag`.\n"
    "Each entry: the bump and why, the content digest, and the eval evidence at release time.\n\n"
)


@dataclass
class PlanItem:
    key: ArtifactKey
    artifact: Artifact
    path: str
    digest: str = ""
    references: dict[str, str] = field(default_factory=dict)
    previous: Release | None = None
    level: Level | None = None
    changes: list[Change] = field(default_factory=list)
    version: Version | None = None
    evidence: Evidence = field(default_factory=Evidence)
    problem: str | None = None

    @property
    def no_evidence(self) -> str:
        """What to say when there is no evidence."""
        if self.key.kind not in EVAL_TARGET_KINDS:
            return f"not applicable (eval results target prompts and RAG pipelines, not a {self.key.kind})"
        return "none (no eval results for this digest)"

    @property
    def changed(self) -> bool:
        return self.version is not None

    @property
    def first(self) -> bool:
        return self.previous is None

    @property
    def reason(self) -> str:
        if self.first:
            return "first release"
        return "; ".join(change.reason for change in self.changes)

    def tag(self) -> str:
        assert self.version is not None
        return self.key.release_tag(self.version)

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact": str(self.key),
            "kind": self.key.kind,
            "name": self.key.name,
            "path": self.path,
            "digest": self.digest,
            "changed": self.changed,
            "previous": str(self.previous.version) if self.previous else None,
            "bump": "first" if self.changed and self.first else self.level,
            "version": str(self.version) if self.version else None,
            "tag": self.tag() if self.version else None,
            "changes": [{"level": c.level, "reason": c.reason} for c in self.changes],
            "evidence": self.evidence.groups,
            "evidence_passed": self.evidence.passed,
            "problem": self.problem,
        }


def _select(repo: Repository, names: list[str]) -> list[tuple[ArtifactKey, Artifact]]:
    artifacts = [(ArtifactKey(str(a.kind), str(a.name)), a) for a in repo.releasable()]
    if not names:
        return artifacts
    wanted = [parse_artifact(name) for name in names]
    by_key = dict(artifacts)
    missing = [str(key) for key in wanted if key not in by_key]
    if missing:
        from llmops_ci.artifacts.schemas import did_you_mean

        known = [str(key) for key, _ in artifacts]
        raise UsageError(
            f"no artifact {missing[0]}{did_you_mean(missing[0], known)}"
            + (f" (known: {', '.join(known)})" if len(known) <= 12 else "")
        )
    return [(key, by_key[key]) for key in dict.fromkeys(wanted)]


def _old_content(git: Git, previous: Release, current_path: str) -> dict[str, Any] | None:
    recorded = previous.data.get("path") if previous.data else None
    for path in dict.fromkeys(p for p in (recorded, current_path) if isinstance(p, str)):
        content = git.show(previous.tag.commit, path)
        if content is None:
            continue
        try:
            data = parse_yaml(content.decode("utf-8-sig")).data
        except (YamlProblem, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            metadata = data.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if data.get("kind") == previous.key.kind and name == previous.key.name:
                return data
    return None


def _reference_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    changes: list[Change] = []
    for ref in sorted(set(before) | set(after)):
        if ref not in before:
            changes.append(Change("minor", f"now references {ref}"))
        elif ref not in after:
            changes.append(Change("minor", f"no longer references {ref}"))
        elif before[ref] != after[ref]:
            changes.append(Change("minor", f"referenced {ref} changed"))
    return changes


def plan(repo: Repository, names: list[str], results: list[Path]) -> list[PlanItem]:
    """Every selected artifact with its digest, previous release, proposed bump and evidence."""
    latest = repo.latest_releases()
    items: list[PlanItem] = []
    for key, artifact in _select(repo, names):
        item = PlanItem(key, artifact, repo.git.relative(artifact.path), previous=latest.get(key))
        items.append(item)
        if artifact.problems:
            first = artifact.problems[0]
            item.problem = f"{first.path}:{first.line}:{first.col}: {first.code} {first.message}"
            continue
        item.digest = repo.digest(artifact)
        item.references = repo.references(artifact)
        previous = item.previous
        if previous is None:
            item.version = Version.parse(FIRST_VERSION)
            continue
        if previous.digest == item.digest:
            continue
        old = _old_content(repo.git, previous, item.path)
        if old is None:
            item.changes = [Change("major", f"content of {previous.tag.name} not found; major to be safe")]
        else:
            item.changes = classify(key.kind, old, artifact.data)
            item.changes += _reference_changes(
                dict(previous.data.get("references", {})) if previous.data else {}, item.references
            )
        item.changes.sort(key=lambda change: -level_rank(change.level))  # most severe first (stable)
        if not item.changes:
            item.changes = [Change("patch", "no semantic change (the same content written differently)")]
        item.level = bump_level(item.changes)
        item.version = previous.version.bump(item.level or "patch")
    wanted: set[TargetKey] = {(i.key.kind, i.key.name, i.digest) for i in items if i.digest}
    evidence = collect(run_directories(repo.runs_dir, results), wanted)
    for item in items:
        item.evidence = evidence.get((item.key.kind, item.key.name, item.digest), Evidence())
    return items


# --- release tag ------------------------------------------------------------------------------------------


def _message(item: PlanItem) -> str:
    assert item.version is not None
    lines = [f"Version: {item.version}" + (f" (previous {item.previous.version})" if item.previous else "")]
    lines.append(f"Bump: {'first release' if item.first else item.level}")
    lines += [f"- {change.level}: {change.reason}" for change in item.changes]
    lines.append(f"Digest: {item.digest}")
    lines.append(f"Path: {item.path}")
    if item.evidence.groups:
        lines.append("Evidence:")
        lines += [f"- {describe(group)}" for group in item.evidence.groups]
    else:
        lines.append(f"Evidence: {item.no_evidence}")
    data = {
        "type": "release",
        "kind": item.key.kind,
        "name": item.key.name,
        "version": str(item.version),
        "previous": str(item.previous.version) if item.previous else None,
        "bump": "first" if item.first else item.level,
        "reasons": [{"level": c.level, "reason": c.reason} for c in item.changes],
        "digest": item.digest,
        "path": item.path,
        "references": item.references,
        "evidence": item.evidence.groups,
        "evidence_passed": item.evidence.passed,
    }
    return message(f"Release {item.key} {item.version}", lines, data)


def changelog_entry(item: PlanItem, day: str) -> str:
    assert item.version is not None
    previous = item.previous.version if item.previous else "?"
    what = "First release" if item.first else f"{str(item.level).capitalize()} release (previous {previous})"
    lines = [f"## {item.key} {item.version} ({day})", "", f"{what}; content {item.digest}.", ""]
    lines += [f"- {change.reason}" for change in item.changes]
    if item.evidence.groups:
        lines += [f"- evidence: {describe(group)}" for group in item.evidence.groups]
    else:
        lines.append(f"- evidence: {item.no_evidence}")
    return "\n".join(lines) + "\n\n"


def insert_entries(existing: str | None, entries: str) -> str:
    """Newest first: the entries go before the first ``## `` heading (after the file's introduction)."""
    if not existing:
        return CHANGELOG_HEADER + entries
    lines = existing.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("## "):
            return "".join(lines[:index]) + entries + "".join(lines[index:])
    return (
        existing
        + ("" if existing.endswith("\n\n") else "\n" if existing.endswith("\n") else "\n\n")
        + entries
    )


@dataclass
class TagOptions:
    names: list[str]
    results: list[Path] = field(default_factory=list)
    require_eval: bool = False
    bump: Level | None = None
    version: Version | None = None
    changelog: str = CHANGELOG


def _override(items: list[PlanItem], options: TagOptions) -> None:
    """``--bump`` and ``--version`` may raise the proposed version, never lower it."""
    if options.version is not None and (len(options.names) != 1 or options.bump is not None):
        raise UsageError("--version needs exactly one NAME, and excludes --bump")
    for item in items:
        if not item.changed or item.version is None:
            continue
        if options.version is not None:
            if options.version < item.version:
                raise UsageError(
                    f"--version {options.version}: {item.key} needs at least {item.version} ({item.reason})"
                )
            if options.version != item.version:
                item.changes.append(
                    Change(item.level or "major", f"version set to {options.version} by --version")
                )
                item.version = options.version
        elif options.bump is not None and item.previous is not None and item.level is not None:
            if level_rank(options.bump) < level_rank(item.level):
                raise UsageError(
                    f"--bump {options.bump}: {item.key} needs at least a {item.level} bump ({item.reason})"
                )
            if options.bump != item.level:
                item.changes.append(Change(options.bump, f"bump raised to {options.bump} by --bump"))
                item.level = options.bump
                item.version = item.previous.version.bump(options.bump)


def _refusals(items: list[PlanItem], options: TagOptions, git: Git) -> list[str]:
    refusals: list[str] = []
    for item in items:
        if item.problem:
            refusals.append(f"{item.key}: not valid ({item.problem}); run llmops-ci lint")
            continue
        if not item.changed:
            continue
        tag = item.tag()
        if not git.check_ref_format(f"refs/tags/{tag}"):  # pragma: no cover - names are validated
            refusals.append(f"{item.key}: {tag} is not a valid git tag name")
        if git.tag_exists(tag):
            refusals.append(f"{item.key}: tag {tag} already exists (tags are never moved)")
        if options.require_eval and item.key.kind in EVAL_TARGET_KINDS and not item.evidence.passed:
            if not item.evidence.groups:
                refusals.append(
                    f"{item.key}: --require-eval: no eval results for digest {item.digest} "
                    f"(run llmops-ci eval, or pass --results DIR)"
                )
            else:
                refusals += [f"{item.key}: --require-eval: {p}" for p in suite_problems(item.evidence.groups)]
    return refusals


def tag(repo: Repository, options: TagOptions) -> tuple[list[PlanItem], str]:
    """Tag every changed selected artifact; returns the items released and the commit."""
    git = repo.git
    git.identity()
    branch = git.branch()
    dirty = git.dirty()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise ReleaseError(
            f"the working tree is not clean ({shown}): commit or stash first, "
            "so a tag names exactly what was evaluated"
        )
    head = git.head()
    items = plan(repo, options.names, options.results)
    _override(items, options)
    refusals = _refusals(items, options, git)
    if options.names:
        refusals += [
            f"{item.key}: unchanged since {item.previous.tag.name} ({item.digest}); nothing to release"
            for item in items
            if not item.changed and not item.problem and item.previous is not None
        ]
    if refusals:
        raise ReleaseError("release refused:\n  " + "\n  ".join(refusals))
    changed = [item for item in items if item.changed]
    if not changed:
        return [], head
    changelog_path = git.relative(repo.root / options.changelog)
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    existing = git.show(head, changelog_path)
    entries = "".join(changelog_entry(item, day) for item in changed)
    text = insert_entries(existing.decode("utf-8") if existing is not None else None, entries)
    subject = "release: " + ", ".join(f"{item.key} {item.version}" for item in changed)
    body = "\n".join(f"- {item.key} {item.version}: {item.reason}" for item in changed)
    commit = git.commit_files(head, {changelog_path: text}, f"{subject}\n\n{body}\n")
    git.transaction(
        branch=(branch, commit, head), tags=[NewTag(item.tag(), commit, _message(item)) for item in changed]
    )
    git.sync_worktree({changelog_path: text})
    return changed, commit
