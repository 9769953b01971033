"""Agent assertions: they read the tool-calling transcript of an agent suite's case (see
:mod:`llmops_ci.agents.loop`). Every output assertion also applies, to the agent's final answer.

- ``is-valid-tool-call``: every tool call (or, with ``value: NAME``, every call of that tool) names a
  declared tool and its arguments validate against the tool's parameter schema; no call at all fails.
  The score is the share of valid calls.
- ``tool-called``: the tool ``value`` was called (``min``/``max``: how many times). ``not-tool-called``:
  it was not.
- ``tool-sequence``: the tools in ``value`` were called in this order, other calls allowed in between
  (pair it with ``tool-called`` ``max`` for an exact count). The score is the share of the sequence met.
- ``tool-args-match``: ``value: {get_weather: {city: Paris}}`` - for each tool named, some call of it had
  arguments containing the given ones (a partial match: every key present with an equal value,
  recursively; lists compared whole; 1 equals 1.0 but not true).
- ``step-count``: the number of model calls (steps) is within ``min``..``max``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmops_ci.agents.tools import AGENT_TYPES
from llmops_ci.eval.assertions.base import Output, Verdict, verdict
from llmops_ci.eval.assertions.common import short, within

__all__ = ["AGENT_TYPES", "AgentOutput", "contains"]


@dataclass
class AgentOutput(Output):
    """The final answer of an agent task, with its transcript (the record's ``agent`` section)."""

    agent: dict[str, Any] = field(default_factory=dict)


def _calls(output: Output) -> list[dict[str, Any]] | None:
    if not isinstance(output, AgentOutput):
        return None
    return list(output.agent.get("tool_calls", []))


_NOT_AGENT = verdict(False, "not an agent case: tool assertions need a suite with target: {agent: NAME}")


def check_is_valid_tool_call(output: Output, spec: dict[str, Any]) -> Verdict:
    calls = _calls(output)
    if calls is None:
        return _NOT_AGENT
    if "value" in spec:
        calls = [call for call in calls if call["name"] == spec["value"]]
    if not calls:
        return verdict(False, "no tool call" + (f" of {spec['value']}" if "value" in spec else ""))
    invalid = [call for call in calls if not call.get("valid")]
    score = 1 - len(invalid) / len(calls)
    if invalid:
        first = invalid[0]
        return verdict(
            False, f"{len(invalid)} of {len(calls)} calls invalid; {first['name']}: {first['error']}", score
        )
    return verdict(True, f"{len(calls)} valid tool call{'s' if len(calls) != 1 else ''}")


def check_tool_called(output: Output, spec: dict[str, Any]) -> Verdict:
    calls = _calls(output)
    if calls is None:
        return _NOT_AGENT
    count = sum(1 for call in calls if call["name"] == spec["value"])
    if "min" not in spec and "max" not in spec:
        names = [call["name"] for call in calls]
        return verdict(count > 0, f"{spec['value']} called {count} times (calls: {short(names)})")
    return within(count, spec, f"calls of {spec['value']}")


def check_tool_sequence(output: Output, spec: dict[str, Any]) -> Verdict:
    calls = _calls(output)
    if calls is None:
        return _NOT_AGENT
    names = [call["name"] for call in calls]
    wanted = list(spec["value"])
    position = 0
    for name in names:
        if position < len(wanted) and name == wanted[position]:
            position += 1
    score = position / len(wanted)
    return verdict(
        position == len(wanted),
        f"calls {short(names)}: {position} of {len(wanted)} expected tools in order {short(wanted)}",
        score,
    )


def contains(actual: Any, expected: Any) -> bool:
    """``expected`` is a partial view of ``actual`` (mappings: a subset of keys, recursively)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, float) or isinstance(actual, float):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and actual == expected
    return bool(actual == expected and type(actual) is type(expected))


def check_tool_args_match(output: Output, spec: dict[str, Any]) -> Verdict:
    calls = _calls(output)
    if calls is None:
        return _NOT_AGENT
    expected: dict[str, Any] = spec["value"]
    missing = []
    for tool, arguments in expected.items():
        mine = [call.get("arguments") for call in calls if call["name"] == tool]
        if not any(contains(actual, arguments) for actual in mine):
            got = f"got {short(mine[0])}" if mine else "not called"
            missing.append(f"{tool}: no call with {short(arguments)} ({got})")
    if missing:
        return verdict(False, "; ".join(missing), 1 - len(missing) / len(expected))
    return verdict(True, f"arguments matched for {', '.join(expected)}")


def check_step_count(output: Output, spec: dict[str, Any]) -> Verdict:
    if not isinstance(output, AgentOutput):
        return _NOT_AGENT
    return within(int(output.agent.get("steps", 0)), spec, "steps")
