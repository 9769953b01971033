"""Where artifacts name models, for the model rules (M001, M002, E001, E002)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.modelref import id_path, model_id
from llmops_ci.artifacts.yamlsource import JsonPath


def generation_models(artifact: Artifact) -> Iterator[tuple[JsonPath, str]]:
    """Models that generate outputs (not graders, not embedders), with the path of their id."""
    spec = artifact.spec
    refs: list[tuple[JsonPath, Any]] = []
    if artifact.kind == "Prompt" and "model" in spec:
        refs.append((("spec", "model"), spec["model"]))
        if isinstance(spec["model"], dict):
            refs += [
                (("spec", "model", "fallbacks", i), f)
                for i, f in enumerate(spec["model"].get("fallbacks", []))
            ]
    elif artifact.kind == "EvalSuite":
        refs += [(("spec", "models", i), m) for i, m in enumerate(spec.get("models", []))]
    elif artifact.kind == "Project":
        defaults = spec.get("defaults", {})
        if "model" in defaults:
            refs.append((("spec", "defaults", "model"), defaults["model"]))
    for path, ref in refs:
        name = model_id(ref)
        if name is not None:
            yield id_path(ref, path), name


def suite_assertions(suite: Artifact) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    spec = suite.spec
    for index, assertion in enumerate(spec.get("defaults", {}).get("assert", [])):
        yield ("spec", "defaults", "assert", index), assertion
    for case_index, case in enumerate(spec.get("cases", [])):
        for index, assertion in enumerate(case.get("assert", [])):
            yield ("spec", "cases", case_index, "assert", index), assertion
