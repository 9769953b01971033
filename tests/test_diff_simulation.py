"""The defaults of ``diff``'s verdict, proven by simulation (the issue's design).

300 cases, each with a true pass probability p_i ~ Beta(4, 1) (mean 0.8); base and head both run every case
3 times. A/A: head has the same p_i — 'regressed' must come out in at most 5 % of trials. A/B: head's p_i
lowered by 0.05 (floored at 0) — 'regressed' in at least 80 % of trials.

The verdicts come from the code ``diff`` runs (``stats.stratified_tests`` + ``stats.verdict``, default
alpha), on many trials at once. 10,000 trials per arm (the issue asks for at least 1,000): the power of
the best conditional test at two-sided 0.05 is about 0.81 for this design, so the estimate needs to be
precise (standard error 0.4 %) for the check to mean something. The seed is fixed and was not chosen.
"""

from __future__ import annotations

import numpy as np

from llmops_ci.compare import stats

SEED = 20260601
TRIALS = 10_000
CASES = 300
REPEAT = 3
CHUNK = 1_000


def regressed_share(rng: np.random.Generator, shift: float) -> tuple[float, float, dict[str, int]]:
    """Share of trials judged 'regressed' and 'improved', and how the p-values were computed."""
    regressed = improved = 0
    methods: dict[str, int] = {}
    repeats = np.full((CHUNK, CASES), REPEAT, dtype=np.int64)
    for _ in range(TRIALS // CHUNK):
        p = rng.beta(4.0, 1.0, size=(CHUNK, CASES))
        base = rng.binomial(REPEAT, p).astype(np.int64)
        head = rng.binomial(REPEAT, np.maximum(p - shift, 0.0)).astype(np.int64)
        for test in stats.stratified_tests(base, repeats, head, repeats):
            verdict = stats.verdict(test)
            regressed += verdict == stats.REGRESSED
            improved += verdict == stats.IMPROVED
            methods[test.method] = methods.get(test.method, 0) + 1
    return regressed / TRIALS, improved / TRIALS, methods


def test_a_a_rarely_regresses_and_a_b_is_caught() -> None:
    rng = np.random.default_rng(SEED)
    aa_regressed, aa_improved, aa_methods = regressed_share(rng, 0.0)
    ab_regressed, ab_improved, _ = regressed_share(rng, 0.05)
    print(
        f"A/A: regressed {aa_regressed:.2%}, improved {aa_improved:.2%} ({aa_methods}); "
        f"A/B: regressed {ab_regressed:.2%}, improved {ab_improved:.2%}"
    )
    assert aa_regressed <= 0.05
    assert ab_regressed >= 0.80
    # the test is two-sided at 0.05: each direction is wrong about 2.5 % of the time under A/A
    assert 0.015 <= aa_regressed <= 0.035 and 0.015 <= aa_improved <= 0.035
    assert ab_improved == 0.0


def test_repeat_one_a_a_is_exact_mcnemar_and_conservative() -> None:
    """With repeat 1 every verdict comes from the exact McNemar test; its false 'regressed' rate is at
    most alpha / 2 (exact tests are conservative)."""
    rng = np.random.default_rng(SEED + 1)
    ones = np.ones((2_000, CASES), dtype=np.int64)
    p = rng.beta(4.0, 1.0, size=(2_000, CASES))
    base, head = rng.binomial(1, p).astype(np.int64), rng.binomial(1, p).astype(np.int64)
    tests = stats.stratified_tests(base, ones, head, ones)
    assert {test.method for test in tests} == {"exact"}
    share = sum(stats.verdict(test) == stats.REGRESSED for test in tests) / len(tests)
    assert share <= 0.025 + 0.005  # nominal 2.5 %, allowing for 2,000 trials' noise
