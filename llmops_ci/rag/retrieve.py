"""Retrieval: a question in, the ``top_k`` best chunks out, ranked.

Scores by index type:
- ``bm25``: Okapi BM25 (bm25s, k1=1.5, b=0.75) of the question's terms (:func:`llmops_ci.rag.text.terms`)
  against each chunk's; chunks sharing no term with the question are never returned.
- ``flat``: the similarity of the question's embedding to each chunk's: cosine (default), dot product, or
  ``l2`` as the negative Euclidean distance (higher is closer).
- ``hybrid``: each score list min-max normalised to [0, 1] over the corpus, then
  ``dense_weight * dense + sparse_weight * sparse``.
``min_score`` drops chunks scoring below it; ties keep corpus order, so a retrieval is deterministic.
The answer prompt receives the chunks as ``context`` (``[<chunk id>] <text>`` blocks separated by blank
lines) and as the list ``chunks`` (id, document, heading, text, score, rank).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmops_ci.rag.index import BuildStats, Index, IndexStore, index_dir
from llmops_ci.rag.model import Retrieved
from llmops_ci.rag.pipeline import PipelineConfig
from llmops_ci.rag.text import terms


def _minmax(scores: np.ndarray) -> np.ndarray:
    if scores.size == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    return np.zeros_like(scores) if high <= low else (scores - low) / (high - low)


def _sparse_scores(index: Index, query: str) -> np.ndarray:
    query_terms = terms(query)
    if index.bm25 is None or not query_terms:
        return np.zeros(len(index.chunks), dtype=np.float32)
    return np.asarray(index.bm25.get_scores(query_terms), dtype=np.float32)


def _dense_scores(index: Index, vector: np.ndarray) -> np.ndarray:
    if index.vectors is None:
        return np.zeros(len(index.chunks), dtype=np.float32)
    query = vector.astype(np.float32)
    metric = index.config.metric
    if metric == "cosine":
        norm = float(np.linalg.norm(query))
        query = query / (norm or 1.0)
    if metric == "l2":
        distances: np.ndarray = np.linalg.norm(index.vectors - query, axis=1)
        return -distances
    scores: np.ndarray = index.vectors @ query
    return scores


@dataclass
class Retriever:
    """A pipeline's loaded index plus what it needs to embed questions."""

    config: PipelineConfig
    index: Index
    embedder: Any = None  # llmops_ci.rag.embeddings.CachedEmbedder for dense search
    stats: BuildStats | None = None

    def search(self, query: str, top_k: int | None = None) -> list[Retrieved]:
        k = top_k or self.config.top_k
        config = self.config
        if not self.index.chunks:
            return []
        sparse = _sparse_scores(self.index, query) if config.sparse else None
        dense = None
        if config.dense:
            dense = _dense_scores(self.index, self.embedder([query])[0])
        if sparse is not None and dense is not None:
            scores = config.dense_weight * _minmax(dense) + config.sparse_weight * _minmax(sparse)
            eligible = np.ones(len(scores), dtype=bool)
        elif sparse is not None:
            scores, eligible = sparse, sparse > 0
        else:
            assert dense is not None
            scores, eligible = dense, np.ones(len(dense), dtype=bool)
        if config.min_score is not None:
            eligible &= scores >= config.min_score
        candidates = np.flatnonzero(eligible)
        if candidates.size == 0:
            return []
        # highest score first, corpus order among equals
        order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [
            Retrieved(self.index.chunks[int(position)], rank, round(float(scores[position]), 6))
            for rank, position in enumerate(order, start=1)
        ]


def open_retriever(
    config: PipelineConfig, project_root: Path, *, replay: bool = False, force: bool = False
) -> Retriever:
    """The pipeline's index, built or updated first when the corpus or configuration changed."""
    directory = index_dir(project_root, config)
    embedder = None
    if config.dense:
        from llmops_ci.rag.embeddings import CachedEmbedder

        embedder = CachedEmbedder(config, directory / "embeddings", replay=replay)
    index, stats = IndexStore(directory, config).build(embedder, force=force)
    return Retriever(config, index, embedder, stats)


def context_text(retrieved: list[Retrieved]) -> str:
    return "\n\n".join(f"[{item.chunk.id}] {item.chunk.text}" for item in retrieved)


def chunk_dicts(retrieved: list[Retrieved], *, with_text: bool = True) -> list[dict[str, Any]]:
    out = []
    for item in retrieved:
        entry: dict[str, Any] = {
            "id": item.chunk.id,
            "document": item.chunk.document,
            "heading": item.chunk.heading,
            "score": item.score,
            "rank": item.rank,
        }
        if with_text:
            entry["text"] = item.chunk.text
        out.append(entry)
    return out
