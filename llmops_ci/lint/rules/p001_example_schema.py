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

from jsonschema.exceptions import best_match

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.schemas import embedded_schema
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "P001"
NAME = "example-schema"
SEVERITY = Severity.ERROR
SUMMARY = "Few-shot example does not match the input or output schema"


def _check(artifact: Artifact, schema: Any, value: Any, path: JsonPath, what: str) -> Iterator[Hit]:
    validator, _, _ = embedded_schema(schema)
    if validator is None:
        return  # S002 reports the schema itself
    error = best_match(validator.iter_errors(value), key=lambda e: -len(e.path))
    if error is not None:
        where = (*path, *error.absolute_path)
        fix = "spec.inputs" if what == "inputs" else "spec.output.schema"
        yield hit(
            artifact,
            where,
            f"example {what} does not match the schema: {error.message}",
            f"fix the example or the schema at {fix}",
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
