"""What the monitor needs from the repository besides the logs: prompt owners (``metadata.owner``), the
chunk texts behind the chunk ids an audit record keeps (from each RagPipeline's index as built now, under
``.llmops/index/``), and the grader model that scores sampled answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.artifacts.model import Graph
from llmops_ci.monitoring.analysis import Grounded, RolloutKey, Split
from llmops_ci.monitoring.logs import Call


def owners(graph: Graph | None) -> dict[str, str]:
    """Prompt name -> its ``metadata.owner``, for the prompts that declare one."""
    if graph is None:
        return {}
    found = {}
    for prompt in graph.of_kind("Prompt", valid_only=False, everywhere=True):
        owner = (prompt.data.get("metadata") or {}).get("owner")
        if prompt.name and owner:
            found[str(prompt.name)] = str(owner)
    return found


@dataclass
class Chunks:
    """Chunk texts by id, per pipeline; the pipeline whose answer prompt served the call is asked first."""

    by_pipeline: dict[str, dict[str, str]] = field(default_factory=dict)
    prompt_pipelines: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def lookup(self, prompt: str, chunk_id: str) -> str | None:
        first = self.prompt_pipelines.get(prompt)
        order = ([first] if first else []) + [name for name in self.by_pipeline if name != first]
        for name in order:
            found = self.by_pipeline.get(name, {}).get(chunk_id)
            if found is not None:
                return found
        return None


def chunks(graph: Graph | None) -> Chunks:
    """The chunks of every RagPipeline index that has been built (``llmops-ci rag build``)."""
    from llmops_ci.errors import LlmopsError
    from llmops_ci.rag.index import IndexStore, index_dir
    from llmops_ci.rag.pipeline import PipelineConfig

    found = Chunks()
    if graph is None:
        found.problems.append("no llmops.yaml found: run from the repository (or -C) to look chunk ids up")
        return found
    for artifact in graph.of_kind("RagPipeline"):
        try:
            config = PipelineConfig.from_artifact(artifact)
        except LlmopsError as error:
            found.problems.append(str(error))
            continue
        index = IndexStore(index_dir(graph.root, config), config).load()
        if index is None:
            found.problems.append(f"{config.name}: no index built (llmops-ci rag build {config.name})")
            continue
        found.by_pipeline[config.name] = {chunk.id: chunk.text for chunk in index.chunks}
        if config.answer_prompt:
            found.prompt_pipelines[config.answer_prompt] = config.name
    if not found.by_pipeline and not found.problems:
        found.problems.append("no RagPipeline in the repository")
    return found


def declared_splits(graph: Graph | None, keys: Iterable[tuple[str, str | None]]) -> dict[RolloutKey, Split]:
    """The split each (prompt, environment) declares in its Environment's ``releases`` (the stable version
    first, as ``llmops-ci promote`` writes it), for the keys whose environment declares one."""
    if graph is None:
        return {}
    from llmops_ci.release.environments import Environment
    from llmops_ci.release.tags import ArtifactKey

    found: dict[RolloutKey, Split] = {}
    for prompt, env in keys:
        artifact = graph.get("Environment", env) if env else None
        if artifact is None:
            continue
        split = Environment(artifact).declared(ArtifactKey("Prompt", prompt))
        if split:
            found[(prompt, env)] = split
    return found


# --- the grader ---------------------------------------------------------------------------------------------


class _Grading:
    """The ``Grading`` of :mod:`llmops_ci.eval.assertions.model_graded` over one grader model."""

    def __init__(self, model: str, params: dict[str, Any], api_base: str | None, timeout: float) -> None:
        self.model, self.params, self.api_base, self.timeout = model, params, api_base, timeout

    def describe(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {"model": self.model, "params": self.params}

    async def ask(self, spec: dict[str, Any], messages: list[dict[str, str]]) -> str:
        from llmops_ci.providers.litellm_provider import complete

        done = await complete(self.model, messages, self.params, api_base=self.api_base, timeout=self.timeout)
        return done.text

    async def embed(self, spec: dict[str, Any], texts: list[str]) -> list[list[float]]:
        raise NotImplementedError("the monitor's grader only answers")


def grade(answers: Sequence[tuple[Call, list[str], Grounded]], grader: Any, timeout: float = 60.0) -> None:
    """Score each (call, chunk texts, result) with the grader (context faithfulness: supported claims /
    claims), setting ``graded`` or ``grader_error`` on the result. One call at a time: a sample is small."""
    from llmops_ci.artifacts.modelref import model_id, params_of
    from llmops_ci.eval.assertions.base import Output
    from llmops_ci.eval.assertions.model_graded import GradingError, check_context_faithfulness
    from llmops_ci.providers.litellm_provider import ProviderError

    model = model_id(grader)
    if model is None:
        raise ValueError("the grader names no model")
    api_base = grader.get("api_base") if isinstance(grader, dict) else None
    grading = _Grading(model, {"temperature": 0, **params_of(grader)}, api_base, timeout)

    async def run() -> None:
        for call, texts, result in answers:
            output = Output(
                text=str(call.get("output")),
                vars={"question": _question(call)},
                context=[{"text": text} for text in texts],
            )
            try:
                verdict = await check_context_faithfulness(output, {}, grading)
            except (GradingError, ProviderError) as error:
                result.grader_error = str(error)[:300]
                continue
            result.graded = verdict.score

    asyncio.run(run())


def _question(call: Call) -> str:
    from llmops_ci.rag.drifting import query_of

    return query_of(call.record) or ""
