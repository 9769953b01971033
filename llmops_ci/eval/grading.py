"""Grader and embedding calls for model-graded assertions, made by the runner: cached like model calls
(so a cached rerun makes no request of any kind), retried by the same loop, recorded with model and
params."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.eval.assertions.model_graded import GradingError

if TYPE_CHECKING:
    from llmops_ci.eval.plan import Call
    from llmops_ci.eval.runner import Runner
    from llmops_ci.guardrails.policy import Policy

GRADER_DEFAULT_PARAMS = {"temperature": 0}


class RunnerGrading:
    """The :class:`~llmops_ci.eval.assertions.model_graded.Grading` of one call of a run."""

    def __init__(self, runner: Runner, call: Call) -> None:
        self.runner = runner
        self.call = call

    def _grader(self, spec: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
        ref: Any = spec.get("grader")
        if ref is None:
            plan_grader = self.call.plan.grader
            if plan_grader is None:
                raise GradingError("no grader model: set spec.grader or defaults.grader")
            return plan_grader.id, {**GRADER_DEFAULT_PARAMS, **plan_grader.params}, plan_grader.api_base
        name = model_id(ref)
        if name is None:
            raise GradingError("the assertion's grader names no model")
        api_base = ref.get("api_base") if isinstance(ref, dict) else None
        return name, {**GRADER_DEFAULT_PARAMS, **params_of(ref)}, api_base

    def _embedder(self, spec: dict[str, Any]) -> tuple[str, str | None]:
        ref: Any = spec.get("grader") or self.call.plan.embedding_model
        name = model_id(ref)
        if name is None:
            raise GradingError("no embedding model: set the assertion's grader or defaults.embedding_model")
        return name, ref.get("api_base") if isinstance(ref, dict) else self.call.model.api_base

    def policy(self, name: str) -> Policy:
        """A compiled GuardrailPolicy of the run (compiled before the first call)."""
        if self.runner.guards is None:
            raise GradingError("no guardrail policies were prepared for this run")
        return self.runner.guards.policy(name)

    def describe(self, spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("type", "").removeprefix("not-") == "similar":
            return {"model": self._embedder(spec)[0], "kind": "embedding"}
        name, params, _ = self._grader(spec)
        return {"model": name, "params": params}

    async def ask(self, spec: dict[str, Any], messages: list[dict[str, str]]) -> str:
        from llmops_ci.providers.litellm_provider import complete

        name, params, api_base = self._grader(spec)
        request = {"grader": name, "params": params, "messages": messages}
        key = sha256_hex(canonical_json(request))
        group = self.call.plan.name
        cached = self.runner.cache.get(key, group)
        if cached is not None:
            return str(cached["response"]["text"])
        if self.runner.options.replay:
            raise GradingError("--replay: the grader's response is not in the cache")
        timeout = float(params.get("timeout", self.runner.options.timeout_s))
        completion, error, _ = await self.runner.with_retries(
            lambda: complete(name, messages, params, api_base=api_base, timeout=timeout)
        )
        if completion is None:
            raise GradingError(
                f"grader {name}: {error['kind'] if error else 'error'}: {error['message'] if error else ''}"
            )
        self.runner.cache.put(
            key,
            request,
            {
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
            },
            group,
        )
        return completion.text

    async def embed(self, spec: dict[str, Any], texts: list[str]) -> list[list[float]]:
        from llmops_ci.providers.litellm_provider import embed

        name, api_base = self._embedder(spec)
        keys = [sha256_hex(canonical_json({"embedding": name, "text": text})) for text in texts]
        group = self.call.plan.name
        vectors: dict[str, list[float]] = {}
        for key in keys:
            cached = self.runner.cache.get(key, group)
            if cached is not None:
                vectors[key] = list(cached["response"]["vector"])
        missing = [(key, text) for key, text in zip(keys, texts, strict=True) if key not in vectors]
        if missing and self.runner.options.replay:
            raise GradingError("--replay: embeddings are not in the cache")
        if missing:
            result, error, _ = await self.runner.with_retries(
                lambda: embed(
                    name,
                    [text for _, text in missing],
                    api_base=api_base,
                    timeout=self.runner.options.timeout_s,
                )
            )
            if result is None:
                raise GradingError(f"embedding model {name}: {error['message'] if error else 'error'}")
            for (key, text), vector in zip(missing, result.vectors, strict=True):
                vectors[key] = vector
                self.runner.cache.put(key, {"embedding": name, "text": text}, {"vector": vector}, group)
        return [vectors[key] for key in keys]
