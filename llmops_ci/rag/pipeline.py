"""A RagPipeline artifact read into the settings each stage needs, with the defaults spelled out once.

Defaults: chunking ``recursive``, 512 ``tokens``, no overlap; index ``bm25`` without an ``embedding``
section (offline, no key), ``flat`` (exact dense search, cosine) with one, ``hybrid`` fuses both with weights
0.5/0.5; the answer prompt reads the question from ``question`` and the chunks from ``context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.artifacts.model import Artifact
from llmops_ci.errors import LlmopsError
from llmops_ci.rag.chunking import ChunkingConfig, ChunkingError

INDEX_DIR = Path(".llmops") / "index"


class PipelineError(LlmopsError):
    """A RagPipeline that cannot run as configured: the message names the file and line."""


@dataclass(frozen=True)
class PipelineConfig:
    name: str
    rel: str  # the artifact's path, for messages
    corpus_dir: Path
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    chunking: ChunkingConfig
    index_type: str
    metric: str
    top_k: int
    min_score: float | None = None
    dense_weight: float = 0.5
    sparse_weight: float = 0.5
    embedding_model: str | None = None
    embedding_api_base: str | None = None
    dimensions: int | None = None
    batch_size: int = 64
    answer_prompt: str | None = None
    query_var: str = "question"
    context_var: str = "context"
    guardrails: tuple[str, ...] = ()
    drift_limits: dict[str, float] = field(default_factory=dict)
    drift_suite: str | None = None
    tune: dict[str, Any] = field(default_factory=dict)

    @property
    def dense(self) -> bool:
        return self.index_type in ("flat", "hybrid")

    @property
    def sparse(self) -> bool:
        return self.index_type in ("bm25", "hybrid")

    def embedding_key(self) -> str | None:
        """What stored vectors depend on: the model and its dimensions (None without dense search)."""
        if not self.dense:
            return None
        return sha256_hex(canonical_json({"model": self.embedding_model, "dimensions": self.dimensions}))[:16]

    def with_settings(self, *, size: int, overlap: int, top_k: int) -> PipelineConfig:
        """The same pipeline with other chunking size/overlap and top_k (``rag tune``)."""
        from dataclasses import replace

        chunking = replace(self.chunking, size=size, overlap=overlap)
        return replace(self, chunking=chunking, top_k=top_k)

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> PipelineConfig:
        spec = artifact.spec
        where = artifact.position(("spec", "chunking"))
        try:
            chunking = ChunkingConfig.from_spec(spec.get("chunking", {}))
        except ChunkingError as error:
            raise PipelineError(f"{artifact.rel}:{where.line}:{where.col}: {error}") from None
        embedding = spec.get("embedding") or {}
        index_type = spec.get("index", {}).get("type") or ("flat" if embedding else "bm25")
        if index_type in ("flat", "hybrid") and not embedding.get("model"):
            at = artifact.position(("spec", "index", "type"))
            raise PipelineError(
                f"{artifact.rel}:{at.line}:{at.col}: index type {index_type} searches embeddings: add "
                "embedding: {model: ...} or use index type bm25 (offline, no key)"
            )
        retrieval = spec.get("retrieval", {})
        hybrid = retrieval.get("hybrid", {})
        answer = spec.get("answer") or {}
        drift = spec.get("drift") or {}
        return cls(
            name=str(artifact.name),
            rel=artifact.rel,
            corpus_dir=(artifact.path.parent / spec["corpus"]["path"]).resolve(),
            include=tuple(spec["corpus"].get("include", ())),
            exclude=tuple(spec["corpus"].get("exclude", ())),
            chunking=chunking,
            index_type=index_type,
            metric=spec.get("index", {}).get("metric", "cosine"),
            top_k=int(retrieval.get("top_k", 4)),
            min_score=retrieval.get("min_score"),
            dense_weight=float(hybrid.get("dense", 0.5)),
            sparse_weight=float(hybrid.get("sparse", 0.5)),
            embedding_model=embedding.get("model") if isinstance(embedding.get("model"), str) else None,
            embedding_api_base=embedding.get("api_base"),
            dimensions=embedding.get("dimensions"),
            batch_size=int(embedding.get("batch_size", 64)),
            answer_prompt=answer.get("prompt"),
            query_var=answer.get("query_var", "question"),
            context_var=answer.get("context_var", "context"),
            guardrails=tuple(spec.get("guardrails", ())),
            drift_limits={str(k): float(v) for k, v in (drift.get("thresholds") or {}).items()},
            drift_suite=drift.get("suite"),
            tune=dict(spec.get("tune") or {}),
        )
