"""``rag drift BASE HEAD``: semantic drift (seed §4.3.2) between two versions of a pipeline's corpus (git
refs) or two query logs (runtime audit JSONL files or directories), with the measures of
:mod:`llmops_ci.rag.drift` judged against ``spec.drift.thresholds``.

Corpus versions: the corpus directory is read at each ref (``git archive``), chunked with the current
configuration and indexed on its own; measured are ``term_jsd`` and ``vocabulary_new_fraction`` of the
documents' terms, ``centroid_shift`` of the chunk embeddings (the pipeline's embedding model when it has
one, else hashed term vectors), and ``topk_changed_fraction`` / ``topk_mean_jaccard`` of the top-k chunk ids
that the suites' questions retrieve from each version.

Query logs: a query is the last user message of an audited call (the text inside ``<question>`` tags when
the prompt uses them); measured are ``term_jsd``, ``vocabulary_new_fraction``, ``query_length_shift``
(judged by its absolute value), ``centroid_shift`` of the queries, and the top-k measures over the queries
asked in both logs, from the chunk ids each call recorded.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llmops_ci.auditlog import read_audit
from llmops_ci.errors import LlmopsError, UsageError
from llmops_ci.rag import drift
from llmops_ci.rag.chunking import chunk_corpus
from llmops_ci.rag.corpus import load_corpus
from llmops_ci.rag.index import IndexStore
from llmops_ci.rag.pipeline import PipelineConfig
from llmops_ci.rag.retrieve import Retriever


class DriftError(LlmopsError):
    pass


@dataclass
class DriftReport:
    mode: str  # "corpus" or "queries"
    base: str
    head: str
    sizes: dict[str, int] = field(default_factory=dict)
    measures: list[drift.Measure] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # queries whose top-k changed

    @property
    def verdict(self) -> str:
        return drift.verdict(self.measures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "base": self.base,
            "head": self.head,
            "sizes": self.sizes,
            "verdict": self.verdict,
            "measures": [m.__dict__ for m in self.measures],
            "changed_queries": self.changed,
        }


def _vectors(config: PipelineConfig, texts: Sequence[str], embedder: Any) -> np.ndarray:
    if embedder is not None:
        return np.asarray(embedder(list(texts)))
    return drift.hashed_vectors(texts)


def _judge(config: PipelineConfig, values: dict[str, float]) -> list[drift.Measure]:
    judged = dict(values)
    if "query_length_shift" in judged:  # a limit on how far the length moved, either way
        judged["query_length_shift"] = abs(judged["query_length_shift"])
    measures = drift.judge(judged, config.drift_limits)
    for measure in measures:
        measure.value = values[measure.name]
    return measures


# --- corpus versions ------


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not on PATH: corpus drift reads the corpus at two git refs") from None


def _checkout_corpus(config: PipelineConfig, ref: str, target: Path) -> Path:
    """The corpus directory as it was at ``ref``, extracted under ``target``."""
    existing = next(p for p in (config.corpus_dir, *config.corpus_dir.parents) if p.exists())
    top = _git(existing, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise UsageError(f"{config.corpus_dir} is not inside a git repository: give two query logs instead")
    root = Path(top.stdout.decode().strip())
    relative = config.corpus_dir.resolve().relative_to(root.resolve()).as_posix()
    done = _git(root, "archive", "--format=tar", ref, "--", relative)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(
            f"cannot read {relative} at {ref!r}: {reason[-1] if reason else 'git archive failed'}"
        )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
        else:  # Python < 3.10.12: git archive output holds only the repository's own files
            archive.extractall(target)
    return target / relative


def corpus_drift(
    config: PipelineConfig, base: str, head: str, queries: Sequence[str], embedder: Any = None
) -> DriftReport:
    report = DriftReport("corpus", base, head)
    with tempfile.TemporaryDirectory(prefix="llmops-drift-") as scratch:
        sides = {}
        for side, ref in (("base", base), ("head", head)):
            corpus = _checkout_corpus(config, ref, Path(scratch) / side)
            version = _with_corpus(config, corpus)
            documents = load_corpus(corpus, list(config.include) or None, list(config.exclude) or None)
            chunks = chunk_corpus(documents, config.chunking)
            index, _ = IndexStore(Path(scratch) / f"{side}-index", version).build(embedder)
            retriever = Retriever(version, index, embedder)
            top = {query: [item.chunk.id for item in retriever.search(query)] for query in queries}
            sides[side] = (documents, [chunk.text for chunk in chunks], top)
            report.sizes[f"{side}_documents"] = len(documents)
            report.sizes[f"{side}_chunks"] = len(chunks)
    (base_docs, base_chunks, base_top), (head_docs, head_chunks, head_top) = sides["base"], sides["head"]
    p = drift.term_distribution(doc.text for doc in base_docs)
    q = drift.term_distribution(doc.text for doc in head_docs)
    values = {
        "term_jsd": drift.jensen_shannon(p, q),
        "vocabulary_new_fraction": drift.vocabulary_new_fraction(p, q),
        "centroid_shift": drift.centroid_shift(
            _vectors(config, base_chunks, embedder), _vectors(config, head_chunks, embedder)
        ),
    }
    if queries:
        overlap = drift.topk_overlap(base_top, head_top)
        values["topk_changed_fraction"] = overlap.changed_fraction
        values["topk_mean_jaccard"] = overlap.mean_jaccard
        report.changed = overlap.changed
        report.sizes["queries"] = overlap.queries
    report.measures = _judge(config, values)
    return report


def _with_corpus(config: PipelineConfig, corpus: Path) -> PipelineConfig:
    from dataclasses import replace

    return replace(config, corpus_dir=corpus)


# --- query logs ------

_QUESTION = re.compile(r"<question>\s*(.*?)\s*</question>", re.DOTALL)


def query_of(record: dict[str, Any]) -> str | None:
    """The query of an audited call: the text inside ``<question>`` tags of its last user message, else
    that whole message; None when the call had no user message."""
    users = [m.get("content", "") for m in record.get("input") or [] if m.get("role") == "user"]
    if not users:
        return None
    found = _QUESTION.search(str(users[-1]))
    return (found.group(1) if found else str(users[-1])).strip()


def _log_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("audit-*.jsonl"))
    return [path]


def read_queries(path: Path) -> Iterator[tuple[str, list[str] | None]]:
    """(query, retrieved chunk ids or None) of every audited call under ``path``."""
    files = _log_files(path)
    if not files:
        raise DriftError(f"{path}: no audit-*.jsonl files")
    for file in files:
        for _, record in read_audit(file):
            query = query_of(record)
            if query is not None:
                yield query, (record.get("rag") or {}).get("chunk_ids")


def log_drift(config: PipelineConfig, base: Path, head: Path, embedder: Any = None) -> DriftReport:
    report = DriftReport("queries", str(base), str(head))
    before, after = list(read_queries(base)), list(read_queries(head))
    if not before or not after:
        raise DriftError(f"{base if not before else head}: no queries in the audit log")
    a, b = [query for query, _ in before], [query for query, _ in after]
    p, q = drift.term_distribution(a), drift.term_distribution(b)
    values = {
        "term_jsd": drift.jensen_shannon(p, q),
        "vocabulary_new_fraction": drift.vocabulary_new_fraction(p, q),
        "query_length_shift": drift.length_shift(a, b),
        "centroid_shift": drift.centroid_shift(_vectors(config, a, embedder), _vectors(config, b, embedder)),
    }
    top_a = {query: ids for query, ids in before if ids is not None}
    top_b = {query: ids for query, ids in after if ids is not None}
    if top_a.keys() & top_b.keys():
        overlap = drift.topk_overlap(top_a, top_b)
        values["topk_changed_fraction"] = overlap.changed_fraction
        values["topk_mean_jaccard"] = overlap.mean_jaccard
        report.changed = overlap.changed
    report.sizes = {"base_queries": len(a), "head_queries": len(b)}
    report.measures = _judge(config, values)
    return report
