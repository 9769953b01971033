"""## denylist
Fires on words or phrases from a list: competitor names, internal code names, slurs, banned claims.

## Options
- `terms`: the words or phrases; `terms_file`: a file with one term per line (`#` starts a comment line;
  the path is relative to the policy file). At least one of the two.
- `case_sensitive` (default `false`).
- `match`: `word` (default: the term must not be part of a longer word — `ass` does not fire in `class`)
  or `substring`.

Entity: `DENYLIST_TERM`; the detection's text is the occurrence as written.

## Limits
All terms are compiled into one RE2 alternation, so a scan is linear in the text whatever the number of
terms. With `match: word`, an occurrence rejected for being inside a word can hide a term that starts
inside it (terms `ab`, `bc` in `xab c`); rare enough not to cost a second pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection
from llmops_ci.guardrails.checks._params import string_list, terms_from_file
from llmops_ci.guardrails.checks._safe_regex import SafePattern, compile_safe

ENTITIES = ("DENYLIST_TERM",)
PARAMS = frozenset({"terms", "terms_file", "case_sensitive", "match", "mask_keep"})
MODEL_BASED = False


class WordListDetector:
    """Occurrences of any of ``terms``, as whole words or as substrings."""

    def __init__(
        self, terms: list[str], entity: str, *, case_sensitive: bool, whole_words: bool, key: str
    ) -> None:
        ordered = sorted(set(terms), key=len, reverse=True)  # the longest alternative wins at a position
        self.entity = entity
        self.whole_words = whole_words
        self.pattern: SafePattern = compile_safe(
            "|".join(re.escape(term) for term in ordered), key, case_sensitive=case_sensitive
        )

    def scan(self, text: str) -> list[Detection]:
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.start(), match.end()
            if start == end:
                continue
            if self.whole_words and not _whole_word(text, start, end):
                continue
            found.append(Detection(self.entity, start, end, text[start:end]))
        return found


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    inner_first, inner_last = text[start], text[end - 1]
    # a boundary is only needed where the term itself starts or ends with a word character
    return not (_word_char(inner_first) and _word_char(before)) and not (
        _word_char(inner_last) and _word_char(after)
    )


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def build(spec: Mapping[str, Any], context: BuildContext) -> WordListDetector:
    terms = string_list(spec, "terms") + terms_from_file(spec, context)
    if not terms:
        raise CheckError("a denylist check needs terms or a terms_file with at least one term", "terms")
    return WordListDetector(
        terms,
        "DENYLIST_TERM",
        case_sensitive=bool(spec.get("case_sensitive", False)),
        whole_words=spec.get("match", "word") == "word",
        key="terms",
    )
