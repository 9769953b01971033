"""Model calls through litellm: one request, no hidden retries, errors mapped to the engine's kinds.

litellm is imported here and only here, lazily, with the offline-friendly settings from the field notes
(local cost map, no debug banner). Retries belong to the engine (``max_retries=0`` to litellm and the
OpenAI SDK beneath it), so attempts are countable and Retry-After is honoured.

Per-call work we do not use is switched off for our own calls only (a context variable marks them, so
litellm used by anything else in the process keeps its full behaviour):

- litellm's per-response cost calculator: we price calls from the usage and litellm's price table
  (:func:`cost_usd`), and the calculator is the single largest piece of litellm's per-call CPU time;
- litellm's success and failure logging (callbacks, the standard logging payload): we register none.

After the import, litellm's ~1M long-lived objects are frozen out of the collector (``gc.freeze``).
"""

from __future__ import annotations

import contextvars
import functools
import gc
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from llmops_ci.providers.catalog import cost_from_usage, model_info

ERROR_KINDS = ("rate_limit", "timeout", "provider", "bad_response")
# litellm reports a body that is not JSON as a 500 carrying the json module's message.
_UNPARSEABLE = re.compile(
    r"JSONDecodeError|Expecting value|Expecting property name|Unterminated string|Extra data|"
    r"Invalid control character|Invalid JSON"
)


@dataclass
class Completion:
    text: str
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: float
    ttft_ms: float | None = None
    finish_reason: str | None = None


class ProviderError(Exception):
    """A failed call: ``kind`` is one of ERROR_KINDS; ``retry_after`` in seconds when the server said;
    ``retryable`` false for client errors (bad request, authentication) that a retry cannot mend."""

    def __init__(
        self, kind: str, message: str, retry_after: float | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.retryable = retryable and kind in ("rate_limit", "timeout", "provider")


@cache
def litellm_module() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # The import builds ~1M objects that live until exit: collecting while it runs only costs time (a
    # fifth of the import), and afterwards they are frozen out of every later full collection.
    collecting = gc.isenabled()
    gc.disable()
    try:
        import litellm
    except ImportError:
        from llmops_ci.errors import UsageError

        raise UsageError("model calls need litellm: pip install 'llmops-ci[eval]'") from None
    finally:
        if collecting:
            gc.enable()
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.drop_params = True
    # We own every retry. litellm's OpenAI embedding path reads max_retries=0 as "unset" (`max_retries or
    # DEFAULT_MAX_RETRIES`) and the OpenAI client would retry twice more behind our loop's back.
    litellm.DEFAULT_MAX_RETRIES = 0  # type: ignore[attr-defined]  # a constant, not re-exported
    from llmops_ci.providers.local import PROVIDER, handler

    litellm.custom_provider_map = [
        *(item for item in litellm.custom_provider_map if item.get("provider") != PROVIDER),
        {"provider": PROVIDER, "custom_handler": handler(litellm)},
    ]
    _skip_response_cost()
    gc.freeze()
    return litellm


# --- litellm's per-call work we do not use, off for our calls only ------------------------------------

#: True while one of our calls is inside litellm.
_OUR_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar("llmops_ci_litellm_call", default=False)


def _skip_response_cost() -> None:
    """Our calls skip ``Logging.response_cost_calculator`` (the response's ``_hidden_params`` then carry no
    ``response_cost``); every other caller gets litellm's own calculator."""
    try:
        from litellm.litellm_core_utils.litellm_logging import Logging
    except ImportError:  # a litellm without this class: nothing to skip
        return
    original = getattr(Logging, "response_cost_calculator", None)
    if original is None or getattr(original, "__llmops_ci__", False):
        return  # a litellm that prices elsewhere (older ones), or already wrapped

    @functools.wraps(original)
    def response_cost_calculator(self: Any, *args: Any, **kwargs: Any) -> Any:
        return None if _OUR_CALL.get() else original(self, *args, **kwargs)

    response_cost_calculator.__llmops_ci__ = True  # type: ignore[attr-defined]
    setattr(Logging, "response_cost_calculator", response_cost_calculator)  # noqa: B010


@cache
def _litellm_internal_flag() -> contextvars.ContextVar[bool] | None:
    """litellm's "internal sub-call" flag: set, a call runs no success/failure logging nor callbacks."""
    try:
        from litellm._internal_context import is_internal_call
    except ImportError:
        return None
    return is_internal_call if isinstance(is_internal_call, contextvars.ContextVar) else None


@contextmanager
def _our_call() -> Iterator[None]:
    ours = _OUR_CALL.set(True)
    flag = _litellm_internal_flag()
    internal = flag.set(True) if flag is not None else None
    try:
        yield
    finally:
        if flag is not None and internal is not None:
            flag.reset(internal)
        _OUR_CALL.reset(ours)


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or getattr(error, "litellm_response_headers", None) or {}
    return _retry_after_header(headers)


def _retry_after_header(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def map_error(error: Exception) -> ProviderError:
    """litellm's exception classes -> rate_limit / timeout / provider / bad_response."""
    name = type(error).__name__
    message = str(error).splitlines()[0][:500] if str(error) else name
    status = getattr(error, "status_code", None)
    if name == "RateLimitError" or status == 429:
        return ProviderError("rate_limit", message, _retry_after(error))
    if "Timeout" in name or isinstance(error, TimeoutError):
        return ProviderError("timeout", message)
    if name in ("JSONDecodeError", "APIResponseValidationError") or _UNPARSEABLE.search(message):
        return ProviderError("bad_response", message)
    client_error = isinstance(status, int) and 400 <= status < 500
    return ProviderError("provider", message, retryable=not client_error)


def _usage(response: Any) -> tuple[int | None, int | None]:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None, None
    return getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)


async def complete(
    model: str,
    messages: list[dict[str, str]],
    params: dict[str, Any],
    *,
    api_base: str | None = None,
    timeout: float = 60.0,
    stream: bool = False,
) -> Completion:
    """One chat completion. Raises :class:`ProviderError`, never litellm's own exceptions."""
    litellm = litellm_module()
    request = {k: v for k, v in params.items() if not k.startswith("x-") and k != "timeout"}
    route = None if stream else _direct_route(litellm, model, request)
    started = time.perf_counter()
    try:
        if route is not None:
            return await _direct(litellm, route, messages, request, api_base, timeout, started)
        with _our_call():
            if stream:
                return await _streamed(litellm, model, messages, request, api_base, timeout, started)
            response = await litellm.acompletion(
                model=model, messages=messages, api_base=api_base, timeout=timeout, max_retries=0, **request
            )
    except ProviderError:
        raise
    except Exception as error:  # litellm raises its own hierarchy plus httpx/openai ones
        raise map_error(error) from None
    latency_ms = (time.perf_counter() - started) * 1000
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise ProviderError("bad_response", "the response has no choices")
    text = getattr(choices[0].message, "content", None)
    if text is None:
        raise ProviderError("bad_response", "the response has no message content")
    input_tokens, output_tokens = _usage(response)
    return Completion(
        text, input_tokens, output_tokens, latency_ms, None, getattr(choices[0], "finish_reason", None)
    )


# --- the direct path: litellm's provider config and HTTP handler, without litellm.acompletion ------------


@dataclass(frozen=True)
class _Route:
    """An OpenAI chat model called through litellm's chat config for it (the same request mapping as
    ``litellm.acompletion``: supported params, renamed ones such as o-series ``max_completion_tokens``)
    and litellm's async HTTP handler."""

    config: Any
    model: str  # without the provider prefix
    api_key: str


@cache
def _chat_config(model: str) -> tuple[Any, frozenset[str]] | None:
    try:
        from litellm.types.utils import LlmProviders
        from litellm.utils import ProviderConfigManager

        config = ProviderConfigManager.get_provider_chat_config(model=model, provider=LlmProviders.OPENAI)
        supported = frozenset(config.get_supported_openai_params(model)) if config is not None else None
    except Exception:  # a litellm without these: the full path
        return None
    return (config, supported) if config is not None and supported is not None else None


def _direct_route(litellm: Any, model: str, request: dict[str, Any]) -> _Route | None:
    """The direct path for a non-streamed call to ``openai/<model>`` with nothing the full path would
    add: a key in the environment, no organisation or extra headers, only params litellm maps for the
    model. None: ``litellm.acompletion`` makes the call."""
    if not model.startswith("openai/") or os.environ.get("LLMOPS_CI_LITELLM_FULL_PATH"):
        return None
    api_key = litellm.api_key or litellm.openai_key or os.environ.get("OPENAI_API_KEY")
    if not api_key or litellm.organization or os.environ.get("OPENAI_ORGANIZATION") or litellm.headers:
        return None
    bare = model.removeprefix("openai/")
    found = _chat_config(bare)
    if found is None or not found[1].issuperset(request):
        return None
    return _Route(found[0], bare, api_key)


async def _direct(
    litellm: Any,
    route: _Route,
    messages: list[dict[str, str]],
    request: dict[str, Any],
    api_base: str | None,
    timeout: float,
    started: float,
) -> Completion:
    """litellm's per-call work around a request (parameter checks against every provider, the logging
    object, the OpenAI SDK's request and response models, the response object) costs several times
    what the request does; this path keeps the parts that shape the request and the HTTP client."""
    import httpx
    from litellm.llms.custom_httpx.http_handler import get_async_httpx_client
    from litellm.types.utils import LlmProviders

    base = (
        api_base
        or litellm.api_base
        or os.environ.get("OPENAI_BASE_URL")
        or os.environ.get("OPENAI_API_BASE")
        or "https://api.openai.com/v1"
    )
    config, model = route.config, route.model
    optional = config.map_openai_params(
        non_default_params=dict(request), optional_params={}, model=model, drop_params=True
    )
    body = config.transform_request(
        model=model, messages=messages, optional_params=optional, litellm_params={}, headers={}
    )
    headers = config.validate_environment(
        headers={},
        model=model,
        messages=messages,
        optional_params=optional,
        litellm_params={},
        api_key=route.api_key,
        api_base=base,
    )
    url = config.get_complete_url(
        api_base=base, api_key=route.api_key, model=model, optional_params=optional, litellm_params={}
    )
    try:
        client = get_async_httpx_client(llm_provider=LlmProviders.OPENAI)
        response = await client.post(url, json=body, headers=headers, timeout=timeout)
        payload = response.json()
    except httpx.HTTPStatusError as error:
        raise _status_error(error.response) from None
    except ValueError:
        raise ProviderError("bad_response", "the response is not JSON") from None
    except Exception as error:  # litellm's Timeout, httpx's connection errors
        raise map_error(error) from None
    latency_ms = (time.perf_counter() - started) * 1000
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise ProviderError("bad_response", "the response has no choices")
    message = choices[0].get("message")
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(text, str):
        raise ProviderError("bad_response", "the response has no message content")
    usage = payload.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return Completion(
        text,
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        latency_ms,
        None,
        choices[0].get("finish_reason"),
    )


def _status_error(response: Any) -> ProviderError:
    status = int(response.status_code)
    try:
        detail = str(response.text).strip().splitlines()[0][:300]
    except (IndexError, AttributeError, ValueError):
        detail = ""
    message = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        return ProviderError("rate_limit", message, _retry_after_header(response.headers))
    if status == 408:
        return ProviderError("timeout", message)
    return ProviderError("provider", message, retryable=not 400 <= status < 500)


async def _streamed(
    litellm: Any,
    model: str,
    messages: list[dict[str, str]],
    request: dict[str, Any],
    api_base: str | None,
    timeout: float,
    started: float,
) -> Completion:
    stream = await litellm.acompletion(
        model=model,
        messages=messages,
        api_base=api_base,
        timeout=timeout,
        max_retries=0,
        stream=True,
        stream_options={"include_usage": True},
        **request,
    )
    parts: list[str] = []
    ttft_ms: float | None = None
    finish_reason = None
    input_tokens = output_tokens = None
    async for chunk in stream:
        choices = getattr(chunk, "choices", None) or []
        if choices:
            delta = getattr(choices[0], "delta", None)
            content = getattr(delta, "content", None) if delta is not None else None
            if content:
                if ttft_ms is None:
                    ttft_ms = (time.perf_counter() - started) * 1000
                parts.append(content)
            finish_reason = getattr(choices[0], "finish_reason", None) or finish_reason
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            input_tokens, output_tokens = usage.prompt_tokens, usage.completion_tokens
    if finish_reason is None:
        raise ProviderError("bad_response", "the stream ended without a finish reason (truncated)")
    return Completion(
        "".join(parts),
        input_tokens,
        output_tokens,
        (time.perf_counter() - started) * 1000,
        ttft_ms,
        finish_reason,
    )


def cost_usd(model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """From the usage and litellm's price table (read as data); None when the model has no price."""
    info = model_info(model)
    return cost_from_usage(
        (info.input_cost_per_token, info.output_cost_per_token), input_tokens, output_tokens
    )


@dataclass
class Embeddings:
    vectors: list[list[float]]
    input_tokens: int | None
    latency_ms: float


async def embed(
    model: str,
    inputs: list[str],
    *,
    api_base: str | None = None,
    timeout: float = 60.0,
    dimensions: int | None = None,
) -> Embeddings:
    """Embedding vectors for ``inputs``, in order; ``dimensions`` asks a model that can shorten its vectors
    (OpenAI text-embedding-3) for that many. Raises :class:`ProviderError`."""
    litellm = litellm_module()
    started = time.perf_counter()
    extra = {"dimensions": dimensions} if dimensions is not None else {}
    try:
        with _our_call():
            response = await litellm.aembedding(
                model=model, input=inputs, api_base=api_base, timeout=timeout, max_retries=0, **extra
            )
    except Exception as error:
        raise map_error(error) from None
    data = sorted(getattr(response, "data", None) or [], key=lambda item: _field(item, "index"))
    vectors = [list(_field(item, "embedding")) for item in data]
    if len(vectors) != len(inputs):
        raise ProviderError("bad_response", f"asked for {len(inputs)} embeddings, got {len(vectors)}")
    usage = getattr(response, "usage", None)
    tokens = getattr(usage, "prompt_tokens", None) if usage is not None else None
    return Embeddings(vectors, tokens, (time.perf_counter() - started) * 1000)


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)
