"""## What it does
Checks that the JSON Schemas written inside artifacts are themselves valid JSON Schema (draft 2020-12):
a prompt's `inputs` and `output.schema`, and the `schema` of `json-schema` assertions.

## Why is this bad?
An invalid schema cannot validate anything: example checks, case checks and output checks built on it
would either crash or pass everything.

## Example
```yaml
spec:
  inputs: {type: object, properties: {document: {type: text}}}
```

## Use instead
```yaml
spec:
  inputs: {type: object, properties: {document: {type: string}}}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.schemas import embedded_schema
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "S002"
NAME = "invalid-json-schema"
SEVERITY = Severity.ERROR
SUMMARY = "An inputs, output or assertion schema is not valid JSON Schema"


def embedded_schemas(artifact: Artifact) -> Iterator[tuple[JsonPath, Any]]:
    spec = artifact.spec
    if artifact.kind == "Prompt":
        if "inputs" in spec:
            yield ("spec", "inputs"), spec["inputs"]
        output = spec.get("output", {})
        if "schema" in output:
            yield ("spec", "output", "schema"), output["schema"]
    if artifact.kind == "EvalSuite":
        groups: list[tuple[JsonPath, Any]] = [
            (("spec", "defaults", "assert"), spec.get("defaults", {}).get("assert"))
        ]
        groups += [
            (("spec", "cases", i, "assert"), case.get("assert"))
            for i, case in enumerate(spec.get("cases", []))
        ]
        for path, assertions in groups:
            for index, assertion in enumerate(assertions or []):
                if "schema" in assertion:
                    yield (*path, index, "schema"), assertion["schema"]


def check(context: LintContext) -> Iterator[Hit]:
    for kind in ("Prompt", "EvalSuite"):
        for artifact in context.graph.of_kind(kind):
            for path, schema in embedded_schemas(artifact):
                validator, error_path, message = embedded_schema(schema)
                if validator is None:
                    where = (*path, *error_path)
                    yield hit(
                        artifact,
                        where,
                        f"invalid JSON Schema at {'.'.join(map(str, where))}: {message}",
                        "see https://json-schema.org/understanding-json-schema/",
                    )
