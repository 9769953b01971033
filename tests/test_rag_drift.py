"""Semantic-drift measures, with expected values worked out by hand."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from llmops_ci.rag.drift import (
    DRIFT_MEASURES,
    Measure,
    TopKOverlap,
    centroid_shift,
    hashed_vectors,
    jensen_shannon,
    judge,
    length_shift,
    term_distribution,
    topk_overlap,
    verdict,
    vocabulary_new_fraction,
)
from llmops_ci.rag.measures import MeasureError

# --- term distributions -------------------------------------------------------------------------------------


def test_term_distribution_counts_terms_over_all_texts() -> None:
    counts = term_distribution(["The invoices are due.", "An invoice is paid"])
    # stop words dropped, "invoices" stemmed to "invoice"
    assert counts == Counter({"invoice": 2, "due": 1, "paid": 1})


def test_jsd_of_half_overlapping_distributions() -> None:
    # P = (a .5, b .5, c 0), Q = (a .5, b 0, c .5), M = (.5, .25, .25)
    # KL(P||M) = .5 log2(.5/.5) + .5 log2(.5/.25) = 0.5; KL(Q||M) = 0.5 -> JSD = 0.5
    assert jensen_shannon(Counter(a=1, b=1), Counter(a=2, c=2)) == pytest.approx(0.5)


def test_jsd_of_two_skewed_distributions() -> None:
    # P = (.75, .25), Q = (.25, .75), M = (.5, .5)
    # KL(P||M) = .75 log2 1.5 + .25 log2 .5 = 0.438722 - 0.25 = 0.188722 = KL(Q||M) -> JSD = 0.188722
    expected = 0.75 * math.log2(1.5) + 0.25 * math.log2(0.5)
    assert jensen_shannon(Counter(x=3, y=1), Counter(x=1, y=3)) == pytest.approx(expected)
    assert expected == pytest.approx(0.188722, abs=1e-6)


def test_jsd_bounds_and_symmetry() -> None:
    p, q = Counter(a=5, b=1), Counter(b=2, c=7)
    assert jensen_shannon(p, p) == 0.0
    assert jensen_shannon(Counter(a=1), Counter(a=9)) == 0.0  # same proportions
    assert jensen_shannon(Counter(a=1), Counter(b=1)) == 1.0  # disjoint
    assert jensen_shannon(p, q) == pytest.approx(jensen_shannon(q, p))


def test_jsd_of_empty_distributions() -> None:
    assert jensen_shannon(Counter(), Counter()) == 0.0
    assert jensen_shannon(Counter(a=1), Counter()) == 1.0
    assert jensen_shannon(Counter(), Counter(a=1)) == 1.0
    assert jensen_shannon(Counter(a=0), Counter()) == 0.0  # zero counts are absent terms


def test_jsd_refuses_negative_counts() -> None:
    with pytest.raises(MeasureError, match="negative term counts: a"):
        jensen_shannon(Counter(a=-1, b=2), Counter(b=1))


def test_vocabulary_new_fraction() -> None:
    # occurrences in q: a 1 (known), c 3 (new) -> 3 / 4
    assert vocabulary_new_fraction(Counter(a=2, b=1), Counter(a=1, c=3)) == 0.75
    assert vocabulary_new_fraction(Counter(a=1), Counter(a=4)) == 0.0
    assert vocabulary_new_fraction(Counter(), Counter(a=4)) == 1.0
    assert vocabulary_new_fraction(Counter(a=1), Counter()) == 0.0


# --- vectors ------------------------------------------------------------------------------------------------

TEXTS = ["Invoices are due within thirty days.", "Refund requests need a receipt.", ""]


def test_hashed_vectors_shape_norms_and_empty_text() -> None:
    vectors = hashed_vectors(TEXTS, dims=64)
    assert vectors.shape == (3, 64)
    assert vectors.dtype == np.float64
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 0.0])


def test_hashed_vectors_use_sublinear_term_frequency() -> None:
    vector = hashed_vectors(["alpha alpha alpha beta"], dims=1 << 16)[0]
    weights = sorted(abs(value) for value in vector if value)
    # alpha: 1 + ln 3, beta: 1 (in two distinct buckets at this width), then L2-normalised
    norm = math.hypot(1 + math.log(3), 1)
    assert weights == pytest.approx([1 / norm, (1 + math.log(3)) / norm])


def test_hashed_vectors_follow_the_documented_hash() -> None:
    # "Invoices" has the single term "invoice"; h = blake2b-64 of it, bucket h mod 512, sign from bit 63
    h = int.from_bytes(hashlib.blake2b(b"invoice", digest_size=8).digest(), "big")
    expected = np.zeros(512)
    expected[h % 512] = -1.0 if h >> 63 else 1.0
    assert hashed_vectors(["Invoices"])[0] == pytest.approx(expected)


def test_hashed_vectors_are_stable_across_processes() -> None:
    script = (
        "import json, sys; from llmops_ci.rag.drift import hashed_vectors; "
        "print(json.dumps(hashed_vectors(json.loads(sys.argv[1]), dims=32).tolist()))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(TEXTS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert np.array(outputs[0]) == pytest.approx(hashed_vectors(TEXTS, dims=32))


def test_hashed_vectors_refuse_zero_dims() -> None:
    with pytest.raises(MeasureError, match="dims"):
        hashed_vectors(TEXTS, dims=0)


def test_centroid_shift_of_identical_sets_is_zero() -> None:
    vectors = hashed_vectors(TEXTS)
    assert centroid_shift(vectors, vectors.copy()) == pytest.approx(0.0, abs=1e-12)


def test_centroid_shift_arithmetic() -> None:
    # mean(a) = (.5, .5), mean(b) = (1, 0): cos = .5 / (sqrt(.5) * 1) = 0.707107 -> 1 - 0.707107 = 0.292893
    a, b = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0]])
    assert centroid_shift(a, b) == pytest.approx(1 - 1 / math.sqrt(2))
    assert centroid_shift([[1.0, 0.0]], [[0.0, 3.0]]) == pytest.approx(1.0)  # orthogonal; lists accepted
    assert centroid_shift(np.array([[1.0, 1.0]]), np.array([[-2.0, -2.0]])) == pytest.approx(2.0)  # opposite


def test_centroid_shift_of_zero_centroids() -> None:
    zero, unit = np.zeros((2, 3)), np.array([[0.0, 1.0, 0.0]])
    assert centroid_shift(zero, zero) == 0.0
    assert centroid_shift(zero, unit) == 1.0


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.zeros((0, 4)), np.ones((1, 4)), "at least one vector"),
        (np.ones((1, 4)), np.zeros((0, 4)), "at least one vector"),
        (np.ones((1, 4)), np.ones((1, 5)), "different widths: 4 and 5"),
        (np.ones(4), np.ones((1, 4)), "2-D"),
    ],
)
def test_centroid_shift_refuses_bad_input(a: np.ndarray, b: np.ndarray, message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        centroid_shift(a, b)


# --- retrieval results and query logs -----------------------------------------------------------------------


def test_topk_overlap_arithmetic() -> None:
    before = {"q1": ["a", "b", "c"], "q2": ["a", "b"], "q3": ["x"]}
    after = {"q1": ["c", "b", "a"], "q2": ["a", "d"], "q4": ["y"]}
    # shared q1, q2; q1 same set (order ignored) -> 1; q2 {a,b} vs {a,d}: 1 / 3
    # mean (1 + 1/3) / 2 = 2/3; changed [q2] -> 1 / 2
    result = topk_overlap(before, after)
    assert result.mean_jaccard == pytest.approx(2 / 3)
    assert result == TopKOverlap(
        mean_jaccard=result.mean_jaccard, changed_fraction=0.5, queries=2, changed=["q2"]
    )


def test_topk_overlap_of_empty_result_lists_is_unchanged() -> None:
    result = topk_overlap({"q": []}, {"q": []})
    assert (result.mean_jaccard, result.changed_fraction, result.changed) == (1.0, 0.0, [])
    # {} vs {a}: 0 / 1
    assert topk_overlap({"q": []}, {"q": ["a"]}).mean_jaccard == 0.0


def test_topk_overlap_needs_a_shared_query() -> None:
    with pytest.raises(MeasureError, match="no query is present in both"):
        topk_overlap({"q1": ["a"]}, {"q2": ["a"]})


def test_length_shift() -> None:
    # a: 2 and 4 words -> mean 3; b: 6 words -> (6 - 3) / 3 = 1.0
    assert length_shift(["one two", "one two three four"], ["a b c d e f"]) == 1.0
    # b: 1 and 2 words -> mean 1.5 -> (1.5 - 3) / 3 = -0.5
    assert length_shift(["one two", "one two three four"], ["x", "x y"]) == -0.5


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [([], ["x"], "log a is empty"), (["x"], [], "log b is empty"), (["?!", ""], ["x"], "have no words")],
)
def test_length_shift_refuses_undefined_input(a: list[str], b: list[str], message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        length_shift(a, b)


# --- gating -------------------------------------------------------------------------------------------------


def test_drift_measure_names() -> None:
    assert set(DRIFT_MEASURES) == {
        "term_jsd",
        "centroid_shift",
        "topk_changed_fraction",
        "topk_mean_jaccard",
        "query_length_shift",
        "vocabulary_new_fraction",
    }
    assert all(description and "\n" not in description for description in DRIFT_MEASURES.values())


def test_judge_treats_limits_as_maxima_and_verdict_fails_on_any_excess() -> None:
    measures = judge(
        {"term_jsd": 0.2, "centroid_shift": 0.05, "query_length_shift": 0.3},
        {"term_jsd": 0.1, "centroid_shift": 0.05, "vocabulary_new_fraction": 0.2},
    )
    assert measures == [
        Measure("term_jsd", 0.2, 0.1, "max", ok=False),  # 0.2 > 0.1
        Measure("centroid_shift", 0.05, 0.05, "max", ok=True),  # equal to the limit passes
        Measure("query_length_shift", 0.3, None, "max", ok=None),  # no limit
    ]
    assert verdict(measures) == "fail"
    assert verdict(measures[1:]) == "pass"
    assert verdict([]) == "pass"


def test_topk_mean_jaccard_limit_is_a_minimum() -> None:
    limit = {"topk_mean_jaccard": 0.8}
    (low,) = judge({"topk_mean_jaccard": 0.6}, limit)  # 0.6 < 0.8: too unstable
    (high,) = judge({"topk_mean_jaccard": 0.9}, limit)
    assert (low.direction, low.ok, high.ok) == ("min", False, True)


def test_a_nan_value_fails_its_limit() -> None:
    assert judge({"term_jsd": float("nan")}, {"term_jsd": 1.0})[0].ok is False
