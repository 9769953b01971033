"""Reference-similarity checks: levenshtein, rouge-l and bleu (no third-party metric library needed)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from llmops_ci.eval.assertions.base import Output, Verdict, verdict
from llmops_ci.eval.assertions.common import at_least, normalize

#: promptfoo's defaults when no threshold is given.
DEFAULT_MAX_DISTANCE = 5
DEFAULT_ROUGE_THRESHOLD = 0.75
DEFAULT_BLEU_THRESHOLD = 0.5
BLEU_MAX_ORDER = 4

_WORDS = re.compile(r"\w+")
_WORDS_AND_PUNCTUATION = re.compile(r"\w+|[^\w\s]")


# --- levenshtein ---------------------------------------------------------------------------------------


def levenshtein_distance(left: str, right: str) -> int:
    """Edit distance (insert, delete, substitute one code point).

    Myers' bit-parallel algorithm in Hyyrö's formulation, one Python int as the bit vector: about
    len(longer) big-int steps instead of len(left) * len(right) cell updates.
    """
    left, right = _trim_common(left, right)
    if len(left) > len(right):
        left, right = right, left
    if not left:
        return len(right)
    full, last = (1 << len(left)) - 1, 1 << (len(left) - 1)
    positions = _positions(left)
    plus, minus, distance = full, 0, len(left)
    for char in right:
        equal = positions.get(char, 0)
        vertical = equal | minus
        horizontal = ((((equal & plus) + plus) & full) ^ plus) | equal
        up = minus | (~(horizontal | plus) & full)
        down = plus & horizontal
        distance += 1 if up & last else -1 if down & last else 0
        up, down = ((up << 1) | 1) & full, (down << 1) & full
        plus, minus = down | (~(vertical | up) & full), up & vertical
    return distance


def _trim_common(left: str, right: str) -> tuple[str, str]:
    """Drop the common prefix and suffix, which never add edits."""
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    end = 0
    while end < min(len(left), len(right)) - start and left[-1 - end] == right[-1 - end]:
        end += 1
    return left[start : len(left) - end], right[start : len(right) - end]


def _positions(sequence: Sequence[Hashable]) -> dict[Hashable, int]:
    """Item -> bit mask of the indexes where it occurs."""
    masks: dict[Hashable, int] = {}
    for index, item in enumerate(sequence):
        masks[item] = masks.get(item, 0) | (1 << index)
    return masks


def levenshtein_similarity(distance: int, left: str, right: str) -> float:
    """1 - distance / the longer length (1.0 for two empty strings)."""
    longest = max(len(left), len(right))
    return 1.0 - distance / longest if longest else 1.0


def max_distance(threshold: float | None) -> int | None:
    """A whole-number threshold is a maximum distance; a fraction in 0..1 is a minimum similarity (None)."""
    if threshold is None:
        return DEFAULT_MAX_DISTANCE
    if isinstance(threshold, int) or threshold > 1:
        return int(threshold)
    return None


def check_levenshtein(output: Output, spec: dict[str, Any]) -> Verdict:
    """Score is the normalised similarity; pass by distance or by similarity, as the threshold says."""
    text, reference = normalize(output.text), normalize(spec["value"])
    distance = levenshtein_distance(text, reference)
    similarity = levenshtein_similarity(distance, text, reference)
    shown = f"edit distance {distance} (similarity {similarity:.3f})"
    limit = max_distance(spec.get("threshold"))
    if limit is not None:
        return verdict(distance <= limit, f"{shown}, allowed at most {limit}", similarity)
    threshold = float(spec["threshold"])
    return verdict(at_least(similarity, threshold), f"{shown}, needed at least {threshold:g}", similarity)


# --- rouge-l -------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Case-folded word tokens (Unicode letters and digits; punctuation dropped)."""
    return _WORDS.findall(normalize(text, case_sensitive=False))


def lcs_length(left: list[str], right: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (Allison-Dix bit-parallel)."""
    if len(left) > len(right):
        left, right = right, left
    if not left:
        return 0
    full, positions = (1 << len(left)) - 1, _positions(left)
    row = full
    for token in right:
        matched = row & positions.get(token, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(left) - row.bit_count()


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over word tokens (1.0 when both are empty, 0.0 when only one is)."""
    hypothesis, truth = words(candidate), words(reference)
    if not hypothesis or not truth:
        return 1.0 if hypothesis == truth else 0.0
    common = lcs_length(hypothesis, truth)
    if common == 0:
        return 0.0
    precision, recall = common / len(hypothesis), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def check_rouge_l(output: Output, spec: dict[str, Any]) -> Verdict:
    score = rouge_l(output.text, spec["value"])
    threshold = float(spec.get("threshold", DEFAULT_ROUGE_THRESHOLD))
    reason = f"ROUGE-L F1 {score:.3f}, needed at least {threshold:g}"
    return verdict(at_least(score, threshold), reason, score)


# --- bleu ----------------------------------------------------------------------------------------------


def bleu_tokens(text: str) -> list[str]:
    """Case-folded words, with each punctuation mark a token of its own."""
    return _WORDS_AND_PUNCTUATION.findall(normalize(text, case_sensitive=False))


def _ngrams(tokens: list[str], order: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1))


def bleu(candidate: str, reference: str, max_order: int = BLEU_MAX_ORDER) -> float:
    """Sentence BLEU against one reference: n-grams up to ``max_order`` (fewer for shorter candidates),
    clipped precisions, brevity penalty, and exponential smoothing of zero-match orders (Chen & Cherry
    2014 method 3, sacreBLEU's sentence default).
    """
    hypothesis, truth = bleu_tokens(candidate), bleu_tokens(reference)
    if not hypothesis or not truth:
        return 1.0 if hypothesis == truth else 0.0
    order = min(max_order, len(hypothesis))
    log_sum, smoothing = 0.0, 1.0
    for n in range(1, order + 1):
        counts, reference_counts = _ngrams(hypothesis, n), _ngrams(truth, n)
        matches = sum(min(count, reference_counts[gram]) for gram, count in counts.items())
        total = len(hypothesis) - n + 1
        if matches == 0:
            smoothing *= 2
            log_sum += math.log(1.0 / (smoothing * total))
        else:
            log_sum += math.log(matches / total)
    brevity = 1.0 if len(hypothesis) > len(truth) else math.exp(1 - len(truth) / len(hypothesis))
    return brevity * math.exp(log_sum / order)


def check_bleu(output: Output, spec: dict[str, Any]) -> Verdict:
    score = bleu(output.text, spec["value"])
    threshold = float(spec.get("threshold", DEFAULT_BLEU_THRESHOLD))
    return verdict(at_least(score, threshold), f"BLEU {score:.3f}, needed at least {threshold:g}", score)
