"""## topic
Fires when the conversation is about a subject the policy keeps out of scope (or wants to log): medical
or legal advice in a retail bot, elections, a pending lawsuit, a competitor's product line. Like
`denylist`, it matches words and phrases; the difference is intent: a denylist names strings that must not
appear, a topic names keywords that show the text is about something.

## Options
- `keywords` (required, non-empty): the words and phrases of the topic. A run of spaces inside a keyword
  matches any run of white space (`interest rate` matches `interest\\nrate`).
- `case_sensitive` (default `false`): with `false`, letters match case-insensitively by Unicode simple
  case folding (`É` matches `é`; `ß` does not match `ss`).
- `match`: `word` (default) or `substring`. With `word`, an occurrence must not be part of a longer word:
  a keyword that starts (ends) with a letter, digit, combining mark or `_` must not be preceded (followed)
  by one, in any script (`tax` fires in `tax-free` and `TAX,` but not in `taxonomy` or `syntax`). Ends that
  are punctuation (`c++`, `#ad`) need no boundary. With `substring`, every occurrence fires.

Entity: `TOPIC`. One detection per occurrence, its text as written; occurrences do not overlap, and at a
position the longest keyword wins (`new york` over `new`; in `new yorker`, `new` fires).

## Limits
All keywords are compiled into one RE2 alternation with the word boundaries inside it, so a scan is one
linear pass whatever the number of keywords (tens of thousands compile in well under a second). Keywords
are literal strings, not patterns: use a `regex` check for patterns. No stemming, synonyms or meaning:
`lawsuit` does not fire on `litigation`; list the forms you mean, or use a model-based check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import re2

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection
from llmops_ci.guardrails.checks._params import string_list

ENTITIES = ("TOPIC",)
PARAMS = frozenset({"keywords", "case_sensitive", "match", "mask_keep"})
MODEL_BASED = False

#: Compiled-program memory for RE2; large keyword lists need more than RE2's default of 8 MiB.
MAX_MEM = 256 << 20
_WORD = r"\pL\pM\pN\p{Pc}"
_NOT_WORD = rf"[^{_WORD}]"
_SPACE = r"[\s\p{Z}]+"


def is_word_char(char: str) -> bool:
    """Letters, combining marks, digits and connector punctuation (``_``): the RE2 class ``_WORD``."""
    category = unicodedata.category(char)
    return category[0] in "LMN" or category == "Pc"


def keyword_pattern(keyword: str) -> str:
    """RE2 syntax for one literal keyword; inner runs of white space match any white space."""
    return _SPACE.join(re.escape(part) for part in keyword.split())


class TopicDetector:
    """Occurrences of any keyword: one RE2 pass over the UTF-8 text."""

    def __init__(
        self, keywords: list[str], *, case_sensitive: bool = False, whole_words: bool = True
    ) -> None:
        unique = sorted({" ".join(keyword.split()) for keyword in keywords}, key=len, reverse=True)
        self.whole_words = whole_words
        # When every keyword starts and ends with a word character (or there are no boundaries), a match is
        # [boundary] keyword [boundary] and the keyword's span follows from the match's: no capture group
        # is needed, and RE2 skips the costly submatch pass (tens of microseconds a match for a long list).
        self._spans_from_match = not whole_words or all(
            is_word_char(keyword[0]) and is_word_char(keyword[-1]) for keyword in unique
        )
        if whole_words:
            # Four classes by whether a keyword starts / ends with a word character: only those ends get
            # a boundary. Each class is one capture group; the boundary characters sit outside the group.
            classes: dict[tuple[bool, bool], list[str]] = {}
            for keyword in unique:
                ends = (is_word_char(keyword[0]), is_word_char(keyword[-1]))
                classes.setdefault(ends, []).append(keyword_pattern(keyword))
            branches = []
            for (lead, trail), patterns in sorted(classes.items(), reverse=True):
                body = "|".join(patterns)
                branches.append(
                    (f"(?:^|{_NOT_WORD})" if lead else "")
                    + f"({body})"
                    + (f"(?:{_NOT_WORD}|$)" if trail else "")
                )
            pattern = "|".join(branches)
        else:
            pattern = "(" + "|".join(keyword_pattern(keyword) for keyword in unique) + ")"
        options = re2.Options()
        options.log_errors = False
        options.case_sensitive = case_sensitive
        options.max_mem = MAX_MEM
        options.never_capture = self._spans_from_match
        try:
            self._pattern = re2.compile(pattern, options)
        except re2.error as exc:  # only a keyword list too large for MAX_MEM gets here
            raise CheckError(f"keywords cannot be compiled: {exc}", "keywords") from None
        self._groups = range(1, self._pattern.groups + 1)

    def scan(self, text: str) -> list[Detection]:
        # RE2 runs on bytes here: the wrapper's str API re-encodes the whole text on every search(pos).
        data = text.encode("utf-8", "surrogatepass")
        ascii_only = len(data) == len(text)
        found: list[Detection] = []
        last_byte = last_char = 0
        position = 0
        while position <= len(data):
            match = self._pattern.search(data, position)
            if match is None:
                break
            if self._spans_from_match:
                start, end = match.span()
                if self.whole_words:
                    start, end = _strip_boundaries(data, start, end)
            else:
                start, end = next(match.span(group) for group in self._groups if match.start(group) >= 0)
            if ascii_only:
                char_start, char_end = start, end
            else:
                char_start = last_char + len(data[last_byte:start].decode("utf-8", "surrogatepass"))
                char_end = char_start + len(data[start:end].decode("utf-8", "surrogatepass"))
                last_byte, last_char = end, char_end
            found.append(Detection("TOPIC", char_start, char_end, text[char_start:char_end]))
            # Resume right after the keyword, not after the boundary character the match consumed: that
            # character may be the boundary in front of the next keyword ("tax tax").
            position = end
        return found


def _strip_boundaries(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The keyword's byte span in a match ``[boundary] keyword [boundary]`` whose keyword starts and ends
    with a word character: drop a first and a last character that are not word characters."""
    size = 1 if data[start] < 0x80 else 2 if data[start] < 0xE0 else 3 if data[start] < 0xF0 else 4
    if not is_word_char(data[start : start + size].decode("utf-8", "surrogatepass")):
        start += size
    last = end - 1
    while last > start and 0x80 <= data[last] < 0xC0:  # back to the first byte of the last character
        last -= 1
    if not is_word_char(data[last:end].decode("utf-8", "surrogatepass")):
        end = last
    return start, end


def build(spec: Mapping[str, Any], context: BuildContext) -> TopicDetector:
    """Compile a ``topic`` check entry."""
    keywords = spec.get("keywords")
    if keywords is None:
        raise CheckError("a topic check needs keywords: a non-empty list of words or phrases", "type")
    if not isinstance(keywords, list) or not keywords:
        raise CheckError("keywords must be a non-empty list of words or phrases", "keywords")
    keywords = string_list(spec, "keywords")
    case_sensitive = spec.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        raise CheckError("case_sensitive must be true or false", "case_sensitive")
    match = spec.get("match", "word")
    if match not in ("word", "substring"):
        raise CheckError(f"match must be 'word' or 'substring', not {match!r}", "match")
    return TopicDetector(keywords, case_sensitive=case_sensitive, whole_words=match == "word")
