"""Compiled policies of a repository: resolve names (and ``extends``) in the artifact graph, compile once."""

from __future__ import annotations

from pathlib import Path

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import EXIT_USAGE, LlmopsError
from llmops_ci.guardrails.policy import Policy, PolicyError, policy_from_spec


class PolicyLoadError(LlmopsError):
    """A policy that is missing, invalid or does not compile; the message names the file and line."""

    exit_code = EXIT_USAGE


class PolicyLibrary:
    """The GuardrailPolicies of one artifact graph, compiled on first use."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._compiled: dict[str, Policy] = {}

    @property
    def names(self) -> list[str]:
        return sorted({a.name for a in self.graph.of_kind("GuardrailPolicy", valid_only=False) if a.name})

    def get(self, name: str) -> Policy:
        return self._get(name, ())

    def _get(self, name: str, stack: tuple[str, ...]) -> Policy:
        if name in self._compiled:
            return self._compiled[name]
        if name in stack:
            raise PolicyLoadError(f"policy {name!r} extends itself: {' -> '.join((*stack, name))}")
        artifact = self.graph.get("GuardrailPolicy", name)
        if artifact is None:
            known = ", ".join(self.names) or "none"
            raise PolicyLoadError(f"no GuardrailPolicy named {name!r}; known: {known}")
        if not artifact.valid:
            problem = artifact.problems[0]
            raise PolicyLoadError(f"{problem.path}:{problem.line}:{problem.col}: {problem.message}")
        parents = [self._get(parent, (*stack, name)) for parent in artifact.spec.get("extends", [])]
        try:
            policy = policy_from_spec(name, artifact.spec, root=artifact.path.parent, parents=parents)
        except PolicyError as exc:
            raise PolicyLoadError(_located(artifact, exc)) from None
        self._compiled[name] = policy
        return policy


def _located(artifact: Artifact, error: PolicyError) -> str:
    path: tuple[str | int, ...] = ("spec", "checks")
    if error.check_index is not None:
        path = (*path, error.check_index, *error.key)
    position = artifact.position(path)
    return f"{artifact.rel}:{position.line}:{position.col}: {error.message}"


def load_policy(name: str, project: str | Path | None = None) -> Policy:
    """The compiled GuardrailPolicy ``name`` of the repository at ``project`` (default: the one holding
    the working directory, found by its llmops.yaml)."""
    if project is not None:
        start = Path(project).resolve()
        root = find_root(start) or start
    else:
        found = find_root(Path.cwd().resolve())
        if found is None:
            raise PolicyLoadError(
                f"no llmops.yaml in {Path.cwd()} or above: run inside the repository, or name it "
                "(load_policy(name, project=...), or --project on the command line)"
            )
        root = found
    graph = load_graph(load_project(root))
    return PolicyLibrary(graph).get(name)
