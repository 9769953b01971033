"""A sparse TF-IDF index with cosine similarity, in numpy.

Weights: sublinear term frequency ``1 + ln(tf)`` times smoothed inverse document frequency
``ln((1 + n) / (1 + df)) + 1`` (scikit-learn's defaults), each document vector L2-normalised. The index is
inverted (term -> document ids and weights), so scoring a query touches only the documents sharing a term
with it and memory grows with the number of (document, term) pairs, not documents x vocabulary.
Query terms the index has never seen carry no weight.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vector = dict[str, float]


class TfidfIndex:
    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        frequencies = Counter(term for document in documents for term in set(document))
        self.idf = {term: math.log((1 + self.size) / (1 + df)) + 1 for term, df in frequencies.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        self.vectors: list[Vector] = []
        for number, document in enumerate(documents):
            vector = self.vector(document)
            self.vectors.append(vector)
            for term, weight in vector.items():
                ids, weights = postings.setdefault(term, ([], []))
                ids.append(number)
                weights.append(weight)
        self._postings = {
            term: (np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64))
            for term, (ids, weights) in postings.items()
        }

    def vector(self, terms: Sequence[str]) -> Vector:
        """The L2-normalised TF-IDF vector of ``terms`` (unknown terms dropped)."""
        counts = Counter(term for term in terms if term in self.idf)
        raw = {term: (1 + math.log(count)) * self.idf[term] for term, count in counts.items()}
        norm = math.sqrt(sum(weight * weight for weight in raw.values()))
        return {term: weight / norm for term, weight in raw.items()} if norm else {}

    def scores(self, terms: Sequence[str]) -> npt.NDArray[np.float64]:
        """Cosine similarity of ``terms`` to every indexed document, in index order."""
        return self.scores_of(self.vector(terms))

    def scores_of(self, vector: Vector) -> npt.NDArray[np.float64]:
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in vector.items():
            ids, weights = self._postings[term]
            np.add.at(out, ids, weights * weight)
        return out


def cosine(left: Vector, right: Vector) -> float:
    """Cosine of two normalised vectors."""
    if len(right) < len(left):
        left, right = right, left
    return sum(weight * right.get(term, 0.0) for term, weight in left.items())
