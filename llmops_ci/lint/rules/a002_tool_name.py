"""## What it does
Checks an Agent's tool names: each matches `^[a-zA-Z0-9_-]{1,64}$` (what OpenAI, Anthropic and Gemini
all accept), no two tools share a name, and every tool named in `stop.tools` is declared.

## Why is this bad?
A provider refuses a request with a tool name it does not accept, or with two tools of the same name; a
stop tool that is not declared can never be called, so the stop condition never fires.

## Example
```yaml
tools:
  - {name: get weather, description: ..., parameters: {type: object}}
  - {name: get_weather, description: ..., parameters: {type: object}}
stop: {tools: [finish]}
```

## Use instead
```yaml
tools:
  - {name: get_weather, description: ..., parameters: {type: object}}
  - {name: finish, description: ..., parameters: {type: object}}
stop: {tools: [finish]}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.agents.tools import TOOL_NAME
from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "A002"
NAME = "tool-name"
SEVERITY = Severity.ERROR
SUMMARY = "Agent tool name invalid for providers, duplicated, or a stop tool not declared"


def check(context: LintContext) -> Iterator[Hit]:
    for agent in context.graph.of_kind("Agent"):
        seen: dict[str, int] = {}
        for index, tool in enumerate(agent.spec["tools"]):
            name, path = tool["name"], ("spec", "tools", index, "name")
            if not TOOL_NAME.match(name):
                yield hit(
                    agent,
                    path,
                    f"tool name {name!r} is not accepted by providers",
                    "use letters, digits, '_' and '-', 1 to 64 characters",
                )
            if name in seen:
                line = agent.position(("spec", "tools", seen[name], "name")).line
                yield hit(agent, path, f"duplicate tool name {name!r} (first on line {line})")
            seen.setdefault(name, index)
        for index, name in enumerate(agent.spec.get("stop", {}).get("tools", [])):
            if name not in seen:
                yield hit(
                    agent,
                    ("spec", "stop", "tools", index),
                    f"stop tool {name!r} is not one of the agent's tools{did_you_mean(name, seen)}",
                )
