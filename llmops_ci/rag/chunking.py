"""Chunking: cutting each document of a corpus into the pieces a retriever indexes and returns.

A ``RagPipeline`` sets ``chunking: {strategy, size, overlap, unit}``; the defaults are ``recursive``, ``512``,
``0`` and ``tokens``. ``size`` is the most a chunk may hold and ``overlap`` how much of the end of a chunk the
next one repeats (it must be smaller than ``size``), both counted in ``unit``:

- ``chars``: characters;
- ``words``: words (runs of letters and digits, ``don't`` is one word, ``foo-bar`` two);
- ``tokens``: an offline estimate of a model tokenizer's count (about four characters of English per
  token, each punctuation mark one; see ``llmops_ci.rag.text``).

Strategies:

- ``fixed``: windows of ``size`` units, each starting ``size - overlap`` units after the previous one. With
  ``chars`` the windows are exact character windows and may cut words; with ``words`` or ``tokens`` they
  start and end at white space (a window holds as many whole space-separated pieces as fit, and a piece
  longer than ``size``, such as a long URL, is cut between its words and punctuation marks).
- ``sentence``: consecutive sentences packed while they fit; the overlap repeats the last sentences of the
  previous chunk (as many as fit in ``overlap``). A sentence longer than ``size`` is cut as in ``fixed``.
- ``paragraph``: paragraphs (separated by blank lines; a heading line is a paragraph of its own) packed
  while they fit; a paragraph longer than ``size`` is cut by sentences.
- ``recursive`` (the default, like LangChain's recursive splitter): the text is cut at the coarsest
  boundary whose pieces fit (paragraphs and headings, then line breaks, then sentences, then words) and
  neighbouring pieces are packed while they fit.
- ``markdown``: a section runs from a heading line to the next heading; a chunk never spans two
  sections, and an oversized section is cut as in ``recursive``.

The overlap is always made of whole pieces (sentences, paragraphs, lines or words): the trailing pieces of
the previous chunk that total at most ``overlap`` and still leave room for the next piece, so it can be
smaller than ``overlap``, or empty.

Every chunk: id ``<document id>#<n>`` (n from 0, in document order); ``start``/``end`` are the character
offsets of its text in the document (``text == document.text[start:end]``; white space is trimmed from its
ends, never inside); ``heading`` is the text of the nearest Markdown heading line (``#`` to ``######``,
outside fenced code blocks) at or above its start, if any; ``metadata`` is a copy of the document's. No
chunk is longer than ``size`` except one that is a single word longer than ``size`` (a word is only cut
with ``fixed`` windows of ``chars``), and no text is lost. Chunking takes time linear in the text.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Literal

import numpy as np

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.errors import LlmopsError
from llmops_ci.rag.model import Chunk, Document
from llmops_ci.rag.text import sentence_spans

Strategy = Literal["fixed", "sentence", "paragraph", "recursive", "markdown"]
Unit = Literal["chars", "words", "tokens"]
STRATEGIES: tuple[Strategy, ...] = ("fixed", "sentence", "paragraph", "recursive", "markdown")
UNITS: tuple[Unit, ...] = ("chars", "words", "tokens")

# Part of the digest: bump it when the same settings start giving different chunks, so indexes rebuild.
CHUNKER_VERSION = 1


class ChunkingError(LlmopsError):
    """Chunking settings that cannot work (an unknown strategy or unit, an overlap not below the size)."""


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut (see the module docs); validated when made."""

    strategy: Strategy = "recursive"
    size: int = 512
    overlap: int = 0
    unit: Unit = "tokens"

    def __post_init__(self) -> None:
        _check_choice("strategy", self.strategy, STRATEGIES)
        _check_choice("unit", self.unit, UNITS)
        for name, value, least in (("size", self.size, 1), ("overlap", self.overlap, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ChunkingError(
                    f"chunking.{name} must be a whole number of at least {least}, not {value!r}"
                )
        if self.overlap >= self.size:
            raise ChunkingError(
                f"chunking.overlap {self.overlap} must be smaller than chunking.size {self.size}: use about "
                f"10-20% of the size, e.g. {self.size // 5}"
            )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> ChunkingConfig:
        """From a RagPipeline's ``spec.chunking`` mapping; missing keys take the defaults, ``x-`` keys are
        ignored."""
        if not isinstance(spec, Mapping):
            raise ChunkingError(
                f"chunking must be a mapping of strategy, size, overlap and unit, not {spec!r}"
            )
        known = ("strategy", "size", "overlap", "unit")
        for key in spec:
            if key not in known and not str(key).startswith("x-"):
                raise ChunkingError(f"unknown chunking setting {key!r}{_did_you_mean(str(key), known)}")
        values = {key: spec[key] for key in known if key in spec}
        return cls(**values)

    def digest(self) -> str:
        """sha256 hex of the settings and the chunker's version: equal digests give equal chunks."""
        settings = {"strategy": self.strategy, "size": self.size, "overlap": self.overlap, "unit": self.unit}
        return sha256_hex(canonical_json({**settings, "version": CHUNKER_VERSION}))


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        hint = _did_you_mean(str(value), choices)
        raise ChunkingError(f"unknown chunking {name} {value!r}{hint}: use one of {', '.join(choices)}")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    from llmops_ci.artifacts.schemas import did_you_mean

    return did_you_mean(word, choices)


def chunk_corpus(docs: Iterable[Document], config: ChunkingConfig) -> list[Chunk]:
    """The chunks of every document, in document order."""
    return [chunk for doc in docs for chunk in chunk_document(doc, config)]


def chunk_document(doc: Document, config: ChunkingConfig) -> list[Chunk]:
    """The chunks of one document (see the module docs)."""
    splitter = _Splitter(doc.text, config)
    headings = splitter.headings
    starts = [start for start, _ in headings]
    chunks = []
    for number, (start, end) in enumerate(splitter.spans()):
        at = bisect_right(starts, start) - 1
        chunks.append(
            Chunk(
                id=f"{doc.id}#{number}",
                document=doc.id,
                text=doc.text[start:end],
                start=start,
                end=end,
                heading=headings[at][1] if at >= 0 else None,
                metadata=dict(doc.metadata),
            )
        )
    return chunks


# The boundaries each strategy cuts at, coarsest first; the last level is never cut further.
_LEVELS: dict[str, tuple[str, ...]] = {
    "fixed": ("words", "atoms"),
    "sentence": ("sentences", "words", "atoms"),
    "paragraph": ("blocks", "sentences", "words", "atoms"),
    "recursive": ("blocks", "lines", "sentences", "words", "atoms"),
    "markdown": ("blocks", "lines", "sentences", "words", "atoms"),
}

_HEADING_OR_FENCE = re.compile(
    r"^ {0,3}(?:(?P<fence>`{3,}|~{3,})|(?P<hashes>#{1,6})(?:[ \t]+(?P<title>[^\n]*?))?(?:[ \t]+#+)?[ \t]*$)",
    re.MULTILINE,
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_APOSTROPHES = (ord("'"), ord("\u2019"))

Spans = tuple["np.ndarray[Any, Any]", "np.ndarray[Any, Any]"]  # piece starts, piece ends


class _Splitter:
    """Chunk spans of one text. Long texts are analysed once with numpy (character classes, a running
    count of units, the cut positions of each level) so every later measure is a subtraction."""

    def __init__(self, text: str, config: ChunkingConfig) -> None:
        self.text = text
        self.config = config
        self.size = config.size

    def spans(self) -> list[tuple[int, int]]:
        strategy = self.config.strategy
        if strategy == "fixed" and self.config.unit == "chars":
            return self._windows()
        if strategy != "markdown":
            return self._chunk(0, len(self.text), _LEVELS[strategy])
        bounds = [0, *self.section_starts, len(self.text)]
        return [span for a, b in itertools.pairwise(bounds) for span in self._chunk(a, b, _LEVELS[strategy])]

    def _chunk(self, start: int, end: int, levels: tuple[str, ...]) -> list[tuple[int, int]]:
        span = self._trim(start, end)
        if span is None:
            return []
        if self._fits(*span):
            return [span]
        parts = self._fitting(span[0], span[1], levels)
        return self._pack(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def _fits(self, start: int, end: int) -> bool:
        if end - start <= self.size:  # no unit is shorter than a character
            return True
        return bool(self._units(np.array([end]))[0] - self._units(np.array([start]))[0] <= self.size)

    def _fitting(self, start: int, end: int, levels: tuple[str, ...]) -> list[Spans]:
        """The pieces of the coarsest level that fit, a piece that does not replaced by its pieces at the
        next level; at the last level a piece is kept whole even when too long (a single long word)."""
        starts, ends = self._pieces(start, end, levels[0])
        if len(levels) == 1:
            return [(starts, ends)]
        oversized = np.flatnonzero(self._units(ends) - self._units(starts) > self.size)
        out: list[Spans] = []
        previous = 0
        for index in oversized.tolist():
            out.append((starts[previous:index], ends[previous:index]))
            out += self._fitting(int(starts[index]), int(ends[index]), levels[1:])
            previous = index + 1
        out.append((starts[previous:], ends[previous:]))
        return out

    def _pack(self, starts: np.ndarray[Any, Any], ends: np.ndarray[Any, Any]) -> list[tuple[int, int]]:
        """Greedy packing of consecutive pieces up to ``size`` (the text between them counted too); each
        chunk after the first starts with the trailing pieces of the previous one that total at most
        ``overlap`` and leave room for the next piece (LangChain's merge, by binary search)."""
        begin, finish = self._units(starts), self._units(ends)
        overlap = self.config.overlap
        chunks = []
        first, count = 0, len(starts)
        while first < count:
            last = max(first, int(np.searchsorted(finish, begin[first] + self.size, side="right")) - 1)
            chunks.append((int(starts[first]), int(ends[last])))
            if last == count - 1:
                break
            if overlap == 0:
                first = last + 1
                continue
            floor = max(finish[last] - overlap, finish[last + 1] - self.size)
            first = min(max(first + 1, int(np.searchsorted(begin, floor, side="left"))), last + 1)
        return chunks

    def _units(self, positions: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Units from the text's start to each position (a position never falls inside a word)."""
        return positions if self.config.unit == "chars" else self.analysis.running[positions]

    def _pieces(self, start: int, end: int, level: str) -> Spans:
        analysis = self.analysis
        if level in ("words", "atoms"):
            all_starts, all_ends = analysis.runs if level == "words" else analysis.atoms
            low, high = np.searchsorted(all_starts, (start, end), side="left").tolist()
            return all_starts[low:high], np.minimum(all_ends[low:high], end)
        cuts = analysis.cuts("blocks" if level == "sentences" else level)
        low, high = np.searchsorted(cuts, (start, end), side="right").tolist()
        inner = cuts[low:high][cuts[low:high] < end]
        if level == "sentences":
            found = [start + first for first, _ in sentence_spans(self.text[start:end])]
            inner = np.union1d(inner, np.array(found[1:], dtype=np.int64))
        bounds = np.concatenate(([start], inner, [end]))
        piece_starts = analysis.next_text[bounds[:-1]]
        piece_ends = analysis.text_end[bounds[1:]]
        keep = piece_starts < piece_ends
        return piece_starts[keep], piece_ends[keep]

    def _trim(self, start: int, end: int) -> tuple[int, int] | None:
        segment = self.text[start:end]
        stripped = segment.lstrip()
        if not stripped:
            return None
        start += len(segment) - len(stripped)
        return start, start + len(stripped.rstrip())

    def _windows(self) -> list[tuple[int, int]]:
        """Exact character windows (``fixed`` with ``chars``), trimmed; the last one reaches the end. A
        window that trimming leaves inside the previous one is dropped, one that grows it replaces it."""
        step = self.size - self.config.overlap
        spans: list[tuple[int, int]] = []
        for start in range(0, max(len(self.text), 1), step):
            end = min(start + self.size, len(self.text))
            span = self._trim(start, end)
            if span and spans and span[0] == spans[-1][0]:  # white space made the previous one a prefix
                spans[-1] = span
            elif span and (not spans or span[1] > spans[-1][1]):  # not one wholly inside the previous
                spans.append(span)
            if end >= len(self.text):
                break
        return spans

    @cached_property
    def analysis(self) -> _Analysis:
        return _Analysis(self.text, self.config.unit, self)

    @cached_property
    def headings(self) -> list[tuple[int, str]]:
        """(line start, title) of every ATX heading outside fenced code blocks."""
        found = []
        fence = ""
        for match in _HEADING_OR_FENCE.finditer(self.text):
            if marker := match.group("fence"):
                if not fence:
                    fence = marker
                elif marker[0] == fence[0] and len(marker) >= len(fence) and not self._rest_of_line(match):
                    fence = ""
            elif not fence and (title := (match.group("title") or "").strip()):
                found.append((match.start(), title))
        return found

    def _rest_of_line(self, match: re.Match[str]) -> str:
        line_end = self.text.find("\n", match.end())
        return self.text[match.end() : line_end if line_end != -1 else len(self.text)].strip()

    @cached_property
    def section_starts(self) -> list[int]:
        return [start for start, _ in self.headings if start > 0]

    def block_cuts(self) -> list[int]:
        """Paragraph starts (after a blank line), heading lines and the lines right after them."""
        text = self.text
        heading_starts = [start for start, _ in self.headings]
        after = [end + 1 for end in (text.find("\n", start) for start in heading_starts) if end != -1]
        paragraphs = [match.end() for match in _BLANK_LINE.finditer(text)]
        return sorted({*paragraphs, *heading_starts, *after})


class _Analysis:
    """Per-character facts of one text as numpy arrays, each computed on first use.

    A *word* is a maximal run of letters/digits, single apostrophes between them included (the same runs
    as ``text.WORD``); an *atom* is a word or one other non-space character; a *run* is a maximal run of
    non-space characters. ``running[i]`` is the count of units of the atoms ending at or before ``i``,
    so the units of any span whose ends are not inside a word are ``running[end] - running[start]``,
    exactly what ``text.words`` / ``text.count_tokens`` give for it."""

    def __init__(self, text: str, unit: str, splitter: _Splitter) -> None:
        self.text = text
        self.unit = unit
        self.splitter = splitter
        self._cuts: dict[str, np.ndarray[Any, Any]] = {}

    @cached_property
    def codes(self) -> np.ndarray[Any, Any]:
        return np.frombuffer(self.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    @cached_property
    def classes(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        return _classes(self.codes)

    @cached_property
    def in_words(self) -> np.ndarray[Any, Any]:
        """Flags of the characters of words: letters, digits and the apostrophes joining them."""
        alnum, _ = self.classes
        codes = self.codes
        flags: np.ndarray[Any, Any] = alnum.copy()
        if len(codes) > 2:
            apostrophe = (codes[1:-1] == _APOSTROPHES[0]) | (codes[1:-1] == _APOSTROPHES[1])
            flags[1:-1] |= apostrophe & alnum[:-2] & alnum[2:]
        return flags

    @cached_property
    def atoms(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Starts and ends of the atoms."""
        in_words = self.in_words
        other = ~in_words & ~self.classes[1]
        return np.flatnonzero(_firsts(in_words) | other), np.flatnonzero(_lasts(in_words) | other) + 1

    @cached_property
    def runs(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Starts and ends of the runs of non-space characters."""
        text_chars = ~self.classes[1]
        return np.flatnonzero(_firsts(text_chars)), np.flatnonzero(_lasts(text_chars)) + 1

    @cached_property
    def next_text(self) -> np.ndarray[Any, Any]:
        """The first non-space character at or after each position (the text's length if none)."""
        size = len(self.text)
        positions = np.arange(size + 1, dtype=_index_type(size))
        marked = np.where(np.append(~self.classes[1], True), positions, size)
        return np.minimum.accumulate(marked[::-1])[::-1]

    @cached_property
    def text_end(self) -> np.ndarray[Any, Any]:
        """The end of the last non-space character before each position (0 if none)."""
        size = len(self.text)
        positions = np.arange(size + 1, dtype=_index_type(size))
        return np.maximum.accumulate(np.where(np.concatenate(([True], ~self.classes[1])), positions, 0))

    @cached_property
    def running(self) -> np.ndarray[Any, Any]:
        if self.unit == "chars":
            return np.arange(len(self.text) + 1, dtype=_index_type(len(self.text)))
        alnum, space = self.classes
        return _words_running(self.in_words) if self.unit == "words" else _tokens_running(alnum, space)

    def cuts(self, level: str) -> np.ndarray[Any, Any]:
        if level not in self._cuts:
            if level == "lines":
                found = np.flatnonzero(self.codes == 10) + 1
            else:
                found = np.array(self.splitter.block_cuts(), dtype=np.int64)
            self._cuts[level] = found.astype(np.int64)
        return self._cuts[level]


def _firsts(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Flags of the first character of each run of set flags."""
    out: np.ndarray[Any, Any] = flags.copy()
    out[1:] &= ~flags[:-1]
    return out


def _lasts(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Flags of the last character of each run of set flags."""
    out: np.ndarray[Any, Any] = flags.copy()
    out[:-1] &= ~flags[1:]
    return out


def _words_running(in_words: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Words counted up to each position, each at its end (``len(text.words(...))``)."""
    weights = np.zeros(len(in_words) + 1, dtype=_index_type(len(in_words)))
    weights[np.flatnonzero(_lasts(in_words)) + 1] = 1
    return np.cumsum(weights, dtype=weights.dtype)


def _tokens_running(alnum: np.ndarray[Any, Any], space: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Tokens counted up to each position as ``text.count_tokens`` counts them: ``(len + 3) // 4`` per run
    of letters/digits (an apostrophe ends a run) at its end, one per other non-space character after it."""
    weights = np.zeros(len(alnum) + 1, dtype=_index_type(len(alnum)))
    begin = np.flatnonzero(_firsts(alnum))
    finish = np.flatnonzero(_lasts(alnum)) + 1
    weights[finish] = (finish - begin + 3) // 4
    weights[np.flatnonzero(~alnum & ~space) + 1] = 1
    return np.cumsum(weights, dtype=weights.dtype)


def _index_type(size: int) -> type[np.signedinteger[Any]]:
    """32-bit offsets and counts while they fit (half the memory of a long document's arrays)."""
    return np.int32 if size < 2**31 - 1 else np.int64


@lru_cache(maxsize=1)
def _class_tables() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``isalnum`` and ``isspace`` of every code point of the Basic Multilingual Plane."""
    chars = [chr(code) for code in range(0x10000)]
    return (
        np.array([char.isalnum() for char in chars], dtype=bool),
        np.array([char.isspace() for char in chars], dtype=bool),
    )


def _classes(codes: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Letter-or-digit and white-space flags of each character (``[^\\W_]`` and ``\\s`` of ``re``)."""
    alnum_table, space_table = _class_tables()
    clipped = np.minimum(codes, 0xFFFF)
    alnum, space = alnum_table[clipped], space_table[clipped]
    for index in np.flatnonzero(codes > 0xFFFF).tolist():
        char = chr(int(codes[index]))
        alnum[index], space[index] = char.isalnum(), char.isspace()
    return alnum, space
