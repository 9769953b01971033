"""Semantic drift between two versions of a corpus, or between two query logs: "before" (``a``, ``p``) and
"after" (``b``, ``q``).

Each measure is a number where larger means more drift, except ``topk_mean_jaccard`` (larger is more
stable). A limit is a maximum, and for ``topk_mean_jaccard`` a minimum (``DRIFT_DIRECTIONS``, used by
``judge``); a run fails when any measure is on the wrong side of its limit (``verdict``). Terms are
``llmops_ci.rag.text.terms`` (lower-cased, stop words removed, lightly stemmed, numbers kept).

``term_jsd``
    Jensen-Shannon divergence of the two term distributions (``term_distribution``), base 2:
    ``JSD(P, Q) = 1/2 KL(P || M) + 1/2 KL(Q || M)`` with ``M = (P + Q) / 2`` and
    ``KL(P || M) = sum over t of P(t) log2(P(t) / M(t))``, where ``P(t)`` is a term's count over the total.
    In [0, 1]: 0 for identical distributions, 1 for distributions sharing no term. Two empty distributions
    give 0.0; exactly one empty gives 1.0.
``vocabulary_new_fraction``
    Share of the term occurrences in ``b`` whose term never occurs in ``a``:
    ``sum of q(t) over t with p(t) = 0 / sum of q(t)``. In [0, 1]; 0.0 when ``b`` has no terms.
``centroid_shift``
    ``1 - cos(mean(A), mean(B))`` of two sets of row vectors (embeddings, or ``hashed_vectors`` when no
    embedding model is configured). In [0, 2]; 0 when the centroids point the same way. A centroid of zero
    length (every row zero, e.g. texts without terms) has no direction: two such give 0.0, one gives 1.0.
    An empty set, or sets of different widths, raise ``MeasureError``.
``topk_changed_fraction`` and ``topk_mean_jaccard`` (``topk_overlap``)
    For the queries present in both runs, the retrieved id sets of each query are compared (order ignored):
    Jaccard = size of the intersection / size of the union (1.0 when both are empty).
    ``topk_changed_fraction`` is the share of those queries whose sets differ, in [0, 1] (its limit is a
    maximum). ``topk_mean_jaccard`` is the mean Jaccard, in [0, 1], where *higher means more stable* (its
    limit is a minimum).
    No shared query raises ``MeasureError``.
``query_length_shift``
    Relative change of the mean query length in words (``llmops_ci.rag.text.words``):
    ``(mean_b - mean_a) / mean_a``. Signed: +0.5 means queries became 50 % longer, -0.5 50 % shorter (a
    maximum limit only catches growth). An empty log, or one whose queries have no words, raises
    ``MeasureError``.

``hashed_vectors`` is an offline *lexical proxy* for embeddings, not a semantic model: each text becomes a
vector of ``dims`` buckets where every distinct term adds ``1 + ln(tf)`` (sub-linear term frequency) to
bucket ``h mod dims``, negated when the top bit of ``h`` is set (the signed feature-hashing trick, which
keeps collisions unbiased); ``h`` is the term's UTF-8 ``blake2b`` digest of 8 bytes read as a big-endian
integer, stable across processes and machines (never Python's salted ``hash()``). Rows are L2-normalised; a
text without terms is a zero row. Synonyms and paraphrases look unrelated to it, so it detects vocabulary
drift, not meaning drift.

Sample size matters: term distributions and centroids of small samples differ by chance alone. Measured on
the SQuAD 2.0 sample paragraphs, two random halves of 8 and 9 sentences gave ``term_jsd`` 0.75 and
``centroid_shift`` 0.64, two halves of 97 and 98 README sentences 0.25 and 0.14, and SQuAD against README
sentences (17 each) 0.95 and 0.97. Compare samples of similar size and set limits from the drift between
versions the team judged unchanged.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from llmops_ci.rag import text
from llmops_ci.rag.measures import MeasureError

DRIFT_MEASURES: dict[str, str] = {
    "term_jsd": "Jensen-Shannon divergence (base 2) of the term distributions, 0 identical .. 1 disjoint",
    "centroid_shift": "1 - cosine of the mean embeddings (hashed term vectors offline), 0 .. 2",
    "topk_changed_fraction": "share of shared queries whose top-k result set changed, 0 .. 1",
    "topk_mean_jaccard": "mean Jaccard overlap of each shared query's top-k sets, 1 unchanged .. 0 disjoint",
    "query_length_shift": "relative change of the mean query length in words, (mean_b - mean_a) / mean_a",
    "vocabulary_new_fraction": "share of term occurrences in the new version whose term the old one lacks",
}

Verdict = Literal["pass", "fail"]
Direction = Literal["max", "min"]

# A measure's limit is a maximum unless listed here.
DRIFT_DIRECTIONS: dict[str, Direction] = {"topk_mean_jaccard": "min"}


# --- term distributions -------------------------------------------------------------------------------------


def term_distribution(texts: Iterable[str]) -> Counter[str]:
    """Occurrences of each term over all ``texts``."""
    counts: Counter[str] = Counter()
    for value in texts:
        counts.update(text.terms(value))
    return counts


def _probabilities(counts: Counter[str]) -> dict[str, float]:
    negative = sorted(term for term, count in counts.items() if count < 0)
    if negative:
        raise MeasureError(f"negative term counts: {', '.join(negative[:5])}")
    total = sum(counts.values())
    return {term: count / total for term, count in counts.items() if count > 0}


def _kl_to_mixture(p: Mapping[str, float], m: Mapping[str, float]) -> float:
    return sum(value * math.log2(value / m[term]) for term, value in sorted(p.items()))


def jensen_shannon(p: Counter[str], q: Counter[str]) -> float:
    """Base-2 Jensen-Shannon divergence of two term counts, in [0, 1] (see the module docs)."""
    p_prob, q_prob = _probabilities(p), _probabilities(q)
    if not p_prob or not q_prob:
        return 0.0 if not p_prob and not q_prob else 1.0
    mixture = {term: (p_prob.get(term, 0.0) + q_prob.get(term, 0.0)) / 2 for term in p_prob.keys() | q_prob}
    divergence = (_kl_to_mixture(p_prob, mixture) + _kl_to_mixture(q_prob, mixture)) / 2
    return min(1.0, max(0.0, divergence))


def vocabulary_new_fraction(p: Counter[str], q: Counter[str]) -> float:
    """Share of the occurrences in ``q`` whose term has no occurrence in ``p``."""
    total = sum(count for count in q.values() if count > 0)
    if total == 0:
        return 0.0
    new = sum(count for term, count in q.items() if count > 0 and p.get(term, 0) <= 0)
    return new / total


# --- vectors ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _bucket(term: str, dims: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "big")
    sign = -1.0 if digest >> 63 else 1.0
    return digest % dims, sign


def hashed_vectors(texts: Sequence[str], dims: int = 512) -> npt.NDArray[np.float64]:
    """One L2-normalised signed-hashing term vector per text, shape ``(len(texts), dims)``: a lexical proxy
    for embeddings (see the module docs)."""
    if dims < 1:
        raise MeasureError(f"dims must be at least 1, got {dims}")
    matrix = np.zeros((len(texts), dims), dtype=np.float64)
    for row, value in enumerate(texts):
        for term, count in sorted(Counter(text.terms(value)).items()):
            column, sign = _bucket(term, dims)
            matrix[row, column] += sign * (1.0 + math.log(count))
        norm = float(np.linalg.norm(matrix[row]))
        if norm > 0.0:
            matrix[row] /= norm
    return matrix


def centroid_shift(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """``1 - cosine`` of the mean rows of ``a`` and ``b``, in [0, 2] (see the module docs)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2:
        raise MeasureError(f"expected two 2-D arrays of row vectors, got shapes {a.shape} and {b.shape}")
    if a.shape[0] == 0 or b.shape[0] == 0:
        raise MeasureError("centroid shift needs at least one vector on each side")
    if a.shape[1] != b.shape[1]:
        raise MeasureError(f"vectors of different widths: {a.shape[1]} and {b.shape[1]}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    norm_a, norm_b = float(np.linalg.norm(mean_a)), float(np.linalg.norm(mean_b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0 if norm_a == norm_b else 1.0
    cosine = float(np.dot(mean_a, mean_b)) / (norm_a * norm_b)
    return min(2.0, max(0.0, 1.0 - cosine))


# --- retrieval results and query logs -----------------------------------------------------------------------


@dataclass
class TopKOverlap:
    """How the top-k results of the queries present in both runs changed (see the module docs)."""

    mean_jaccard: float
    changed_fraction: float
    queries: int
    changed: list[str] = field(default_factory=list)


def _jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def topk_overlap(before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]]) -> TopKOverlap:
    """Compare each shared query's retrieved id sets; ``changed`` lists the changed query keys, sorted."""
    shared = sorted(before.keys() & after.keys())
    if not shared:
        raise MeasureError("no query is present in both runs: top-k overlap is undefined")
    scores = {query: _jaccard(set(before[query]), set(after[query])) for query in shared}
    changed = [query for query in shared if set(before[query]) != set(after[query])]
    return TopKOverlap(
        mean_jaccard=sum(scores.values()) / len(shared),
        changed_fraction=len(changed) / len(shared),
        queries=len(shared),
        changed=changed,
    )


def _mean_words(queries: Sequence[str], side: str) -> float:
    if not queries:
        raise MeasureError(f"query log {side} is empty: query length shift is undefined")
    return sum(len(text.words(query)) for query in queries) / len(queries)


def length_shift(a: Sequence[str], b: Sequence[str]) -> float:
    """Relative change of the mean length in words from ``a`` to ``b``: ``(mean_b - mean_a) / mean_a``."""
    mean_a, mean_b = _mean_words(a, "a"), _mean_words(b, "b")
    if mean_a == 0.0:
        raise MeasureError("the queries of log a have no words: query length shift is undefined")
    return (mean_b - mean_a) / mean_a


# --- gating -------------------------------------------------------------------------------------------------


@dataclass
class Measure:
    """One drift measure judged against its limit: ``direction`` "max" means the limit is a maximum, "min"
    a minimum; ``ok`` is None when no limit applies."""

    name: str
    value: float
    limit: float | None
    direction: Direction = "max"
    ok: bool | None = None


def judge(
    values: dict[str, float],
    limits: dict[str, float],
    *,
    directions: Mapping[str, Direction] = DRIFT_DIRECTIONS,
) -> list[Measure]:
    """One ``Measure`` per value, in the order of ``values``. A limit is a maximum (a minimum for the names
    ``directions`` marks "min"): a value beyond it fails, a value equal to it passes, a NaN value fails. A
    value without a limit is reported with ``ok`` None. Limits for names absent from ``values`` are ignored
    (the measure could not be computed)."""
    measures = []
    for name, value in values.items():
        limit = limits.get(name)
        direction = directions.get(name, "max")
        ok = None if limit is None else bool(value <= limit if direction == "max" else value >= limit)
        measures.append(Measure(name=name, value=value, limit=limit, direction=direction, ok=ok))
    return measures


def verdict(measures: Iterable[Measure]) -> Verdict:
    """``"fail"`` when any measure failed its limit, else ``"pass"``."""
    return "fail" if any(measure.ok is False for measure in measures) else "pass"
