"""Retrieval metrics and answer measures for RAG evaluation: pure, deterministic, offline.

Retrieval metrics
-----------------
Each case gives ``ranked``, the retrieved ids in rank order (rank 1 first), and ``expected``, the ids judged
relevant; ``k`` is the cut-off (``k >= 1``). ``R`` is the set of relevant ids found in the top ``k``
(``ranked[:k]``). A relevant id is credited once, at its first occurrence: the caller de-duplicates the
ranking, and a repeated id can never raise a score. A case with no expected id has no defined recall and
raises ``MeasureError`` (a ``ValueError``; the caller skips such cases), as does ``k < 1``. All metrics are in
[0, 1], higher is better; the suite-level value is the mean over cases.

``hit_rate``
    1.0 when at least one expected id is in the top ``k``, else 0.0.
``recall_at_k``
    ``|R| / |expected|``.
``precision_at_k``
    ``|R| / k``. The denominator is ``k`` even when fewer than ``k`` ids were retrieved (the trec_eval
    convention): retrieving less is not rewarded, and values stay comparable across cases.
``mrr`` (``reciprocal_rank`` for one case)
    ``1 / rank`` of the first relevant id within the top ``k``, 0.0 when there is none. The mean over
    cases is the Mean Reciprocal Rank.
``ndcg_at_k``
    Binary relevance: ``DCG = sum over ranks i <= k of rel_i / log2(i + 1)`` (``rel_i`` is 1 for a relevant
    id, 0 otherwise), divided by the ideal DCG, which places ``min(|expected|, k)`` relevant ids at ranks
    1, 2, ... So a ranking whose top ranks hold as many relevant ids as possible scores 1.0.

Example: ranking ``[a, x, b, y, z]``, expected ``{a, b}``, ``k = 3``: hit 1.0, recall 2/2 = 1.0,
precision 2/3, reciprocal rank 1/1, nDCG ``(1/log2 2 + 1/log2 4) / (1/log2 2 + 1/log2 3)`` = 1.5 / 1.631 =
0.920.

Answer measures
---------------
They compare an answer with the chunk texts it was given, lexically (no model is called), so they are cheap,
reproducible and blind to paraphrase: use them as a floor and a regression signal, not as a judge of truth.

*Content terms.* The distinct content terms of a text are its ``llmops_ci.rag.text.terms`` (lower-cased,
stop words removed, lightly stemmed) with numbers taken as whole amounts: a number is a run of digits with
``.`` or ``,`` between digit groups ("4,200", "3.75", "1.2.3"). A comma-grouped number in the English
thousands style ("4,200", "1,000,000.50") loses its commas; any other comma separates numbers ("1,2,3" is 1,
2 and 3); trailing zeros after a decimal point are dropped ("4.50" is 4.5, "4,200.00" is 4200). So
"$4,200" in an answer meets "4200 USD" in a chunk but not "$4,300", and "4.2" never meets "4" and "2".
Dates stay as their parts ("2024-03-15" is 2024, 03 and 15). Currency symbols and units are not terms.
Bracketed citation markers ("[1]", "[2, 3]", "[^4]", "[doc1]", "[source 2]") are removed first, so an answer
citing its sources is not held to contain the numbers 1 to 4.

*Support.* A sentence (``llmops_ci.rag.text.sentences``) is supported by a chunk when

1. at least ``threshold`` (default 0.6) of the sentence's distinct content terms occur in that one chunk
   (terms spread over several chunks do not add up), and
2. every number of the sentence occurs in that chunk (a wrong amount is never supported, however many other
   words match).

Sentences without content terms ("Yes, it is.") are not counted by any measure.

``groundedness``
    ``supported sentences / counted sentences``, in [0, 1], higher is better; ``None`` when nothing is counted
    (an empty answer, or one made only of stop words). The result also lists each unsupported sentence and,
    per counted sentence, the index of the supporting chunk (the one covering the most of its terms; the
    first such chunk on a tie) or ``None``.
``context_relevance``
    Mean over the chunks of ``|Q ∩ C| / |Q|``, where ``Q`` is the query's distinct content terms and ``C`` a
    chunk's. In [0, 1], higher is better; ``None`` when the query has no content terms or there are no chunks.
``chunk_utilization``
    Share of the chunks that support at least one counted answer sentence (any chunk passing the support test
    counts, not only the best one). In [0, 1], higher means less retrieved context was wasted; ``None`` when
    there are no chunks or no counted sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from llmops_ci.errors import LlmopsError
from llmops_ci.rag import text

RETRIEVAL_METRICS = ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg_at_k")

# Digit groups joined by "." or ",", not glued to a word (so "gpt4", "v2" and "v1.2" are no numbers).
_NUMBER = re.compile(r"(?<![^\W_])(?<![^\W_][.,])\d+(?:[.,]\d+)*(?![^\W_])")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_CITATION = re.compile(r"\[\^?(?:[A-Za-z]+ ?)?\d+(?:\s*[,;\u2013-]\s*(?:[A-Za-z]+ ?)?\d+)*\]")


class MeasureError(LlmopsError, ValueError):
    """A measure cannot be computed from its inputs (no expected ids, an empty sample, a bad cut-off...).
    A ``ValueError`` for callers that skip such cases, an ``LlmopsError`` for the message users see."""


# --- retrieval ----------------------------------------------------------------------------------------------


def _relevant_ranks(ranked: Sequence[str], expected: Collection[str], k: int) -> list[int]:
    """1-based ranks within the top ``k`` where a relevant id first occurs."""
    if k < 1:
        raise MeasureError(f"k must be at least 1, got {k}")
    relevant = set(expected)
    if not relevant:
        raise MeasureError("no expected ids: retrieval metrics are undefined for this case")
    seen: set[str] = set()
    ranks = []
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant and doc_id not in seen:
            seen.add(doc_id)
            ranks.append(rank)
    return ranks


def hit_rate(ranked: Sequence[str], expected: Collection[str], k: int) -> float:
    """1.0 when an expected id is in the top ``k``, else 0.0."""
    return 1.0 if _relevant_ranks(ranked, expected, k) else 0.0


def recall_at_k(ranked: Sequence[str], expected: Collection[str], k: int) -> float:
    """Share of the expected ids found in the top ``k``."""
    return len(_relevant_ranks(ranked, expected, k)) / len(set(expected))


def precision_at_k(ranked: Sequence[str], expected: Collection[str], k: int) -> float:
    """Relevant ids in the top ``k``, divided by ``k`` (even when fewer than ``k`` were retrieved)."""
    return len(_relevant_ranks(ranked, expected, k)) / k


def reciprocal_rank(ranked: Sequence[str], expected: Collection[str], k: int) -> float:
    """``1 / rank`` of the first relevant id in the top ``k``, 0.0 when none (its mean is MRR)."""
    ranks = _relevant_ranks(ranked, expected, k)
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg_at_k(ranked: Sequence[str], expected: Collection[str], k: int) -> float:
    """Binary-relevance nDCG at ``k`` (see the module docs)."""
    ranks = _relevant_ranks(ranked, expected, k)
    dcg = sum(1.0 / math.log2(rank + 1) for rank in ranks)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(set(expected)), k) + 1))
    return dcg / ideal


def retrieval_metrics(ranked: Sequence[str], expected: Collection[str], k: int) -> dict[str, float]:
    """All retrieval metrics of one case, keyed as in ``RETRIEVAL_METRICS``."""
    return {
        "hit_rate": hit_rate(ranked, expected, k),
        "recall_at_k": recall_at_k(ranked, expected, k),
        "precision_at_k": precision_at_k(ranked, expected, k),
        "mrr": reciprocal_rank(ranked, expected, k),
        "ndcg_at_k": ndcg_at_k(ranked, expected, k),
    }


# --- answers ------------------------------------------------------------------------------------------------


def numbers(value: str) -> frozenset[str]:
    """The distinct numbers of a text, normalised as the module docs describe."""
    found: set[str] = set()
    for match in _NUMBER.finditer(value):
        raw = match.group()
        parts = [raw.replace(",", "")] if _THOUSANDS.fullmatch(raw) else raw.split(",")
        found.update(_drop_fraction_zeros(part) for part in parts)
    return frozenset(found)


def _drop_fraction_zeros(number: str) -> str:
    if number.count(".") != 1:
        return number
    whole, fraction = number.split(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


@dataclass(frozen=True)
class _Content:
    terms: frozenset[str]
    numbers: frozenset[str]


def _content(value: str) -> _Content:
    value = _CITATION.sub(" ", value)
    found = numbers(value)
    words = {term for term in text.terms(value) if not term.isdigit()}
    return _Content(terms=frozenset(words | found), numbers=found)


@dataclass
class Grounding:
    """The outcome of ``groundedness``: ``score`` (None when nothing was counted), the number of counted
    ``sentences``, the ``unsupported`` sentences' text, and per counted sentence the index of its supporting
    chunk (``support``, None when unsupported)."""

    score: float | None
    sentences: int
    unsupported: list[str] = field(default_factory=list)
    support: list[int | None] = field(default_factory=list)


def _coverage(sentence: _Content, chunk: _Content) -> float:
    """Share of the sentence's terms found in the chunk; 0.0 when a number of the sentence is missing."""
    if not sentence.numbers <= chunk.numbers:
        return 0.0
    return len(sentence.terms & chunk.terms) / len(sentence.terms)


def _best_support(sentence: _Content, chunks: Sequence[_Content], threshold: float) -> int | None:
    best: int | None = None
    best_coverage = threshold
    for index, chunk in enumerate(chunks):
        coverage = _coverage(sentence, chunk)
        if coverage >= best_coverage and (best is None or coverage > best_coverage):
            best, best_coverage = index, coverage
    return best


def _counted_sentences(answer: str) -> list[tuple[str, _Content]]:
    counted = []
    for sentence in text.sentences(answer):
        content = _content(sentence)
        if content.terms:
            counted.append((sentence, content))
    return counted


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise MeasureError(f"threshold must be in (0, 1], got {threshold}")


def groundedness(answer: str, chunks: Sequence[str], threshold: float = 0.6) -> Grounding:
    """How much of ``answer`` the ``chunks`` support, sentence by sentence (see the module docs)."""
    _check_threshold(threshold)
    chunk_contents = [_content(chunk) for chunk in chunks]
    counted = _counted_sentences(answer)
    support = [_best_support(content, chunk_contents, threshold) for _, content in counted]
    unsupported = [sentence for (sentence, _), index in zip(counted, support, strict=True) if index is None]
    score = (len(counted) - len(unsupported)) / len(counted) if counted else None
    return Grounding(score=score, sentences=len(counted), unsupported=unsupported, support=support)


def context_relevance(query: str, chunks: Sequence[str]) -> float | None:
    """Mean share of the query's content terms that each chunk contains (see the module docs)."""
    query_terms = _content(query).terms
    if not query_terms or not chunks:
        return None
    shares = [len(query_terms & _content(chunk).terms) / len(query_terms) for chunk in chunks]
    return sum(shares) / len(shares)


def chunk_utilization(answer: str, chunks: Sequence[str], threshold: float = 0.6) -> float | None:
    """Share of the chunks that support at least one answer sentence (see the module docs)."""
    _check_threshold(threshold)
    counted = _counted_sentences(answer)
    if not chunks or not counted:
        return None
    chunk_contents = [_content(chunk) for chunk in chunks]
    used = sum(
        1
        for chunk in chunk_contents
        if any(_coverage(sentence, chunk) >= threshold for _, sentence in counted)
    )
    return used / len(chunks)
