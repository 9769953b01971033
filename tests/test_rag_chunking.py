"""Chunking: exact chunks of small texts for every strategy and unit, the settings' validation, and the
invariants (offsets, sizes, overlap, headings, nothing lost) on a varied generated corpus."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pytest

from llmops_ci.rag.chunking import (
    STRATEGIES,
    UNITS,
    ChunkingConfig,
    ChunkingError,
    _Analysis,
    _Splitter,
    chunk_corpus,
    chunk_document,
)
from llmops_ci.rag.model import Chunk, Document
from llmops_ci.rag.text import WORD, count_tokens, words

MEASURE = {"chars": len, "words": lambda text: len(words(text)), "tokens": count_tokens}


def doc(text: str, doc_id: str = "doc.md", **metadata: object) -> Document:
    return Document(doc_id, text, doc_id, "digest", dict(metadata))


def texts(text: str, strategy: str, size: int, overlap: int = 0, unit: str = "words") -> list[str]:
    return [chunk.text for chunk in chunk_document(doc(text), ChunkingConfig(strategy, size, overlap, unit))]  # type: ignore[arg-type]


# -- settings ---------------------------------------------------------------------------------------------


def test_defaults_and_from_spec() -> None:
    assert ChunkingConfig() == ChunkingConfig("recursive", 512, 0, "tokens")
    assert ChunkingConfig.from_spec({}) == ChunkingConfig()
    spec = {"strategy": "sentence", "size": 200, "overlap": 20, "unit": "words", "x-note": "ignored"}
    assert ChunkingConfig.from_spec(spec) == ChunkingConfig("sentence", 200, 20, "words")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"size": 100, "overlap": 100}, "chunking.overlap 100 must be smaller than chunking.size 100"),
        ({"size": 10, "overlap": 12}, "e.g. 2"),
        ({"strategy": "fixd"}, "unknown chunking strategy 'fixd' (did you mean 'fixed'?)"),
        ({"unit": "token"}, "unknown chunking unit 'token' (did you mean 'tokens'?)"),
        ({"size": 0}, "chunking.size must be a whole number of at least 1, not 0"),
        ({"size": True}, "chunking.size must be a whole number"),
        ({"size": "512"}, "chunking.size must be a whole number"),
        ({"overlap": -1}, "chunking.overlap must be a whole number of at least 0"),
        ({"sise": 10}, "unknown chunking setting 'sise' (did you mean 'size'?)"),
    ],
)
def test_bad_settings_are_explained(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ChunkingError) as caught:
        ChunkingConfig.from_spec(spec)
    assert message in str(caught.value)


def test_settings_are_checked_on_replace_too() -> None:
    from dataclasses import replace

    with pytest.raises(ChunkingError, match="smaller than"):
        replace(ChunkingConfig(size=10), overlap=10)


def test_digest_follows_every_setting() -> None:
    digests = {
        ChunkingConfig().digest(),
        ChunkingConfig(strategy="fixed").digest(),
        ChunkingConfig(size=256).digest(),
        ChunkingConfig(overlap=10).digest(),
        ChunkingConfig(unit="words").digest(),
    }
    assert len(digests) == 5
    assert ChunkingConfig().digest() == ChunkingConfig.from_spec({}).digest()
    assert re.fullmatch(r"[0-9a-f]{64}", ChunkingConfig().digest())


# -- fixed ------------------------------------------------------------------------------------------------


def test_fixed_chars_are_exact_windows() -> None:
    assert texts("abcdefghij", "fixed", 4, 1, "chars") == ["abcd", "defg", "ghij"]
    chunks = chunk_document(doc("ab cd ef"), ChunkingConfig("fixed", 3, 0, "chars"))
    assert [(c.text, c.start, c.end) for c in chunks] == [("ab", 0, 2), ("cd", 3, 5), ("ef", 6, 8)]


def test_fixed_words_advance_by_size_minus_overlap() -> None:
    text = "one two three four five six seven"
    assert texts(text, "fixed", 3, 1) == ["one two three", "three four five", "five six seven"]
    assert texts(text, "fixed", 3, 0) == ["one two three", "four five six", "seven"]


def test_fixed_tokens_end_between_words() -> None:
    # each five-letter word is two tokens
    text = "alpha bravo gamma delta"
    assert texts(text, "fixed", 4, 2, "tokens") == ["alpha bravo", "bravo gamma", "gamma delta"]
    assert texts(text, "fixed", 5, 0, "tokens") == ["alpha bravo", "gamma delta"]


# -- sentence ---------------------------------------------------------------------------------------------


def test_sentences_are_packed_and_overlap_whole_sentences() -> None:
    text = "One two. Three four. Five six. Seven eight."
    assert texts(text, "sentence", 4, 2) == [
        "One two. Three four.",
        "Three four. Five six.",
        "Five six. Seven eight.",
    ]
    assert texts(text, "sentence", 4, 0) == ["One two. Three four.", "Five six. Seven eight."]
    # an overlap that does not leave room for the next sentence is dropped
    text = "One two three. Four five. Six seven eight nine. Ten."
    assert texts(text, "sentence", 5, 2) == ["One two three. Four five.", "Six seven eight nine. Ten."]


def test_a_sentence_longer_than_size_is_cut_between_words() -> None:
    text = "Short one. This sentence has far too many words in it. End."
    assert texts(text, "sentence", 4) == ["Short one. This sentence", "has far too many", "words in it. End."]


def test_sentence_chars() -> None:
    text = "Alpha beta. Gamma delta epsilon. Zeta."
    assert texts(text, "sentence", 20, 0, "chars") == ["Alpha beta.", "Gamma delta epsilon.", "Zeta."]


def test_sentence_tokens() -> None:
    # "Hi there." is 1 + 2 + 1 = 4 tokens, "Bye now." 1 + 1 + 1 = 3
    assert texts("Hi there. Bye now.", "sentence", 4, 0, "tokens") == ["Hi there.", "Bye now."]
    assert texts("Hi there. Bye now.", "sentence", 7, 0, "tokens") == ["Hi there. Bye now."]


# -- paragraph --------------------------------------------------------------------------------------------


def test_paragraphs_are_packed() -> None:
    text = "Para one line one.\nPara one line two.\n\nPara two.\n\n\nPara three is here.\n"
    assert texts(text, "paragraph", 8) == [
        "Para one line one.\nPara one line two.",
        "Para two.\n\n\nPara three is here.",
    ]
    # an oversized paragraph is cut into its sentences
    assert texts(text, "paragraph", 5) == [
        "Para one line one.",
        "Para one line two.",
        "Para two.",
        "Para three is here.",
    ]


def test_paragraph_tokens_with_a_heading_of_its_own() -> None:
    text = "# Guide\nFirst paragraph here.\n\nSecond one."
    # "# Guide" is 3 tokens, "First paragraph here." 2+3+1+1 = 7, "Second one." 2+1+1 = 4
    assert texts(text, "paragraph", 10, 0, "tokens") == ["# Guide\nFirst paragraph here.", "Second one."]


# -- recursive --------------------------------------------------------------------------------------------


def test_recursive_uses_the_coarsest_boundary_that_fits() -> None:
    text = "# Title\nalpha beta gamma\ndelta epsilon\n\nzeta eta theta iota kappa lambda mu"
    chunks = chunk_document(doc(text), ChunkingConfig("recursive", 4, 0, "words"))
    assert [c.text for c in chunks] == [
        "# Title\nalpha beta gamma",
        "delta epsilon\n\nzeta eta",
        "theta iota kappa lambda",
        "mu",
    ]
    assert {c.heading for c in chunks} == {"Title"}


def test_recursive_overlap_repeats_trailing_pieces() -> None:
    text = "aa bb\ncc dd\nee ff\ngg hh"
    assert texts(text, "recursive", 4, 2) == ["aa bb\ncc dd", "cc dd\nee ff", "ee ff\ngg hh"]


def test_a_word_longer_than_size_stays_whole() -> None:
    assert texts("hi supercalifragilistic yo", "recursive", 5, 0, "chars") == [
        "hi",
        "supercalifragilistic",
        "yo",
    ]
    assert texts("hi supercalifragilistic yo", "fixed", 1, 0, "tokens") == [
        "hi",
        "supercalifragilistic",
        "yo",
    ]


def test_a_long_run_without_spaces_is_cut_between_words_and_marks() -> None:
    # tokens: see 1 | https 2, : 1, / 1, / 1, example 2, . 1, com 1, / 1, abc 1 | now 1
    text = "see https://example.com/abc now"
    assert texts(text, "recursive", 3, 0, "tokens") == ["see https", "://", "example.", "com/abc", "now"]


# -- markdown ---------------------------------------------------------------------------------------------


def test_markdown_sections_never_share_a_chunk() -> None:
    text = "Intro text here.\n# A\nalpha beta.\n## B ##\ngamma delta epsilon zeta eta theta.\n"
    chunks = chunk_document(doc(text), ChunkingConfig("markdown", 4, 0, "words"))
    assert [(c.text, c.heading) for c in chunks] == [
        ("Intro text here.", None),
        ("# A\nalpha beta.", "A"),
        ("## B ##\ngamma delta epsilon", "B"),
        ("zeta eta theta.", "B"),
    ]
    # recursive packs across the same heading
    assert texts(text, "recursive", 6)[0] == "Intro text here.\n# A\nalpha beta."


def test_markdown_cuts_at_headings_even_when_everything_fits() -> None:
    chunks = chunk_document(doc("# A\nxx\n\n# B\nyy"), ChunkingConfig("markdown", 100, 0, "chars"))
    assert [(c.text, c.heading, c.start) for c in chunks] == [("# A\nxx", "A", 0), ("# B\nyy", "B", 8)]
    assert texts("# A\nxx\n\n# B\nyy", "recursive", 100, 0, "chars") == ["# A\nxx\n\n# B\nyy"]


def test_headings_in_code_fences_and_hashtags_are_not_headings() -> None:
    text = (
        "#hashtag line\n# Real\ntext\n```python\n# comment\ncode()\n```\nafter\n~~~\n## also code\n~~~\nend"
    )
    chunks = chunk_document(doc(text), ChunkingConfig("markdown", 3, 0, "words"))
    assert {c.heading for c in chunks} == {None, "Real"}
    assert chunks[0].text == "#hashtag line" and chunks[0].heading is None


# -- the chunks themselves --------------------------------------------------------------------------------


def test_chunk_ids_offsets_and_metadata() -> None:
    document = doc("  First part.\n\nSecond part.  \n", "guides/a.md", format="markdown")
    chunks = chunk_document(document, ChunkingConfig("paragraph", 2, 0, "words"))
    assert [c.id for c in chunks] == ["guides/a.md#0", "guides/a.md#1"]
    assert [(c.start, c.end) for c in chunks] == [(2, 13), (15, 27)]
    assert all(c.document == "guides/a.md" and c.metadata == {"format": "markdown"} for c in chunks)
    assert chunks[0].metadata is not document.metadata


def test_blank_documents_have_no_chunks() -> None:
    for strategy in STRATEGIES:
        for unit in UNITS:
            assert chunk_document(doc(" \n\t\n"), ChunkingConfig(strategy, 5, 0, unit)) == []


def test_chunk_corpus_keeps_document_order() -> None:
    chunks = chunk_corpus(
        [doc("one two three", "b"), doc("four", "a")], ChunkingConfig("fixed", 2, 0, "words")
    )
    assert [c.id for c in chunks] == ["b#0", "b#1", "a#0"]


# -- the measure behind it --------------------------------------------------------------------------------

_PIECES = (
    "invoice",
    "Refund",
    "don't",
    "rock'n'roll",
    "\u2019tis",
    "it's'",
    "foo_bar",
    "naïve",
    "日本語テキスト",
    "😀",
    "https://example.com/a/b?c=1",
    "3.14",
    "—",
    "...",
    "(see",
    "notes)",
    "x" * 31,
    "Ünïcödé",
    "e.g.",
    "Inc.",
    "a",
    "B.",
    "?",
    "“quoted”",
    "'single'",
    "tab\there",
    "12,000",
    "__init__",
    "C++",
    "#tag",
)


def random_text(rng: random.Random, words_wanted: int) -> str:
    lines: list[str] = []
    while sum(len(line.split()) for line in lines) < words_wanted:
        roll = rng.random()
        if roll < 0.1:
            lines += ["", f"{'#' * rng.randint(1, 6)} {' '.join(rng.choices(_PIECES, k=rng.randint(1, 4)))}"]
        elif roll < 0.15:
            lines += ["```", "# inside code", "x = 1", "```"]
        elif roll < 0.25:
            lines.append(f"- {' '.join(rng.choices(_PIECES, k=rng.randint(1, 8)))}")
        elif roll < 0.3:
            lines.append(" " * rng.randint(1, 4))
        else:
            sentences = [
                " ".join(rng.choices(_PIECES, k=rng.randint(1, 14))).capitalize()
                + rng.choice([".", "!", "?", ""])
                for _ in range(rng.randint(1, 5))
            ]
            lines.append(" ".join(sentences) + rng.choice(["", "  ", "\t"]))
    return rng.choice(["", "\n", "  "]) + "\n".join(lines) + rng.choice(["", "\n", "\n\n"])


def test_running_units_equal_the_text_module_on_any_span_between_words() -> None:
    rng = random.Random(11)
    for _ in range(40):
        text = random_text(rng, rng.randint(5, 120))
        boundaries = sorted({0, len(text), *(m.start() for m in re.finditer(r"(?<=\s)\S", text))})
        for unit in ("words", "tokens"):
            splitter = _Splitter(text, ChunkingConfig(unit=unit))
            analysis = _Analysis(text, unit, splitter)
            for _ in range(20):
                start, end = sorted(rng.sample(boundaries, 2)) if len(boundaries) > 1 else (0, len(text))
                expected = MEASURE[unit](text[start:end])
                assert int(analysis.running[end] - analysis.running[start]) == expected, (
                    unit,
                    text[start:end],
                )


def heading_above(text: str, position: int) -> str | None:
    """A slow, independent reading of the heading rule: the last heading line outside fences at or
    before ``position``."""
    found, fence, offset = None, "", 0
    for line in text.split("\n"):
        if offset > position:
            break
        marker = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if marker:
            if not fence:
                fence = marker.group(1)
            elif (
                marker.group(1)[0] == fence[0]
                and len(marker.group(1)) >= len(fence)
                and not line[marker.end() :].strip()
            ):
                fence = ""
        elif not fence and (heading := re.match(r" {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$", line)):
            found = (heading.group(1) or "").strip() or found
        offset += len(line) + 1
    return found


def check_invariants(document: Document, chunks: list[Chunk], config: ChunkingConfig) -> None:
    text, measure = document.text, MEASURE[config.unit]
    covered = np.zeros(len(text) + 1, dtype=bool)
    for number, chunk in enumerate(chunks):
        assert chunk.id == f"{document.id}#{number}"
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text and chunk.text == chunk.text.strip()
        units = measure(chunk.text)
        exempt = (config.strategy == "fixed" and config.unit == "chars") or WORD.fullmatch(chunk.text)
        assert units <= config.size or exempt, (config, chunk.text, units)
        assert chunk.heading == heading_above(text, chunk.start), (chunk.text, chunk.heading)
        covered[chunk.start : chunk.end] = True
    for previous, chunk in itertools.pairwise(chunks):
        assert previous.start < chunk.start and previous.end < chunk.end
        if chunk.start < previous.end and not (config.strategy == "fixed" and config.unit == "chars"):
            assert measure(text[chunk.start : previous.end]) <= config.overlap
        if config.overlap == 0 and config.strategy != "fixed":
            assert chunk.start >= previous.end
    lost = [i for i, char in enumerate(text) if not char.isspace() and not covered[i]]
    assert not lost, f"text lost at {lost[:5]}: {text[lost[0] : lost[0] + 20]!r}"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_invariants_on_a_generated_corpus(strategy: str) -> None:
    rng = random.Random(strategy)
    for number in range(30):
        document = doc(random_text(rng, rng.randint(0, 400)), f"d{number}")
        for unit in UNITS:
            size = rng.choice([1, 2, 5, 17, 60]) * (4 if unit == "chars" else 1)
            overlap = rng.choice([0, 0, size // 4, size - 1])
            config = ChunkingConfig(strategy, size, overlap, unit)  # type: ignore[arg-type]
            check_invariants(document, chunk_document(document, config), config)


def test_markdown_chunks_never_cross_a_heading() -> None:
    rng = random.Random(7)
    for _ in range(30):
        document = doc(random_text(rng, 300))
        for chunk in chunk_document(document, ChunkingConfig("markdown", 40, 8, "tokens")):
            inner = [
                h
                for h in range(chunk.start + 1, chunk.end)
                if heading_above(document.text, h) != chunk.heading
            ]
            assert not inner, chunk.text


def test_long_documents_keep_the_invariants() -> None:
    rng = random.Random(3)
    text = random_text(rng, 3000)
    for strategy in STRATEGIES:
        config = ChunkingConfig(strategy, 40, 10, "tokens")
        assert len(text) > 32 * config.size
        chunks = chunk_document(doc(text), config)
        check_invariants(doc(text), chunks, config)
