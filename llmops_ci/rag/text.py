"""Text analysis shared by chunking, lexical retrieval, the retrieval/answer measures and the offline
baselines: one definition of a term, a sentence and a token, so every score speaks the same language.

- A *word* is a run of letters and digits (Unicode-aware), apostrophes inside it kept.
- A *term* is a lower-cased word that is not an English stop word, with a light suffix stripping
  (plural -s/-es/-ies, -ing, -ed) so "invoices" and "invoice" meet; numbers are kept whole.
- A *token* count is an estimate of a BPE tokenizer's count (OpenAI-style, ~4 characters of English per
  token): each run of letters and digits counts ``ceil(len/4)`` (at least 1) and each other non-space
  character (punctuation, an apostrophe) counts 1. It
  needs no network and no model file; it is within ~15% of cl100k on English prose.
- A *sentence* ends at ``.``, ``!`` or ``?`` followed by white space and an upper-case letter, digit or
  quote, or at a blank line / line break before a list item or heading; common abbreviations
  ("e.g.", "Inc.", "No.", single initials) do not end one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_APOSTROPHES = "'\u2019"
WORD = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_TOKEN_PIECE = re.compile(r"[^\W_]+|[^\w\s]|_")

_STOP_WORD_LIST = """
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves shall may must also per via
"""
STOP_WORDS = frozenset(_STOP_WORD_LIST.split())

_ABBREVIATION_LIST = "e.g i.e etc inc ltd co corp no nos art sec para vs mr mrs ms dr st jr sr dept fig vol"
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, predictable suffix stripper (not Porter): enough to meet plurals and verb forms."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement, keep in (("ies", "y", 3), ("sses", "ss", 3), ("ing", "", 4), ("ed", "", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)] + replacement
    if (word.endswith("es") and word[-3:-2] in ("s", "x", "z")) or word.endswith(("ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


#: word (lower case) -> its term, or "" for a stop word; bounded by the vocabulary seen
_TERMS: dict[str, str] = {}
_TERMS_LIMIT = 500_000


def _term(word: str) -> str:
    folded = word.replace("\u2019", "'").removesuffix("'s")
    term = "" if folded in STOP_WORDS else stem(folded)
    if len(_TERMS) < _TERMS_LIMIT:
        _TERMS[word] = term
    return term


def terms(text: str) -> list[str]:
    """The content terms of ``text`` in order (repeats kept): what lexical retrieval indexes."""
    known = _TERMS
    out = [
        known.get(word) or (_term(word) if word not in known else "") for word in WORD.findall(text.lower())
    ]
    return [term for term in out if term]


def count_tokens(text: str) -> int:
    """An offline estimate of a model tokenizer's count (see the module docs)."""
    # one pass: a run of letters/digits counts (len + 3) // 4 (at least 1), any other non-space character 1
    return sum([(len(piece) + 3) >> 2 for piece in _TOKEN_PIECE.findall(text)])


_SENTENCE_END = re.compile(r"([.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|#)\s)")


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` character offsets of each sentence, whitespace trimmed, in order."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1):
            before = text[start : match.start(1)].rsplit(None, 1)
            last = before[-1].lower().rstrip(".") if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
            end = match.start(1) + 1
        else:
            end = match.start()
        yield from _trimmed(text, start, end)
        start = match.end()
    yield from _trimmed(text, start, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]
