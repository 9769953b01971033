"""Run planned calls on one event loop: cache first, then the provider under a concurrency limit, with a
bounded retry loop we own (backoff honouring Retry-After, and a shared pause after a 429 so the whole run
slows down, not just one worker). Each finished call becomes a self-contained record, written at once."""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from llmops_ci import __version__
from llmops_ci.eval import guarding
from llmops_ci.eval.assertions.base import AssertionResult, Output
from llmops_ci.eval.cache import ResponseCache
from llmops_ci.eval.guarding import EvalGuards, Guarded
from llmops_ci.eval.plan import Call
from llmops_ci.eval.results import SCHEMA_VERSION
from llmops_ci.providers.catalog import cost_from_usage


@dataclass
class RunOptions:
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    replay: bool = False
    stream: bool = False
    git_sha: str | None = None
    run_id: str = ""
    max_cost_usd: float | None = None


T = TypeVar("T")


class RateGate:
    """After a 429 every worker waits until the server's Retry-After (or our backoff) has passed."""

    def __init__(self) -> None:
        self.not_before = 0.0

    def hold(self, seconds: float) -> None:
        self.not_before = max(self.not_before, time.monotonic() + seconds)

    async def wait(self) -> None:
        delay = self.not_before - time.monotonic()
        if delay > 0:
            await _sleep(delay)


async def _sleep(seconds: float) -> None:
    import asyncio  # imported when a run needs its event loop, not before (see Runner.serve_cached)

    await asyncio.sleep(seconds)


class ReplayMiss(Exception):
    pass


@dataclass
class _Attempt:
    response: dict[str, Any] | None
    error: dict[str, str] | None
    attempts: int
    cache_hit: bool


#: What a call blocked by an input guardrail "answers": nothing reaches the model, nothing is spent.
BLOCKED_RESPONSE: dict[str, Any] = {
    "text": "",
    "input_tokens": 0,
    "output_tokens": 0,
    "latency_ms": None,
    "ttft_ms": None,
    "finish_reason": "blocked",
}


def _request(call: Call) -> dict[str, Any]:
    return {
        "model": call.model.id,
        "params": call.model.params,
        "messages": call.messages,
        "repeat": call.repeat,
    }


class Runner:
    def __init__(
        self, options: RunOptions, cache: ResponseCache, on_record: Callable[[dict[str, Any]], None]
    ):
        self.options = options
        self.cache = cache
        self.on_record = on_record
        self.gate = RateGate()
        self.replay_misses: list[str] = []
        self.calls_made = 0
        self.spent_usd = 0.0
        self.over_budget = False
        self.guards: EvalGuards | None = None
        self._prices: dict[str, tuple[float | None, float | None]] = {}

    def _cost(self, model: str, input_tokens: Any, output_tokens: Any) -> float | None:
        """From the usage and litellm's price table (read as data, once per model and run)."""
        prices = self._prices.get(model)
        if prices is None:
            from llmops_ci.providers.catalog import model_info

            info = model_info(model)
            prices = self._prices[model] = (info.input_cost_per_token, info.output_cost_per_token)
        return cost_from_usage(prices, input_tokens, output_tokens)

    def _policies(self, call: Call) -> list[Any]:
        """The guardrail policies the call's suite runs with (its own and its prompt's)."""
        if self.guards is None:
            return []
        policies = self.guards.for_plan(call.plan)
        if call.plan.agent is not None and call.plan.agent.guardrails:  # --- agent suites: the Agent's own
            known = {policy.name for policy in policies}
            names = [name for name in call.plan.agent.guardrails if name not in known]
            policies = [*policies, *self.guards.policies(names)]
        return policies

    def serve_cached(self, calls: Iterable[Call]) -> Iterator[Call]:
        """Record at once, without an event loop, every call the cache answers whole (its response in
        the cache, or blocked by an input guardrail; its assertions and guardrails all deterministic);
        yield the others, for :meth:`run`. A rerun served entirely from the cache never starts the event
        loop nor imports the provider."""
        for original in calls:
            policies = self._policies(original)
            if _deterministic(original) and not guarding.needs_model(policies):
                call, entry = _guard_input_now(original, policies)
                if entry is not None and entry.blocked:
                    self.on_record(self._record_now(call, _Attempt(BLOCKED_RESPONSE, None, 0, False), entry))
                    continue
                cached = self.cache.get(call.cache_key, call.plan.name)
                if cached is not None:
                    self.on_record(self._record_now(call, _Attempt(cached["response"], None, 0, True), entry))
                    continue
            yield original

    async def run(self, calls: Iterable[Call]) -> None:
        """A fixed pool of ``concurrency`` workers pulls the calls one at a time from one iterator, so the
        tasks, futures and pending coroutines alive at any moment do not grow with the number of calls."""
        pending = iter(calls)

        async def one(call: Call) -> None:
            call, entry = await self._guard_input(call)
            if entry is not None and entry.blocked:
                self.on_record(await self._record(call, _Attempt(BLOCKED_RESPONSE, None, 0, False), entry))
                return
            key = call.cache_key  # a digest of the request: computed once per call
            group = call.plan.name
            cached = self.cache.get(key, group)
            if cached is not None:
                self.on_record(await self._record(call, _Attempt(cached["response"], None, 0, True), entry))
                return
            if self.options.replay:
                self.replay_misses.append(call.case_key)
                error = {"kind": "replay_miss", "message": "no cached response for this request (--replay)"}
                self.on_record(await self._record(call, _Attempt(None, error, 0, False), entry))
                return
            if self.over_budget:
                return
            attempt = await self._call_with_retries(call)
            if attempt.response is not None:
                self.cache.put(key, _request(call), attempt.response, group)
            record = await self._record(call, attempt, entry)
            self._spend(record)
            self.on_record(record)

        async def worker() -> None:
            for call in pending:  # one shared iterator: each call goes to exactly one worker
                await one(call)

        import asyncio  # here: a run served from the cache has no event loop (see serve_cached)

        await asyncio.gather(*(worker() for _ in range(max(1, self.options.concurrency))))

    def _spend(self, record: dict[str, Any]) -> None:
        cost = record.get("metrics", {}).get("cost_usd")
        if isinstance(cost, (int, float)):
            self.spent_usd += cost
        budget = self.options.max_cost_usd
        if budget is not None and self.spent_usd > budget:
            self.over_budget = True

    async def with_retries(
        self, make_call: Callable[[], Awaitable[T]]
    ) -> tuple[T | None, dict[str, str] | None, int]:
        """(result, None, attempts) or (None, error, attempts): the retry loop of every model call."""
        from llmops_ci.providers.litellm_provider import ProviderError

        attempts = 0
        while True:
            attempts += 1
            await self.gate.wait()
            try:
                self.calls_made += 1
                return await make_call(), None, attempts
            except ProviderError as error:
                if not error.retryable or attempts > self.options.max_retries:
                    return None, {"kind": error.kind, "message": error.message}, attempts
                await self._back_off(error.kind, error.retry_after, attempts)

    async def _call_with_retries(self, call: Call) -> _Attempt:
        if call.agent is not None:  # --- agent suites: the tool-calling loop (llmops_ci.agents.loop)
            from llmops_ci.agents.loop import run_task

            answer, failure, tries = await run_task(self, call)
            return _Attempt(answer, failure, tries, False)
        from llmops_ci.providers.litellm_provider import complete

        completion, error, attempts = await self.with_retries(
            lambda: complete(
                call.model.id,
                call.messages,
                call.model.params,
                api_base=call.model.api_base,
                timeout=float(call.model.params.get("timeout", self.options.timeout_s)),
                stream=self.options.stream,
            )
        )
        if completion is None:
            return _Attempt(None, error, attempts, False)
        response = {
            "text": completion.text,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "latency_ms": round(completion.latency_ms, 3),
            "ttft_ms": None if completion.ttft_ms is None else round(completion.ttft_ms, 3),
            "finish_reason": completion.finish_reason,
        }
        return _Attempt(response, None, attempts, False)

    async def _back_off(self, kind: str, retry_after: float | None, attempts: int) -> None:
        exponential = min(self.options.max_backoff_s, self.options.backoff_s * 2 ** (attempts - 1))
        delay = retry_after if retry_after is not None else exponential * (0.5 + random.random() / 2)
        if kind == "rate_limit":
            self.gate.hold(delay)
            await self.gate.wait()
        else:
            await _sleep(delay)

    async def _guard_input(self, call: Call) -> tuple[Call, Guarded | None]:
        """The call as the application would send it after the input guardrails, and their outcome."""
        policies = self._policies(call)
        if not guarding.needs_model(policies):
            return _guard_input_now(call, policies)
        from llmops_ci.eval.grading import RunnerGrading

        messages, entry = await guarding.guard_messages(policies, call.messages, RunnerGrading(self, call))
        return _with_messages(call, messages), entry

    def _started_record(
        self, call: Call, attempt: _Attempt, entry: Guarded | None = None
    ) -> tuple[dict[str, Any], Output | None]:
        """The record's fields known before any assertion, and the output to check (None: the call
        failed, and the record is complete)."""
        plan = call.plan
        record: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.options.run_id,
            "case_id": call.case_key,
            "suite": plan.suite.name,
            "case": call.case.id,
            "target": _target(call),
            "model": call.model.name,
            "model_id": call.model.id,
            "repeat": call.repeat,
            "min_passes": plan.min_passes,
            "thresholds": plan.thresholds,
            "messages_digest": call.messages_digest,
            "vars": call.vars,
            "cache_hit": attempt.cache_hit,
            "attempts": attempt.attempts,
            "lineage": {"git_sha": self.options.git_sha, "toolkit_version": __version__, "chunk_ids": []},
        }
        if call.retrieval is not None:
            record["retrieval"] = call.retrieval
            record["lineage"]["chunk_ids"] = [chunk["id"] for chunk in call.retrieval["chunks"]]
        if entry is not None:
            record["guardrails"] = {"input": entry.to_dict()}
            record["blocked"] = "input" if entry.blocked else None
        if attempt.response is None:
            record.update(
                output=None, assertions=[], passed=None, score=None, metrics={}, error=attempt.error
            )
            return record, None
        return record, _output(call, attempt.response, self._cost)

    async def _record(self, call: Call, attempt: _Attempt, entry: Guarded | None = None) -> dict[str, Any]:
        from llmops_ci.eval.grading import RunnerGrading

        record, output = self._started_record(call, attempt, entry)
        if output is None or attempt.response is None:
            return record
        grading = RunnerGrading(self, call)
        policies = self._policies(call)
        if policies and record.get("blocked") is None:
            try:
                delivered = await guarding.guard_text(policies, output.text, "output", grading)
            except Exception as error:  # a model-based check whose grader failed: an error of the case
                return _assertion_error(record, attempt.response, output, error)
            _deliver(record, output, delivered)
        try:
            results = [await _evaluate(spec, output, grading) for spec in call.assertions]
        except Exception as error:  # a check that cannot run is an error of the case, not a failure
            return _assertion_error(record, attempt.response, output, error)
        return _finished(record, call, attempt.response, output, results)

    def _record_now(self, call: Call, attempt: _Attempt, entry: Guarded | None = None) -> dict[str, Any]:
        """:meth:`_record` of a call whose assertions and guardrails are all deterministic
        (:func:`_deterministic`): nothing to wait for, so no event loop."""
        from llmops_ci.eval import assertions

        record, output = self._started_record(call, attempt, entry)
        if output is None or attempt.response is None:
            return record
        policies = self._policies(call)
        if policies and record.get("blocked") is None:
            _deliver(record, output, guarding.guard_text_now(policies, output.text, "output"))
        try:
            results = []
            for spec in call.assertions:
                name = str(spec.get("type", ""))
                kind = name[4:] if name.startswith("not-") else name
                results.append(
                    assertions._finish(spec, name, kind, assertions.ASSERTIONS[kind](output, spec))
                )
        except Exception as error:  # a check that cannot run is an error of the case, not a failure
            return _assertion_error(record, attempt.response, output, error)
        return _finished(record, call, attempt.response, output, results)


def _with_messages(call: Call, messages: list[dict[str, str]]) -> Call:
    return call if messages == call.messages else dataclasses.replace(call, messages=messages)


def _guard_input_now(call: Call, policies: list[Any]) -> tuple[Call, Guarded | None]:
    if not policies:
        return call, None
    messages, entry = guarding.guard_messages_now(policies, call.messages)
    return _with_messages(call, messages), entry


def _deliver(record: dict[str, Any], output: Output, delivered: Guarded) -> None:
    """What the user receives after the output guardrails: assertions judge it; the model's own text
    stays as ``raw_output`` when it differs."""
    record.setdefault("guardrails", {})["output"] = delivered.to_dict()
    record["blocked"] = "output" if delivered.blocked else record.get("blocked")
    text = "" if delivered.blocked else delivered.text
    if text != output.text:
        output.raw_text, output.text = output.text, text
        output.json, output.json_error = _parse_json(text)


def _deterministic(call: Call) -> bool:
    """Every assertion of the call is a plain check of the output (no grader, no run context)."""
    from llmops_ci.eval.assertions import ASSERTIONS

    for spec in call.assertions:
        name = str(spec.get("type", ""))
        if (name[4:] if name.startswith("not-") else name) not in ASSERTIONS:
            return False
    return True


def _assertion_error(
    record: dict[str, Any], response: dict[str, Any], output: Output, error: Exception
) -> dict[str, Any]:
    record.update(
        output=output.text,
        assertions=[],
        passed=None,
        score=None,
        metrics=_metrics(response, output.cost_usd),
        error={"kind": "assertion_error", "message": str(error)[:500]},
    )
    return record


def _finished(
    record: dict[str, Any],
    call: Call,
    response: dict[str, Any],
    output: Output,
    results: list[AssertionResult],
) -> dict[str, Any]:
    from llmops_ci.eval.assertions import case_passes

    passed, score = case_passes(results, None)
    if output.raw_text is not None:
        record["raw_output"] = output.raw_text
    if output.text and record.get("blocked") is None:
        record["pii"] = guarding.pii_entities(output.text)
    record.update(
        output=output.text,
        assertions=[_result_dict(result) for result in results],
        passed=passed,
        score=round(score, 6),
        error=None,
        metrics=_metrics(response, output.cost_usd),
    )
    if call.plan.target.spec.get("output", {}).get("format") == "json":
        record["output_json"] = output.json
    if "agent" in response:  # --- agent suites: the tool-calling transcript
        record["agent"] = response["agent"]
    if call.retrieval is not None:
        from llmops_ci.rag.evaluate import answer_measures

        retrieval = record["retrieval"] = {**call.retrieval, "metrics": dict(call.retrieval["metrics"])}
        if record.get("blocked") is None:
            retrieval["metrics"].update(answer_measures(call.retrieval, output.text))
    return record


def _target(call: Call) -> dict[str, Any]:
    plan = call.plan
    if plan.agent is not None:  # --- agent suites: the Agent is what the suite evaluates
        agent = plan.agent.agent
        return {"kind": agent.kind, "name": agent.name, "digest": plan.agent.digest, "version": None}
    if plan.rag is not None:  # the pipeline is what the suite evaluates; its answer prompt is part of it
        pipeline = plan.rag.pipeline
        return {
            "kind": pipeline.kind,
            "name": pipeline.name,
            "digest": plan.rag.digest,
            "version": None,
            "index": plan.rag.retriever.index.key,  # the corpus and chunking the answers came from
        }
    return {"kind": plan.target.kind, "name": plan.target.name, "digest": plan.target_digest, "version": None}


async def _evaluate(spec: dict[str, Any], output: Output, grading: Any) -> AssertionResult:
    """``evaluate_async`` without checking the parameters again: the planner checked every assertion of
    every call before the run (``validate_params``), and checking costs more than most checks. Types
    outside the deterministic registry (model-graded ones) take the full path."""
    from llmops_ci.eval import assertions

    name = str(spec.get("type", ""))
    kind = name[4:] if name.startswith("not-") else name
    check = assertions.ASSERTIONS.get(kind)
    if check is None:
        return await assertions.evaluate_async(spec, output, grading)
    return assertions._finish(spec, name, kind, check(output, spec))


_RESULT_FIELDS = tuple(field.name for field in fields(AssertionResult))


def _result_dict(result: AssertionResult) -> dict[str, Any]:
    """``dataclasses.asdict`` of a result, without its deep copy (a result's values are its own)."""
    return {name: getattr(result, name) for name in _RESULT_FIELDS}


#: What a JSON text can start with (after white space); anything else fails at once, as "Expecting value".
_JSON_STARTS = frozenset('{["-0123456789tfnNI')


def _parse_json(text: str) -> tuple[Any, str | None]:
    if text.lstrip(" \t\n\r")[:1] not in _JSON_STARTS:
        return None, "Expecting value"  # what json.loads says of such a text, without the exception
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, error.msg


def _output(call: Call, response: dict[str, Any], cost: Callable[[str, Any, Any], float | None]) -> Output:
    text = str(response.get("text") or "")
    parsed, json_error = _parse_json(text)
    input_tokens, output_tokens = response.get("input_tokens"), response.get("output_tokens")
    output = Output(
        text=text,
        vars=call.case.vars,
        json=parsed,
        json_error=json_error,
        latency_ms=response.get("latency_ms"),
        ttft_ms=response.get("ttft_ms"),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost(call.model.id, input_tokens, output_tokens),
        context=list(call.retrieval["chunks"]) if call.retrieval is not None else [],
    )
    if "agent" in response:  # --- agent suites: the final answer with its transcript
        from llmops_ci.eval.assertions.agent import AgentOutput

        return AgentOutput(**vars(output), agent=response["agent"])
    return output


def _metrics(response: dict[str, Any], cost: float | None) -> dict[str, Any]:
    latency, output_tokens = response.get("latency_ms"), response.get("output_tokens")
    tokens_per_s = None
    if isinstance(latency, (int, float)) and latency > 0 and isinstance(output_tokens, int):
        tokens_per_s = round(output_tokens / (latency / 1000), 3)
    return {
        "latency_ms": latency,
        "ttft_ms": response.get("ttft_ms"),
        "tokens_per_s": tokens_per_s,
        "input_tokens": response.get("input_tokens"),
        "output_tokens": output_tokens,
        "cost_usd": cost,
    }
