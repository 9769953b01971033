"""A model is named by an id string or a mapping {id, params, ...}: read either form."""

from __future__ import annotations

from typing import Any

from llmops_ci.artifacts.yamlsource import JsonPath


def model_id(ref: Any) -> str | None:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    return None


def id_path(ref: Any, path: JsonPath) -> JsonPath:
    return (*path, "id") if isinstance(ref, dict) else path


def params_of(ref: Any) -> dict[str, Any]:
    if isinstance(ref, dict) and isinstance(ref.get("params"), dict):
        return dict(ref["params"])
    return {}
