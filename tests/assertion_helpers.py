"""Functions the ``python`` assertion tests point at (``tests.assertion_helpers:<name>``)."""

from __future__ import annotations

from typing import Any

NOT_A_FUNCTION = 42


def mentions_name(output: str, context: dict[str, Any]) -> bool:
    return str(context["vars"]["name"]) in output


def share_of_value_words(output: str, context: dict[str, Any]) -> float:
    words = str(context["value"]).split()
    return sum(word in output for word in words) / len(words)


def graded(output: str, context: dict[str, Any]) -> dict[str, Any]:
    return {"pass": output.startswith("ok"), "score": 0.75, "reason": "graded by helper"}


def score_only(output: str, context: dict[str, Any]) -> dict[str, Any]:
    return {"score": 0.0 if "bad" in output else 0.9}


def echo_context(output: str, context: dict[str, Any]) -> dict[str, Any]:
    keys = ",".join(sorted(context))
    return {"pass": True, "reason": f"{keys}|{context['expected']}|{context['latency_ms']}"}


def explodes(output: str, context: dict[str, Any]) -> bool:
    raise RuntimeError("helper blew up")


def returns_text(output: str, context: dict[str, Any]) -> str:
    return "yes"


def returns_big_score(output: str, context: dict[str, Any]) -> float:
    return 7.5


def returns_bad_pass(output: str, context: dict[str, Any]) -> dict[str, Any]:
    return {"pass": "yes"}


def returns_empty_mapping(output: str, context: dict[str, Any]) -> dict[str, Any]:
    return {}
