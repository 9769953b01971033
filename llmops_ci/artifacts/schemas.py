"""The JSON Schemas of the artifact kinds: located, loaded once, and turned into plain-words errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema import exceptions as jsonschema_exceptions
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from llmops_ci.artifacts.yamlsource import JsonPath

API_VERSION = "llmops-ci/v1"

#: Artifact kind -> schema file name under ``schemas/``.
KIND_SCHEMAS: dict[str, str] = {
    "Project": "project.schema.json",
    "Prompt": "prompt.schema.json",
    "GuardrailPolicy": "guardrail-policy.schema.json",
    "RagPipeline": "rag-pipeline.schema.json",
    "EvalSuite": "eval-suite.schema.json",
    "Environment": "environment.schema.json",
    "Agent": "agent.schema.json",
    "FineTune": "finetune.schema.json",
}
SHARED_SCHEMAS = ("common.schema.json", "results.schema.json")


def schema_dir() -> Path:
    """``llmops_ci/schemas`` inside a wheel; the top-level ``schemas/`` in a source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schema_file(file_name: str) -> dict[str, Any]:
    with (schema_dir() / file_name).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def kind_schema(kind: str) -> dict[str, Any]:
    return load_schema_file(KIND_SCHEMAS[kind])


@cache
def _registry() -> Registry:
    resources = [
        (name, Resource.from_contents(load_schema_file(name), default_specification=DRAFT202012))
        for name in (*SHARED_SCHEMAS, *KIND_SCHEMAS.values())
    ]
    return Registry().with_resources(resources)


@cache
def validator_for(kind: str) -> Draft202012Validator:
    return Draft202012Validator(kind_schema(kind), registry=_registry())


def did_you_mean(word: str, choices: Any) -> str:
    import difflib

    options = [str(choice) for choice in choices]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        close = [option for option in options if word and option.lower().startswith(word.lower())][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class SchemaError:
    path: JsonPath
    message: str
    at_key: bool = False


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    for name, kind in (
        ("mapping", dict),
        ("list", list),
        ("string", str),
        ("integer", int),
        ("number", float),
    ):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def _expected_types(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)


def _where(path: JsonPath) -> str:
    return ".".join(str(part) for part in path) or "the document"


def _schema_of(error: ValidationError) -> dict[str, Any]:
    return dict(error.schema) if isinstance(error.schema, dict) else {}


def _expected(error: ValidationError) -> Any:
    """The keyword's value in the schema (typed loosely by jsonschema)."""
    return cast(Any, error.validator_value)


def _unknown_keys(error: ValidationError) -> Iterator[SchemaError]:
    known = set(_schema_of(error).get("properties", {}))
    allowed_patterns = _schema_of(error).get("patternProperties", {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in known or (key.startswith("x-") and "^x-" in allowed_patterns):
            continue
        hint = did_you_mean(key, known)
        yield SchemaError(
            (*error.absolute_path, key),
            f"unknown key {key!r} in {_where(tuple(error.absolute_path))}{hint}; "
            "custom keys must start with 'x-'",
            at_key=True,
        )


def _plain(error: ValidationError) -> Iterator[SchemaError]:
    path = tuple(error.absolute_path)
    custom = _schema_of(error).get("x-message")
    keyword = error.validator
    if keyword == "additionalProperties" and error.validator_value is False:
        yield from _unknown_keys(error)
        return
    if keyword in ("oneOf", "anyOf") and error.context:
        if custom:
            yield SchemaError(path, f"{_where(path)} {custom}")
            return
        yield from _branch_errors(error, path)
        return
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in _expected(error):
            if name not in instance:
                yield SchemaError(path, f"missing required key {name!r} in {_where(path)}", at_key=True)
        return
    if custom:
        yield SchemaError(path, f"{_where(path)} {custom} (got {error.instance!r})")
        return
    yield SchemaError(path, f"{_where(path)}: {_describe(error)}")


def _branch_errors(error: ValidationError, path: JsonPath) -> Iterator[SchemaError]:
    """Explain a failed oneOf/anyOf by the branches whose type fits the value (a mapping given where a
    string or a mapping is allowed is judged as a mapping)."""
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        errs
        for errs in branches.values()
        if not any(e.validator == "type" and not e.relative_path for e in errs)
    ]
    if len(fitting) == 1:
        for sub in fitting[0]:
            yield from _plain(sub)
        return
    if not fitting:
        wanted = sorted(
            {
                _expected_types(_expected(e))
                for errs in branches.values()
                for e in errs
                if e.validator == "type" and not e.relative_path
            }
        )
        yield SchemaError(
            path, f"{_where(path)} must be {' or '.join(wanted)}, not a {_type_word(error.instance)}"
        )
        return
    yield from _plain(best_match(error.context or []))


def _describe(error: ValidationError) -> str:
    keyword, expected, value = error.validator, _expected(error), error.instance
    if keyword == "type":
        return f"expected {_expected_types(expected)}, got a {_type_word(value)} ({value!r})"
    if keyword == "enum":
        choices = ", ".join(repr(choice) for choice in expected)
        hint = (
            did_you_mean(value, [c for c in expected if isinstance(c, str)]) if isinstance(value, str) else ""
        )
        return f"{value!r} is not one of {choices}{hint}"
    if keyword == "const":
        return f"must be {expected!r}, got {value!r}"
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
    }
    if keyword in bounds:
        return f"must be {bounds[keyword]} {expected}, got {value!r}"
    sizes = {
        "minItems": ("at least", "item"),
        "maxItems": ("at most", "item"),
        "minLength": ("at least", "character"),
        "maxLength": ("at most", "character"),
        "minProperties": ("at least", "key"),
        "maxProperties": ("at most", "key"),
    }
    if keyword in sizes:
        word, unit = sizes[keyword]
        return f"must have {word} {expected} {unit}{'s' if expected != 1 else ''}"
    if keyword == "pattern":
        return f"{value!r} does not match the expected form {expected}"
    if keyword == "uniqueItems":
        return "items must be unique"
    return str(error.message)


def validate(kind: str, data: Any) -> list[SchemaError]:
    """Every schema error of ``data`` as a kind ``kind`` artifact, in document order, plain words."""
    found: dict[tuple[JsonPath, str], SchemaError] = {}
    for error in validator_for(kind).iter_errors(data):
        for plain in _plain(error):
            found.setdefault((plain.path, plain.message), plain)
    return list(found.values())


@cache
def _embedded(canonical: str) -> tuple[Any, JsonPath, str]:
    from jsonschema.validators import validator_for

    schema = json.loads(canonical)
    cls = validator_for(schema, default=Draft202012Validator)  # the dialect its $schema names
    try:
        cls.check_schema(schema)
    except jsonschema_exceptions.SchemaError as error:
        return None, tuple(error.path), str(error.message)
    return cls(schema), (), ""


def embedded_schema(schema: Any) -> tuple[Any, JsonPath, str]:
    """A JSON Schema written inside an artifact (a prompt's inputs, an output schema): its validator,
    or None with the path and message of what makes it invalid. Checking a schema against the
    metaschema is slow, and repositories repeat the same few schemas, so results are shared."""
    return _embedded(json.dumps(schema, sort_keys=True, default=str))
