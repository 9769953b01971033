"""## What it does
Checks that the tools an eval suite names exist: in a suite whose target is an Agent, every
`tool_results` key and every tool named by `tool-called`, `tool-sequence`, `tool-args-match` and
`is-valid-tool-call` assertions must be one of the agent's tools. In any other suite, the tool
assertions and `tool_results` have nothing to read and are reported too.

## Why is this bad?
A misspelt tool name in a fixture is never used (the model's call then gets "no fixture result"), and
a misspelt name in an assertion makes it fail, or, negated, pass, whatever the agent does.

## Example
```yaml
target: {agent: travel}
tool_results: {get_wether: {result: {temp_c: 21}}}
cases:
  - vars: {question: Weather in Paris?}
    assert: [{type: tool-called, value: get_wether}]
```

## Use instead
```yaml
target: {agent: travel}
tool_results: {get_weather: {result: {temp_c: 21}}}
cases:
  - vars: {question: Weather in Paris?}
    assert: [{type: tool-called, value: get_weather}]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_ci.agents.tools import AGENT_TYPES
from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.eval.assertion_types import base_type
from llmops_ci.lint.models import suite_assertions
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "A003"
NAME = "unknown-tool"
SEVERITY = Severity.ERROR
SUMMARY = "An agent suite names a tool the agent does not have"


def _named_tools(suite: Artifact) -> Iterator[tuple[JsonPath, str, bool]]:
    """Every tool name the suite writes: where, the name, and whether it is written as a mapping key."""
    places: list[tuple[JsonPath, Any]] = [(("spec", "tool_results"), suite.spec.get("tool_results"))]
    for index, case in enumerate(suite.spec.get("cases", [])):
        places.append((("spec", "cases", index, "tool_results"), case.get("tool_results")))
    for path, fixtures in places:
        for name in fixtures or {}:
            yield (*path, name), name, True
    for path, assertion in suite_assertions(suite):
        if base_type(assertion["type"]) not in AGENT_TYPES:
            continue
        value = assertion.get("value")
        if isinstance(value, str):
            yield (*path, "value"), value, False
        elif isinstance(value, list):
            yield from (((*path, "value", i), n, False) for i, n in enumerate(value) if isinstance(n, str))
        elif isinstance(value, dict):
            yield from (((*path, "value", name), name, True) for name in value)


def _tool_parts(suite: Artifact) -> Iterator[JsonPath]:
    if "tool_results" in suite.spec:
        yield ("spec", "tool_results")
    for index, case in enumerate(suite.spec.get("cases", [])):
        if "tool_results" in case:
            yield ("spec", "cases", index, "tool_results")
    for path, assertion in suite_assertions(suite):
        if base_type(assertion["type"]) in AGENT_TYPES:
            yield (*path, "type")


def check(context: LintContext) -> Iterator[Hit]:
    for suite in context.graph.of_kind("EvalSuite"):
        name = suite.spec["target"].get("agent")
        if name is None:
            for path in _tool_parts(suite):
                yield hit(
                    suite,
                    path,
                    "tool fixtures and tool assertions need an agent suite",
                    "target: {agent: NAME}",
                )
            continue
        agent = context.graph.get("Agent", name)
        if agent is None or not agent.valid:
            continue  # R001 / the agent's own findings
        tools = {tool["name"] for tool in agent.spec["tools"]}
        for path, tool, on_key in _named_tools(suite):
            if tool not in tools:
                yield hit(
                    suite,
                    path,
                    f"Agent {name!r} has no tool {tool!r}{did_you_mean(tool, tools)}",
                    f"tools: {', '.join(sorted(tools))}",
                    key=on_key,
                )
