"""Helpers the assertion families share: text normalisation, short quoting, ranges, comparisons."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from llmops_ci.eval.assertions.base import Verdict, verdict

#: Scores are compared with this slack so that float sums such as 0.1 + 0.2 meet a 0.3 threshold.
EPSILON = 1e-9
_SHORT = 80


def normalize(text: str, case_sensitive: bool = True) -> str:
    """NFC-normalised text, case-folded when ``case_sensitive`` is false (``ß`` matches ``SS``)."""
    text = unicodedata.normalize("NFC", text)
    return text if case_sensitive else text.casefold()


def case_sensitive(spec: dict[str, Any]) -> bool:
    return bool(spec.get("case_sensitive", True))


def short(value: Any) -> str:
    """A value quoted for a reason: JSON, unicode kept, cut to about 80 characters."""
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= _SHORT else shown[: _SHORT - 1] + "…"


def at_least(score: float, threshold: float) -> bool:
    return score + EPSILON >= threshold


def within(count: float, spec: dict[str, Any], noun: str) -> Verdict:
    """Pass when ``count`` is within the spec's min..max (either bound may be absent)."""
    low, high = spec.get("min"), spec.get("max")
    if low is not None and count < low:
        return verdict(False, f"{_number(count)} {noun}, expected at least {_number(low)}")
    if high is not None and count > high:
        return verdict(False, f"{_number(count)} {noun}, expected at most {_number(high)}")
    return verdict(True, f"{_number(count)} {noun}, within {_bounds(low, high)}")


def _bounds(low: float | None, high: float | None) -> str:
    if low is None:
        return f"at most {_number(high)}"
    if high is None:
        return f"at least {_number(low)}"
    return f"{_number(low)}..{_number(high)}"


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
