"""The metrics ``llmops-ci monitor`` measures over a set of audited calls, and that alert rules name.

Each has a direction: for ``max`` metrics higher is worse (an alert's default test is ``value > limit``),
for ``min`` metrics lower is worse (default ``value < limit``). A metric with no value over the calls
(no call, no priced call, no answer checked for groundedness, no baseline) is reported as ``None`` and
never fires an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["max", "min"]


@dataclass(frozen=True)
class MonitorMetric:
    name: str
    direction: Direction
    description: str
    #: measured between the baseline and the window (not per day)
    drift: bool = False


_ALL = [
    MonitorMetric("calls", "max", "number of audited calls"),
    MonitorMetric("cost_usd", "max", "sum of cost_usd over the calls (unpriced calls count 0; see unpriced)"),
    MonitorMetric("cost_usd_per_call", "max", "mean cost_usd of the priced calls"),
    MonitorMetric("tokens_input", "max", "sum of input tokens"),
    MonitorMetric("tokens_output", "max", "sum of output tokens"),
    MonitorMetric("tokens_total", "max", "sum of input and output tokens"),
    MonitorMetric("error_rate", "max", "share of calls whose every model failed (outcome error)"),
    MonitorMetric("block_rate", "max", "share of calls a guardrail blocked (outcome blocked)"),
    MonitorMetric(
        "trigger_rate", "max", "share of calls with at least one guardrail finding (of where.check, if set)"
    ),
    MonitorMetric("fallback_rate", "max", "share of answered calls a fallback model answered"),
    MonitorMetric("latency_mean_ms", "max", "mean latency_ms"),
    MonitorMetric("latency_p95_ms", "max", "95th percentile of latency_ms (nearest rank)"),
    MonitorMetric("groundedness_mean", "min", "mean lexical groundedness of the sampled answers"),
    MonitorMetric(
        "hallucination_rate", "max", "share of the sampled answers with at least one unsupported sentence"
    ),
    MonitorMetric(
        "faithfulness_mean", "min", "mean grader score (context faithfulness) of the sampled answers"
    ),
    MonitorMetric(
        "term_jsd", "max", "Jensen-Shannon divergence of the queries' terms, baseline to window", True
    ),
    MonitorMetric(
        "vocabulary_new_fraction", "max", "share of the window's query terms the baseline never used", True
    ),
    MonitorMetric(
        "query_length_shift", "max", "relative change of the mean query length in words (signed)", True
    ),
    MonitorMetric(
        "topk_changed_fraction", "max", "share of queries asked in both windows whose chunk ids changed", True
    ),
    MonitorMetric("topk_mean_jaccard", "min", "mean Jaccard overlap of those queries' chunk ids", True),
]

MONITOR_METRICS: dict[str, MonitorMetric] = {metric.name: metric for metric in _ALL}
