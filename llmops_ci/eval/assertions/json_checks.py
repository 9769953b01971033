"""JSON checks: is-json, json-schema, json-path, and the JSON-aware equality ``equals`` uses."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from llmops_ci.eval.assertions.base import Output, Verdict, verdict
from llmops_ci.eval.assertions.common import short
from llmops_ci.eval.assertions.jsonpath import find

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


def output_json(output: Output) -> tuple[Any, str | None]:
    """``(value, None)`` when the output is JSON, else ``(None, why not)``."""
    if output.json is not None:
        return output.json, None
    if output.json_error is not None:
        return None, f"output is not JSON: {output.json_error}"
    try:
        return json.loads(output.text), None
    except ValueError as error:
        return None, f"output is not JSON: {error}"


def json_equal(left: Any, right: Any) -> bool:
    """Deep JSON equality: 1 == 1.0, but true != 1 and key order does not matter."""
    return first_difference(left, right) is None


def first_difference(left: Any, right: Any, where: str = "$") -> str | None:
    """Where and how ``left`` (actual) first differs from ``right`` (expected); None when equal."""
    if isinstance(left, dict) and isinstance(right, dict):
        return _dict_difference(left, right, where)
    if isinstance(left, list) and isinstance(right, list):
        return _list_difference(left, right, where)
    if _scalar_equal(left, right):
        return None
    return f"{where} is {short(left)}, expected {short(right)}"


def _dict_difference(left: dict[str, Any], right: dict[str, Any], where: str) -> str | None:
    for key in right:
        if key not in left:
            return f"{where}.{key} is missing"
    for key in left:
        if key not in right:
            return f"{where}.{key} is not expected"
    for key in right:
        found = first_difference(left[key], right[key], f"{where}.{key}")
        if found:
            return found
    return None


def _list_difference(left: list[Any], right: list[Any], where: str) -> str | None:
    for index, (actual, expected) in enumerate(zip(left, right, strict=False)):
        found = first_difference(actual, expected, f"{where}[{index}]")
        if found:
            return found
    if len(left) != len(right):
        return f"{where} has {len(left)} items, expected {len(right)}"
    return None


def _scalar_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return False
    return bool(left == right)


def check_is_json(output: Output, spec: dict[str, Any]) -> Verdict:
    value, error = output_json(output)
    if error is not None:
        return verdict(False, error)
    if "schema" not in spec:
        return verdict(True, "output is JSON")
    return _validate(value, spec["schema"])


def check_json_schema(output: Output, spec: dict[str, Any]) -> Verdict:
    value, error = output_json(output)
    if error is not None:
        return verdict(False, error)
    return _validate(value, spec["schema"])


def _validate(value: Any, schema: dict[str, Any]) -> Verdict:
    from jsonschema.exceptions import best_match

    try:
        problem = best_match(_schema_validator(json.dumps(schema, sort_keys=True)).iter_errors(value))
    except Exception as error:  # an unresolvable $ref and the like: the schema's fault, reported
        return verdict(False, f"schema could not be applied: {error}")
    if problem is None:
        return verdict(True, "output is JSON matching the schema")
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem.absolute_path)
    return verdict(False, f"output does not match the schema at {where}: {problem.message}")


@lru_cache(maxsize=256)
def _schema_validator(canonical_schema: str) -> Validator:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for
    from referencing import Registry

    schema = json.loads(canonical_schema)
    # An empty registry: a $ref to a URL is reported as unresolvable, never fetched.
    validator: Validator = validator_for(schema, default=Draft202012Validator)(schema, registry=Registry())
    return validator


def check_json_path(output: Output, spec: dict[str, Any]) -> Verdict:
    """Pass when a value the path selects equals ``value``, or is a list holding it."""
    document, error = output_json(output)
    if error is not None:
        return verdict(False, error)
    path, expected = spec["path"], spec["value"]
    nodes = find(path, document)
    if not nodes:
        return verdict(False, f"{path} matched nothing in the output")
    for node in nodes:
        if json_equal(node, expected):
            return verdict(True, f"{path} is {short(node)}")
        if isinstance(node, list) and any(json_equal(item, expected) for item in node):
            return verdict(True, f"{path} contains {short(expected)}")
    shown = nodes[0] if len(nodes) == 1 else nodes
    return verdict(False, f"{path} is {short(shown)}, expected {short(expected)}")
