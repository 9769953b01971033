"""Retrieval measured on its own: the cases of the suites that target a pipeline, each question looked
up, and the retrieval metrics of :mod:`llmops_ci.rag.measures` per case and on average. No model is called
(``llmops-ci rag eval`` and ``rag tune``); ``llmops-ci eval`` adds the same section to every RAG record.

Expected ids: a case's ``expected_chunks`` name chunks (``<document>#<n>``) or whole documents (the
document id: the corpus-relative path, plus ``#<record id>`` for JSONL records). Each retrieved chunk counts
as its own id when that id is expected, else as its document; the ranking is then de-duplicated (first
occurrence wins) before the metrics are computed at k = ``retrieval.top_k``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.rag.measures import chunk_utilization, context_relevance, groundedness, retrieval_metrics
from llmops_ci.rag.model import Retrieved
from llmops_ci.rag.pipeline import PipelineConfig

RETRIEVAL_METRICS = ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg_at_k")
#: record-level measure -> the summary metric that averages it (names in llmops_ci.eval.metrics)
SUMMARY_NAMES = {
    **{name: name for name in RETRIEVAL_METRICS},
    "context_relevance": "context_relevance_mean",
    "groundedness": "groundedness_mean",
    "chunk_utilization": "chunk_utilization_mean",
}


def ranked_ids(retrieved: Sequence[Retrieved], expected: Iterable[str]) -> list[str]:
    wanted = set(expected)
    ranked: list[str] = []
    for item in retrieved:
        key = item.chunk.id if item.chunk.id in wanted else item.chunk.document
        if key not in ranked:
            ranked.append(key)
    return ranked


def retrieval_record(
    config: PipelineConfig, query: str, retrieved: Sequence[Retrieved], expected: Sequence[str]
) -> dict[str, Any]:
    """The ``retrieval`` section of a record (before the answer): query, chunks, expected ids, metrics."""
    metrics: dict[str, float | None] = {}
    if expected:
        metrics.update(retrieval_metrics(ranked_ids(retrieved, expected), list(expected), config.top_k))
    texts = [item.chunk.text for item in retrieved]
    metrics["context_relevance"] = context_relevance(query, texts)
    return {
        "pipeline": config.name,
        "query": query,
        "top_k": config.top_k,
        "chunks": [
            {
                "id": item.chunk.id,
                "document": item.chunk.document,
                "score": item.score,
                "rank": item.rank,
                "text": item.chunk.text,
            }
            for item in retrieved
        ],
        "expected": list(expected),
        "metrics": {name: value for name, value in metrics.items() if value is not None},
    }


def answer_measures(retrieval: dict[str, Any], answer: str) -> dict[str, float]:
    """Groundedness and chunk utilization of an answer against the chunks it was given. Citations of the
    given chunks (``[<chunk id>]``) are references, not claims: they are removed before measuring."""
    texts = [chunk["text"] for chunk in retrieval.get("chunks", [])]
    for chunk in retrieval.get("chunks", []):
        answer = answer.replace(f"[{chunk['id']}]", " ")
    found = {
        "groundedness": groundedness(answer, texts).score,
        "chunk_utilization": chunk_utilization(answer, texts),
    }
    return {name: value for name, value in found.items() if value is not None}


@dataclass
class RetrievalReport:
    """Per-case retrieval metrics of one pipeline over some cases, and their means."""

    pipeline: str
    top_k: int
    cases: list[dict[str, Any]] = field(default_factory=list)

    def add(self, case_id: str, record: dict[str, Any]) -> None:
        self.cases.append({"case": case_id, **record})

    @property
    def means(self) -> dict[str, float]:
        sums: dict[str, list[float]] = {}
        for case in self.cases:
            for name, value in case["metrics"].items():
                sums.setdefault(SUMMARY_NAMES.get(name, name), []).append(float(value))
        return {name: sum(values) / len(values) for name, values in sums.items()}

    @property
    def judged(self) -> int:
        """Cases that name expected chunks (the others only have context relevance)."""
        return sum(1 for case in self.cases if case["expected"])
