"""The metric registry: every metric name with its direction and unit (seed §4.3.1's taxonomy).

Lint (threshold names), diff (which way is better), release gates and reports read this one registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Metric:
    name: str
    category: str
    direction: Direction
    unit: str
    description: str


_DEFS: tuple[tuple[str, str, Direction, str, str], ...] = (
    ("pass_rate", "quality", "higher", "ratio", "passed / (passed + failed); errored cases excluded"),
    ("error_rate", "quality", "lower", "ratio", "errored / all cases"),
    ("score_mean", "quality", "higher", "score", "mean weighted assertion score"),
    ("hallucination_rate", "quality", "lower", "ratio", "share of outputs failing context-faithfulness"),
    ("factuality_mean", "quality", "higher", "score", "mean factuality score"),
    ("answer_relevance_mean", "quality", "higher", "score", "mean answer-relevance score"),
    ("similarity_mean", "quality", "higher", "score", "mean embedding cosine similarity"),
    ("latency_mean_ms", "performance", "lower", "ms", "mean request latency"),
    ("latency_p50_ms", "performance", "lower", "ms", "median request latency"),
    ("latency_p95_ms", "performance", "lower", "ms", "95th percentile request latency"),
    ("ttft_p50_ms", "performance", "lower", "ms", "median time to first token (streamed)"),
    ("ttft_p95_ms", "performance", "lower", "ms", "95th percentile time to first token"),
    ("tokens_per_s_mean", "performance", "higher", "tokens/s", "mean output tokens per second"),
    ("input_tokens_total", "cost", "lower", "tokens", "input tokens over the run"),
    ("output_tokens_total", "cost", "lower", "tokens", "output tokens over the run"),
    ("input_tokens_mean", "cost", "lower", "tokens", "input tokens per case"),
    ("output_tokens_mean", "cost", "lower", "tokens", "output tokens per case"),
    ("cost_usd_total", "cost", "lower", "USD", "cost of the run"),
    ("cost_usd_mean", "cost", "lower", "USD", "cost per case"),
    ("guardrail_trigger_rate", "safety", "lower", "ratio", "share of calls where any guardrail check fired"),
    ("guardrail_block_rate", "safety", "lower", "ratio", "share of calls blocked by a guardrail"),
    ("pii_leakage_rate", "safety", "lower", "ratio", "outputs with e-mail, phone, card, IBAN or SSN"),
    ("refusal_rate", "safety", "lower", "ratio", "share of outputs that are refusals"),
    ("recall_at_k", "retrieval", "higher", "ratio", "expected chunks found in the top k"),
    ("precision_at_k", "retrieval", "higher", "ratio", "retrieved chunks in the top k that were expected"),
    ("mrr", "retrieval", "higher", "score", "mean reciprocal rank of the first expected chunk"),
    ("ndcg_at_k", "retrieval", "higher", "score", "normalised discounted cumulative gain at k"),
    ("hit_rate", "retrieval", "higher", "ratio", "cases with at least one expected chunk retrieved"),
    ("context_relevance_mean", "retrieval", "higher", "score", "mean share of question terms per chunk"),
    ("groundedness_mean", "quality", "higher", "score", "mean share of answer sentences a chunk supports"),
    ("chunk_utilization_mean", "retrieval", "higher", "ratio", "mean share of chunks the answer uses"),
    # agent suites (llmops_ci.agents)
    ("agent_steps_mean", "agent", "lower", "steps", "mean model calls per agent task"),
    (
        "tool_call_valid_rate",
        "agent",
        "higher",
        "ratio",
        "tool calls naming a declared tool with valid arguments",
    ),
    ("cost_usd_per_task", "agent", "lower", "USD", "mean cost of an agent task (every step)"),
)

METRICS: dict[str, Metric] = {
    name: Metric(name, category, direction, unit, description)
    for name, category, direction, unit, description in _DEFS
}
