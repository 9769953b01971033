"""``extractive-summarizer``: a summary made of the document's most central sentences.

What a classic pipeline can do for "summarize this": pick sentences, never rewrite them. The document is
the ``<document>`` tag of the last user message, else the whole message.

1. The document is cut into sentences (line breaks of forms end one too; see ``_common.units``); those
   with fewer than ``min_words`` words (headings, form labels) are not candidates unless nothing else is.
2. Each candidate gets a TF-IDF vector (IDF over the candidates); its centrality is the cosine to the
   document's centroid (the normalised sum of all candidate vectors).
3. Greedy selection in the spirit of maximal marginal relevance: the next sentence maximises
   ``centrality + lead * (1 - i / n) - redundancy * (highest cosine to a sentence already chosen)``,
   where ``i`` is the candidate's position among the ``n`` candidates (business documents state their
   gist first: parties, amounts, dates); ties go to the earlier sentence. A sentence that would take the
   summary over ``max_words`` is skipped; when even the first does not fit, its first ``max_words``
   words are used, ending with "...".
4. The chosen sentences are printed in document order, separated by a space.

Options: ``sentences`` (default 2), ``max_words`` (default 80), ``redundancy`` (default 0.5, 0 = none),
``lead`` (default 0.3, 0 = no position preference), ``min_words`` (default 5). The defaults were chosen
on the training documents of the example repository (mean ROUGE-L against their reference summaries).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmops_ci.baselines._common import Option, document_text, read_options, units
from llmops_ci.baselines._tfidf import TfidfIndex, Vector, cosine
from llmops_ci.rag.text import terms, words

NAME = "extractive-summarizer"

OPTIONS = {
    "sentences": Option(int, 2, check=lambda value: value >= 1, help="an integer >= 1"),
    "max_words": Option(int, 80, check=lambda value: value >= 1, help="an integer >= 1"),
    "redundancy": Option((int, float), 0.5, check=lambda value: 0 <= value <= 1, help="a number in 0..1"),
    "lead": Option((int, float), 0.3, check=lambda value: 0 <= value <= 1, help="a number in 0..1"),
    "min_words": Option(int, 5, check=lambda value: value >= 0, help="an integer >= 0"),
}


class ExtractiveSummarizer:
    def __init__(self, options: Mapping[str, Any] | None = None, base_dir: Path | None = None) -> None:
        values = read_options(NAME, options or {}, OPTIONS)
        self.count: int = values["sentences"]
        self.max_words: int = values["max_words"]
        self.redundancy = float(values["redundancy"])
        self.lead = float(values["lead"])
        self.min_words: int = values["min_words"]

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return self.summarize(document_text(messages))

    def summarize(self, text: str) -> str:
        candidates = self._candidates(text)
        if not candidates:
            return ""
        chosen = self.select(candidates)
        if not chosen:
            return " ".join(words_of(candidates[0])[: self.max_words]) + " ..."
        return " ".join(candidates[index] for index in sorted(chosen))

    def _candidates(self, text: str) -> list[str]:
        all_units = units(text)
        long_enough = [unit for unit in all_units if len(words(unit)) >= self.min_words]
        return long_enough or all_units

    def select(self, candidates: list[str]) -> list[int]:
        """Indexes of the chosen candidates, in the order they were chosen."""
        index = TfidfIndex([terms(candidate) for candidate in candidates])
        centroid = _normalised(index.vectors)
        centrality = [cosine(vector, centroid) for vector in index.vectors]
        chosen: list[int] = []
        used = 0
        remaining = list(range(len(candidates)))
        while remaining and len(chosen) < self.count:
            best = max(remaining, key=lambda i: (self._gain(i, centrality, index.vectors, chosen), -i))
            remaining.remove(best)
            length = len(words(candidates[best]))
            if used + length <= self.max_words:
                chosen.append(best)
                used += length
        return chosen

    def _gain(
        self, candidate: int, centrality: list[float], vectors: list[Vector], chosen: list[int]
    ) -> float:
        overlap = max((cosine(vectors[candidate], vectors[other]) for other in chosen), default=0.0)
        position = self.lead * (1 - candidate / len(centrality))
        return centrality[candidate] + position - self.redundancy * overlap


def _normalised(vectors: list[Vector]) -> Vector:
    total: Vector = {}
    for vector in vectors:
        for term, weight in vector.items():
            total[term] = total.get(term, 0.0) + weight
    norm = math.sqrt(sum(weight * weight for weight in total.values()))
    return {term: weight / norm for term, weight in total.items()} if norm else {}


def words_of(text: str) -> list[str]:
    return text.split()
