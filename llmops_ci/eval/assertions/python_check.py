"""python: a user function ``module:function`` decides. It never crashes the eval.

The function is called as ``function(output_text, context)`` where ``context`` is a dict with
``vars``, ``value``, ``threshold``, ``expected``, ``json``, ``context`` (retrieved chunks),
``latency_ms``, ``cost_usd``, ``input_tokens``, ``output_tokens`` and ``assertion`` (the mapping).
It returns a bool, a score in 0..1 (passes when > 0, or >= threshold when one is given), or a
mapping ``{"pass": bool, "score": float, "reason": str}`` (score and reason optional; pass may be
left out when score is given). Anything raised becomes a failed verdict naming the exception.
The module is imported with :func:`importlib.import_module`, so it must be importable (the eval
runner puts the project root on ``sys.path``).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

from llmops_ci.eval.assertions.base import Output, Verdict, verdict

_SHAPE = "a bool, a number in 0..1, or a mapping {pass, score, reason}"


def import_function(reference: str) -> Callable[..., Any]:
    """``package.module:function`` -> the function (ImportError / AttributeError / TypeError)."""
    module_name, _, function_name = reference.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), function_name)
    if not callable(function):
        raise TypeError(f"{reference} is not a function")
    return function


def check_python(output: Output, spec: dict[str, Any]) -> Verdict:
    reference = spec["function"]
    try:
        function = import_function(reference)
    except Exception as error:
        return verdict(False, f"cannot load {reference}: {type(error).__name__}: {error}")
    try:
        result = function(output.text, _context(output, spec))
    except Exception as error:
        return verdict(False, f"{reference} raised {type(error).__name__}: {error}")
    return _normalize(reference, result)


def _context(output: Output, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "vars": dict(output.vars),
        "value": spec.get("value"),
        "threshold": spec.get("threshold"),
        "expected": output.expected,
        "json": output.json,
        "context": list(output.context),
        "latency_ms": output.latency_ms,
        "cost_usd": output.cost_usd,
        "input_tokens": output.input_tokens,
        "output_tokens": output.output_tokens,
        "assertion": dict(spec),
    }


def _normalize(reference: str, result: Any) -> Verdict:
    if isinstance(result, bool):
        return verdict(result, f"{reference} returned {result}")
    if isinstance(result, (int, float)):
        return _scored(reference, float(result), None)
    if isinstance(result, dict):
        return _from_mapping(reference, result)
    return verdict(False, f"{reference} returned {type(result).__name__}; expected {_SHAPE}")


def _scored(reference: str, score: float, passed: bool | None, reason: str | None = None) -> Verdict:
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        return verdict(False, f"{reference} returned score {score}, outside 0..1")
    shown = reason or f"{reference} returned score {score:g}"
    return verdict(score > 0 if passed is None else passed, shown, score)


def _from_mapping(reference: str, result: dict[str, Any]) -> Verdict:
    passed, score, reason = result.get("pass"), result.get("score"), result.get("reason")
    if passed is not None and not isinstance(passed, bool):
        return verdict(False, f"{reference} returned 'pass' as {type(passed).__name__}; expected {_SHAPE}")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        return verdict(False, f"{reference} returned 'score' as {type(score).__name__}; expected {_SHAPE}")
    if passed is None and score is None:
        return verdict(False, f"{reference} returned a mapping without 'pass' or 'score'; expected {_SHAPE}")
    text = str(reason) if reason is not None else None
    if score is None:
        return verdict(bool(passed), text or f"{reference} returned pass={passed}")
    return _scored(reference, float(score), passed, text)
