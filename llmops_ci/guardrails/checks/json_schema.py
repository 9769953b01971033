"""## json_schema
Fires when a text is not JSON valid against `schema`: structured outputs that downstream code parses.

## Options
- `schema` (required): a JSON Schema (draft 2020-12 unless it names another `$schema`).

A Markdown code fence around the JSON (```` ```json ... ``` ````) is accepted, as models often add one.
Entities: `INVALID_JSON` (does not parse; the detail says where), `SCHEMA_VIOLATION` (the detail names
the first failing location and why). The detection spans the whole text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection

ENTITIES = ("INVALID_JSON", "SCHEMA_VIOLATION")
PARAMS = frozenset({"schema", "mask_keep"})
MODEL_BASED = False

_FENCE = re.compile(r"\A\s*```[A-Za-z0-9_-]{0,20}[ \t]*\n(.*)\n[ \t]*```\s*\Z", re.DOTALL)


class JsonSchemaDetector:
    def __init__(self, validator: Any) -> None:
        self.validator = validator

    def scan(self, text: str) -> list[Detection]:
        fenced = _FENCE.match(text)
        body = fenced.group(1) if fenced else text
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            return [
                Detection(
                    "INVALID_JSON",
                    0,
                    len(text),
                    text,
                    f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                )
            ]
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(value))
        if error is None:
            return []
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        return [Detection("SCHEMA_VIOLATION", 0, len(text), text, f"at {where}: {error.message}")]


def build(spec: Mapping[str, Any], context: BuildContext) -> JsonSchemaDetector:
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise CheckError("a json_schema check needs a schema (a JSON Schema object)", "type")
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise CheckError(f"schema is not a valid JSON Schema: {exc.message}", "schema") from None
    return JsonSchemaDetector(validator_class(schema))
