"""``rag tune``: sweep chunk size, overlap and top_k over a grid against the pipeline's retrieval cases
(Level 2, "continuous RAG optimisation") and report each setting's retrieval metrics and what it costs in
context tokens (the mean tokens of the chunks a question retrieves: what the answer prompt pays per call).

Each chunking setting gets its own persistent index (``.llmops/index/<pipeline>/tune/<setting>/``), so a
second sweep only re-chunks what changed; every top_k of a setting reuses one retrieval at the largest k.
The best setting maximises the objective (default ``recall_at_k``); ties go to fewer context tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llmops_ci.errors import UsageError
from llmops_ci.rag.evaluate import RETRIEVAL_METRICS, ranked_ids
from llmops_ci.rag.index import IndexStore, index_dir
from llmops_ci.rag.measures import retrieval_metrics
from llmops_ci.rag.pipeline import PipelineConfig
from llmops_ci.rag.retrieve import Retriever
from llmops_ci.rag.text import count_tokens


@dataclass(frozen=True)
class Query:
    case: str
    text: str
    expected: tuple[str, ...]


@dataclass
class TuneRow:
    size: int
    overlap: int
    top_k: int
    chunks: int
    metrics: dict[str, float] = field(default_factory=dict)
    context_tokens: float = 0.0
    current: bool = False


def default_grid(config: PipelineConfig) -> tuple[list[int], list[float | int], list[int]]:
    size, k = config.chunking.size, config.top_k
    sizes = sorted({max(16, size // 2), size, size * 2})
    top_ks = sorted({max(1, k // 2), k, k * 2})
    return sizes, [0, 0.125], top_ks


def _overlaps(size: int, overlaps: Sequence[float | int]) -> list[int]:
    """Overlaps as given; a value below 1 is a fraction of the size."""
    values = {int(size * o) if isinstance(o, float) and o < 1 else int(o) for o in overlaps}
    return sorted(value for value in values if value < size)


def sweep(
    config: PipelineConfig,
    project_root: Path,
    queries: Sequence[Query],
    sizes: Sequence[int],
    overlaps: Sequence[float | int],
    top_ks: Sequence[int],
    embedder: object = None,
) -> list[TuneRow]:
    judged = [query for query in queries if query.expected]
    if not judged:
        raise UsageError(
            f"{config.rel}: rag tune needs cases with expected_chunks in a suite targeting {config.name}"
        )
    rows = []
    largest = max(top_ks)
    for size in sizes:
        for overlap in _overlaps(size, overlaps):
            setting = config.with_settings(size=size, overlap=overlap, top_k=largest)
            directory = index_dir(project_root, config) / "tune" / setting.chunking.digest()[:16]
            index, _ = IndexStore(directory, setting).build(embedder)  # type: ignore[arg-type]
            retriever = Retriever(setting, index, embedder)
            results = [(query, retriever.search(query.text, largest)) for query in judged]
            for k in sorted(set(top_ks)):
                row = TuneRow(size, overlap, k, len(index.chunks))
                sums: dict[str, float] = dict.fromkeys(RETRIEVAL_METRICS, 0.0)
                tokens = 0
                for query, retrieved in results:
                    top = retrieved[:k]
                    found = retrieval_metrics(ranked_ids(top, query.expected), query.expected, k)
                    for name in RETRIEVAL_METRICS:
                        sums[name] += found[name]
                    tokens += sum(count_tokens(item.chunk.text) for item in top)
                row.metrics = {name: value / len(results) for name, value in sums.items()}
                row.context_tokens = tokens / len(results)
                row.current = (size, overlap, k) == (
                    config.chunking.size,
                    config.chunking.overlap,
                    config.top_k,
                )
                rows.append(row)
    return rows


def best(rows: Sequence[TuneRow], objective: str) -> TuneRow:
    if objective not in RETRIEVAL_METRICS:
        raise UsageError(f"objective must be one of {', '.join(RETRIEVAL_METRICS)}, not {objective!r}")
    return max(rows, key=lambda row: (round(row.metrics[objective], 9), -row.context_tokens))
