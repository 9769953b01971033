"""An agent suite's plan: the Agent opened once per suite (:class:`AgentStep`) and, per case, the task the
loop runs (:class:`AgentTask`): tools, fixture tool results, step limit and stop tools.

Fixture results (``tool_results``, by tool name, on the suite and on each inline case; a case's entry
replaces the suite's for that tool) answer the tool calls, so no real tool runs in CI::

    tool_results:
      get_weather: {result: {city: Paris, temp_c: 21}}     # every call gets this
      search: {results: ["first page", "second page"]}    # successive calls, the last one repeats

A result that is a string is sent to the model as it is; anything else as JSON. A call of a tool with no
fixture gets ``{"error": "no fixture result for tool NAME"}``, and a call of an undeclared tool or with
invalid arguments gets the reason, as a real tool runtime would answer; both are recorded as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.agents.tools import Tool, agent_tools, max_steps, stop_tools
from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.artifacts.model import Artifact


@dataclass
class AgentTask:
    """What one case of an agent suite runs with."""

    tools: dict[str, Tool]
    fixtures: dict[str, dict[str, Any]]
    max_steps: int
    stop_tools: frozenset[str]

    def tool_requests(self) -> list[dict[str, Any]]:
        return [tool.request_form() for tool in self.tools.values()]

    def result(self, name: str, index: int) -> tuple[Any, bool]:
        """The fixture answer to the ``index``-th call (0-based) of ``name``, and whether one exists."""
        fixture = self.fixtures.get(name)
        if fixture is None:
            return {"error": f"no fixture result for tool {name}"}, False
        if "result" in fixture:
            return fixture["result"], True
        results = list(fixture.get("results") or [None])
        return results[min(index, len(results) - 1)], True

    def key(self) -> str:
        """What besides the messages makes a task's answer: part of its cache key."""
        return canonical_json(
            {
                "tools": self.tool_requests(),
                "fixtures": self.fixtures,
                "max_steps": self.max_steps,
                "stop": sorted(self.stop_tools),
            }
        )


def as_message(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass
class AgentStep:
    """The Agent an eval suite targets, opened once per suite."""

    agent: Artifact
    suite: Artifact
    digest: str
    tools: dict[str, Tool] = field(init=False)
    _by_case: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        from llmops_ci.eval.cases import case_id

        self.tools = {tool.name: tool for tool in agent_tools(self.agent)}
        self._by_case = {
            case_id(raw): dict(raw.get("tool_results") or {})
            for raw in self.suite.spec.get("cases", [])
            if isinstance(raw, dict)
        }

    @property
    def guardrails(self) -> list[str]:
        """The agent's own policies: they guard the task's input and final answer, after the suite's."""
        return [str(name) for name in self.agent.spec.get("guardrails", [])]

    @property
    def model(self) -> Any:
        """The agent's own model reference (None: the prompt's)."""
        return self.agent.spec.get("model")

    def task(self, case_id: str, case_fixtures: dict[str, Any] | None = None) -> AgentTask:
        """The task of a case: the suite's fixtures, overridden by the case's own (inline, or read from a
        cases file: ``case_fixtures``)."""
        own = case_fixtures if case_fixtures else self._by_case.get(case_id, {})
        fixtures = {**dict(self.suite.spec.get("tool_results") or {}), **own}
        return AgentTask(self.tools, fixtures, max_steps(self.agent), stop_tools(self.agent))


def task_cache_key(
    model: Any, params: dict[str, Any], messages_json: str, repeat: int, task: AgentTask
) -> str:
    """The content address of an agent task: the first request and everything the loop answers from."""
    request = canonical_json({"model": model, "params": params, "repeat": repeat, "agent": task.key()})
    return sha256_hex('{"messages":' + messages_json + "," + request[1:])
