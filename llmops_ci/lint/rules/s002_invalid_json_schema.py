"""## What it does
Checks that the JSON Schemas written inside prompts are themselves valid JSON Schema (draft 2020-12
unless their `$schema` names another dialect): `inputs` and `output.schema`. Assertion schemas are E007's.

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
SUMMARY = "A prompt's inputs or output schema is not valid JSON Schema"


def embedded_schemas(prompt: Artifact) -> Iterator[tuple[JsonPath, Any]]:
    spec = prompt.spec
    if "inputs" in spec:
        yield ("spec", "inputs"), spec["inputs"]
    output = spec.get("output", {})
    if "schema" in output:
        yield ("spec", "output", "schema"), output["schema"]


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
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
