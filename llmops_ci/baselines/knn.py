"""``knn-classifier``: k-nearest-neighbour text classification over labelled examples.

The classic pipeline's classifier (the seed's TF-IDF features + a trained model), as a lazy learner: the
training file is the model. Every example's text is turned into terms (``llmops_ci.rag.text.terms``: lower
case, stop words dropped, light stemming) and indexed, once per process, at the first call. For an input
document (the ``<document>`` tag of the last user message, else the whole message) the ``k`` most similar
examples vote for their label with their similarity as weight; the answer is the bare label.

- similarity ``tfidf`` (default): cosine of sublinear TF-IDF vectors; ``bm25``: BM25 (bm25s, k1 1.5,
  b 0.75) of the document's terms against each example.
- ties: between neighbours of equal similarity, the one earlier in the training file ranks first; between
  labels of equal total weight, the label of the single most similar neighbour wins, then the label first
  seen in the training file.
- nothing in common with any example (all similarities 0): the most frequent training label.

Options (llmops.yaml ``spec.providers.local.<name>: {use: knn-classifier, options: {...}}``):

- ``train`` (required): a JSONL file of ``{"text": ..., "label": ...}`` records, relative to the project root.
- ``k`` (default 5): how many neighbours vote.
- ``similarity`` (default ``tfidf``): ``tfidf`` or ``bm25``.
- ``text_field`` / ``label_field`` (default ``text`` / ``label``): the record keys to read.

Example::

    doc-classifier: {use: knn-classifier, options: {train: data/train/classification.jsonl, k: 5}}
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from llmops_ci.baselines import _common as common
from llmops_ci.baselines._tfidf import TfidfIndex
from llmops_ci.rag.text import terms

NAME = "knn-classifier"
SIMILARITIES = ("tfidf", "bm25")

OPTIONS = {
    "train": common.Option(str, required=True, help="a JSONL file of {text, label} records"),
    "k": common.Option(int, 5, check=lambda value: value >= 1, help="an integer >= 1"),
    "similarity": common.Option(str, "tfidf", check=lambda name: name in SIMILARITIES, help="tfidf or bm25"),
    "text_field": common.Option(str, "text", help="the record key holding the example text"),
    "label_field": common.Option(str, "label", help="the record key holding the label"),
}

Scorer = Callable[[list[str]], "npt.NDArray[np.float64]"]


@dataclass(frozen=True)
class _Fitted:
    labels: list[str]
    score: Scorer
    majority: str


class KnnClassifier:
    def __init__(self, options: Mapping[str, Any], base_dir: Path) -> None:
        values = common.read_options(NAME, options, OPTIONS)
        self.k: int = values["k"]
        self.similarity: str = values["similarity"]
        self.text_field: str = values["text_field"]
        self.label_field: str = values["label_field"]
        self.train = common.data_file(NAME, "train", values["train"], base_dir)
        self._fitted: _Fitted | None = None
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return self.classify(common.document_text(messages))

    def classify(self, text: str) -> str:
        fitted = self._fit()
        scores = fitted.score(terms(text))
        # stable sort on -score: equal similarities keep training-file order
        order = np.argsort(-scores, kind="stable")[: self.k]
        neighbours = [(int(i), float(scores[i])) for i in order if scores[i] > 0]
        if not neighbours:
            return fitted.majority
        return vote([(fitted.labels[i], score) for i, score in neighbours], first_seen(fitted.labels))

    def _fit(self) -> _Fitted:
        with self._lock:
            if self._fitted is None:
                texts, labels = self._examples()
                self._fitted = _Fitted(labels, _scorer(self.similarity, texts), majority(labels))
            return self._fitted

    def _examples(self) -> tuple[list[list[str]], list[str]]:
        texts: list[list[str]] = []
        labels: list[str] = []
        for number, record in common.read_jsonl(self.train):
            text, label = record.get(self.text_field), record.get(self.label_field)
            if not isinstance(text, str) or not isinstance(label, str) or not label:
                raise common.BaselineError(
                    f"{self.train}:{number}: a training record needs string {self.text_field!r} and "
                    f"{self.label_field!r} fields"
                )
            texts.append(terms(common.plain_text(text)))
            labels.append(label)
        if not labels:
            raise common.BaselineError(f"{self.train}: no training records; add {{text, label}} lines")
        return texts, labels


def _scorer(similarity: str, texts: Sequence[Sequence[str]]) -> Scorer:
    if similarity == "bm25":
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([list(text) for text in texts], show_progress=False)

        def bm25(query: list[str]) -> npt.NDArray[np.float64]:
            return np.asarray(retriever.get_scores(query), dtype=np.float64)

        return bm25
    return TfidfIndex(texts).scores


def first_seen(labels: Sequence[str]) -> dict[str, int]:
    order: dict[str, int] = {}
    for label in labels:
        order.setdefault(label, len(order))
    return order


def majority(labels: Sequence[str]) -> str:
    counts = Counter(labels)
    order = first_seen(labels)
    return min(counts, key=lambda label: (-counts[label], order[label]))


def vote(neighbours: Sequence[tuple[str, float]], order: Mapping[str, int]) -> str:
    """The label with the highest summed similarity; ties go to the nearest neighbour's label, then to
    the label seen first. ``neighbours`` is ordered nearest first."""
    totals: dict[str, float] = {}
    for label, score in neighbours:
        totals[label] = totals.get(label, 0.0) + score
    rank = {label: position for position, (label, _) in reversed(list(enumerate(neighbours)))}
    return min(totals, key=lambda label: (-round(totals[label], 12), rank[label], order[label]))
