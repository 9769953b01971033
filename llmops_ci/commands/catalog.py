"""``llmops-ci metrics`` and ``llmops-ci assertions``: the registries thresholds and suites name."""

from __future__ import annotations

import sys

from llmops_ci.errors import EXIT_OK
from llmops_ci.eval.assertion_types import ASSERTION_TYPES
from llmops_ci.eval.metrics import METRICS


def run_metrics() -> int:
    for metric in METRICS.values():
        sys.stdout.write(
            f"{metric.name:<24} {metric.category:<12} {metric.direction + ' is better':<17} "
            f"{metric.unit:<9} {metric.description}\n"
        )
    return EXIT_OK


def run_assertions() -> int:
    for assertion in ASSERTION_TYPES.values():
        grading = (
            "grader model" if assertion.model_graded else "embeddings" if assertion.needs_embeddings else ""
        )
        sys.stdout.write(f"{assertion.name:<22} {grading:<13} {assertion.summary}\n")
    sys.stdout.write("\nPrefix any type with 'not-' to negate it.\n")
    return EXIT_OK
