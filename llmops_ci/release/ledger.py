"""The record kept in git tags, read back: releases (``prompts/x@1.4.0``) and promotions
(``promotions/prod/prompts/x/0007``), with who (the tagger), when (the tag date) and the data of the
message. Tags made by hand without llmops-ci's data are listed as such and never trusted for a digest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import artifact_digest, short
from llmops_ci.artifacts.loader import ProjectConfig, find_root, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import UsageError
from llmops_ci.release.environments import Split
from llmops_ci.release.evidence import DEFAULT_RUNS_DIR
from llmops_ci.release.git import Git, TagInfo
from llmops_ci.release.tags import (
    PROMOTION_TAG,
    RELEASE_KINDS,
    RELEASE_PREFIXES,
    RELEASE_TAG,
    ArtifactKey,
    data_of,
)
from llmops_ci.release.versions import Version


@dataclass
class Release:
    key: ArtifactKey
    version: Version
    tag: TagInfo
    data: dict[str, Any] | None

    @property
    def digest(self) -> str | None:
        return str(self.data["digest"]) if self.data and self.data.get("digest") else None

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return list(self.data.get("evidence", [])) if self.data else []


@dataclass
class Promotion:
    key: ArtifactKey
    env: str
    sequence: int
    tag: TagInfo
    data: dict[str, Any] | None

    @property
    def live(self) -> Split:
        """What this promotion made live: [{version, weight}]."""
        if not self.data:
            return []
        return [{"version": str(p["version"]), "weight": p["weight"]} for p in self.data.get("live", [])]

    @property
    def action(self) -> str:
        return str(self.data.get("type", "promotion")) if self.data else "unknown"


class Repository:
    """A project (llmops.yaml root), its artifact graph and its git repository."""

    def __init__(self, project: Path | None) -> None:
        start = project if project is not None else Path.cwd()
        if not start.exists():
            raise UsageError(f"{start}: no such directory")
        self.root = (find_root(start) or start).resolve()
        self.config: ProjectConfig = load_project(self.root)
        self.git = Git(self.root)
        self._graph: Graph | None = None

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = load_graph(self.config)
        return self._graph

    def reload(self) -> None:
        self._graph = None

    @property
    def runs_dir(self) -> Path:
        runs = self.config.spec.get("runs")
        directory = runs.get("dir") if isinstance(runs, dict) else None
        return self.root / (directory or DEFAULT_RUNS_DIR)

    def releasable(self) -> list[Artifact]:
        """Artifacts of the released kinds, in a stable order (kind prefix, name)."""
        found = [a for a in self.graph.artifacts if a.kind in RELEASE_PREFIXES and a.name]
        return sorted(found, key=lambda a: (RELEASE_PREFIXES[str(a.kind)], str(a.name)))

    def artifact(self, key: ArtifactKey) -> Artifact | None:
        return self.graph.get(key.kind, key.name)

    def digest(self, artifact: Artifact) -> str:
        return short(artifact_digest(artifact, self.graph))

    def references(self, artifact: Artifact) -> dict[str, str]:
        """What the artifact references, each with its digest (files: ``file:path``)."""
        from llmops_ci.artifacts.digest import sha256_hex

        found: dict[str, str] = {}
        for reference in self.graph.references_from(artifact):
            if reference.is_file:
                content = reference.file.read_bytes() if reference.file and reference.file.is_file() else b""
                found[f"file:{reference.target_name}"] = short(sha256_hex(content))
            for target in reference.targets:
                found[target.ref] = self.digest(target)
        return dict(sorted(found.items()))

    # --- tags ---------------------------------------------------------------------------------------------

    def releases(self, key: ArtifactKey | None = None) -> list[Release]:
        """Release tags (of one artifact, or of all), oldest version first."""
        patterns = [key.release_glob()] if key else [f"{prefix}/" for prefix in RELEASE_KINDS]
        found: list[Release] = []
        for tag in self.git.tags(*patterns):
            match = RELEASE_TAG.match(tag.name)
            if match is None:
                continue
            artifact = ArtifactKey(RELEASE_KINDS[match["prefix"]], match["name"])
            if key is not None and artifact != key:
                continue
            found.append(Release(artifact, Version.parse(match["version"]), tag, data_of(tag)))
        return sorted(found, key=lambda r: (str(r.key), r.version._key()))

    def latest_releases(self) -> dict[ArtifactKey, Release]:
        latest: dict[ArtifactKey, Release] = {}
        for release in self.releases():
            latest[release.key] = release  # sorted: the last one is the highest version
        return latest

    def release(self, key: ArtifactKey, version: Version) -> Release | None:
        return next((r for r in self.releases(key) if r.version == version), None)

    def promotions(self, key: ArtifactKey, env: str | None = None) -> list[Promotion]:
        """Promotion tags of an artifact (in one environment, or all), by environment then sequence."""
        pattern = key.promotion_prefix(env) if env else "promotions/"
        found: list[Promotion] = []
        for tag in self.git.tags(pattern):
            match = PROMOTION_TAG.match(tag.name)
            if match is None or RELEASE_KINDS[match["prefix"]] != key.kind or match["name"] != key.name:
                continue
            if env is not None and match["env"] != env:
                continue
            found.append(Promotion(key, match["env"], int(match["seq"]), tag, data_of(tag)))
        return sorted(found, key=lambda p: (p.env, p.sequence))

    def live(self, key: ArtifactKey, env: str) -> Promotion | None:
        """The promotion that is live in ``env``: the highest sequence."""
        promotions = self.promotions(key, env)
        return promotions[-1] if promotions else None
