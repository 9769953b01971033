"""Run planned calls on one event loop: cache first, then the provider under a concurrency limit, with a
bounded retry loop we own (backoff honouring Retry-After, and a shared pause after a 429 so the whole run
slows down, not just one worker). Each finished call becomes a self-contained record, written at once."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from llmops_ci import __version__
from llmops_ci.eval.assertions.base import Output
from llmops_ci.eval.cache import ResponseCache
from llmops_ci.eval.guarding import EvalGuards
from llmops_ci.eval.plan import Call
from llmops_ci.eval.results import SCHEMA_VERSION


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
            await asyncio.sleep(delay)


class ReplayMiss(Exception):
    pass


@dataclass
class _Attempt:
    response: dict[str, Any] | None
    error: dict[str, str] | None
    attempts: int
    cache_hit: bool


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

    async def run(self, calls: Iterable[Call]) -> None:
        """A fixed pool of ``concurrency`` workers pulls the calls one at a time from one iterator, so the
        tasks, futures and pending coroutines alive at any moment do not grow with the number of calls."""
        pending = iter(calls)

        async def one(call: Call) -> None:
            key = call.cache_key  # a digest of the request: computed once per call
            cached = self.cache.get(key)
            if cached is not None:
                self.on_record(await self._record(call, _Attempt(cached["response"], None, 0, True)))
                return
            if self.options.replay:
                self.replay_misses.append(call.case_key)
                error = {"kind": "replay_miss", "message": "no cached response for this request (--replay)"}
                self.on_record(await self._record(call, _Attempt(None, error, 0, False)))
                return
            if self.over_budget:
                return
            attempt = await self._call_with_retries(call)
            if attempt.response is not None:
                self.cache.put(key, _request(call), attempt.response)
            record = await self._record(call, attempt)
            self._spend(record)
            self.on_record(record)

        async def worker() -> None:
            for call in pending:  # one shared iterator: each call goes to exactly one worker
                await one(call)

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
            await asyncio.sleep(delay)

    async def _record(self, call: Call, attempt: _Attempt) -> dict[str, Any]:
        from llmops_ci.eval.assertions import case_passes, evaluate_async
        from llmops_ci.eval.grading import RunnerGrading

        plan = call.plan
        record: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.options.run_id,
            "case_id": call.case_key,
            "suite": plan.suite.name,
            "case": call.case.id,
            "target": {
                "kind": plan.target.kind,
                "name": plan.target.name,
                "digest": plan.target_digest,
                "version": None,
            },
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
        if attempt.response is None:
            record.update(
                output=None, assertions=[], passed=None, score=None, metrics={}, error=attempt.error
            )
            return record
        response = attempt.response
        output = _output(call, response)
        grading = RunnerGrading(self, call)
        try:
            results = [await evaluate_async(spec, output, grading) for spec in call.assertions]
        except Exception as error:  # a check that cannot run is an error of the case, not a failure
            error_record = {"kind": "assertion_error", "message": str(error)[:500]}
            record.update(
                output=output.text,
                assertions=[],
                passed=None,
                score=None,
                metrics=_metrics(response, output.cost_usd),
                error=error_record,
            )
            return record
        passed, score = case_passes(results, None)
        record.update(
            output=output.text,
            assertions=[asdict(result) for result in results],
            passed=passed,
            score=round(score, 6),
            error=None,
            metrics=_metrics(response, output.cost_usd),
        )
        if plan.target.spec.get("output", {}).get("format") == "json":
            record["output_json"] = output.json
        return record


def _output(call: Call, response: dict[str, Any]) -> Output:
    text = str(response.get("text") or "")
    parsed, json_error = None, None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        json_error = error.msg
    input_tokens, output_tokens = response.get("input_tokens"), response.get("output_tokens")
    return Output(
        text=text,
        vars=call.case.vars,
        json=parsed,
        json_error=json_error,
        latency_ms=response.get("latency_ms"),
        ttft_ms=response.get("ttft_ms"),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=_cost(call, input_tokens, output_tokens),
    )


def _cost(call: Call, input_tokens: int | None, output_tokens: int | None) -> float | None:
    from llmops_ci.providers.litellm_provider import cost_usd

    return cost_usd(call.model.id, input_tokens, output_tokens)


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
