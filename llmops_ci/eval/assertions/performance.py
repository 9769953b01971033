"""Call checks: latency, cost and output tokens, read from what the provider reported."""

from __future__ import annotations

from typing import Any

from llmops_ci.eval.assertions.base import Output, Verdict, verdict
from llmops_ci.eval.assertions.common import within


def check_latency(output: Output, spec: dict[str, Any]) -> Verdict:
    if output.latency_ms is None:
        return verdict(False, "latency unknown")
    return within(output.latency_ms, spec, "ms")


def check_cost(output: Output, spec: dict[str, Any]) -> Verdict:
    if output.cost_usd is None:
        return verdict(False, "cost unknown")
    return within(output.cost_usd, spec, "USD")


def check_tokens(output: Output, spec: dict[str, Any]) -> Verdict:
    if output.output_tokens is None:
        return verdict(False, "output token count unknown")
    return within(output.output_tokens, spec, "output tokens")
