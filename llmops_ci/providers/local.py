"""In-process models, ``local/<name>``: registered with litellm as one custom provider (litellm's
``CustomLLM``), so they go through exactly the code path of a real model (cache, retries, metrics).

A local model is any object with ``complete(self, messages, params) -> str`` (``messages`` as sent to a
chat model, ``params`` the prompt's model params). llmops.yaml names them under ``spec.providers.local``::

    spec:
      providers:
        local:
          doc-classifier:                         # served as local/doc-classifier
            use: knn-classifier                   # a built-in (llmops_ci.baselines) or "module:Class"
            options: {train: data/train/classification.jsonl, k: 5}
          my-model: "my_pkg.models:MyModel"       # short form: constructed as MyModel()

Constructor contract: the long form (``use`` + ``options``) and every built-in baseline are constructed as
``Class(options, base_dir)``: ``options`` the mapping from llmops.yaml (``{}`` when omitted), ``base_dir``
the project root (the directory of llmops.yaml) against which relative paths in options resolve. The
constructor checks its options and files and raises an error naming what to fix (an ``LlmopsError``);
it must be cheap (fit lazily, at the first ``complete``). Long-form models are constructed when
llmops.yaml is read, so a wrong option or a missing training file stops ``eval`` before any call, with
``llmops.yaml:line:col``. The short form ``"module:Class"`` is constructed as ``Class()`` at first use.

Built-in baselines that need no options also answer under their own name without any entry
(``local/extractive-qa``, ``local/extractive-summarizer``); the short form may name a built-in too
(``qa: extractive-qa``). An instance lives for the process: a model fits once and serves every call.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from llmops_ci.baselines import BASELINES
from llmops_ci.errors import LlmopsError, ProjectConfigError

if TYPE_CHECKING:
    from llmops_ci.artifacts.loader import ProjectConfig

PROVIDER = "local"

#: name -> the llmops.yaml value it was registered with ("module:Class", a baseline name, or {use, options})
LOCAL_MODELS: dict[str, Any] = {}


class LocalModel(Protocol):
    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str: ...


class LocalModelError(ProjectConfigError):
    """A local model that is not configured, cannot be loaded or rejects its options."""


@dataclass(frozen=True)
class _Entry:
    name: str
    target: str  # "module:Class"
    options: Mapping[str, Any] | None  # None: the short form, constructed with no arguments
    base_dir: Path


_ENTRIES: dict[str, _Entry] = {}
_INSTANCES: dict[str, LocalModel] = {}
_FINGERPRINTS: dict[str, str] = {}  # computed once per registration (files are read then)
_LOCK = threading.RLock()


def register(
    models: Mapping[str, Any], base_dir: Path | None = None, locate: Callable[[str], str] | None = None
) -> None:
    """Register llmops.yaml's ``spec.providers.local`` entries. ``base_dir`` (default: the working
    directory) resolves relative paths in options; ``locate(name)`` says where an entry is written
    (``llmops.yaml:12:7``) for error messages. Long-form entries are constructed now (see the module docs)."""
    for name, value in models.items():
        where = locate(name) if locate is not None else "llmops.yaml"
        entry = _entry(name, value, (base_dir or Path.cwd()).resolve(), where)
        with _LOCK:
            LOCAL_MODELS[name] = value
            _ENTRIES[name] = entry
            _INSTANCES.pop(name, None)
            _FINGERPRINTS.pop(name, None)
        if entry.options is not None:
            try:
                model = _construct(entry)
            except LlmopsError as error:
                raise LocalModelError(f"{where}: local model {name!r}: {error}") from None
            with _LOCK:
                _INSTANCES[name] = model


def fingerprint(model: str) -> str:
    """What a ``local/<name>`` model's answers depend on besides the request, as a digest for the response
    cache's key: its llmops.yaml entry (class and options), the content of every file its options name
    (training data), the source of a ``module:Class`` of the project's own and this llmops-ci's version
    (the built-in baselines' code). New training data is then a cache miss, not a stale answer."""
    name = model.split("/", 1)[1] if model.startswith(f"{PROVIDER}/") else model
    with _LOCK:
        entry = _ENTRIES.get(name)
        known = _FINGERPRINTS.get(name)
    if known is None:
        known = _FINGERPRINTS[name] = _fingerprint(name, entry)
    return known


def _fingerprint(name: str, entry: _Entry | None) -> str:
    import hashlib
    import json

    from llmops_ci import __version__

    digest = hashlib.sha256(f"{__version__}\n{name}\n".encode())
    if entry is None:  # a built-in answering under its own name: its code is this llmops-ci's
        return digest.hexdigest()
    options = dict(entry.options or {})
    digest.update(json.dumps([entry.target, options], sort_keys=True, default=str).encode())
    for value in options.values():
        if isinstance(value, str) and value:
            path = Path(value) if Path(value).is_absolute() else entry.base_dir / value
            digest.update(_content_digest(path))
    source = _module_source(entry.target)
    if source is not None:
        digest.update(_content_digest(source))
    return digest.hexdigest()


def _content_digest(path: Path) -> bytes:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-"
    except OSError:
        return b"!"


def _module_source(target: str) -> Path | None:
    """The file of a ``module:Class`` that is not one of llmops-ci's own, if it can be found unimported."""
    module = target.split(":", 1)[0]
    if module.startswith("llmops_ci."):
        return None
    try:
        import importlib.util

        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def register_project(config: ProjectConfig) -> None:
    """Register the local models of a loaded llmops.yaml, errors pointing at their lines."""
    providers = config.spec.get("providers")
    local = providers.get("local") if isinstance(providers, dict) else None
    if not isinstance(local, dict) or not local:
        return
    artifact = config.artifact

    def locate(name: str) -> str:
        if artifact is None:
            return "llmops.yaml"
        at = artifact.position(("spec", "providers", "local", name), key=True)
        return f"{artifact.rel}:{at.line}:{at.col}"

    register(local, config.root, locate)


def _entry(name: str, value: Any, base_dir: Path, where: str) -> _Entry:
    if isinstance(value, str):
        target = _target(name, value, where)
        return _Entry(name, target, None if value not in BASELINES else {}, base_dir)
    if isinstance(value, Mapping) and isinstance(value.get("use"), str):
        options = value.get("options", {})
        if not isinstance(options, Mapping):
            raise LocalModelError(f"{where}: local model {name!r}: options must be a mapping")
        return _Entry(name, _target(name, value["use"], where), dict(options), base_dir)
    raise LocalModelError(
        f"{where}: local model {name!r}: expected 'module:Class', a baseline name or {{use, options}}"
    )


def _target(name: str, use: str, where: str) -> str:
    if use in BASELINES:
        return BASELINES[use]
    if ":" in use:
        return use
    from llmops_ci.artifacts.schemas import did_you_mean

    hint = did_you_mean(use, BASELINES)
    raise LocalModelError(
        f"{where}: local model {name!r}: {use!r} is neither a built-in baseline{hint} "
        f"nor 'module:Class'; built-ins: {', '.join(BASELINES)}"
    )


def _construct(entry: _Entry) -> LocalModel:
    module_name, _, attribute = entry.target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise LocalModelError(f"cannot load {entry.target}: {error}") from None
    try:
        model: LocalModel = factory() if entry.options is None else factory(entry.options, entry.base_dir)
    except LlmopsError:
        raise
    except Exception as error:  # a user's class: its failure is a configuration problem, not a crash
        call = f"{entry.target}()" if entry.options is None else f"{entry.target}(options, base_dir)"
        raise LocalModelError(f"{call} failed: {type(error).__name__}: {error}") from None
    return model


def _instance(name: str) -> LocalModel:
    with _LOCK:
        model = _INSTANCES.get(name)
        if model is not None:
            return model
        entry = _ENTRIES.get(name)
        if entry is None and name in BASELINES:
            entry = _Entry(name, BASELINES[name], {}, Path.cwd().resolve())
        if entry is None:
            known = ", ".join(sorted({*_ENTRIES, *BASELINES}))
            raise LocalModelError(f"no local model {name!r} (known: {known})")
        try:
            model = _construct(entry)
        except LlmopsError as error:
            fix = ""
            if name in BASELINES and name not in _ENTRIES:
                fix = f"; configure it in llmops.yaml: spec.providers.local.<name>: {{use: {name}, options}}"
            raise LocalModelError(f"local model {name!r}: {error}{fix}") from None
        _INSTANCES[name] = model
        return model


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def handler(litellm: Any) -> Any:
    """The ``CustomLLM`` that serves every ``local/<name>`` model (litellm passes the name unprefixed)."""

    class LocalProvider(litellm.CustomLLM):  # type: ignore[misc]
        def _text(self, model: str, messages: list[dict[str, str]], optional_params: dict[str, Any]) -> str:
            try:
                return _instance(model).complete(messages, dict(optional_params or {}))
            except LlmopsError as error:
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
            # in a worker thread: a model's CPU work (a first-call fit above all) must not stall the event
            # loop, or every concurrent call's measured latency would include it
            import asyncio  # here, not at the top: a cached rerun of eval starts no event loop at all

            return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)

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
            import asyncio

            chunks = await asyncio.to_thread(lambda: list(self.streaming(model, messages, *args, **kwargs)))
            for chunk in chunks:
                yield chunk

    return LocalProvider()
