"""The assertion types a suite may use (promptfoo's names where one exists), and which need a grader.

Lint validates ``type:`` against this table; the eval engine registers an implementation per entry.
Each type carries ``params``: a JSON Schema (draft 2020-12) of the assertion mapping for that type.
:func:`validate_params` checks a mapping against it (plus what a schema cannot say: a regex that
compiles, a JSON Schema that is valid, a JSONPath we can evaluate, min <= max) in plain words.
This module stays import-light: lint imports it on every run; jsonschema is imported on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

Schema = dict[str, Any]


@dataclass(frozen=True)
class AssertionType:
    name: str
    summary: str
    model_graded: bool = False
    needs_embeddings: bool = False
    params: Schema = field(default_factory=dict, hash=False, compare=False)


# --- parameter vocabulary: each property schema carries x-words, its plain-words description --------

_STRING: Schema = {"type": "string", "minLength": 1, "x-words": "a non-empty string"}
_ANY_STRING: Schema = {"type": "string", "x-words": "a string"}
_STRINGS: Schema = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "minItems": 1,
    "x-words": "a list of strings",
}
_STRING_OR_STRINGS: Schema = {"anyOf": [_STRING, _STRINGS], "x-words": "a string or a list of strings"}
_ANY_JSON: Schema = {"x-words": "any JSON value"}
_COUNT: Schema = {"type": "integer", "minimum": 0, "x-words": "a whole number, 0 or more"}
_AMOUNT: Schema = {"type": "number", "minimum": 0, "x-words": "a number, 0 or more"}
_RATIO: Schema = {"type": "number", "minimum": 0, "maximum": 1, "x-words": "a number between 0 and 1"}
_EDITS: Schema = {
    "type": "number",
    "minimum": 0,
    "x-words": "a whole number of edits (distance) or a similarity between 0 and 1",
}
_ANY_NUMBER: Schema = {"type": "number", "x-words": "a number"}
_PATH: Schema = {
    "type": "string",
    "pattern": r"^\$",
    "x-words": "a JSONPath starting with '$', like $.items[0].name",
}
_JSON_SCHEMA: Schema = {"type": "object", "x-words": "a JSON Schema mapping"}
_FUNCTION: Schema = {
    "type": "string",
    "pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
    "x-words": "a 'module:function' string, like checks.invoices:has_total",
}
_BOOLEAN: Schema = {"type": "boolean", "x-words": "true or false"}
_POLICY: Schema = {
    "type": "string",
    "pattern": "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$",
    "x-words": "the name of a GuardrailPolicy",
}
_SCOPE: Schema = {"enum": ["input", "output", "retrieval"], "x-words": "input, output or retrieval"}
_GRADER: Schema = {"type": ["string", "object"], "x-words": "a model id or a model mapping"}

#: Keys every assertion may have, whatever its type.
_COMMON: dict[str, Schema] = {
    "type": {"type": "string", "x-words": "a string"},
    "weight": {"type": "number", "minimum": 0, "x-words": "a number, 0 or more"},
    "metric": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "x-words": "a snake_case metric name"},
    "description": {"type": "string", "x-words": "a string"},
}
_MIN_OR_MAX = "'min' and/or 'max'"


def _params(
    required: dict[str, Schema] | None = None,
    optional: dict[str, Schema] | None = None,
    one_of_min_max: bool = False,
) -> Schema:
    """The schema of an assertion mapping: common keys, ``required`` keys, ``optional`` keys, x-*."""
    required, optional = required or {}, optional or {}
    schema: Schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["type", *required],
        "properties": {**_COMMON, **required, **optional},
        "patternProperties": {"^x-": True},
        "additionalProperties": False,
    }
    if one_of_min_max:
        schema["anyOf"] = [{"required": ["min"]}, {"required": ["max"]}]
        schema["x-needs"] = _MIN_OR_MAX
    return schema


_CASE: dict[str, Schema] = {"case_sensitive": _BOOLEAN}
_TEXT: Schema = _params({"value": _STRING}, _CASE)
_RANGE_COUNT: Schema = _params(optional={"min": _COUNT, "max": _COUNT}, one_of_min_max=True)
_SCORED_TEXT: Schema = _params({"value": _ANY_STRING}, {"threshold": _RATIO})
_GRADED: dict[str, Schema] = {"threshold": _RATIO, "grader": _GRADER}

_TOOL: Schema = {"type": "string", "pattern": r"^[a-zA-Z0-9_-]{1,64}$", "x-words": "a tool name"}
_TOOLS: Schema = {"type": "array", "items": _TOOL, "minItems": 1, "x-words": "a list of tool names"}
_COUNTS: dict[str, Schema] = {"min": _COUNT, "max": _COUNT}
_TOOL_ARGS: Schema = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": r"^[a-zA-Z0-9_-]{1,64}$"},
    "additionalProperties": {"type": "object"},
    "x-words": "a mapping of tool name to expected arguments, like {get_weather: {city: Paris}}",
}

_DETERMINISTIC: dict[str, tuple[str, Schema]] = {
    "equals": ("output equals value (JSON-aware)", _params({"value": _ANY_JSON}, _CASE)),
    "contains": ("output contains value", _TEXT),
    "icontains": ("output contains value, ignoring case", _params({"value": _STRING})),
    "contains-any": ("output contains at least one of the values", _params({"value": _STRINGS}, _CASE)),
    "contains-all": ("output contains every value", _params({"value": _STRINGS}, _CASE)),
    "starts-with": ("output starts with value", _TEXT),
    "regex": ("output matches the regular expression", _TEXT),
    "is-json": (
        "output parses as JSON (optionally matching schema)",
        _params(optional={"schema": _JSON_SCHEMA}),
    ),
    "json-schema": ("parsed output validates against schema", _params({"schema": _JSON_SCHEMA})),
    "json-path": ("value at path equals / contains value", _params({"path": _PATH, "value": _ANY_JSON})),
    "word-count": ("number of words within min..max", _RANGE_COUNT),
    "length": ("number of characters within min..max", _RANGE_COUNT),
    "levenshtein": (
        "edit distance to value at most threshold",
        _params({"value": _ANY_STRING}, {"threshold": _EDITS}),
    ),
    "rouge-l": ("ROUGE-L F1 against value at least threshold", _SCORED_TEXT),
    "bleu": ("BLEU against value at least threshold", _SCORED_TEXT),
    "latency": ("latency at most max milliseconds", _params({"max": _AMOUNT})),
    "cost": ("cost at most max USD", _params({"max": _AMOUNT})),
    "tokens": ("output tokens within min..max", _RANGE_COUNT),
    "is-refusal": ("output is a refusal", _params()),
    "python": (
        "a Python function module:function decides",
        _params({"function": _FUNCTION}, {"value": _ANY_JSON, "threshold": _ANY_NUMBER}),
    ),
    "guardrail": (
        "output passes the GuardrailPolicy named by policy (not blocked)",
        _params({"policy": _POLICY}, {"scope": _SCOPE}),
    ),
    # agent suites: read the tool-calling transcript (llmops_ci.eval.assertions.agent)
    "is-valid-tool-call": (
        "every tool call (of the tool value) names a declared tool, with arguments valid for its schema",
        _params(optional={"value": _TOOL}),
    ),
    "tool-called": ("the tool value was called (min..max times)", _params({"value": _TOOL}, _COUNTS)),
    "tool-sequence": ("the tools in value were called in this order", _params({"value": _TOOLS})),
    "tool-args-match": (
        "per tool named in value, some call had arguments containing the given ones",
        _params({"value": _TOOL_ARGS}),
    ),
    "step-count": ("model calls of the agent task within min..max", _RANGE_COUNT),
}
_MODEL_GRADED: dict[str, tuple[str, Schema]] = {
    "llm-rubric": (
        "a grader model scores the output against a rubric",
        _params({"value": _STRING}, _GRADED),
    ),
    "factuality": (
        "a grader model checks the output against a reference answer",
        _params({"value": _STRING}, _GRADED),
    ),
    "answer-relevance": (
        "a grader model scores how well the output answers the input",
        _params(optional=_GRADED),
    ),
    "context-faithfulness": (
        "a grader model checks the output is grounded in the retrieved context",
        _params(optional=_GRADED),
    ),
    "g-eval": (
        "G-Eval style chain-of-thought score on criteria",
        _params({"value": _STRING_OR_STRINGS}, _GRADED),
    ),
}

ASSERTION_TYPES: dict[str, AssertionType] = {
    **{
        name: AssertionType(name, summary, params=params)
        for name, (summary, params) in _DETERMINISTIC.items()
    },
    **{
        name: AssertionType(name, summary, model_graded=True, params=params)
        for name, (summary, params) in _MODEL_GRADED.items()
    },
    "similar": AssertionType(
        "similar",
        "embedding cosine similarity to value at least threshold",
        needs_embeddings=True,
        params=_params({"value": _STRING_OR_STRINGS}, {"threshold": _RATIO, "grader": _GRADER}),
    ),
}


def base_type(type_name: str) -> str:
    """``not-contains`` -> ``contains``."""
    return type_name[4:] if type_name.startswith("not-") else type_name


# --- validation ---------------------------------------------------------------------------------------


def validate_params(spec: dict[str, Any]) -> list[str]:
    """Plain-words problems with an assertion mapping's parameters; [] when it is fine.

    An unknown ``type`` gives [] (lint's E004 and the planner report it, with a suggestion).
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        return ["an assertion needs 'type' (a string such as contains)"]
    name = spec["type"]
    kind = ASSERTION_TYPES.get(base_type(name))
    if kind is None:
        return []
    errors = _validator(kind.name).iter_errors(spec)
    problems = [_schema_message(name, kind.params, spec, error) for error in errors]
    if not problems:
        problems = _semantic_problems(name, kind.name, spec)
    return list(dict.fromkeys(problems))


@cache
def _validator(type_name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(ASSERTION_TYPES[type_name].params)


def _words(schema: Schema, key: str) -> str:
    return str(schema["properties"].get(key, {}).get("x-words", "a valid value"))


def _shown(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=repr)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _takes(schema: Schema) -> str:
    keys = [key for key in schema["properties"] if key not in _COMMON]
    return f"it takes {', '.join(repr(k) for k in keys)}" if keys else "it takes no parameters"


def _schema_message(name: str, schema: Schema, spec: dict[str, Any], error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.absolute_path:
        key = str(error.absolute_path[0])
        return f"{name} needs {key!r} as {_words(schema, key)}, got {_shown(spec.get(key))}"
    if error.validator == "required":
        missing = next(key for key in schema["required"] if key not in instance)
        return f"{name} needs {missing!r} as {_words(schema, missing)}"
    if error.validator == "additionalProperties":
        extra = sorted(set(instance) - set(schema["properties"]))
        unknown = [key for key in extra if not key.startswith("x-")]
        return f"{name} does not use {', '.join(repr(k) for k in unknown)} ({_takes(schema)})"
    if error.validator == "anyOf" and "x-needs" in schema:
        return f"{name} needs {schema['x-needs']}"
    return f"{name}: {error.message}"


def _semantic_problems(name: str, type_name: str, spec: dict[str, Any]) -> list[str]:
    """What the schema cannot say."""
    problems: list[str] = []
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None and low > high:
        problems.append(f"{name} has 'min' ({low}) greater than 'max' ({high})")
    if type_name == "regex":
        try:
            re.compile(spec["value"])
        except re.error as error:
            problems.append(f"{name} needs 'value' as a valid regular expression: {error}")
    if type_name == "levenshtein":
        threshold = spec.get("threshold")
        if isinstance(threshold, float) and threshold > 1 and not threshold.is_integer():
            problems.append(f"{name} needs 'threshold' as {_EDITS['x-words']}, got {threshold}")
    if "schema" in spec:
        problems += _schema_problems(name, spec["schema"])
    if type_name == "json-path":
        from llmops_ci.eval.assertions.jsonpath import JsonPathError, parse

        try:
            parse(spec["path"])
        except JsonPathError as error:
            problems.append(f"{name} needs 'path' as {_PATH['x-words']}: {error}")
    return problems


def _schema_problems(name: str, schema: Schema) -> list[str]:
    from llmops_ci.artifacts.schemas import embedded_schema

    validator, path, message = embedded_schema(schema)
    if validator is not None:
        return []
    where = "/".join(str(part) for part in path)
    return [
        f"{name} needs 'schema' as a valid JSON Schema: "
        f"{f'at {where!r}' if where else 'at the top level'}: {message}"
    ]
