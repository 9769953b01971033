"""Retrieval metrics and answer measures, with every expected value worked out by hand."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from llmops_ci.errors import LlmopsError
from llmops_ci.rag import text
from llmops_ci.rag.measures import (
    RETRIEVAL_METRICS,
    MeasureError,
    chunk_utilization,
    context_relevance,
    groundedness,
    hit_rate,
    ndcg_at_k,
    numbers,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    retrieval_metrics,
)

RANKING = ["d1", "d2", "d3", "d4", "d5"]

# --- retrieval ----------------------------------------------------------------------------------------------


def test_five_item_ranking_with_two_relevant_at_ranks_2_and_3() -> None:
    metrics = retrieval_metrics(RANKING, {"d2", "d3"}, k=3)
    assert metrics["hit_rate"] == 1.0
    assert metrics["recall_at_k"] == 1.0  # 2 of 2 expected in the top 3
    assert metrics["precision_at_k"] == pytest.approx(2 / 3)  # 2 relevant / k = 3
    assert metrics["mrr"] == 0.5  # first relevant at rank 2 -> 1/2
    # DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093; ideal = 1/log2(2) + 1/log2(3) = 1.63093
    assert metrics["ndcg_at_k"] == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert metrics["ndcg_at_k"] == pytest.approx(0.693426, abs=1e-6)


def test_relevant_at_ranks_1_and_4_with_a_cutoff_of_3() -> None:
    metrics = retrieval_metrics(RANKING, {"d1", "d4"}, k=3)
    assert metrics["recall_at_k"] == 0.5  # only d1 of {d1, d4} in the top 3
    assert metrics["precision_at_k"] == pytest.approx(1 / 3)  # 1 relevant / 3
    assert metrics["mrr"] == 1.0  # rank 1
    # DCG = 1/log2(2) = 1; ideal over min(2, 3) = 2 relevant = 1 + 1/log2(3) = 1.63093 -> 0.61315
    assert metrics["ndcg_at_k"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert metrics["ndcg_at_k"] == pytest.approx(0.613147, abs=1e-6)


def test_keys_are_exactly_the_documented_names() -> None:
    assert tuple(retrieval_metrics(RANKING, {"d1"}, 1)) == RETRIEVAL_METRICS
    assert RETRIEVAL_METRICS == ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg_at_k")


def test_no_relevant_retrieved_scores_zero_everywhere() -> None:
    assert retrieval_metrics(RANKING, {"x"}, k=5) == dict.fromkeys(RETRIEVAL_METRICS, 0.0)


def test_relevant_just_below_the_cutoff_does_not_count() -> None:
    # d4 is at rank 4, k = 3
    assert hit_rate(RANKING, {"d4"}, 3) == 0.0
    assert reciprocal_rank(RANKING, {"d4"}, 3) == 0.0
    assert reciprocal_rank(RANKING, {"d4"}, 4) == 0.25  # 1/4


def test_k_larger_than_the_ranking_keeps_k_as_the_precision_denominator() -> None:
    ranked = ["d1", "d2"]
    assert precision_at_k(ranked, {"d1", "d2"}, 10) == 0.2  # 2 relevant / k = 10 (trec_eval)
    assert recall_at_k(ranked, {"d1", "d2"}, 10) == 1.0  # 2 / 2
    # both relevant at ranks 1-2, ideal also places min(2, 10) = 2 at ranks 1-2 -> 1.0
    assert ndcg_at_k(ranked, {"d1", "d2"}, 10) == 1.0


def test_more_expected_than_k_caps_the_ideal_dcg_at_k_relevant() -> None:
    expected = {"d1", "d2", "d3", "d9"}
    # top 2 both relevant; ideal over min(4, 2) = 2 -> nDCG 1.0 although recall is only 2/4
    assert ndcg_at_k(RANKING, expected, 2) == 1.0
    assert recall_at_k(RANKING, expected, 2) == 0.5


def test_a_duplicated_id_is_credited_once() -> None:
    ranked = ["d1", "d1", "d1", "d2"]
    assert precision_at_k(ranked, {"d1"}, 3) == pytest.approx(1 / 3)  # d1 counted once, / 3
    assert recall_at_k(ranked, {"d1"}, 3) == 1.0  # 1 / 1, never above 1
    assert ndcg_at_k(ranked, {"d1"}, 3) == 1.0  # DCG 1/log2(2) = ideal 1


def test_expected_given_as_a_list_with_repeats_counts_distinct_ids() -> None:
    assert recall_at_k(RANKING, ["d1", "d1", "d9"], 3) == 0.5  # {d1, d9}: 1 of 2


def test_empty_ranking_scores_zero() -> None:
    assert retrieval_metrics([], {"d1"}, 3) == dict.fromkeys(RETRIEVAL_METRICS, 0.0)


def test_empty_expected_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no expected ids"):
        retrieval_metrics(RANKING, set(), 3)


@pytest.mark.parametrize("k", [0, -1])
def test_a_cutoff_below_one_is_refused(k: int) -> None:
    with pytest.raises(MeasureError, match="k must be at least 1"):
        hit_rate(RANKING, {"d1"}, k)


def test_measure_error_is_a_user_facing_error() -> None:
    assert issubclass(MeasureError, LlmopsError)
    assert issubclass(MeasureError, ValueError)


# --- numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$4,200", {"4200"}),
        ("4200 USD", {"4200"}),
        ("$4,200.00", {"4200"}),
        ("1,000,000.50", {"1000000.5"}),
        ("4.50 and 4.5", {"4.5"}),
        ("items 1,2,3", {"1", "2", "3"}),
        ("version 1.2.3", {"1.2.3"}),
        ("on 2024-03-15.", {"2024", "03", "15"}),
        ("gpt4 and v2 and v1.2", set()),
        ("gpt-4 costs 3.0", {"4", "3"}),
    ],
)
def test_numbers_are_whole_amounts(value: str, expected: set[str]) -> None:
    assert numbers(value) == expected


# --- groundedness -------------------------------------------------------------------------------------------

CHUNKS = [
    "Invoice 4471 from Acme Corp totals $4,200 and is due on 15 March 2024.",
    "Refunds are processed within 14 business days after approval.",
]


def test_a_sentence_whose_terms_are_in_one_chunk_is_supported() -> None:
    result = groundedness("The Acme invoice totals $4,200.", CHUNKS)
    # terms {acme, invoice, total, 4200}: all 4 in chunk 0
    assert (result.score, result.sentences, result.support, result.unsupported) == (1.0, 1, [0], [])


def test_a_wrong_amount_is_unsupported_however_many_words_match() -> None:
    result = groundedness("The Acme invoice totals $4,300.", CHUNKS)
    # 3 of 4 terms (acme, invoice, total) match = 0.75 >= 0.6, but 4300 is not in the chunk
    assert result.score == 0.0
    assert result.unsupported == ["The Acme invoice totals $4,300."]
    assert result.support == [None]


def test_the_same_amount_written_differently_is_supported() -> None:
    chunk = ["The Acme invoice totals 4200.00 USD."]
    assert groundedness("The Acme invoice totals $4,200.", chunk).score == 1.0


@pytest.mark.parametrize("marker", ["[1]", "[1, 2]", "[^3]", "[doc1]", "[source 2]", "[2-4]"])
def test_citation_markers_are_not_numbers_of_the_claim(marker: str) -> None:
    result = groundedness(f"The Acme invoice totals $4,200 {marker}.", CHUNKS)
    assert (result.score, result.support) == (1.0, [0])


def test_a_bracketed_word_is_not_a_citation_marker() -> None:
    # "[draft]" keeps the term "draft", absent from chunk 0: {acme, invoice, total, 4200, draft} -> 4/5 = 0.8
    result = groundedness("The Acme invoice totals $4,200 [draft].", CHUNKS)
    assert result.score == 1.0
    # and a number in brackets that is not a marker ("[4,300 USD]") still has to match
    assert groundedness("The Acme invoice totals [4,300 USD].", CHUNKS).score == 0.0


def test_mixed_answer_counts_only_sentences_with_content_terms() -> None:
    answer = (
        "Refunds are processed within 14 business days. "  # chunk 1: refund, process, 14, business, day
        "It is so. "  # only stop words: not counted
        "Shipping is free for members."  # shipping, free, member: none in any chunk
    )
    result = groundedness(answer, CHUNKS)
    assert result.sentences == 2
    assert result.score == 0.5  # 1 supported / 2 counted
    assert result.support == [1, None]
    assert result.unsupported == ["Shipping is free for members."]


def test_terms_spread_over_two_chunks_do_not_add_up() -> None:
    chunks = ["Acme invoice", "totals 4200"]
    # {acme, invoice, total, 4200}: 2/4 = 0.5 in each chunk, below 0.6; and 4200 is missing from chunk 0
    assert groundedness("Acme invoice totals 4200.", chunks).score == 0.0


def test_the_threshold_is_inclusive_and_adjustable() -> None:
    chunk = ["alpha beta gamma"]
    answer = "Alpha beta gamma delta epsilon."  # 3 of 5 terms = 0.6
    assert groundedness(answer, chunk).score == 1.0
    assert groundedness(answer, chunk, threshold=0.61).score == 0.0


def test_the_chunk_covering_most_terms_is_the_support_first_on_a_tie() -> None:
    chunks = ["alpha beta gamma", "alpha beta gamma delta", "alpha beta gamma delta"]
    # coverage 3/4 = 0.75 in chunk 0, 4/4 in chunks 1 and 2 -> chunk 1
    assert groundedness("Alpha beta gamma delta.", chunks).support == [1]


def test_an_empty_answer_has_no_groundedness() -> None:
    result = groundedness("", CHUNKS)
    assert (result.score, result.sentences, result.support, result.unsupported) == (None, 0, [], [])
    assert groundedness("It is.", CHUNKS).score is None


def test_no_chunks_leaves_every_counted_sentence_unsupported() -> None:
    assert groundedness("The Acme invoice totals $4,200.", []).score == 0.0


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(MeasureError, match="threshold"):
        groundedness("Acme.", CHUNKS, threshold=threshold)


# --- context relevance and chunk utilization ----------------------------------------------------------------


def test_context_relevance_is_the_mean_share_of_query_terms_per_chunk() -> None:
    # query terms {acme, invoice, due}: chunk 0 has all 3 -> 1.0, chunk 1 none -> 0.0; mean 0.5
    assert context_relevance("When is the Acme invoice due?", CHUNKS) == 0.5
    # {refund, acme}: chunk 0 has acme -> 1/2, chunk 1 has refund -> 1/2; mean 0.5
    assert context_relevance("refunds Acme", CHUNKS) == 0.5
    # {acme, 4300}: chunk 0 has acme only -> 1/2; chunk 1 -> 0; mean 0.25
    assert context_relevance("Acme 4,300", CHUNKS) == 0.25


def test_context_relevance_is_undefined_without_query_terms_or_chunks() -> None:
    assert context_relevance("what is it?", CHUNKS) is None
    assert context_relevance("Acme invoice", []) is None


def test_chunk_utilization_counts_chunks_that_support_some_sentence() -> None:
    chunks = [*CHUNKS, "Our office is closed on public holidays."]
    answer = "The Acme invoice totals $4,200. Refunds take 14 business days."
    # sentence 1 supported by chunk 0; sentence 2 {refund, take, 14, business, day}: 4/5 in chunk 1
    # -> chunks 0 and 1 used, chunk 2 not: 2/3
    assert chunk_utilization(answer, chunks) == pytest.approx(2 / 3)


def test_chunk_utilization_counts_every_passing_chunk_not_only_the_best() -> None:
    chunks = ["alpha beta gamma", "alpha beta gamma delta"]
    # 3/4 = 0.75 and 4/4: both pass the 0.6 test -> 2/2
    assert chunk_utilization("Alpha beta gamma delta.", chunks) == 1.0


def test_chunk_utilization_is_undefined_without_chunks_or_answer() -> None:
    assert chunk_utilization("The Acme invoice totals $4,200.", []) is None
    assert chunk_utilization("", CHUNKS) is None
    assert chunk_utilization("It is.", CHUNKS) is None


# --- a real corpus: SQuAD 2.0 paragraphs (shared oracles, CC BY-SA 4.0; skipped when absent) ---------------

SQUAD = Path(__file__).resolve().parents[1].parent / "shared" / "oracles" / "squad-v2-sample" / "sample.json"


@pytest.fixture(scope="module")
def squad() -> list[dict[str, str]]:
    if not SQUAD.is_file():
        pytest.skip(f"{SQUAD} is absent")
    records: list[dict[str, str]] = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    return records


def test_squad_sentences_are_supported_by_their_own_paragraph_only(squad: list[dict[str, str]]) -> None:
    paragraphs = sorted({record["context"] for record in squad})
    for index, paragraph in enumerate(paragraphs):
        others = paragraphs[:index] + paragraphs[index + 1 :]
        assert groundedness(paragraph, [paragraph]).score == 1.0
        assert groundedness(paragraph, others).score == 0.0


def test_squad_sentence_with_a_changed_number_is_unsupported(squad: list[dict[str, str]]) -> None:
    paragraphs = sorted({record["context"] for record in squad})
    with_numbers = [(s, p) for p in paragraphs for s in text.sentences(p) if numbers(s)]
    assert with_numbers
    for sentence, paragraph in with_numbers:
        changed = re.sub(r"\d", lambda digit: str((int(digit.group()) + 1) % 10), sentence, count=1)
        assert groundedness(changed, [paragraph]).score == 0.0, changed


def test_squad_questions_are_more_relevant_to_their_own_paragraph(squad: list[dict[str, str]]) -> None:
    # The four paragraphs are all about the Normans, so a lexical measure can tie ("In what country is
    # Normandy located?" meets only "normandy" in two of them): never lower, and far higher on average.
    paragraphs = sorted({record["context"] for record in squad})
    own_scores, other_scores = [], []
    for record in squad:
        own = context_relevance(record["question"], [record["context"]])
        others = [paragraph for paragraph in paragraphs if paragraph != record["context"]]
        assert own is not None
        for paragraph in others:
            assert own >= (context_relevance(record["question"], [paragraph]) or 0.0), record["question"]
        own_scores.append(own)
        other_scores.append(context_relevance(record["question"], others) or 0.0)
    # measured: mean 0.664 on the own paragraph, 0.071 on the three others
    assert sum(own_scores) / len(own_scores) > 0.6
    assert sum(other_scores) / len(other_scores) < 0.1
