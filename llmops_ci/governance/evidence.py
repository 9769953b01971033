"""Evidence for the maturity assessment, read once from a repository: its artifact graph, llmops.yaml,
GitHub workflows (triggers, the llmops-ci Action, ``llmops-ci`` commands in ``run:`` lines), release and
promotion tags with the data their messages carry, and how many runtime audit log files exist.

Nothing is executed and nothing leaves the machine; a directory outside git has no tags.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.auditlog import audit_files
from llmops_ci.errors import UsageError
from llmops_ci.release.git import Git, TagInfo
from llmops_ci.release.tags import PROMOTION_TAG, RELEASE_KINDS, RELEASE_TAG, data_of


@dataclass(frozen=True)
class Workflow:
    path: str
    triggers: frozenset[str]
    uses_action: bool
    commands: frozenset[str]

    @property
    def on_pull_requests(self) -> bool:
        return bool(self.triggers & {"pull_request", "pull_request_target"})

    @property
    def scheduled(self) -> bool:
        return "schedule" in self.triggers

    @property
    def evaluates(self) -> bool:
        return self.uses_action or bool(self.commands & {"eval", "ci pr", "diff"})


_COMMAND = re.compile(r"\bllmops-ci[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?")
_ACTION = re.compile(r"(^|/)llmops-ci(@|$)")


def _triggers(data: dict[Any, Any]) -> frozenset[str]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads the bare key `on` as true
    if isinstance(on, str):
        return frozenset({on})
    if isinstance(on, (list, dict)):
        return frozenset(str(event) for event in on)
    return frozenset()


def _steps(data: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    jobs = data.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else ():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, dict):
                yield step


def read_workflow(path: Path, shown: str) -> Workflow | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    uses_action, commands = False, set()
    for step in _steps(data):
        uses_action |= bool(_ACTION.search(str(step.get("uses", "")).split("@")[0] + "@"))
        for match in _COMMAND.finditer(str(step.get("run", ""))):
            first, second = match.groups()
            commands.add(
                f"{first} {second}" if first in ("ci", "rag", "release", "guard") and second else first
            )
    return Workflow(shown, _triggers(data), uses_action, frozenset(commands))


@dataclass(frozen=True)
class Tag:
    kind: str
    name: str
    env: str | None  # promotions only
    data: dict[str, Any] | None
    tag: str


@dataclass
class Facts:
    """Everything the criteria read, collected once from the repository."""

    root: Path
    spec: dict[str, Any]
    graph: Graph
    git_top: Path | None
    releases: list[Tag] = field(default_factory=list)
    promotions: list[Tag] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    audit_logs: int = 0

    def artifacts(self, kind: str) -> list[Artifact]:
        return [a for a in self.graph.artifacts if a.kind == kind and a.name]

    def valid(self, kind: str) -> list[Artifact]:
        return [a for a in self.artifacts(kind) if a.valid]

    @cached_property
    def governance(self) -> dict[str, Any]:
        value = self.spec.get("governance")
        return value if isinstance(value, dict) else {}

    @cached_property
    def alert_metrics(self) -> set[str]:
        monitoring = self.spec.get("monitoring")
        alerts = monitoring.get("alerts") if isinstance(monitoring, dict) else None
        rules = alerts if isinstance(alerts, list) else []
        return {str(rule.get("metric")) for rule in rules if isinstance(rule, dict) and rule.get("metric")}

    def suites_targeting(self, kind_key: str, name: str) -> list[Artifact]:
        return [s for s in self.valid("EvalSuite") if s.spec.get("target", {}).get(kind_key) == name]


def _tags(git: Git) -> tuple[list[Tag], list[Tag]]:
    releases, promotions = [], []
    infos: list[TagInfo] = git.tags(*(f"{prefix}/" for prefix in RELEASE_KINDS), "promotions/")
    for info in infos:
        release = RELEASE_TAG.match(info.name)
        if release:
            releases.append(
                Tag(RELEASE_KINDS[release["prefix"]], release["name"], None, data_of(info), info.name)
            )
            continue
        promotion = PROMOTION_TAG.match(info.name)
        if promotion:
            kind = RELEASE_KINDS[promotion["prefix"]]
            promotions.append(Tag(kind, promotion["name"], promotion["env"], data_of(info), info.name))
    return releases, promotions


def _workflows(root: Path, git_top: Path | None) -> list[Workflow]:
    found: list[Workflow] = []
    seen: set[Path] = set()
    for base in dict.fromkeys(p for p in (root, git_top) if p is not None):
        directory = base / ".github" / "workflows"
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix in (".yml", ".yaml") and path.resolve() not in seen:
                seen.add(path.resolve())
                workflow = read_workflow(path, path.relative_to(base).as_posix())
                if workflow is not None:
                    found.append(workflow)
    return found


def _audit_count(root: Path, spec: dict[str, Any], governance: dict[str, Any]) -> int:
    audit = governance.get("audit")
    configured = audit.get("dir") if isinstance(audit, dict) else None
    monitoring = spec.get("monitoring")
    monitored = monitoring.get("audit_dir") if isinstance(monitoring, dict) else None
    candidates = [root / str(place) for place in (configured, monitored) if place]
    candidates += [Path(os.environ["LLMOPS_AUDIT_DIR"])] if os.environ.get("LLMOPS_AUDIT_DIR") else []
    candidates.append(root / ".llmops" / "audit")
    return sum(len(audit_files(directory)) for directory in dict.fromkeys(candidates))


def collect(repo: Path) -> Facts:
    """Read the repository at ``repo`` (or the llmops.yaml above it)."""
    if not repo.is_dir():
        raise UsageError(f"{repo}: no such directory")
    root = find_root(repo) or repo.resolve()
    config = load_project(root)
    facts = Facts(root, config.spec, load_graph(config), None)
    try:
        git = Git(root)
    except UsageError:
        git = None
    if git is not None:
        facts.git_top = git.top
        facts.releases, facts.promotions = _tags(git)
    facts.workflows = _workflows(root, facts.git_top)
    facts.audit_logs = _audit_count(root, facts.spec, facts.governance)
    return facts
