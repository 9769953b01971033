"""The agent loop of an eval case: model -> tool calls -> fixture results -> model, until the model answers
without calling a tool, calls a stop tool, or reaches the agent's ``max_steps`` (model calls).

Each model call goes through the runner's retry loop. The case's response is the final answer (the text
of the last turn; a stop tool's arguments as JSON; "" when the step limit ended the task) with the usage
and latency summed over the steps, plus the transcript under ``agent``::

    {"steps": 2, "max_steps": 8, "stopped": "answer" | "stop_tool" | "max_steps",
     "tool_calls": [{"step": 1, "id": "call-1", "name": "get_weather", "arguments": {"city": "Paris"},
                     "valid": true, "error": null, "result": {"temp_c": 21}, "fixture": true}],
     "valid_calls": 1, "invalid_calls": 0}
"""

from __future__ import annotations

import functools
import json
from typing import Any

from llmops_ci.agents.calls import ToolCall, Turn, complete_turn
from llmops_ci.agents.task import AgentTask, as_message
from llmops_ci.agents.tools import check_call, parse_arguments


class _Transcript:
    def __init__(self, task: AgentTask) -> None:
        self.task = task
        self.steps = 0
        self.calls: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.input_tokens: int | None = 0
        self.output_tokens: int | None = 0
        self.latency_ms = 0.0
        self.stopped = "max_steps"
        self.answer = ""

    def add_usage(self, turn: Turn) -> None:
        self.steps += 1
        self.latency_ms += turn.latency_ms
        self.input_tokens = _add(self.input_tokens, turn.input_tokens)
        self.output_tokens = _add(self.output_tokens, turn.output_tokens)

    def answer_call(self, call: ToolCall) -> dict[str, Any]:
        """Judge one tool call, look up its fixture result, and return the tool message for the model."""
        arguments, error = parse_arguments(call.arguments)
        if error is None:
            error = check_call(self.task.tools, call.name, arguments)
        index = self.counts.get(call.name, 0)
        self.counts[call.name] = index + 1
        if error is None:
            result, found = self.task.result(call.name, index)
        else:
            result, found = {"error": error}, False
        self.calls.append(
            {
                "step": self.steps,
                "id": call.id,
                "name": call.name,
                "arguments": arguments if arguments is not None else call.arguments,
                "valid": error is None,
                "error": error,
                "result": result,
                "fixture": found,
            }
        )
        if error is None and call.name in self.task.stop_tools:
            self.stopped, self.answer = "stop_tool", json.dumps(arguments, ensure_ascii=False, sort_keys=True)
        return {"role": "tool", "tool_call_id": call.id, "content": as_message(result)}

    def response(self) -> dict[str, Any]:
        valid = sum(1 for call in self.calls if call["valid"])
        return {
            "text": self.answer,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": round(self.latency_ms, 3),
            "ttft_ms": None,
            "finish_reason": self.stopped,
            "agent": {
                "steps": self.steps,
                "max_steps": self.task.max_steps,
                "stopped": self.stopped,
                "tool_calls": self.calls,
                "valid_calls": valid,
                "invalid_calls": len(self.calls) - valid,
            },
        }


def _add(total: int | None, value: int | None) -> int | None:
    return None if total is None or value is None else total + value


def _assistant(turn: Turn) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": turn.text,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": as_message(call.arguments or {})},
            }
            for call in turn.tool_calls
        ],
    }


async def run_task(runner: Any, call: Any) -> tuple[dict[str, Any] | None, dict[str, str] | None, int]:
    """(response, None, attempts) or (None, error, attempts) for one agent call of the eval runner."""
    task: AgentTask = call.agent
    transcript = _Transcript(task)
    messages: list[dict[str, Any]] = [dict(message) for message in call.messages]
    tools = task.tool_requests()
    timeout = float(call.model.params.get("timeout", runner.options.timeout_s))
    attempts = 0
    while transcript.steps < task.max_steps:
        request = functools.partial(
            complete_turn,
            call.model.id,
            list(messages),
            tools,
            call.model.params,
            api_base=call.model.api_base,
            timeout=timeout,
        )
        turn, error, tries = await runner.with_retries(request)
        attempts += tries
        if turn is None:
            return None, error, attempts
        transcript.add_usage(turn)
        if not turn.tool_calls:
            transcript.stopped, transcript.answer = "answer", turn.text or ""
            break
        messages.append(_assistant(turn))
        messages += [transcript.answer_call(tool_call) for tool_call in turn.tool_calls]
        if transcript.stopped == "stop_tool":
            break
    return transcript.response(), None, attempts
