"""``extractive-qa``: answer a question with the best-matching sentence of the context.

What a classic pipeline can do for ad-hoc questions: no generation, only selection. From the last user
message it reads the question (the ``<question>`` tag, else the message without its ``<context>`` /
``<document>`` blocks) and the passages (the ``<context>`` tag, else the ``<document>`` tag). With no
passages, or no question term found in them, it answers ``no_answer``.

- Context format: retrieved chunks as ``[<chunk id>] <text>``, chunks separated by blank lines (what a
  RagPipeline's answer prompt receives). A marker counts only at the start of the context or after a
  blank line, and a chunk id has no white space (``[see note]`` is text); text without markers is one
  anonymous passage.
- Each passage is cut into sentences (line breaks of forms end one too; see ``_common.units``) and
  every sentence is scored by BM25 (bm25s, k1 1.5, b 0.75, IDF over the sentences) against the question's
  terms (``llmops_ci.rag.text.terms``). Ties go to the earlier sentence.
- Answer type (``answer_types``, default true): a question asking *how long / how many days / how
  quickly / which period* expects a duration, *when / until when / which date / deadline* a date, *how
  much / which amount, fee, salary, rent, price, rate, total* an amount (checked in that order). When some
  matching sentence contains a value of the expected type, only those sentences compete (the classic
  TREC-style answer-type filter); otherwise all do.
- The answer is the best sentence; when it has fewer than ``short_words`` words and a second sentence
  also matches, the second best is added. Each sentence is followed by the id of its chunk in brackets
  (``cite``), once per run of sentences from the same chunk.

Options: ``short_words`` (default 12; 0 = always one sentence), ``cite`` (default true), ``answer_types``
(default true), ``no_answer`` (default "I cannot answer that from the provided documents.").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmops_ci.baselines._common import (
    Option,
    last_user_text,
    plain_text,
    read_options,
    tagged,
    units,
    untagged,
)
from llmops_ci.rag.text import terms, words

NAME = "extractive-qa"
NO_ANSWER = "I cannot answer that from the provided documents."

OPTIONS = {
    "short_words": Option(int, 12, check=lambda value: value >= 0, help="an integer >= 0"),
    "cite": Option(bool, True, help="true or false"),
    "answer_types": Option(bool, True, help="true or false"),
    "no_answer": Option(str, NO_ANSWER, check=lambda value: bool(value.strip()), help="a non-empty text"),
}

_MARKER = re.compile(r"(?:\A|\n[ \t]*\n)[ \t]*\[([^\]\s]{1,200})\][ \t]*")


_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve fourteen fifteen twenty thirty forty "
    "forty-five fifty sixty ninety"
)
_NUMBER = rf"(?:\d+|{'|'.join(_NUMBER_WORDS.split())})"
_UNIT = r"(?:business |working |calendar )?(?:hours?|days?|weeks?|months?|years?)"
_DURATION = re.compile(rf"\b{_NUMBER}(?:\s*\(\d+\))?[ -]{_UNIT}\b", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:{_DAY} (?:of )?{_MONTH},? \d{{4}}|{_MONTH} {_DAY},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4})\b",
    re.IGNORECASE,
)
_CURRENCY = r"(?:[€£$¥]|\b(?:EUR|GBP|USD|CHF)\b)"
_AMOUNT = re.compile(rf"{_CURRENCY}\s*\d|\d[\d.,]*\s*{_CURRENCY}|\d[.,]\d{{2}}\b")
_ASKS_DURATION = (
    r"\bhow (?:long|many (?:hours|days|weeks|months|years)|quickly|soon)\b|\b(?:notice )?period\b"
)
_ASKS_DATE = r"^\W*(?:when|until when|by when)\b|\b(?:what|which) date\b|\b(?:deadline|date)\b"
_ASKS_AMOUNT = r"\bhow much\b|\b(?:amount|fee|salary|rent|price|rate|total|cost|value)\b"
_QUESTION_TYPES = (
    (re.compile(_ASKS_DURATION, re.IGNORECASE), _DURATION),
    (re.compile(_ASKS_DATE, re.IGNORECASE), _DATE),
    (re.compile(_ASKS_AMOUNT, re.IGNORECASE), _AMOUNT),
)


def answer_type(question: str) -> re.Pattern[str] | None:
    """The pattern a sentence answering ``question`` should contain, if the question says (see the docs)."""
    return next((value for asks, value in _QUESTION_TYPES if asks.search(question)), None)


@dataclass(frozen=True)
class Passage:
    id: str | None
    text: str


@dataclass(frozen=True)
class Sentence:
    text: str
    passage: str | None


def passages(context: str) -> list[Passage]:
    """The ``[id] text`` chunks of a context; text before the first marker is a passage without id."""
    found: list[Passage] = []
    position, current = 0, None
    for match in _MARKER.finditer(context):
        if context[position : match.start()].strip() or current is not None:
            found.append(Passage(current, context[position : match.start()].strip()))
        position, current = match.end(), match.group(1).strip()
    if context[position:].strip() or current is not None:
        found.append(Passage(current, context[position:].strip()))
    return [passage for passage in found if passage.text]


class ExtractiveQA:
    def __init__(self, options: Mapping[str, Any] | None = None, base_dir: Path | None = None) -> None:
        values = read_options(NAME, options or {}, OPTIONS)
        self.short_words: int = values["short_words"]
        self.cite: bool = values["cite"]
        self.answer_types: bool = values["answer_types"]
        self.no_answer: str = values["no_answer"]

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        text = last_user_text(messages)
        question = tagged(text, "question")
        if question is None:
            question = untagged(text, ("context", "document"))
        context = tagged(text, "context")
        if context is None:
            context = tagged(text, "document")
        return self.answer(question, context or "")

    def answer(self, question: str, context: str) -> str:
        chosen = self.select(question, context)
        if not chosen:
            return self.no_answer
        return self._cited(chosen)

    def select(self, question: str, context: str) -> list[Sentence]:
        """The sentences that answer, best first (empty when nothing matches)."""
        pool = [
            Sentence(unit, passage.id)
            for passage in passages(context)
            for unit in units(plain_text(passage.text))
        ]
        query = terms(question)
        if not pool or not query:
            return []
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([terms(sentence.text) for sentence in pool], show_progress=False)
        scores = np.asarray(retriever.get_scores(query), dtype=np.float64)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        if not order:
            return []
        expected = answer_type(question) if self.answer_types else None
        if expected is not None:
            typed = [i for i in order if expected.search(pool[i].text)]
            order = typed or order
        best = [pool[order[0]]]
        if len(words(best[0].text)) < self.short_words and len(order) > 1:
            best.append(pool[order[1]])
        return best

    def _cited(self, chosen: list[Sentence]) -> str:
        parts: list[str] = []
        for index, sentence in enumerate(chosen):
            parts.append(sentence.text)
            following = chosen[index + 1].passage if index + 1 < len(chosen) else None
            if self.cite and sentence.passage is not None and following != sentence.passage:
                parts.append(f"[{sentence.passage}]")
        return " ".join(parts)
