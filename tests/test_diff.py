"""`llmops-ci diff`: alignment, statistics (exact McNemar with repeat 1, the exact conditional test with
repeats), flips with reasons, new/removed cases, error changes, --pair-models, limits, the three formats
(markdown under GitHub's comment limit), the artifact diff between git refs, bad input, exit codes."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from llmops_ci.compare import stats
from llmops_ci.eval.results import summarize
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parent.parent
FAIL_REASON = "expected 'invoice', got 'contract'"

Outcome = bool | None  # None: the call errored


# --- building results directories --------------------------------------------------------------------


def record(
    suite: str,
    model: str,
    case: str,
    outcome: Outcome,
    *,
    repeat: int = 0,
    latency: float = 800.0,
    cost: float | None = 0.0001,
    reason: str = FAIL_REASON,
    run_id: str = "run",
    schema_version: int = 1,
) -> dict[str, Any]:
    """One record as ``eval`` writes it (schemas/results.schema.json)."""
    errored = outcome is None
    assertions = (
        []
        if errored
        else [
            {
                "type": "equals",
                "passed": outcome,
                "score": float(outcome),
                "reason": "ok" if outcome else reason,
            }
        ]
    )
    return {
        "schema_version": schema_version,
        "run_id": run_id,
        "case_id": f"{suite}/{case}",
        "suite": suite,
        "case": case,
        "target": {"kind": "Prompt", "name": "classifier", "digest": "sha256:0123456789ab", "version": None},
        "model": model,
        "model_id": f"openai/{model}",
        "repeat": repeat,
        "min_passes": 1,
        "thresholds": {},
        "messages_digest": "sha256:ba9876543210",
        "vars": {"document": f"document {case}"},
        "output": None if errored else ("invoice" if outcome else "contract"),
        "assertions": assertions,
        "passed": outcome,
        "score": None if errored else float(bool(outcome)),
        "metrics": {}
        if errored
        else {"latency_ms": latency, "input_tokens": 120, "output_tokens": 3, "cost_usd": cost},
        "cache_hit": False,
        "attempts": 1,
        "error": {"kind": "timeout", "message": "timed out"} if errored else None,
        "lineage": {"git_sha": "0123456789abcdef", "toolkit_version": "0.1.0", "chunk_ids": []},
    }


def group(
    outcomes: dict[str, list[Outcome]] | dict[str, Outcome],
    *,
    suite: str = "classifier-regression",
    model: str = "gpt-4o-mini",
    **fields: Any,
) -> list[dict[str, Any]]:
    """Records of one suite x model: case -> outcome, or case -> outcomes of its repeats."""
    records = []
    for case, value in outcomes.items():
        repeats = value if isinstance(value, list) else [value]
        for index, outcome in enumerate(repeats):
            records.append(record(suite, model, case, outcome, repeat=index, **fields))
    return records


def write_run(directory: Path, records: Iterable[dict[str, Any]], *, summary: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    records = list(records)
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (directory / "records.jsonl").write_text(lines, encoding="utf-8")
    if summary:
        run = {
            "run_id": directory.name,
            "complete": True,
            "git_sha": "0123456789abcdef",
            "toolkit_version": "0.1.0",
        }
        (directory / "summary.json").write_text(json.dumps(summarize(records, run)), encoding="utf-8")
    return directory


def run_diff(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["diff", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def diff_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict[str, Any]:
    code, out, err = run_diff(capsys, *args, "--format", "json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def mcnemar_exact(b: int, c: int) -> float:
    n, k = b + c, min(b, c)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def cases(n: int, outcome: Outcome, prefix: str = "c") -> dict[str, Outcome]:
    return {f"{prefix}{i:03d}": outcome for i in range(n)}


# --- statistics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b", "c", "same"), [(10, 2, 30), (5, 5, 0), (0, 7, 10), (40, 25, 100), (1, 0, 5), (300, 260, 10)]
)
def test_repeat_one_is_exact_mcnemar(b: int, c: int, same: int) -> None:
    base = [1] * b + [0] * c + [1] * same
    head = [0] * b + [1] * c + [1] * same
    ones = [1] * len(base)
    test = stats.stratified_test(base, ones, head, ones)
    assert test.method == "exact"
    assert test.informative == b + c
    assert test.p_value == pytest.approx(mcnemar_exact(b, c), rel=1e-9, abs=1e-12)
    assert test.delta == pytest.approx((c - b) / len(base))


def test_repeats_exact_distribution_matches_enumeration() -> None:
    rng = np.random.default_rng(3)
    for _ in range(6):
        n = 6
        base_n, head_n = rng.integers(1, 4, n), rng.integers(1, 4, n)
        base_pass, head_pass = rng.binomial(base_n, 0.6), rng.binomial(head_n, 0.5)
        test = stats.stratified_test(base_pass, base_n, head_pass, head_n)
        assert test.method == "exact"
        assert test.p_value == pytest.approx(_enumerated_p(base_pass, base_n, head_pass, head_n), abs=1e-9)


def _enumerated_p(base_pass: Any, base_n: Any, head_pass: Any, head_n: Any) -> float:
    """Two-sided p by enumerating every table with the cases' totals fixed (the brute-force definition)."""
    strata = []
    for bp, bn, hp, hn in zip(
        base_pass.tolist(), base_n.tolist(), head_pass.tolist(), head_n.tolist(), strict=True
    ):
        total, passes = bn + hn, bp + hp
        if 0 < passes < total:
            weight = round(2 * total * (total + 1) / (passes * (total - passes)))
            low, high = max(0, passes - bn), min(passes, hn)
            pmf = [
                (h, math.comb(hn, h) * math.comb(bn, passes - h) / math.comb(total, passes))
                for h in range(low, high + 1)
            ]
            strata.append((weight, hp, pmf))
    if not strata:
        return 1.0
    observed = sum(weight * hp for weight, hp, _ in strata)
    lower = upper = 0.0
    for combo in itertools.product(*(pmf for _, _, pmf in strata)):
        value = sum(weight * h for (weight, _, _), (h, _) in zip(strata, combo, strict=True))
        probability = math.prod(p for _, p in combo)
        lower += probability if value <= observed else 0.0
        upper += probability if value >= observed else 0.0
    return min(1.0, 2 * min(lower, upper))


def test_large_runs_use_the_normal_approximation_close_to_exact() -> None:
    rng = np.random.default_rng(8)
    p = rng.beta(4, 1, 400)
    base, head = rng.binomial(3, p), rng.binomial(3, np.maximum(p - 0.03, 0))
    threes = np.full(400, 3)
    approximate = stats.stratified_test(base, threes, head, threes)
    assert approximate.method == "normal" and approximate.informative >= stats.EXACT_MAX_INFORMATIVE
    original = stats.EXACT_MAX_INFORMATIVE
    try:
        stats.EXACT_MAX_INFORMATIVE = 10**9
        exact = stats.stratified_test(base, threes, head, threes)
    finally:
        stats.EXACT_MAX_INFORMATIVE = original
    assert exact.method == "exact"
    assert approximate.p_value == pytest.approx(exact.p_value, abs=0.01)


def test_bootstrap_interval_is_reproducible_and_brackets_the_delta() -> None:
    differences = np.array([-1.0] * 30 + [0.0] * 250 + [1.0] * 20)
    first = stats.bootstrap_mean_ci(differences)
    assert first == stats.bootstrap_mean_ci(differences)
    assert first is not None and first[0] < differences.mean() < first[1]
    # the bootstrap of a mean of +-1/0 differences is close to the normal interval
    normal = stats.normal_mean_ci(differences)
    assert normal is not None
    assert first[0] == pytest.approx(normal[0], abs=0.01) and first[1] == pytest.approx(normal[1], abs=0.01)


def test_verdict_needs_significance_and_agreeing_direction() -> None:
    significant = stats.PairedTest(100, 20, -0.1, 0.01, -1, "exact")
    assert stats.verdict(significant) == stats.REGRESSED
    assert stats.verdict(significant, alpha=0.005) == stats.UNCHANGED
    assert stats.verdict(stats.PairedTest(100, 20, 0.1, 0.01, 1, "exact")) == stats.IMPROVED
    assert stats.verdict(stats.PairedTest(100, 20, 0.01, 0.01, -1, "normal")) == stats.UNCHANGED
    assert stats.verdict(stats.PairedTest(0, 0, 0.0, 1.0, 0, "none")) == stats.NOT_COMPARABLE


# --- comparing runs -----------------------------------------------------------------------------------


def test_identical_runs_show_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = {**cases(40, True), **cases(5, False, "f")}
    base = write_run(tmp_path / "base", group(outcomes))
    head = write_run(tmp_path / "head", group(outcomes))
    code, out, err = run_diff(capsys, base, head, "--fail-on", "regression")
    assert code == 0, err
    assert out.startswith("llmops-ci diff: no significant change")
    assert "classifier-regression x gpt-4o-mini: no significant change" in out
    assert "rule: regressed: pass-rate delta < 0 and p < 0.05" in out
    assert "Traceback" not in err


def test_regression_with_repeat_one_is_exact_mcnemar_on_the_flips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_run(tmp_path / "base", group({**cases(40, True), **cases(3, False, "f")}))
    head_outcomes: dict[str, Outcome] = {**cases(40, True), **cases(3, False, "f")}
    for i in range(12):
        head_outcomes[f"c{i:03d}"] = False
    head_outcomes["f000"] = True
    head = write_run(tmp_path / "head", group(head_outcomes))
    result = diff_json(capsys, base, head)
    (comparison,) = result["comparisons"]
    rate = comparison["pass_rate"]
    assert comparison["verdict"] == "regressed" and result["verdict"] == "regressed"
    assert rate["paired"] == 43 and rate["informative"] == 13 and rate["method"] == "exact"
    assert rate["p_value"] == pytest.approx(mcnemar_exact(12, 1))
    assert rate["delta"] == pytest.approx(-11 / 43)
    assert rate["ci"][0] < rate["delta"] < rate["ci"][1] < 0
    assert [f["case"] for f in comparison["flips"]["pass_to_fail"]] == [f"c{i:03d}" for i in range(12)]
    assert comparison["flips"]["pass_to_fail"][0]["reason"] == f"equals: {FAIL_REASON}"
    assert comparison["flips"]["fail_to_pass"] == [
        {
            "case": "f000",
            "case_id": "classifier-regression/f000",
            "base": 0.0,
            "head": 1.0,
            "reason": f"equals: {FAIL_REASON}",
        }
    ]
    # exit code: 0 unless --fail-on regression
    assert run_diff(capsys, base, head)[0] == 0
    code, out, _ = run_diff(capsys, base, head, "--fail-on", "regression")
    assert code == 1 and "REGRESSED" in out
    # the other way round it is an improvement
    assert diff_json(capsys, head, base)["comparisons"][0]["verdict"] == "improved"


def test_small_change_is_not_significant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(30, True)))
    head_outcomes = cases(30, True)
    head_outcomes["c000"] = head_outcomes["c001"] = False
    head = write_run(tmp_path / "head", group(head_outcomes))
    (comparison,) = diff_json(capsys, base, head)["comparisons"]
    assert comparison["verdict"] == "no significant change"
    assert comparison["pass_rate"]["p_value"] == pytest.approx(0.5)
    assert len(comparison["flips"]["pass_to_fail"]) == 2


def test_repeats_use_pass_fractions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group({f"c{i}": [True, True, True] for i in range(60)}))
    head = write_run(
        tmp_path / "head",
        group({f"c{i}": [True, False, i % 2 == 0] if i < 30 else [True, True, True] for i in range(60)}),
    )
    (comparison,) = diff_json(capsys, base, head)["comparisons"]
    rate = comparison["pass_rate"]
    assert rate["delta"] == pytest.approx(-(15 * 1 / 3 + 15 * 2 / 3) / 60)
    assert rate["informative"] == 30 and comparison["verdict"] == "regressed"
    assert comparison["changed_fraction"] == 30
    assert comparison["flips"]["pass_to_fail"] == []  # min_passes 1: every case still passes once


def test_new_removed_and_errored_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group({**cases(10, True), "old": True, "flaky": True}))
    head = write_run(tmp_path / "head", group({**cases(10, True), "fresh": False, "flaky": None}))
    (comparison,) = diff_json(capsys, base, head)["comparisons"]
    assert comparison["cases"]["new"] == ["fresh"] and comparison["cases"]["removed"] == ["old"]
    assert comparison["cases"]["unpaired"] == ["flaky"] and comparison["cases"]["unpaired_head_errored"] == 1
    assert comparison["pass_rate"]["paired"] == 10
    assert comparison["errors"] == {
        "base": 0,
        "head": 1,
        "delta": 1,
        "base_records": 12,
        "head_records": 12,
        "base_rate": 0.0,
        "head_rate": pytest.approx(1 / 12),
    }
    code, out, _ = run_diff(capsys, base, head)
    assert code == 0
    assert "new cases (1): fresh" in out and "removed cases (1): old" in out and "errors: 0 → 1 (+1)" in out


def test_metric_deltas_intervals_and_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(50, True), latency=800.0, cost=0.001))
    head = write_run(tmp_path / "head", group(cases(50, True), latency=950.0, cost=0.0012))
    result = diff_json(capsys, base, head)
    metrics = {m["name"]: m for m in result["comparisons"][0]["metrics"]}
    assert (
        metrics["latency_p95_ms"]["delta"] == pytest.approx(150) and metrics["latency_p95_ms"]["ci"] is None
    )
    assert (
        metrics["latency_mean_ms"]["ci"] == pytest.approx([150, 150])
        and metrics["latency_mean_ms"]["paired_cases"] == 50
    )
    assert metrics["cost_usd_total"]["relative"] == pytest.approx(0.2)
    assert metrics["cost_usd_mean"]["direction"] == "lower"
    assert result["verdict"] == "no significant change"  # other metrics never decide the verdict
    # explicit limits gate on them
    code, out, _ = run_diff(
        capsys, base, head, "--max-regression", "latency_p95_ms=100", "--fail-on", "regression"
    )
    assert code == 1 and "limit exceeded: latency_p95_ms moved +150 ms (limit latency_p95_ms=100)" in out
    assert (
        run_diff(capsys, base, head, "--max-regression", "cost_usd_total=25%", "--fail-on", "regression")[0]
        == 0
    )
    assert (
        run_diff(capsys, base, head, "--max-regression", "cost_usd_total=10%", "--fail-on", "regression")[0]
        == 1
    )
    assert (
        run_diff(capsys, base, head, "--max-regression", "latency_p95_ms=200", "--fail-on", "regression")[0]
        == 0
    )


def test_pair_models_aligns_two_models_on_case_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = group({**cases(30, True), **cases(10, False, "f")}, model="baseline")
    llm = group({**cases(30, True), **cases(10, True, "f")}, model="gpt-4o-mini")
    run = write_run(tmp_path / "run", baseline + llm)
    result = diff_json(capsys, run, run, "--pair-models", "baseline=gpt-4o-mini")
    (comparison,) = result["comparisons"]
    assert (comparison["base_model"], comparison["head_model"]) == ("baseline", "gpt-4o-mini")
    assert comparison["verdict"] == "improved" and len(comparison["flips"]["fail_to_pass"]) == 10
    code, out, _ = run_diff(capsys, run, run, "--pair-models", "baseline=gpt-4o-mini")
    assert "classifier-regression x baseline → gpt-4o-mini: IMPROVED" in out
    # without --pair-models each model is compared with itself
    assert {(c["base_model"], c["verdict"]) for c in diff_json(capsys, run, run)["comparisons"]} == {
        ("baseline", "no significant change"),
        ("gpt-4o-mini", "no significant change"),
    }
    code, _, err = run_diff(capsys, run, run, "--pair-models", "nope=gpt-4o-mini")
    assert code == 2 and "no model 'nope' in base" in err and "Traceback" not in err


def test_a_baseline_run_and_an_llm_run_pair_suite_by_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the example repository's story: each suite on its own offline baseline, then every suite on one LLM
    base = write_run(
        tmp_path / "baseline",
        group({**cases(8, True), **cases(12, False, "f")}, suite="classification", model="local/knn")
        + group({**cases(20, True)}, suite="extraction", model="local/patterns"),
    )
    head = write_run(
        tmp_path / "llm",
        group({**cases(8, True), **cases(12, True, "f")}, suite="classification", model="openai/gpt-4o-mini")
        + group({**cases(20, True)}, suite="extraction", model="openai/gpt-4o-mini"),
    )
    comparisons = {c["suite"]: c for c in diff_json(capsys, base, head)["comparisons"]}
    assert {s: (c["base_model"], c["head_model"]) for s, c in comparisons.items()} == {
        "classification": ("local/knn", "openai/gpt-4o-mini"),
        "extraction": ("local/patterns", "openai/gpt-4o-mini"),
    }
    assert comparisons["classification"]["verdict"] == "improved"
    assert len(comparisons["classification"]["flips"]["fail_to_pass"]) == 12
    assert comparisons["extraction"]["verdict"] == "no significant change"
    # two models of one suite on a side: which pairs are meant is not guessed
    both = write_run(tmp_path / "both", group(cases(5, True), model="a") + group(cases(5, True), model="b"))
    code, _, err = run_diff(capsys, both, head)
    assert code == 2 and "use --pair-models A=B" in err


def test_groups_in_one_run_only_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(5, True)) + group(cases(5, True), suite="retired"))
    head = write_run(tmp_path / "head", group(cases(5, True)) + group(cases(5, True), model="gpt-4o"))
    result = diff_json(capsys, base, head)
    assert result["only_in_base"] == [{"suite": "retired", "model": "gpt-4o-mini", "cases": 5}]
    assert result["only_in_head"] == [{"suite": "classifier-regression", "model": "gpt-4o", "cases": 5}]


def test_a_stale_summary_is_recomputed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(10, True)))
    head = write_run(tmp_path / "head", group(cases(10, True)))
    with (head / "records.jsonl").open("a", encoding="utf-8") as handle:  # appended after the summary
        for case in cases(10, False):
            handle.write(
                json.dumps(record("classifier-regression", "gpt-4o-mini", case, False, repeat=1)) + "\n"
            )
    (comparison,) = diff_json(capsys, base, head)["comparisons"]
    assert comparison["pass_rate"]["head"] == pytest.approx(0.5)  # not the saved summary's 1.0
    assert comparison["pass_rate"]["delta"] == pytest.approx(-0.5)


def test_large_runs_are_read_in_two_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The forked reader gives the same comparison, and its errors come back as messages (run in a
    fresh interpreter: forking is only done from a single-threaded process)."""
    base = write_run(tmp_path / "base", group({**cases(40, True), **cases(5, False, "f")}))
    head = write_run(tmp_path / "head", group({**cases(30, True), **cases(15, False, "f")}))
    newer = write_run(tmp_path / "newer", group(cases(5, True), schema_version=3), summary=False)
    script = (
        "import sys, llmops_ci.compare.runs as runs; runs.PARALLEL_MIN_BYTES = 0; "
        "import llmops_ci.compare.runs; from llmops_ci.cli import main; "
        "real = runs.read_run; "
        "runs.read_run = lambda p, role: (sys.stderr.write(f'read {role} {__import__(\"os\").getpid()}\\n'), "
        "real(p, role))[1]; sys.exit(main(sys.argv[1:]))"
    )
    import sys

    forked = subprocess.run(
        [sys.executable, "-c", script, "diff", str(base), str(head), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert forked.returncode == 0, forked.stderr
    readers = {
        line.split()[1]: line.split()[2] for line in forked.stderr.splitlines() if line.startswith("read ")
    }
    assert set(readers) == {"base", "head"}, forked.stderr
    assert readers["base"] != readers["head"]  # two processes
    assert json.loads(forked.stdout)["comparisons"] == diff_json(capsys, base, head)["comparisons"]
    failed = subprocess.run(
        [sys.executable, "-c", script, "diff", str(base), str(newer)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert failed.returncode == 2 and "results schema version 3 is newer" in failed.stderr
    assert "Traceback" not in failed.stderr


# --- formats ------------------------------------------------------------------------------------------


def test_markdown_comment_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(40, True)))
    head_outcomes = cases(40, True)
    for i in range(15):
        head_outcomes[f"c{i:03d}"] = False
    head = write_run(tmp_path / "head", group(head_outcomes, reason="saw <script> | @someone"))
    code, out, _ = run_diff(capsys, base, head, "--format", "markdown")
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("### 🔴 llmops-ci diff: regressed — 1 regressed, 0 improved")
    assert "Verdict rule: regressed: pass-rate delta &lt; 0 and p &lt; 0.05" in out
    assert "```mermaid\nxychart-beta" in out and "bar [-37.5]" in out
    assert "#### Suite `classifier-regression`" in out
    assert "| `gpt-4o-mini` | 🔴 regressed | 100.0% → 62.5% | **\u221237.5 pp**" in out
    assert "<details><summary>Flipped cases: 15 pass → fail, 0 fail → pass</summary>" in out
    # text from results cannot break the table, inject HTML or mention anyone
    assert "saw &lt;script&gt; \\| @\u200bsomeone" in out and "<script>" not in out


def test_markdown_stays_under_githubs_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = 6000
    long_reason = "x" * 400
    base = write_run(tmp_path / "base", group(cases(n, True, "a-rather-long-case-identifier-")))
    head = write_run(
        tmp_path / "head",
        group(
            {**cases(n, False, "a-rather-long-case-identifier-"), **cases(3000, True, "new-case-")},
            reason=long_reason,
        ),
    )
    code, out, _ = run_diff(capsys, base, head, "--format", "markdown")
    assert code == 0
    assert len(out) < 65_536
    assert "more (`--format json` lists all)" in out  # truncated lists say how much they left out
    assert "6,000 pass → fail" in out
    (comparison,) = diff_json(capsys, base, head)["comparisons"]
    assert len(comparison["flips"]["pass_to_fail"]) == n and len(comparison["cases"]["new"]) == 3000


def test_json_is_the_whole_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", group(cases(10, True)))
    head = write_run(tmp_path / "head", group(cases(10, True)))
    result = diff_json(capsys, base, head)
    assert result["diff_version"] == 1 and result["alpha"] == 0.05
    assert result["base"]["run_id"] == "base" and result["base"]["git_sha"] == "0123456789abcdef"
    assert result["counts"] == {
        "regressed": 0,
        "improved": 0,
        "no significant change": 1,
        "not comparable": 0,
        "breaches": 0,
    }
    assert result["artifacts"] is None


# --- a real run ---------------------------------------------------------------------------------------

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
"""


def test_diff_of_two_real_eval_runs(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    suite = textwrap.dedent(f"""\
        apiVersion: llmops-ci/v1
        kind: EvalSuite
        metadata: {{name: classifier-regression}}
        spec:
          target: {{prompt: classifier}}
          models: [{{id: openai/gpt-4o-mini-2024-07-18, api_base: "{openai_server.base_url}"}}]
          cases:
            - {{id: inv-1, vars: {{document: "INVOICE #1"}}, assert: [{{type: equals, value: invoice}}]}}
            - {{id: con-1, vars: {{document: "CONTRACT A-B"}}, assert: [{{type: equals, value: contract}}]}}
            - {{id: nda-1, vars: {{document: "NDA mutual"}}, assert: [{{type: equals, value: nda}}]}}
        """)
    repo = write_files(
        tmp_path / "repo", {"llmops.yaml": PROJECT, "prompts/p.yaml": PROMPT, "evals/s.yaml": suite}
    )
    for pattern, answer in (("INVOICE", "invoice"), ("CONTRACT", "contract"), ("NDA", "nda")):
        openai_server.reply(pattern, answer)
    assert main(["eval", "--project", str(repo), "--no-cache", "--output", str(tmp_path / "base")]) == 0
    openai_server.reset()
    for pattern, answer in (("INVOICE", "invoice"), ("CONTRACT", "nda"), ("NDA", "nda")):
        openai_server.reply(pattern, answer)
    assert main(["eval", "--project", str(repo), "--no-cache", "--output", str(tmp_path / "head")]) == 1
    capsys.readouterr()
    validator = Draft202012Validator(
        json.loads((ROOT / "schemas/results.schema.json").read_text(encoding="utf-8"))
    )
    for line in (tmp_path / "head" / "records.jsonl").read_text(encoding="utf-8").splitlines():
        assert not list(validator.iter_errors(json.loads(line)))
    result = diff_json(capsys, tmp_path / "base", tmp_path / "head")
    (comparison,) = result["comparisons"]
    assert comparison["suite"] == "classifier-regression" and comparison["pass_rate"]["paired"] == 3
    (flip,) = comparison["flips"]["pass_to_fail"]
    assert flip["case"] == "con-1" and flip["reason"].startswith("equals:")
    assert comparison["verdict"] == "no significant change"  # one flip of three is no evidence
    assert any(m["name"] == "latency_p95_ms" for m in comparison["metrics"])


# --- bad input ----------------------------------------------------------------------------------------


def test_bad_input_is_a_message_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_run(tmp_path / "good", group(cases(5, True)))
    problems: list[tuple[list[str | Path], str]] = [
        ([tmp_path / "missing", good], "base " + str(tmp_path / "missing") + ": no such results directory"),
        ([good, tmp_path], "no records.jsonl here"),
        ([good], "give two results directories"),
        ([], "nothing to compare"),
        ([good, good, "--pair-models", "justone"], "expected BASE_MODEL=HEAD_MODEL"),
        (
            [good, good, "--max-regression", "latency_p59_ms=3"],
            "unknown metric 'latency_p59_ms' (did you mean",
        ),
        ([good, good, "--max-regression", "latency_p95_ms=fast"], "is not a number"),
        ([good, good, "--alpha", "1.5"], "Invalid value for '--alpha'"),
    ]
    newer = write_run(tmp_path / "newer", group(cases(5, True), schema_version=2), summary=False)
    problems.append(([good, newer], "results schema version 2 is newer than this llmops-ci reads"))
    newer_summary = write_run(tmp_path / "newer-summary", group(cases(5, True)))
    summary = json.loads((newer_summary / "summary.json").read_text(encoding="utf-8"))
    (newer_summary / "summary.json").write_text(
        json.dumps({**summary, "schema_version": 7}), encoding="utf-8"
    )
    problems.append(([good, newer_summary], "results schema version 7 is newer"))
    other_cases = write_run(tmp_path / "other-cases", group(cases(5, True, "z")))
    problems.append(([good, other_cases], "share no case"))
    other_suite = write_run(tmp_path / "other-suite", group(cases(5, True), suite="other", model="gpt-4o"))
    problems.append(([good, other_suite], "share no suite x model"))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "records.jsonl").write_text("", encoding="utf-8")
    problems.append(([good, empty], "holds no records"))
    for args, message in problems:
        code, out, err = run_diff(capsys, *args)
        assert code == 2, (args, out, err)
        assert message in err, (args, err)
        assert "Traceback" not in err and "internal error" not in err


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_diff(capsys, "--help")
    assert code == 0
    for option in (
        "--artifacts BASE_REF HEAD_REF",
        "--pair-models A=B",
        "--max-regression METRIC=LIMIT",
        "--fail-on",
        "--alpha",
        "[text|markdown|json]",
    ):
        assert option in out


# --- artifact diff ------------------------------------------------------------------------------------

BASE_PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}, lang: {type: string}}}
  messages:
    - role: system
      content: "Classify the document: invoice, contract or nda.\\nAnswer with the label only."
    - {role: user, content: "{{ document }}"}
  guardrails: [pii-default]
"""
HEAD_PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  # a comment and a different layout change nothing by themselves
  model:
    id: openai/gpt-4o-2024-08-06
    params: {temperature: 0.2, max_tokens: 20}
  inputs: {type: object, required: [document], properties: {document: {type: string}, tone: {type: string}}}
  messages:
    - role: system
      content: |-
        Classify the business document: invoice, contract, nda or purchase-order.
        Answer with the label only.
    - {role: user, content: "{{ document }} {{ tone }}"}
  guardrails: [pii-default]
"""
BASE_POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: pii-default}
spec:
  checks:
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS], scopes: {input: redact, output: block}}
    - {id: secrets, type: secrets, scopes: {input: block, output: block}}
"""
HEAD_POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: pii-default}
spec:
  checks:
    - {id: denylist, type: denylist, terms: [foo], scopes: {input: block, output: block}}
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS, PHONE_NUMBER], scopes: {input: redact, output: block}}
"""
OTHER_PROMPT = BASE_PROMPT.replace("name: classifier", "name: summarizer").replace(
    "guardrails: [pii-default]\n", ""
)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository: tag base, then a commit that edits, adds, removes and moves artifacts."""
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": BASE_PROMPT,
            "prompts/summarizer.yaml": OTHER_PROMPT,
            "guardrails/pii.yaml": BASE_POLICY,
            ".github/workflows/ci.yaml": "on: push\njobs: {}\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "dev")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "tag", "base")
    (root / "prompts/summarizer.yaml").unlink()
    (root / "guardrails/pii.yaml").unlink()
    write_files(
        root,
        {
            "prompts/classifier.yaml": HEAD_PROMPT,
            "policies/pii.yaml": HEAD_POLICY,
            "prompts/translator.yaml": OTHER_PROMPT.replace("summarizer", "translator"),
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "head")
    (root / "prompts/classifier.yaml").write_text(
        "uncommitted: true\n", encoding="utf-8"
    )  # ignored: refs only
    return root


def test_artifact_diff_between_git_refs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = diff_json(capsys, "--artifacts", "base", "HEAD", "-C", repo)
    artifacts = result["artifacts"]
    assert result["base"] is None and artifacts["base_ref"] == "base" and artifacts["head_ref"] == "HEAD"
    assert artifacts["added"] == [{"kind": "Prompt", "name": "translator", "path": "prompts/translator.yaml"}]
    assert artifacts["removed"] == [
        {"kind": "Prompt", "name": "summarizer", "path": "prompts/summarizer.yaml"}
    ]
    changed = {(c["kind"], c["name"]): c for c in artifacts["changed"]}
    assert set(changed) == {("GuardrailPolicy", "pii-default"), ("Prompt", "classifier")}
    prompt = changed[("Prompt", "classifier")]
    assert prompt["areas"] == ["inputs", "model", "params", "template"]
    assert prompt["inputs_added"] == ["tone"] and prompt["inputs_removed"] == ["lang"]
    fields = {f["path"]: f for f in prompt["fields"]}
    assert fields["spec.model.id"] == {
        "path": "spec.model.id",
        "change": "changed",
        "base": '"openai/gpt-4o-mini-2024-07-18"',
        "head": '"openai/gpt-4o-2024-08-06"',
    }
    assert (
        fields["spec.model.params.temperature"]["base"] == "0"
        and fields["spec.model.params.temperature"]["head"] == "0.2"
    )
    diff = prompt["template_diff"]
    assert diff.startswith("--- base:prompts/classifier.yaml\n+++ HEAD:prompts/classifier.yaml")
    assert (
        "-Classify the document: invoice, contract or nda." in diff and "+{{ document }} {{ tone }}" in diff
    )
    assert " Answer with the label only." in diff  # unchanged line as context
    policy = changed[("GuardrailPolicy", "pii-default")]
    assert policy["moved_from"] == "guardrails/pii.yaml" and policy["path"] == "policies/pii.yaml"
    assert (policy["checks_added"], policy["checks_removed"], policy["checks_changed"]) == (
        ["denylist"],
        ["secrets"],
        ["pii"],
    )
    assert [f["path"] for f in policy["fields"]] == ["spec.checks[pii].entities[1]"]


def test_artifact_diff_appears_above_the_numbers(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_run(tmp_path / "base", group(cases(10, True)))
    head = write_run(tmp_path / "head", group(cases(10, True)))
    code, out, _ = run_diff(
        capsys, base, head, "--artifacts", "base", "HEAD", "-C", repo, "--format", "markdown"
    )
    assert code == 0
    assert out.index("#### Artifact changes `base` → `HEAD`") < out.index(
        "#### Suite `classifier-regression`"
    )
    assert "- inputs added: `tone`" in out and "- guardrail checks removed: `secrets`" in out
    assert "<details><summary>Template diff</summary>" in out and "```diff" in out
    assert "Added: Prompt/translator (`prompts/translator.yaml`)" in out
    code, out, _ = run_diff(capsys, base, head, "--artifacts", "base", "HEAD", "-C", repo)
    assert out.index("artifacts base → HEAD:") < out.index("classifier-regression x gpt-4o-mini")
    assert "    spec.model.params.temperature: 0 → 0.2" in out


def test_no_artifact_change_and_bad_refs(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_diff(capsys, "--artifacts", "HEAD", "HEAD", "-C", repo)
    assert code == 0 and "no artifact changed" in out
    code, _, err = run_diff(capsys, "--artifacts", "base", "no-such-ref", "-C", repo)
    assert code == 2 and "unknown git ref 'no-such-ref'" in err and "Traceback" not in err
    code, _, err = run_diff(capsys, "--artifacts", "--upload-pack=x", "HEAD", "-C", repo)
    assert code == 2 and "is not a git ref" in err
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    code, _, err = run_diff(capsys, "--artifacts", "base", "HEAD", "-C", outside)
    assert code == 2 and "Traceback" not in err


def test_artifact_diff_of_a_project_in_a_subdirectory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mono"
    write_files(
        root, {"svc/llmops.yaml": PROJECT, "svc/prompts/c.yaml": BASE_PROMPT, "other/c.yaml": OTHER_PROMPT}
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "dev")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    for relative in ("svc/prompts/c.yaml", "other/c.yaml"):
        path = root / relative
        path.write_text(
            path.read_text(encoding="utf-8").replace("temperature: 0,", "temperature: 0.5,"), "utf-8"
        )
    git(root, "commit", "-qam", "head")
    # -C below the project root: the project is the nearest llmops.yaml above it
    artifacts = diff_json(capsys, "--artifacts", "HEAD~1", "HEAD", "-C", root / "svc" / "prompts")[
        "artifacts"
    ]
    (change,) = artifacts["changed"]
    assert (change["name"], change["path"], change["areas"]) == ("classifier", "prompts/c.yaml", ["params"])
