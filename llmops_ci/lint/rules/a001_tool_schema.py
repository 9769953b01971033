"""## What it does
Checks that every tool of an Agent declares its `parameters` as a valid JSON Schema (draft 2020-12 unless
its `$schema` names another dialect) describing an object (`type: object`), which is what providers accept.

## Why is this bad?
Providers reject a request whose tool schema is invalid, or whose top level is not an object: every case
of every suite on the agent would error. And `is-valid-tool-call` cannot judge arguments against a
schema that validates nothing.

## Example
```yaml
tools:
  - name: get_weather
    description: Current weather of a city.
    parameters: {type: object, properties: {city: {type: text}}}
```

## Use instead
```yaml
tools:
  - name: get_weather
    description: Current weather of a city.
    parameters: {type: object, required: [city], properties: {city: {type: string}}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.schemas import embedded_schema
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "A001"
NAME = "invalid-tool-schema"
SEVERITY = Severity.ERROR
SUMMARY = "An agent tool's parameters are not a valid JSON Schema of an object"


def check(context: LintContext) -> Iterator[Hit]:
    for agent in context.graph.of_kind("Agent"):
        for index, tool in enumerate(agent.spec["tools"]):
            path = ("spec", "tools", index, "parameters")
            schema = tool["parameters"]
            validator, error_path, message = embedded_schema(schema)
            if validator is None:
                where = (*path, *error_path)
                yield hit(
                    agent,
                    where,
                    f"tool {tool['name']!r}: invalid JSON Schema at {'.'.join(map(str, where))}: {message}",
                    "see https://json-schema.org/understanding-json-schema/",
                )
            elif schema.get("type") != "object":
                yield hit(
                    agent,
                    path,
                    f"tool {tool['name']!r}: parameters must describe an object (type: object), "
                    f"got type {schema.get('type')!r}",
                    "wrap the arguments in {type: object, properties: {...}}",
                )
