"""What several subcommands do first: find the project, and pick one artifact of a kind by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmops_ci.artifacts.root import find_root
from llmops_ci.errors import LlmopsError, UsageError

if TYPE_CHECKING:
    from llmops_ci.artifacts.model import Artifact, Graph


def project_root(project: Path | None) -> Path:
    """``--project`` when given, else the nearest directory holding llmops.yaml at or above the working
    directory, else the working directory."""
    return project.resolve() if project else (find_root(Path.cwd()) or Path.cwd().resolve())


def named_artifact(graph: Graph, kind: str, name: str | None) -> Artifact:
    """The schema-valid artifact ``kind``/``name`` (``name`` None: the only one of its kind), else a
    message with the names there are (and a did-you-mean), or with its lint problems."""
    from llmops_ci.artifacts.schemas import did_you_mean

    found = {str(a.name): a for a in graph.of_kind(kind, valid_only=False, everywhere=True)}
    known = ", ".join(sorted(found)) or "none"
    if name is None:
        if len(found) != 1:
            raise UsageError(f"name the {kind} ({kind} artifacts here: {known})")
        name = next(iter(found))
    artifact = found.get(name)
    if artifact is None:
        raise UsageError(f"no {kind} named {name!r}{did_you_mean(name, found)} (known: {known})")
    if not artifact.valid:
        lines = [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in artifact.problems]
        raise LlmopsError("\n".join(lines) + f"\nfix the {kind} first (llmops-ci lint)")
    return artifact
