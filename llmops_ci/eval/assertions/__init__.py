"""The deterministic assertions, and :func:`evaluate` / :func:`case_passes` that apply them.

``ASSERTIONS`` maps a catalog type name (see :mod:`llmops_ci.eval.assertion_types`) to its check;
``GRADED`` holds the model-graded ones and ``CONTEXTUAL`` those that need the run's context (the
``guardrail`` assertion reads the run's compiled policies); ``NOT_IMPLEMENTED`` names catalog types with
no implementation in this version. Together they are exactly the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type, validate_params
from llmops_ci.eval.assertions import agent, json_checks, performance, python_check, refusal, similarity, text
from llmops_ci.eval.assertions.base import (
    AssertionParamError,
    AssertionResult,
    Check,
    Output,
    UnsupportedAssertionError,
    Verdict,
)
from llmops_ci.eval.assertions.common import at_least
from llmops_ci.eval.assertions.guardrail import GuardContext, check_guardrail
from llmops_ci.eval.assertions.model_graded import GRADED, Grading, GradingError

__all__ = [
    "ASSERTIONS",
    "CONTEXTUAL",
    "GRADED",
    "NOT_IMPLEMENTED",
    "AssertionParamError",
    "AssertionResult",
    "Grading",
    "GradingError",
    "Output",
    "UnsupportedAssertionError",
    "Verdict",
    "case_passes",
    "evaluate",
    "evaluate_async",
]

ASSERTIONS: dict[str, Check] = {
    "equals": text.check_equals,
    "contains": text.check_contains,
    "icontains": text.check_icontains,
    "contains-any": text.check_contains_any,
    "contains-all": text.check_contains_all,
    "starts-with": text.check_starts_with,
    "regex": text.check_regex,
    "is-json": json_checks.check_is_json,
    "json-schema": json_checks.check_json_schema,
    "json-path": json_checks.check_json_path,
    "word-count": text.check_word_count,
    "length": text.check_length,
    "levenshtein": similarity.check_levenshtein,
    "rouge-l": similarity.check_rouge_l,
    "bleu": similarity.check_bleu,
    "latency": performance.check_latency,
    "cost": performance.check_cost,
    "tokens": performance.check_tokens,
    "is-refusal": refusal.check_is_refusal,
    "python": python_check.check_python,
    # agent suites (llmops_ci.eval.assertions.agent)
    "is-valid-tool-call": agent.check_is_valid_tool_call,
    "tool-called": agent.check_tool_called,
    "tool-sequence": agent.check_tool_sequence,
    "tool-args-match": agent.check_tool_args_match,
    "step-count": agent.check_step_count,
}

#: Types that need the run's context (compiled guardrail policies, and the grader for model checks).
CONTEXTUAL = {"guardrail": check_guardrail}

#: Catalog types with no implementation in this version (and why).
NOT_IMPLEMENTED: dict[str, str] = {}

#: Types whose check reads ``threshold`` itself (levenshtein: a whole number is an edit distance;
#: rouge-l, bleu and the graded ones: a default threshold when none is given). Others: score >= threshold.
_OWN_THRESHOLD = frozenset({"levenshtein", "rouge-l", "bleu", *GRADED})


def evaluate(spec: dict[str, Any], output: Output) -> AssertionResult:
    """Run one assertion mapping on ``output``: parameters checked, then threshold, ``not-``, weight.

    Raises :class:`AssertionParamError` for an unknown type or bad parameters, and its subclass
    :class:`UnsupportedAssertionError` for a catalog type with no implementation here.
    """
    name, kind = _validated(spec)
    return _finish(spec, name, kind, _check_for(name, kind)(output, spec))


async def evaluate_async(spec: dict[str, Any], output: Output, grading: GuardContext) -> AssertionResult:
    """:func:`evaluate`, plus the model-graded types, whose grader calls go through ``grading``, and the
    contextual ones, which read the run's compiled policies from it."""
    name, kind = _validated(spec)
    if kind in CONTEXTUAL:
        return _finish(spec, name, kind, await CONTEXTUAL[kind](output, spec, grading))
    if kind not in GRADED:
        return _finish(spec, name, kind, _check_for(name, kind)(output, spec))
    result = _finish(spec, name, kind, await GRADED[kind](output, spec, grading))
    result.grader = grading.describe(spec)
    return result


def _validated(spec: dict[str, Any]) -> tuple[str, str]:
    name = str(spec.get("type", ""))
    kind = base_type(name)
    if kind not in ASSERTIONS and kind not in GRADED and kind not in CONTEXTUAL:
        _check_for(name, kind)  # raises the right error
    problems = validate_params(spec)
    if problems:
        raise AssertionParamError("; ".join(problems))
    return name, kind


def _finish(spec: dict[str, Any], name: str, kind: str, result: Verdict) -> AssertionResult:
    passed, score, reason = result.passed, min(max(result.score, 0.0), 1.0), result.reason
    threshold = spec.get("threshold")
    if threshold is not None and kind not in _OWN_THRESHOLD:
        passed = at_least(score, threshold)
        reason = f"{reason} (score {score:.3f} {'>=' if passed else '<'} threshold {threshold:g})"
    if name != kind:
        passed, score, reason = not passed, 1.0 - score, f"negated: {reason}"
    weight = float(spec.get("weight", 1.0))
    return AssertionResult(name, passed, score, reason, weight, spec.get("metric"))


def _check_for(name: str, kind: str) -> Check:
    if kind in ASSERTIONS:
        return ASSERTIONS[kind]
    if kind in GRADED or kind in CONTEXTUAL:
        raise UnsupportedAssertionError(f"assertion type {name!r} needs a run's context: use evaluate_async")
    if kind in NOT_IMPLEMENTED:
        raise UnsupportedAssertionError(
            f"assertion type {name!r} is not available in this version yet ({NOT_IMPLEMENTED[kind]})"
        )
    from llmops_ci.artifacts.schemas import did_you_mean

    raise AssertionParamError(f"unknown assertion type {name!r}{did_you_mean(kind, ASSERTION_TYPES)}")


def case_passes(results: Iterable[AssertionResult], threshold: float | None = None) -> tuple[bool, float]:
    """``(passed, weighted score)`` of a case (promptfoo semantics).

    The score is the weight-weighted mean of the assertion scores (1.0 with no assertions; with all
    weights 0, 1.0 when every assertion passed, else 0.0). Without a threshold the case passes when
    every assertion passed, whatever its weight; with one, when the score is at least the threshold.
    """
    results = list(results)
    total_weight = sum(result.weight for result in results)
    all_passed = all(result.passed for result in results)
    if total_weight > 0:
        score = sum(result.score * result.weight for result in results) / total_weight
    else:
        score = 1.0 if all_passed else 0.0
    return (all_passed if threshold is None else at_least(score, threshold)), score
