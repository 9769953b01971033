"""The statistics of ``llmops-ci diff``: is head's pass rate different from base's, beyond chance?

**Unit and estimate.** The case is the unit of pairing. A case run ``R`` times has a pass fraction
(passes / non-errored repeats); the pass-rate delta is the mean over the cases present in both runs of
``d_i = head_i - base_i``, the per-case difference of pass fractions. Errored repeats are excluded (a case
whose every repeat errored on one side is not paired; it is counted in the error changes instead).

**Interval.** A paired bootstrap 95 % percentile interval of the mean of ``d_i``: cases are resampled with
replacement. The ``d_i`` take few distinct values (with ``R`` repeats at most ``(R + 1)**2``), so a
bootstrap resample is fully described by how many times each distinct value was drawn: a multinomial
count vector. Drawing those counts (``numpy``'s multinomial, 10,000 resamples, fixed seed so the output is
reproducible) is the same distribution as resampling case indices, at a cost that does not grow with the
number of cases.

**Test.** A conditional (permutation) test with each case as a stratum, the classic design for matched
data (Cochran-Mantel-Haenszel, Mantel 1963; exact version: Cox 1970, ch. 5). Why not the alternatives: a
sign test on the cases whose fraction changed throws the size of the change away (power 0.77 on the
design below, against 0.81); a paired t-test on ``d_i`` leans on normality of a handful of lattice values
and is no more powerful (0.79); Wilcoxon's ranks are mostly ties here.

* Under the null hypothesis (base and head are the same system) every repeat of case ``i`` passes with the
  same unknown probability ``p_i`` on both sides, so given the case's total passes ``s_i`` over its
  ``N_i = m_i + n_i`` judged repeats, head's passes ``H_i`` are hypergeometric (``s_i`` of ``N_i`` draws,
  ``n_i`` of them head's), whatever ``p_i`` is. Cases with ``s_i = 0`` or ``s_i = N_i`` carry no
  information. The test needs no assumption about the ``p_i``: no normality, no equal variances.
* The statistic is ``T = sum_i w_i * H_i`` with a weight per stratum, ``w_i`` proportional to
  ``N_i (N_i + 1) / (s_i (N_i - s_i))`` (rounded to integers on a fixed scale, then divided by their
  common divisor). Any weights that depend only on the strata keep the test valid; these make it the
  locally most powerful conditional test against a uniform drop in pass *probability* (which is what a
  pass-rate delta is): for a small shift ``delta`` the log odds ratio of a case moves by
  ``delta / (p_i (1 - p_i))``, and ``N (N + 1) / (s (N - s))`` is the posterior mean of
  ``1 / (p (1 - p))`` given ``s`` passes of ``N`` (uniform prior). Cases near 0 or 1, where a drop of a
  few points is a large change of odds, count more.
* **With repeat 1 it is exact McNemar**: every informative stratum is a discordant pair (``s = 1`` of
  ``N = 2``), all weights are equal, and ``T`` counts the fail->pass flips among the discordant pairs:
  Binomial(discordant, 1/2) under the null, computed exactly at any size.
* **Exact** p-values, whenever all informative cases share one weight (repeat 1) or there are fewer than
  100 of them: the null distribution of ``T`` is the convolution of the strata's hypergeometric
  distributions on the weights' integer lattice, computed through its characteristic function (identical
  strata grouped, each weight class summed on its own support by FFT powers, the classes combined by one
  more FFT product): a few FFTs whatever the number of cases.
* **Asymptotic** p-values from 100 informative cases on: the score statistic ``(T - E T) / sd T`` with
  the exact conditional mean and variance, referred to the normal distribution, without continuity
  correction. The exact test is conservative on a discrete lattice (its actual level is below alpha); with
  hundreds of independent bounded terms the normal reference is accurate and keeps the nominal level
  (measured A/A: 2.3-2.6 % per side at nominal 2.5 %, from 20 to 200 cases; cf. Fagerland, Lydersen and
  Laake 2013, BMC Med Res Methodol 13:91, on the exact McNemar test being needlessly conservative).
* Two-sided p-value: twice the smaller tail, capped at 1 (the usual definition of the exact McNemar test).

**Verdict.** Per suite x model: *regressed* when the pass-rate delta is negative, the statistic is below
its null mean and the two-sided p-value is below alpha (0.05 by default); *improved* symmetrically; else
*no significant change*. Under A/A the false "regressed" rate is alpha / 2. The defaults are checked by
simulation (tests/test_diff_simulation.py): 300 cases with pass probabilities ~ Beta(4, 1), repeat 3 on
both sides; A/A (same probabilities): 'regressed' in 2.7 % of 10,000 trials; A/B (head's probabilities
0.05 lower): 81.4 %. That power is close to the ceiling for this design at this level (about 0.81 for the
optimal conditional test, 0.79 for a paired t-test), so the issue's 80 % holds with little room: a less
efficient test (sign test, exact unweighted CMH) would miss it.

Other metrics (scores, latency, tokens, cost) are reported with a normal-theory interval of the mean
paired per-case difference where the metric is a per-case mean, and without one for percentiles and
totals; they never decide the verdict, only explicit thresholds gate on them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ALPHA = 0.05
LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
#: The exact distribution is used below this many informative cases, and at any size when all the
#: informative cases have one weight (repeat 1: McNemar) ...
EXACT_MAX_INFORMATIVE = 100
#: ... as long as its lattice (points of the statistic's support) is at most this large.
EXACT_LIMIT = 1 << 20
#: Weights are rounded on this scale (x2 keeps their ratios within a few per cent of the optimum).
WEIGHT_SCALE = 2.0
#: Beyond this many distinct per-case differences the bootstrap falls back to the normal interval.
_BOOTSTRAP_MAX_VALUES = 2048

REGRESSED = "regressed"
IMPROVED = "improved"
UNCHANGED = "no significant change"
NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class PairedTest:
    """The conditional test of one suite x model."""

    paired: int  # cases judged on both sides
    informative: int  # cases whose repeats did not all agree (repeat 1: the discordant pairs)
    delta: float  # mean of head - base pass fractions over the paired cases
    p_value: float  # two-sided
    direction: int  # the statistic against its null mean: -1 below (head worse), 0 equal, +1 above
    method: str  # "exact", "normal" or "none" (nothing paired)


def _as_int(values: object) -> IntArray:
    return np.asarray(values, dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _hypergeom_pmf(base_n: int, head_n: int, passes: int) -> tuple[int, list[float]]:
    """Head's passes given ``passes`` of ``base_n + head_n``: (lowest value, probabilities from it)."""
    low, high = max(0, passes - base_n), min(passes, head_n)
    denominator = math.comb(base_n + head_n, passes)
    return low, [
        math.comb(head_n, h) * math.comb(base_n, passes - h) / denominator for h in range(low, high + 1)
    ]


def stratified_test(base_pass: object, base_n: object, head_pass: object, head_n: object) -> PairedTest:
    """The conditional test of the paired cases of one comparison (1-D arrays aligned by case: passes
    and judged repeats on each side; the caller leaves out cases with no judged repeat on a side)."""
    return stratified_tests(
        np.atleast_2d(_as_int(base_pass)),
        np.atleast_2d(_as_int(base_n)),
        np.atleast_2d(_as_int(head_pass)),
        np.atleast_2d(_as_int(head_n)),
    )[0]


def stratified_tests(
    base_pass: IntArray, base_n: IntArray, head_pass: IntArray, head_n: IntArray
) -> list[PairedTest]:
    """:func:`stratified_test` of many comparisons with the same number of cases at once (2-D arrays,
    one row per comparison): the asymptotic rows are computed together, the exact rows one by one.
    The simulation test calls this, so the verdicts it measures are the ones ``diff`` prints."""
    rows, paired = base_pass.shape
    if paired == 0:
        return [PairedTest(0, 0, 0.0, 1.0, 0, "none")] * rows
    bp, bn = base_pass.astype(np.float64), base_n.astype(np.float64)
    hp, hn = head_pass.astype(np.float64), head_n.astype(np.float64)
    deltas = np.mean(hp / hn - bp / bn, axis=1)
    total, passes = bn + hn, bp + hp
    informative = (passes > 0) & (passes < total)
    counts = np.count_nonzero(informative, axis=1)
    spread = passes * (total - passes)  # s (N - s): 0 exactly for the uninformative cases
    weights = np.rint(WEIGHT_SCALE * total * (total + 1.0) / np.where(informative, spread, 1.0)) * informative
    gaps = np.sum(weights * (hp - passes * hn / total), axis=1)  # T minus its null mean
    variances = np.sum(
        weights * weights * hn * bn * spread / (total * total * np.maximum(total - 1.0, 1.0)), axis=1
    )
    lightest = np.where(informative, weights, np.inf).min(axis=1)
    one_class = weights.max(axis=1) == lightest
    results: list[PairedTest] = []
    for row in range(rows):
        count, gap, delta = int(counts[row]), float(gaps[row]), float(deltas[row])
        direction = 0 if abs(gap) < 1e-9 else (1 if gap > 0 else -1)
        p_value: float | None = None
        if count == 0:
            p_value = 1.0
        elif one_class[row] or count < EXACT_MAX_INFORMATIVE:
            keep = informative[row]
            p_value = _exact_p(
                base_n[row, keep],
                head_n[row, keep],
                head_pass[row, keep],
                passes[row, keep].astype(np.int64),
                weights[row, keep].astype(np.int64),
            )
        if p_value is not None:
            results.append(PairedTest(paired, count, delta, p_value, direction, "exact"))
        else:
            p_value = math.erfc(abs(gap) / math.sqrt(float(variances[row])) / math.sqrt(2.0))
            results.append(PairedTest(paired, count, delta, min(1.0, p_value), direction, "normal"))
    return results


def _sum_distribution(pmfs: list[tuple[list[float], int]]) -> FloatArray:
    """The distribution of a sum of independent integer variables from 0, given as (pmf, copies)."""
    size = sum((len(pmf) - 1) * copies for pmf, copies in pmfs) + 1
    if len(pmfs) == 1 and pmfs[0][1] == 1:
        return np.asarray(pmfs[0][0], dtype=np.float64)
    length = 1 << max(1, (size - 1).bit_length())
    spectrum = np.ones(length // 2 + 1, dtype=np.complex128)
    for pmf, copies in pmfs:
        spectrum *= np.fft.rfft(pmf, length) ** copies
    return np.clip(np.fft.irfft(spectrum, length)[:size], 0.0, None)


def _exact_p(bn: IntArray, hn: IntArray, hp: IntArray, passes: IntArray, weights: IntArray) -> float | None:
    """Two-sided p of head's weighted passes under the convolution of the informative strata: identical
    strata grouped, each weight class summed on its own compact support, the classes spread on the
    weights' lattice and combined, all through the FFT. None when the lattice exceeds EXACT_LIMIT."""
    weights = weights // np.gcd.reduce(weights)
    low = np.maximum(0, passes - bn)
    size = int(np.dot(weights, np.minimum(passes, hn) - low)) + 1
    if size > EXACT_LIMIT:
        return None
    observed = int(np.dot(weights, hp - low))
    top = int(max(bn.max(), hn.max())) + 1
    keys, counts = np.unique(((weights * top + bn) * top + hn) * top * 2 + passes, return_counts=True)
    classes: dict[int, list[tuple[list[float], int]]] = {}
    for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
        rest, total_passes = divmod(key, top * 2)
        rest, head_n = divmod(rest, top)
        weight, base_n = divmod(rest, top)
        classes.setdefault(weight, []).append((_hypergeom_pmf(base_n, head_n, total_passes)[1], count))
    parts = [(weight, _sum_distribution(pmfs)) for weight, pmfs in classes.items()]
    if len(parts) == 1:
        weight, distribution = parts[0]
        observed //= weight
    else:
        length = 1 << max(1, (size - 1).bit_length())
        spectrum = np.ones(length // 2 + 1, dtype=np.complex128)
        for weight, part in parts:
            spread = np.zeros(length)
            spread[np.arange(part.size) * weight] = part
            spectrum *= np.fft.rfft(spread)
        distribution = np.clip(np.fft.irfft(spectrum, length)[:size], 0.0, None)
    distribution = distribution / distribution.sum()
    lower = float(distribution[: observed + 1].sum())
    upper = float(distribution[observed:].sum())
    return min(1.0, 2.0 * min(lower, upper))


def verdict(test: PairedTest, alpha: float = ALPHA) -> str:
    """improved / regressed / no significant change (not comparable when nothing is paired)."""
    if test.paired == 0:
        return NOT_COMPARABLE
    if test.p_value < alpha and test.delta < 0 and test.direction < 0:
        return REGRESSED
    if test.p_value < alpha and test.delta > 0 and test.direction > 0:
        return IMPROVED
    return UNCHANGED


def rule_text(alpha: float = ALPHA) -> str:
    """The verdict rule, as printed with every diff."""
    return (
        f"regressed: pass-rate delta < 0 and p < {alpha:g}; improved: delta > 0 and p < {alpha:g}; "
        "else no significant change. p: two-sided conditional test with the cases as strata "
        "(weighted Cochran-Mantel-Haenszel over the informative cases, those whose repeats did not all "
        "agree: exact below 100 of them, normal approximation above; with repeat 1, exact McNemar on the "
        "flips). Other metrics do not change the verdict; they gate only through --max-regression."
    )


def bootstrap_mean_ci(
    differences: FloatArray,
    *,
    level: float = LEVEL,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """Paired bootstrap percentile interval of the mean of ``differences`` (one value per case),
    resampling counts of the distinct values (see the module docstring)."""
    n = int(differences.size)
    if n == 0:
        return None
    values, counts = np.unique(differences, return_counts=True)
    if values.size == 1:
        return float(values[0]), float(values[0])
    if values.size > _BOOTSTRAP_MAX_VALUES:
        return normal_mean_ci(differences, level=level)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=resamples)
    means = draws @ values / n
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def normal_mean_ci(differences: FloatArray, *, level: float = LEVEL) -> tuple[float, float] | None:
    """Normal-theory interval of the mean of paired differences (mean +- z * sd / sqrt(n))."""
    n = int(differences.size)
    if n < 2:
        return None
    mean = float(np.mean(differences))
    spread = float(np.std(differences, ddof=1))
    z = _normal_quantile(0.5 + level / 2.0)
    half = z * spread / math.sqrt(n)
    return mean - half, mean + half


def _normal_quantile(q: float) -> float:
    """The standard normal quantile, by bisection on ``erfc`` (exact to 1e-12; no scipy)."""
    low, high = -10.0, 10.0
    for _ in range(80):
        middle = (low + high) / 2.0
        if 0.5 * math.erfc(-middle / math.sqrt(2.0)) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0
