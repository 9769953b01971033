"""What an assertion sees and returns.

An assertion implementation is a function ``check(output, spec) -> Verdict`` registered in
``llmops_ci.eval.assertions.ASSERTIONS`` under its type name; the JSON Schema of the assertion
mapping's parameters is the type's ``params`` in :mod:`llmops_ci.eval.assertion_types` (validated
before any model call, so a check may rely on it). Negation (``not-``), ``weight``,
``threshold`` and ``metric`` are applied by :func:`llmops_ci.eval.assertions.evaluate`, not by each check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Output:
    """One model response and what is known about the call that produced it."""

    text: str
    vars: dict[str, Any] = field(default_factory=dict)
    json: Any = None  # parsed output when it parses as JSON (None otherwise; see json_error)
    json_error: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    context: list[dict[str, Any]] = field(default_factory=list)  # retrieved chunks (RAG)
    expected: Any = None  # the case's reference answer, if any
    raw_text: str | None = None  # the model's own text when output guardrails changed or blocked it


@dataclass
class Verdict:
    """A check's answer before negation/weighting: passed, a score in [0, 1], and why."""

    passed: bool
    score: float
    reason: str


class AssertionParamError(ValueError):
    """The assertion mapping has bad parameters (reported at plan time, before any model call)."""


class UnsupportedAssertionError(AssertionParamError):
    """The type is in the catalog but this version has no implementation of it yet."""


Check = Callable[[Output, dict[str, Any]], Verdict]


def verdict(passed: bool, reason: str, score: float | None = None) -> Verdict:
    return Verdict(passed, (1.0 if passed else 0.0) if score is None else score, reason)


@dataclass
class AssertionResult:
    """One assertion's outcome after negation and threshold: what reports and case scoring use."""

    type: str  # as written, e.g. "not-contains"
    passed: bool
    score: float
    reason: str
    weight: float = 1.0
    metric: str | None = None
    grader: dict[str, Any] | None = None  # model and params of the grader, for model-graded types
