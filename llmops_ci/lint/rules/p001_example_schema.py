"""## What it does
Validates each few-shot example of a prompt: its `inputs` against `spec.inputs`, and, for JSON output,
its `output` against `spec.output.schema`.

## Why is this bad?
Few-shot examples teach the model the contract. An example with a missing field or a wrong-typed
output teaches the wrong one, and examples double as test cases.

## Example
```yaml
spec:
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  examples:
    - {inputs: {doc: "INVOICE #1"}, output: invoice}
```

## Use instead
```yaml
    - {inputs: {document: "INVOICE #1"}, output: invoice}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "P001"
NAME = "example-schema"
SEVERITY = Severity.ERROR
SUMMARY = "Few-shot example does not match the input or output schema"


def _check(artifact: Artifact, schema: Any, value: Any, path: JsonPath, what: str) -> Iterator[Hit]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return  # S002 reports the schema itself
    error = best_match(Draft202012Validator(schema).iter_errors(value), key=lambda e: -len(e.path))
    if error is not None:
        where = (*path, *error.absolute_path)
        yield hit(
            artifact,
            where,
            f"example {what} does not match the schema: {error.message}",
            f"fix the example or the schema at spec.{'inputs' if what == 'inputs' else 'output.schema'}",
        )


def check(context: LintContext) -> Iterator[Hit]:
    for artifact in context.graph.of_kind("Prompt"):
        spec = artifact.spec
        output = spec.get("output", {})
        for index, example in enumerate(spec.get("examples", [])):
            base = ("spec", "examples", index)
            if "inputs" in spec:
                yield from _check(artifact, spec["inputs"], example["inputs"], (*base, "inputs"), "inputs")
            if output.get("format") == "json" and "schema" in output:
                yield from _check(artifact, output["schema"], example["output"], (*base, "output"), "output")
