"""In-process models, ``local/<name>``: registered with litellm as one custom provider (litellm's
``CustomLLM``), so they go through exactly the code path of a real model (cache, retries, metrics).

A local model is any class with ``complete(self, messages, params) -> str`` (``messages`` as sent to a
chat model, ``params`` the prompt's model params). Register it under a name in ``LOCAL_MODELS`` (built-in
baselines), or in llmops.yaml: ``spec.providers.local: {my-model: "my_package.module:MyModel"}``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any, Protocol

PROVIDER = "local"

#: name -> "module:Class" of the in-process models; llmops.yaml adds its own.
LOCAL_MODELS: dict[str, str] = {}


class LocalModel(Protocol):
    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str: ...


class LocalModelError(Exception):
    pass


def register(models: dict[str, str]) -> None:
    for name, target in models.items():
        if ":" not in target:
            raise LocalModelError(f"local model {name!r}: {target!r} is not 'module:Class'")
        LOCAL_MODELS[name] = target
        _instance.cache_clear()


@cache
def _instance(name: str) -> LocalModel:
    target = LOCAL_MODELS.get(name)
    if target is None:
        known = ", ".join(sorted(LOCAL_MODELS)) or "none registered"
        raise LocalModelError(f"no local model {name!r} (known: {known})")
    module_name, _, attribute = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise LocalModelError(f"local model {name!r}: cannot load {target}: {error}") from None
    model: LocalModel = factory()
    return model


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def handler(litellm: Any) -> Any:
    """The ``CustomLLM`` that serves every ``local/<name>`` model (litellm passes the name unprefixed)."""

    class LocalProvider(litellm.CustomLLM):  # type: ignore[misc]
        def _text(self, model: str, messages: list[dict[str, str]], optional_params: dict[str, Any]) -> str:
            try:
                return _instance(model).complete(messages, dict(optional_params or {}))
            except LocalModelError as error:
                raise litellm.CustomLLMError(status_code=400, message=str(error)) from None

        def _response(
            self, model: str, messages: list[dict[str, str]], model_response: Any, text: str
        ) -> Any:
            prompt = sum(_tokens(str(m.get("content", ""))) for m in messages)
            model_response.choices[0].message.content = text
            model_response.choices[0].finish_reason = "stop"
            model_response.model = f"{PROVIDER}/{model}"
            model_response.created = int(time.time())
            model_response.usage = litellm.Usage(
                prompt_tokens=prompt, completion_tokens=_tokens(text), total_tokens=prompt + _tokens(text)
            )
            return model_response

        def completion(self, model: str, messages: list[dict[str, str]], *args: Any, **kwargs: Any) -> Any:
            text = self._text(model, messages, kwargs.get("optional_params", {}))
            return self._response(model, messages, kwargs["model_response"], text)

        async def acompletion(
            self, model: str, messages: list[dict[str, str]], *args: Any, **kwargs: Any
        ) -> Any:
            return self.completion(model, messages, *args, **kwargs)

        def streaming(
            self, model: str, messages: list[dict[str, str]], *args: Any, **kwargs: Any
        ) -> Iterator[Any]:
            text = self._text(model, messages, kwargs.get("optional_params", {}))
            prompt = sum(_tokens(str(m.get("content", ""))) for m in messages)
            yield {
                "finish_reason": "stop",
                "index": 0,
                "is_finished": True,
                "text": text,
                "tool_use": None,
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": _tokens(text),
                    "total_tokens": prompt + _tokens(text),
                },
            }

        async def astreaming(
            self, model: str, messages: list[dict[str, str]], *args: Any, **kwargs: Any
        ) -> AsyncIterator[Any]:
            for chunk in self.streaming(model, messages, *args, **kwargs):
                yield chunk

    return LocalProvider()
