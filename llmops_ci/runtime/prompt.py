"""A loaded prompt: render its messages, call its model with its guardrails, fallbacks, an optional
response cache, and one audit record per call.

``complete(**inputs)`` (sync) and ``await acomplete(**inputs)``:

1. the inputs are checked against the prompt's ``inputs`` schema; ``context`` (retrieved chunks: dicts
   with ``id``, ``text``, ``source``, ``score``, or plain strings) goes through the policies' retrieval
   checks (a blocked chunk is dropped, a redacted one edited) before it fills the template;
2. the messages are rendered (sandboxed Jinja2, strict undefined) and the user messages go through the
   input checks: a block raises :class:`GuardrailBlocked` (no model call); redactions change what is sent;
3. the model is called through litellm; on an error (rate limit, timeout, provider error, unusable
   response), after ``retries`` retries, the next of ``spec.model.fallbacks`` is tried, in order. With a
   cache, a request already answered (same model, params and messages: the key ``eval`` uses) is served
   from it without a call;
4. the output checks run on the answer: a block raises :class:`GuardrailBlocked`, redactions and masks
   change the text returned;
5. an audit record is appended (blocked and failed calls too).

Model-based checks (``toxicity``, ``llm_judge``) run only in ``llmops-ci eval``; at runtime they are
skipped. The sync ``complete`` runs ``acomplete`` on a private event loop (one per process, in a daemon
thread), so it works whether or not the calling thread runs an event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.artifacts.templates import RESERVED_VARIABLES, line_in_file, sandbox
from llmops_ci.runtime.errors import GuardrailBlocked, ModelCallError, PromptInputError, PromptLoadError
from llmops_ci.runtime.snapshot import Bundle

if TYPE_CHECKING:
    from jinja2 import Template

    from llmops_ci.eval.cache import ResponseCache
    from llmops_ci.eval.guarding import Guarded
    from llmops_ci.guardrails.policy import Policy
    from llmops_ci.runtime.audit import AuditLog

log = logging.getLogger("llmops_ci.runtime")
T = TypeVar("T")
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class ModelTarget:
    """A model to call: the prompt's own, or one of its fallbacks."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)
    api_base: str | None = None


def model_targets(spec: dict[str, Any], project_spec: dict[str, Any]) -> list[ModelTarget]:
    """The prompt's model (else the project's ``defaults.model``), then its fallbacks, each with the
    primary's params under its own."""
    defaults = project_spec.get("defaults")
    ref = spec.get("model", defaults.get("model") if isinstance(defaults, dict) else None)
    primary_id = model_id(ref)
    if primary_id is None:
        return []
    primary = ModelTarget(primary_id, params_of(ref), ref.get("api_base") if isinstance(ref, dict) else None)
    targets = [primary]
    for fallback in ref.get("fallbacks", []) if isinstance(ref, dict) else []:
        fallback_id = model_id(fallback)
        if fallback_id is not None:
            api_base = fallback.get("api_base") if isinstance(fallback, dict) else None
            targets.append(ModelTarget(fallback_id, {**primary.params, **params_of(fallback)}, api_base))
    return targets


@dataclass(frozen=True)
class Result:
    """What a call delivered: ``text`` (after the output guardrails), which ``model`` answered (``fallback``:
    not the prompt's own), usage, cost (0 for a cache hit; None when the model has no price), latency of the
    whole call, the guardrail outcomes and the failed attempts before the answer."""

    text: str
    prompt: str
    version: str
    digest: str
    model: str
    fallback: bool
    cache_hit: bool
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    latency_ms: float
    finish_reason: str | None
    guardrails: dict[str, Any]
    errors: list[dict[str, Any]]
    audit_id: str | None

    def __str__(self) -> str:
        return self.text

    def json(self) -> Any:
        """The text parsed as JSON (for prompts with ``output: {format: json}``)."""
        return json.loads(self.text)


@dataclass
class _Answer:
    target: ModelTarget
    index: int
    response: dict[str, Any]
    cache_hit: bool


@dataclass
class CallOptions:
    """Per-prompt options set by ``load_prompt``."""

    timeout: float = 60.0
    retries: int = 0
    backoff_s: float = 0.5
    cache: SharedCache | None = None
    audit: AuditLog | None = None
    #: where relative paths of llmops.yaml (local models' options) resolve: the project, or the lock's dir
    base_dir: Path | None = None


class SharedCache:
    """A :class:`~llmops_ci.eval.cache.ResponseCache` used by several threads: one lock around it. Entries
    go into this process's pack, finished when the process exits (or :meth:`close`)."""

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache
        self._lock = threading.Lock()

    def get(self, key: str, group: str) -> dict[str, Any] | None:
        with self._lock:
            return self.cache.get(key, group)

    def put(self, key: str, request: dict[str, Any], response: dict[str, Any], group: str) -> None:
        with self._lock:
            self.cache.put(key, request, response, group)

    def close(self) -> None:
        with self._lock:
            self.cache.close()


@lru_cache(maxsize=1024)
def _template(source: str) -> Template:
    return sandbox().from_string(source)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    return validator_for(schema)(schema)


def _template_line(error: BaseException) -> int:
    """The template line an error happened on (Jinja2 rewrites tracebacks to point at template lines)."""
    line = getattr(error, "lineno", None)
    if isinstance(line, int) and line > 0:
        return line
    found = 1
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            found = trace.tb_lineno
        trace = trace.tb_next
    return found


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _guard_summary(guarded: Guarded | None) -> dict[str, Any] | None:
    """A scope's outcome without the matched text (findings keep policy, check, action, entity, span)."""
    if guarded is None:
        return None
    summary = guarded.to_dict()
    summary["findings"] = [
        {k: v for k, v in finding.items() if k != "detail"} for finding in summary["findings"]
    ]
    return summary


class Prompt:
    """One version of a prompt, as ``load_prompt`` returns it."""

    def __init__(
        self,
        bundle: Bundle,
        *,
        env: str | None,
        source: str,
        promotion: str | None = None,
        bucket: int | None = None,
        options: CallOptions | None = None,
    ) -> None:
        self._bundle = bundle
        self.name = bundle.name
        self.version = bundle.version
        self.digest = bundle.digest
        self.env = env
        self.source = source
        self.promotion = promotion
        self.bucket = bucket
        self.options = options or CallOptions()
        self.models = model_targets(bundle.spec, bundle.project_spec)
        self._compile()

    # --- what it is ------------------------------------------------------------------------------------

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def spec(self) -> dict[str, Any]:
        return self._bundle.spec

    @property
    def path(self) -> str:
        return self._bundle.path

    @property
    def release_tag(self) -> str | None:
        return self._bundle.release_tag

    @property
    def policies(self) -> tuple[Policy, ...]:
        return self._bundle.policies

    @property
    def model(self) -> str | None:
        return self.models[0].id if self.models else None

    @property
    def fallbacks(self) -> list[str]:
        return [target.id for target in self.models[1:]]

    def __repr__(self) -> str:
        where = f"{self.env}, " if self.env else ""
        return f"<Prompt {self.ref} ({where}{self.source}) {self.digest}>"

    # --- rendering -------------------------------------------------------------------------------------

    def _compile(self) -> None:
        for index, message in enumerate(self.spec.get("messages", [])):
            try:
                _template(str(message["content"]))
            except Exception as error:  # jinja2's TemplateSyntaxError and friends
                raise PromptLoadError(self._template_problem(index, error)) from None

    def _template_problem(self, index: int, error: BaseException) -> str:
        path = ("spec", "messages", index, "content")
        position = line_in_file(self._bundle.artifact, path, _template_line(error))
        message = getattr(error, "message", None) or str(error)
        return f"{self.path}:{position.line}:{position.col}: {self.ref}, message {index + 1}: {message}"

    def validate(self, inputs: dict[str, Any]) -> None:
        """Check ``inputs`` against the ``inputs`` schema (reserved ``context`` and ``examples`` are not
        checked unless the schema declares them); raises :class:`PromptInputError`."""
        schema = self.spec.get("inputs")
        if not isinstance(schema, dict):
            return
        properties = schema.get("properties")
        declared = properties if isinstance(properties, dict) else {}
        checked = {k: v for k, v in inputs.items() if k not in RESERVED_VARIABLES or k in declared}
        from llmops_ci.artifacts.digest import canonical_json

        errors = sorted(
            _validator(canonical_json(schema)).iter_errors(checked),
            key=lambda e: [str(part) for part in e.absolute_path],
        )
        if errors:
            problems = [
                f"{'.'.join(str(p) for p in error.absolute_path) or 'inputs'}: {error.message}"
                for error in errors
            ]
            raise PromptInputError(f"inputs of {self.ref}: " + "; ".join(problems[:5]), problems)

    def _render(self, variables: dict[str, Any]) -> list[dict[str, str]]:
        context = {"examples": self.spec.get("examples", []), "context": [], **variables}
        rendered = []
        for index, message in enumerate(self.spec.get("messages", [])):
            try:
                text = _template(str(message["content"])).render(context)
            except Exception as error:  # strict undefined, a filter's error, sandbox refusals
                raise PromptInputError(self._template_problem(index, error)) from None
            item = {"role": str(message["role"]), "content": text}
            if "name" in message:
                item["name"] = str(message["name"])
            rendered.append(item)
        return rendered

    def render(self, **inputs: Any) -> list[dict[str, str]]:
        """The chat messages for ``inputs`` (validated first)."""
        self.validate(inputs)
        return self._render(inputs)

    # --- calling ---------------------------------------------------------------------------------------

    def complete(self, **inputs: Any) -> Result:
        """:meth:`acomplete`, waited for."""
        return run_sync(self.acomplete(**inputs))

    async def acomplete(self, **inputs: Any) -> Result:
        from llmops_ci.eval.guarding import guard_messages_now, guard_text_now

        started = time.perf_counter()
        call = _CallRecord(self, _now())
        self.validate(inputs)
        if "context" in inputs:
            inputs = {**inputs, "context": self._guard_context(inputs["context"], call)}
        messages = self._render(inputs)
        sent, guarded_in = guard_messages_now(self.policies, messages)
        call.messages = sent
        call.guarded["input"] = guarded_in
        if guarded_in.blocked:
            call.blocked = "input"
            audit_id = self._audit(call, started)
            raise GuardrailBlocked("input", guarded_in.verdicts, audit_id)
        answer = await self._call_models(sent, call)
        if answer is None:
            audit_id = self._audit(call, started)
            raise ModelCallError(call.errors, audit_id)
        call.answer = answer
        response = answer.response
        guarded_out = guard_text_now(self.policies, str(response.get("text") or ""), "output")
        call.guarded["output"] = guarded_out
        if guarded_out.blocked:
            call.blocked = "output"
            audit_id = self._audit(call, started)
            raise GuardrailBlocked("output", guarded_out.verdicts, audit_id)
        call.output = guarded_out.text
        audit_id = self._audit(call, started)
        return Result(
            text=guarded_out.text,
            prompt=self.name,
            version=self.version,
            digest=self.digest,
            model=answer.target.id,
            fallback=answer.index > 0,
            cache_hit=answer.cache_hit,
            input_tokens=response.get("input_tokens"),
            output_tokens=response.get("output_tokens"),
            cost_usd=call.cost_usd,
            latency_ms=call.latency_ms,
            finish_reason=response.get("finish_reason"),
            guardrails={scope: _guard_summary(g) for scope, g in call.guarded.items()},
            errors=list(call.errors),
            audit_id=audit_id,
        )

    def _guard_context(self, context: Any, call: _CallRecord) -> Any:
        """Retrieved chunks through the retrieval checks: blocked ones dropped, redactions applied."""
        if not isinstance(context, list):
            return context
        call.chunk_ids = [
            str(chunk.get("id"))
            for chunk in context
            if isinstance(chunk, dict) and chunk.get("id") is not None
        ]
        policies = [policy for policy in self.policies if policy.applies_to("retrieval")]
        if not policies:
            return context
        from llmops_ci.eval.guarding import Guarded, guard_text_now

        combined = Guarded("retrieval", "")
        kept: list[Any] = []
        for chunk in context:
            text = str(chunk.get("text", "")) if isinstance(chunk, dict) else str(chunk)
            guarded = guard_text_now(policies, text, "retrieval")
            combined.verdicts.extend(guarded.verdicts)
            if guarded.blocked:
                if isinstance(chunk, dict) and chunk.get("id") is not None:
                    call.dropped_chunk_ids.append(str(chunk["id"]))
                continue
            if guarded.text != text:
                chunk = {**chunk, "text": guarded.text} if isinstance(chunk, dict) else guarded.text
            kept.append(chunk)
        call.guarded["retrieval"] = combined
        return kept

    async def _call_models(self, messages: list[dict[str, str]], call: _CallRecord) -> _Answer | None:
        if not self.models:
            raise PromptLoadError(
                f"{self.path}: {self.ref} names no model and llmops.yaml sets no defaults.model"
            )
        self._register_local_models()
        for index, target in enumerate(self.models):
            call.models_tried.append(target.id)
            answer = await self._call_model(index, target, messages, call)
            if answer is not None:
                return answer
        return None

    async def _call_model(
        self, index: int, target: ModelTarget, messages: list[dict[str, str]], call: _CallRecord
    ) -> _Answer | None:
        cache = self.options.cache
        key = ""
        if cache is not None:
            from llmops_ci.eval.plan import ModelSpec, request_key

            key = request_key(ModelSpec(target.id, target.params), messages, 0)
            cached = cache.get(key, self.name)
            if cached is not None:
                return _Answer(target, index, dict(cached["response"]), True)
        from llmops_ci.providers.litellm_provider import ProviderError, complete

        timeout = float(target.params.get("timeout", self.options.timeout))
        for attempt in range(self.options.retries + 1):
            try:
                completion = await complete(
                    target.id, messages, target.params, api_base=target.api_base, timeout=timeout
                )
            except ProviderError as error:
                call.errors.append({"model": target.id, "kind": error.kind, "message": error.message})
                if attempt >= self.options.retries or not error.retryable:
                    return None
                backoff = min(MAX_BACKOFF_S, self.options.backoff_s * 2**attempt)
                await asyncio.sleep(min(error.retry_after, MAX_BACKOFF_S) if error.retry_after else backoff)
                continue
            response = {
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "latency_ms": round(completion.latency_ms, 3),
                "ttft_ms": None,
                "finish_reason": completion.finish_reason,
            }
            if cache is not None:
                request = {"model": target.id, "params": target.params, "messages": messages, "repeat": 0}
                cache.put(key, request, response, self.name)
            return _Answer(target, index, response, False)
        return None  # pragma: no cover - the loop always returns

    def _register_local_models(self) -> None:
        providers = self._bundle.project_spec.get("providers")
        local = providers.get("local") if isinstance(providers, dict) else None
        if not isinstance(local, dict) or not local:
            return
        from llmops_ci.providers.local import LOCAL_MODELS, register

        changed = {name: target for name, target in local.items() if LOCAL_MODELS.get(name) != target}
        if changed:
            register(changed, base_dir=self.options.base_dir)

    # --- audit -----------------------------------------------------------------------------------------

    def _audit(self, call: _CallRecord, started: float) -> str | None:
        call.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        answer = call.answer
        if answer is not None:
            response = answer.response
            if answer.cache_hit:
                call.cost_usd = 0.0
            else:
                from llmops_ci.providers.litellm_provider import cost_usd

                call.cost_usd = cost_usd(
                    answer.target.id, response.get("input_tokens"), response.get("output_tokens")
                )
        audit = self.options.audit
        if audit is None:
            return None
        record = call.record(audit)
        try:
            audit.write(record)
        except OSError:
            log.exception("llmops-ci: cannot write the audit record to %s", audit.directory)
        return str(record["id"])


@dataclass
class _CallRecord:
    """What one call did, gathered for its audit record."""

    prompt: Prompt
    time: str
    messages: list[dict[str, str]] = field(default_factory=list)
    guarded: dict[str, Guarded] = field(default_factory=dict)
    blocked: str | None = None
    answer: _Answer | None = None
    output: str | None = None
    models_tried: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    chunk_ids: list[str] | None = None
    dropped_chunk_ids: list[str] = field(default_factory=list)
    cost_usd: float | None = None
    latency_ms: float = 0.0

    def record(self, audit: AuditLog) -> dict[str, Any]:
        """The audit record (``schemas/audit-record.schema.json``), every text redacted."""
        from llmops_ci.runtime.audit import AUDIT_SCHEMA_VERSION

        prompt, answer = self.prompt, self.answer
        response = answer.response if answer is not None else {}
        if self.blocked:
            outcome = "blocked"
        elif answer is None:
            outcome = "error"
        else:
            outcome = "ok"
        return {
            "schema_version": AUDIT_SCHEMA_VERSION,
            "id": uuid.uuid4().hex,
            "time": self.time,
            "artifact": prompt.ref,
            "prompt": prompt.name,
            "version": prompt.version,
            "digest": prompt.digest,
            "env": prompt.env,
            "source": prompt.source,
            "promotion": prompt.promotion,
            "bucket": prompt.bucket,
            "outcome": outcome,
            "blocked": self.blocked,
            "model": answer.target.id if answer is not None else None,
            "fallback": answer is not None and answer.index > 0,
            "models_tried": self.models_tried,
            "cache_hit": bool(answer and answer.cache_hit),
            "tokens": {"input": response.get("input_tokens"), "output": response.get("output_tokens")},
            "cost_usd": self.cost_usd,
            "latency_ms": self.latency_ms,
            "guardrails": {scope: _guard_summary(guarded) for scope, guarded in self.guarded.items()},
            "rag": None
            if self.chunk_ids is None
            else {"chunk_ids": self.chunk_ids, "dropped_chunk_ids": self.dropped_chunk_ids},
            "input": [
                {**message, "content": audit.redact(str(message.get("content", "")))}
                for message in self.messages
            ],
            "output": audit.redact(self.output) if self.output is not None else None,
            "errors": [{**error, "message": audit.redact(str(error["message"]))} for error in self.errors],
        }


# --- the private event loop of the sync API --------------------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _private_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="llmops-ci-runtime", daemon=True).start()
            _loop = loop
        return _loop


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the private event loop and wait for it (one loop per process, as litellm's
    HTTP clients expect; usable from any thread, with or without a running loop)."""
    future = asyncio.run_coroutine_threadsafe(coroutine, _private_loop())
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise
