"""Alert rules (``spec.monitoring.alerts`` in llmops.yaml) and the values they judge.

A rule names a metric of :data:`llmops_ci.monitoring.metrics.MONITOR_METRICS`, a ``limit``, and
optionally ``op`` (``>``, ``>=``, ``<``, ``<=``; default ``>`` for metrics where higher is worse, ``<`` for
the others), ``window`` (``all``: the whole window, the default; ``day``: each UTC day on its own, and the
rule fires when any day does) and ``where`` (only the calls whose ``prompt``, ``version``, ``model``,
``env`` or ``owner`` match; ``check`` narrows ``trigger_rate`` to one guardrail check, ``policy/check`` or
the bare check id). The rule *fires* when ``value op limit`` holds; a metric without a value (no calls, no
baseline, no answer checked) does not fire and is reported as such. Drift metrics compare the window with
the baseline and take ``window: all`` only.

Example::

    spec:
      monitoring:
        alerts:
          - {name: daily-spend, metric: cost_usd, limit: 25, window: day}
          - {name: pii-leaks, metric: trigger_rate, where: {check: pii}, limit: 0.02}
          - {name: grounded-answers, metric: groundedness_mean, limit: 0.8}
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.artifacts.loader import ProjectConfig
from llmops_ci.artifacts.schemas import did_you_mean
from llmops_ci.errors import ProjectConfigError
from llmops_ci.monitoring import analysis
from llmops_ci.monitoring.analysis import Grounded
from llmops_ci.monitoring.logs import Call
from llmops_ci.monitoring.metrics import MONITOR_METRICS

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
WHERE_KEYS = ("prompt", "version", "model", "env", "owner", "check")


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    op: str
    limit: float
    window: str = "all"
    where: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def describe(self) -> str:
        scope = ", ".join(f"{key}={value}" for key, value in self.where.items())
        per = " per day" if self.window == "day" else ""
        return f"{self.metric}{f' [{scope}]' if scope else ''}{per} {self.op} {self.limit:g}"


@dataclass
class Alert:
    """A rule's outcome: ``value`` (the worst day's with ``window: day``), whether it fired, and on which
    days."""

    rule: Rule
    value: float | None
    fired: bool
    days: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.rule.name,
            "metric": self.rule.metric,
            "op": self.rule.op,
            "limit": self.rule.limit,
            "window": self.rule.window,
            "where": dict(self.rule.where),
            "value": None if self.value is None else round(self.value, 6),
            "fired": self.fired,
            "days": self.days,
            "description": self.rule.description,
        }


def _problem(config: ProjectConfig, path: tuple[str | int, ...], message: str) -> ProjectConfigError:
    where = config.artifact.position(path) if config.artifact is not None else None
    rel = config.artifact.rel if config.artifact is not None else "llmops.yaml"
    location = f"{rel}:{where.line}:{where.col}" if where is not None else rel
    return ProjectConfigError(f"{location}: spec.monitoring.alerts: {message}")


def load_rules(config: ProjectConfig) -> list[Rule]:
    """The alert rules of llmops.yaml, checked: a wrong rule is an error naming its file and line."""
    monitoring = config.spec.get("monitoring")
    raw = monitoring.get("alerts", []) if isinstance(monitoring, dict) else []
    if not isinstance(raw, list):
        raise _problem(config, ("spec", "monitoring", "alerts"), "must be a list of rules")
    rules: list[Rule] = []
    for position, item in enumerate(raw):
        rules.append(_rule(config, position, item))
    names = [rule.name for rule in rules]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise _problem(config, ("spec", "monitoring", "alerts"), f"rule name {duplicated[0]!r} is used twice")
    return rules


def _rule(config: ProjectConfig, position: int, item: Any) -> Rule:
    path: tuple[str | int, ...] = ("spec", "monitoring", "alerts", position)
    if not isinstance(item, dict):
        raise _problem(config, path, "a rule is a mapping {name, metric, limit, op?, window?, where?}")
    missing = [key for key in ("name", "metric", "limit") if key not in item]
    if missing:
        raise _problem(config, path, f"rule lacks {', '.join(missing)}")
    metric = str(item["metric"])
    known = MONITOR_METRICS.get(metric)
    if known is None:
        hint = did_you_mean(metric, MONITOR_METRICS)
        raise _problem(
            config, (*path, "metric"), f"unknown metric {metric!r}{hint} (llmops-ci monitor --list-metrics)"
        )
    limit = item["limit"]
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise _problem(config, (*path, "limit"), f"limit must be a number, got {limit!r}")
    op = str(item.get("op", ">" if known.direction == "max" else "<"))
    if op not in OPS:
        raise _problem(config, (*path, "op"), f"op must be one of {', '.join(OPS)}, got {op!r}")
    window = str(item.get("window", "all"))
    if window not in ("all", "day"):
        raise _problem(config, (*path, "window"), f"window must be 'all' or 'day', got {window!r}")
    if window == "day" and known.drift:
        raise _problem(
            config, (*path, "window"), f"{metric} compares the window with the baseline: use 'all'"
        )
    where = item.get("where") or {}
    if not isinstance(where, dict) or any(key not in WHERE_KEYS for key in where):
        raise _problem(config, (*path, "where"), f"where takes only {', '.join(WHERE_KEYS)}")
    if "check" in where and metric != "trigger_rate":
        raise _problem(config, (*path, "where"), "where.check applies to trigger_rate only")
    return Rule(
        name=str(item["name"]),
        metric=metric,
        op=op,
        limit=float(limit),
        window=window,
        where={str(k): str(v) for k, v in where.items()},
        description=str(item.get("description", "")),
    )


# --- values -------------------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What metric values are computed from: the window's calls, the baseline's, the checked answers by
    call id, and the owner of each prompt."""

    calls: Sequence[Call]
    baseline: Sequence[Call] = ()
    grounded: Mapping[str, Grounded] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)

    def owner(self, call: Call) -> str:
        return self.owners.get(str(call.get("prompt")), "(no owner)")


def matches(call: Call, where: Mapping[str, str], facts: Facts) -> bool:
    for key, wanted in where.items():
        if key == "check":
            continue
        actual = facts.owner(call) if key == "owner" else call.get(key)
        if str(actual) != wanted:
            return False
    return True


def value(
    metric: str, calls: Sequence[Call], facts: Facts, where: Mapping[str, str] | None = None
) -> float | None:
    """The value of ``metric`` over ``calls`` (see :mod:`llmops_ci.monitoring.metrics`)."""
    where = where or {}
    if MONITOR_METRICS[metric].drift:
        baseline = [call for call in facts.baseline if matches(call, where, facts)]
        return analysis.drift_values(baseline, calls).get(metric)
    if metric in ("groundedness_mean", "hallucination_rate", "faithfulness_mean"):
        return _grounding_value(metric, calls, facts)
    return _traffic_value(metric, calls, where.get("check"))


def _grounding_value(metric: str, calls: Sequence[Call], facts: Facts) -> float | None:
    checked = [g for call in calls if (g := facts.grounded.get(str(call.get("id")))) is not None]
    if metric == "faithfulness_mean":
        return analysis.mean([g.graded for g in checked if g.graded is not None])
    scores = [g.score for g in checked if g.score is not None]
    if metric == "groundedness_mean":
        return analysis.mean(scores)
    return analysis.share(sum(1 for s in scores if s < 1.0), len(scores))


def _traffic_value(metric: str, calls: Sequence[Call], check: str | None) -> float | None:
    usage = analysis.Usage()
    for call in calls:
        usage.add(call)
    total = len(calls)
    latencies = [v for c in calls if (v := analysis.number(c.get("latency_ms"))) is not None]
    if metric == "calls":
        return float(total)
    if metric == "cost_usd":
        return usage.cost_usd if total else None
    if metric == "cost_usd_per_call":
        return analysis.mean([v for c in calls if (v := analysis.number(c.get("cost_usd"))) is not None])
    if metric.startswith("tokens_"):
        tokens = {"input": usage.input_tokens, "output": usage.output_tokens}
        return float(tokens.get(metric[7:], usage.input_tokens + usage.output_tokens)) if total else None
    if metric == "error_rate":
        return analysis.share(sum(1 for c in calls if c.get("outcome") == "error"), total)
    if metric == "block_rate":
        return analysis.share(sum(1 for c in calls if c.get("outcome") == "blocked"), total)
    if metric == "trigger_rate":
        return analysis.share(sum(1 for c in calls if analysis.fired(c, check)), total)
    if metric == "fallback_rate":
        answered = [c for c in calls if c.get("outcome") == "ok"]
        return analysis.share(sum(1 for c in answered if c.get("fallback")), len(answered))
    if metric == "latency_mean_ms":
        return analysis.mean(latencies)
    if metric == "latency_p95_ms":
        return analysis.percentile(latencies, 95)
    raise KeyError(metric)  # pragma: no cover - the registry and this function are kept in step


def evaluate(rule: Rule, facts: Facts) -> Alert:
    calls = [call for call in facts.calls if matches(call, rule.where, facts)]
    test = OPS[rule.op]
    if rule.window == "all":
        found = value(rule.metric, calls, facts, rule.where)
        return Alert(rule, found, found is not None and test(found, rule.limit))
    by_day: dict[str, list[Call]] = {}
    for call in calls:
        by_day.setdefault(call.day, []).append(call)
    values = {
        day: v
        for day, group in sorted(by_day.items())
        if (v := value(rule.metric, group, facts, rule.where)) is not None
    }
    bad = [day for day, v in values.items() if test(v, rule.limit)]
    if not values:
        return Alert(rule, None, False)
    worse = max if rule.op in (">", ">=") else min
    return Alert(rule, worse(values.values()), bool(bad), bad)
