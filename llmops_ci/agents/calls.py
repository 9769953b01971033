"""One tool-calling model turn through litellm's tool calling (``litellm.acompletion(tools=...)``), which
translates the OpenAI ``tools`` form for every provider. Errors become the engine's
:class:`~llmops_ci.providers.litellm_provider.ProviderError` kinds, so the runner's retry loop applies."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.providers.litellm_provider import ProviderError, litellm_module, map_error


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: Any  # as the model sent it: usually a JSON string


@dataclass
class Turn:
    text: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float = 0.0
    finish_reason: str | None = None


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _tool_calls(message: Any) -> list[ToolCall]:
    calls = []
    for index, raw in enumerate(_field(message, "tool_calls") or []):
        function = _field(raw, "function")
        name = _field(function, "name") if function is not None else None
        if not isinstance(name, str):
            raise ProviderError("bad_response", "a tool call has no function name", retryable=False)
        calls.append(ToolCall(str(_field(raw, "id") or f"call-{index}"), name, _field(function, "arguments")))
    return calls


async def complete_turn(
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    api_base: str | None,
    timeout: float,
) -> Turn:
    """One model turn offered ``tools``: its text and the tool calls it makes. Raises ProviderError."""
    litellm = litellm_module()
    request = {k: v for k, v in params.items() if not k.startswith("x-") and k != "timeout"}
    started = time.perf_counter()
    try:
        response = await litellm.acompletion(
            model=model,
            messages=messages,
            tools=tools,
            api_base=api_base,
            timeout=timeout,
            max_retries=0,
            **request,
        )
    except Exception as error:  # litellm raises its own hierarchy plus httpx/openai ones
        raise map_error(error) from None
    latency_ms = (time.perf_counter() - started) * 1000
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise ProviderError("bad_response", "the response has no choices")
    message = choices[0].message
    usage = getattr(response, "usage", None)
    return Turn(
        text=getattr(message, "content", None),
        tool_calls=_tool_calls(message),
        input_tokens=getattr(usage, "prompt_tokens", None) if usage is not None else None,
        output_tokens=getattr(usage, "completion_tokens", None) if usage is not None else None,
        latency_ms=latency_ms,
        finish_reason=getattr(choices[0], "finish_reason", None),
    )
