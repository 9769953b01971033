"""Where each kind names other artifacts (and files): the edges of the artifact graph."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from llmops_ci.artifacts.model import PREFIX_KINDS, Artifact, Graph, Reference

Extractor = Callable[[Artifact], Iterator[Reference]]


def _names(artifact: Artifact, value: Any, path: tuple[str | int, ...], kind: str) -> Iterator[Reference]:
    if isinstance(value, str):
        yield Reference(artifact, path, kind, value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield Reference(artifact, (*path, index), kind, item)


def _assertion_policies(
    artifact: Artifact, assertions: Any, path: tuple[str | int, ...]
) -> Iterator[Reference]:
    if not isinstance(assertions, list):
        return
    for index, assertion in enumerate(assertions):
        if isinstance(assertion, dict) and isinstance(assertion.get("policy"), str):
            yield Reference(artifact, (*path, index, "policy"), "GuardrailPolicy", assertion["policy"])


def _prompt(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    yield from _names(artifact, spec.get("guardrails"), ("spec", "guardrails"), "GuardrailPolicy")
    yield from _names(artifact, spec.get("rag"), ("spec", "rag"), "RagPipeline")


def _policy(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    yield from _names(artifact, spec.get("extends"), ("spec", "extends"), "GuardrailPolicy")
    checks = spec.get("checks")
    if isinstance(checks, list):
        for index, check in enumerate(checks):
            if isinstance(check, dict):
                path = ("spec", "checks", index, "terms_file")
                yield from _names(artifact, check.get("terms_file"), path, "file")


def _rag(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    yield from _names(artifact, spec.get("guardrails"), ("spec", "guardrails"), "GuardrailPolicy")
    answer = spec.get("answer")
    if isinstance(answer, dict):
        yield from _names(artifact, answer.get("prompt"), ("spec", "answer", "prompt"), "Prompt")


def _suite(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    target = spec.get("target")
    if isinstance(target, dict):
        yield from _names(artifact, target.get("prompt"), ("spec", "target", "prompt"), "Prompt")
        yield from _names(artifact, target.get("rag"), ("spec", "target", "rag"), "RagPipeline")
        yield from _names(artifact, target.get("agent"), ("spec", "target", "agent"), "Agent")
    yield from _names(artifact, spec.get("guardrails"), ("spec", "guardrails"), "GuardrailPolicy")
    yield from _names(artifact, spec.get("cases_file"), ("spec", "cases_file"), "file")
    defaults = spec.get("defaults")
    if isinstance(defaults, dict):
        yield from _assertion_policies(artifact, defaults.get("assert"), ("spec", "defaults", "assert"))
    cases = spec.get("cases")
    if isinstance(cases, list):
        for index, case in enumerate(cases):
            if isinstance(case, dict):
                yield from _assertion_policies(
                    artifact, case.get("assert"), ("spec", "cases", index, "assert")
                )


def _environment(artifact: Artifact) -> Iterator[Reference]:
    releases = artifact.spec.get("releases")
    if not isinstance(releases, dict):
        return
    for key in releases:
        prefix, _, name = key.rpartition("/")
        kind = PREFIX_KINDS.get(prefix, "Prompt") if prefix else "Prompt"
        yield Reference(artifact, ("spec", "releases", key), kind, name)


def _agent(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    yield from _names(artifact, spec.get("prompt"), ("spec", "prompt"), "Prompt")
    yield from _names(artifact, spec.get("guardrails"), ("spec", "guardrails"), "GuardrailPolicy")


def _finetune(artifact: Artifact) -> Iterator[Reference]:
    spec = artifact.spec
    data = spec.get("data")
    if isinstance(data, dict):
        for key in ("training", "validation"):
            yield from _names(artifact, data.get(key), ("spec", "data", key), "file")
    gate = spec.get("gate")
    if isinstance(gate, dict):
        yield from _names(artifact, gate.get("suite"), ("spec", "gate", "suite"), "EvalSuite")
    yield from _names(artifact, spec.get("guardrails"), ("spec", "guardrails"), "GuardrailPolicy")


EXTRACTORS: dict[str, Extractor] = {
    "Prompt": _prompt,
    "GuardrailPolicy": _policy,
    "RagPipeline": _rag,
    "EvalSuite": _suite,
    "Environment": _environment,
    "Agent": _agent,
    "FineTune": _finetune,
}


def link(graph: Graph) -> None:
    """Fill ``graph.references`` and resolve each one against the name index or the file system."""
    for artifact in graph.artifacts:
        extractor = EXTRACTORS.get(artifact.kind or "")
        if extractor is None or artifact.parsed is None:
            continue
        for reference in extractor(artifact):
            if reference.is_file:
                reference.file = (artifact.path.parent / reference.target_name).resolve()
            else:
                reference.targets = list(
                    graph.by_name.get((reference.target_kind, reference.target_name), [])
                )
            graph.add_reference(reference)
