"""An Agent's tools: names, JSON Schema parameters, the request form providers take, argument checks.

Tool names must match ``^[a-zA-Z0-9_-]{1,64}$`` (what OpenAI, Anthropic and Gemini all accept) and be
unique within the agent. A tool call is *valid* when it names a declared tool and its arguments are a
JSON object that validates against the tool's parameter schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.schemas import embedded_schema

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
DEFAULT_MAX_STEPS = 8
#: lint A004: beyond this a runaway loop costs more than any task is worth
MAX_STEPS_LIMIT = 25
#: The assertion types that read an agent's transcript (llmops_ci.eval.assertions.agent)
AGENT_TYPES = frozenset(
    {"is-valid-tool-call", "tool-called", "tool-sequence", "tool-args-match", "step-count"}
)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool | None = None

    def request_form(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry litellm translates for every provider."""
        function: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }
        if self.strict is not None:
            function["strict"] = self.strict
        return {"type": "function", "function": function}


def agent_tools(agent: Artifact) -> list[Tool]:
    return [
        Tool(str(raw["name"]), str(raw["description"]), dict(raw["parameters"]), raw.get("strict"))
        for raw in agent.spec.get("tools", [])
        if isinstance(raw, dict)
    ]


def max_steps(agent: Artifact) -> int:
    return int(agent.spec.get("max_steps", DEFAULT_MAX_STEPS))


def stop_tools(agent: Artifact) -> frozenset[str]:
    return frozenset(agent.spec.get("stop", {}).get("tools", []))


def parse_arguments(raw: Any) -> tuple[Any, str | None]:
    """A tool call's arguments (a JSON string from providers, or already a mapping): (value, error)."""
    if isinstance(raw, dict):
        return raw, None
    if not isinstance(raw, str):
        return None, f"arguments are {type(raw).__name__}, not a JSON object"
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as error:
        return None, f"arguments are not JSON: {error.msg} at character {error.pos}"
    if not isinstance(value, dict):
        return value, "arguments are not a JSON object"
    return value, None


def check_call(tools: dict[str, Tool], name: str, arguments: Any) -> str | None:
    """Why a call of ``name`` with parsed ``arguments`` is invalid; None when it is valid."""
    tool = tools.get(name)
    if tool is None:
        return f"no tool named {name!r} (tools: {', '.join(sorted(tools)) or 'none'})"
    validator, _, message = embedded_schema(tool.parameters)
    if validator is None:
        return f"tool {name!r} has an invalid parameter schema: {message}"
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "arguments"
        return f"{where}: {errors[0].message}"
    return None
