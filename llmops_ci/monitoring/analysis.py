"""What ``llmops-ci monitor`` measures over a window of audited calls (see :mod:`llmops_ci.monitoring`).

- **Usage**: calls, tokens and cost per UTC day and by artifact version, model and owner.
- **Guardrail triggers**: per policy check, the calls it fired on, their share of traffic, the actions,
  the share per day and its change from the first half of the window to the second.
- **Groundedness**: a sample of answered calls with retrieved chunks, scored with
  :func:`llmops_ci.rag.measures.groundedness` against the chunk texts looked up by id (the audit log keeps
  ids only), and by a grader model when one is configured.
- **Drift**: the window's queries against a baseline window's (:mod:`llmops_ci.rag.drift`).
- **Rollouts**: the versions of a weighted rollout side by side, with the conditional test of
  :mod:`llmops_ci.compare.stats`.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.monitoring.logs import Call
from llmops_ci.rag.drifting import query_of

RolloutKey = tuple[str, str | None]  # prompt, environment
Split = list[dict[str, Any]]  # [{version, weight}], as an Environment declares it


# --- small helpers ------------------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in [0, 100])."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def findings(call: Call) -> list[dict[str, Any]]:
    """Every guardrail finding of the call, all scopes."""
    found: list[dict[str, Any]] = []
    for outcome in (call.get("guardrails") or {}).values():
        if isinstance(outcome, dict):
            found += [f for f in outcome.get("findings") or [] if isinstance(f, dict)]
    return found


def check_key(finding: Mapping[str, Any]) -> str:
    return f"{finding.get('policy', '?')}/{finding.get('check', '?')}"


# --- usage --------------------------------------------------------------------------------------------------


@dataclass
class Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0  # answered calls without a known price

    def add(self, call: Call) -> None:
        self.calls += 1
        tokens = call.get("tokens") or {}
        self.input_tokens += int(number(tokens.get("input")) or 0)
        self.output_tokens += int(number(tokens.get("output")) or 0)
        cost = number(call.get("cost_usd"))
        if cost is not None:
            self.cost_usd += cost
        elif call.get("outcome") == "ok":
            self.unpriced += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "unpriced_calls": self.unpriced,
        }


def usage_by(calls: Iterable[Call], key: Callable[[Call], str]) -> dict[str, Usage]:
    groups: dict[str, Usage] = defaultdict(Usage)
    for call in calls:
        groups[key(call)].add(call)
    return dict(sorted(groups.items()))


# --- guardrail triggers -------------------------------------------------------------------------------------


@dataclass
class Trigger:
    """One policy check over the window: calls it fired on, their share, actions and scopes, per day."""

    check: str
    calls: int
    share: float
    actions: dict[str, int]
    scopes: dict[str, int]
    per_day: dict[str, float]
    change: float | None  # share in the second half of the window minus the first half

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "calls": self.calls,
            "share": round(self.share, 6),
            "actions": self.actions,
            "scopes": self.scopes,
            "per_day": {day: round(value, 6) for day, value in self.per_day.items()},
            "change": None if self.change is None else round(self.change, 6),
        }


def fired(call: Call, check: str | None = None) -> bool:
    """Whether a guardrail finding (of ``check``, ``policy/check`` or bare check id) is on the call."""
    for finding in findings(call):
        if check is None or check in (check_key(finding), finding.get("check")):
            return True
    return False


def triggers(calls: Sequence[Call]) -> list[Trigger]:
    """Per check, the share of the calls it fired on; most frequent first."""
    by_day: dict[str, int] = Counter(call.day for call in calls)
    hits: dict[str, set[int]] = defaultdict(set)
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    scopes: dict[str, Counter[str]] = defaultdict(Counter)
    for position, call in enumerate(calls):
        for finding in findings(call):
            key = check_key(finding)
            hits[key].add(position)
            actions[key][str(finding.get("action"))] += 1
            scopes[key][str(finding.get("scope"))] += 1
    middle = len(calls) // 2
    result = []
    for key, positions in hits.items():
        days: Counter[str] = Counter(calls[p].day for p in positions)
        first = share(sum(1 for p in positions if p < middle), middle)
        second = share(sum(1 for p in positions if p >= middle), len(calls) - middle)
        result.append(
            Trigger(
                check=key,
                calls=len(positions),
                share=len(positions) / len(calls),
                actions=dict(sorted(actions[key].items())),
                scopes=dict(sorted(scopes[key].items())),
                per_day={day: days[day] / total for day, total in sorted(by_day.items())},
                change=None if first is None or second is None else second - first,
            )
        )
    return sorted(result, key=lambda t: (-t.calls, t.check))


# --- groundedness -------------------------------------------------------------------------------------------


@dataclass
class Grounded:
    """One sampled answer: its lexical groundedness (None: nothing countable, or chunks not found), the
    unsupported sentences, the chunk ids not found, and the grader's score when graded."""

    id: str
    score: float | None
    unsupported: list[str] = field(default_factory=list)
    missing_chunks: list[str] = field(default_factory=list)
    graded: float | None = None
    grader_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": None if self.score is None else round(self.score, 6),
            "unsupported": self.unsupported,
            "missing_chunks": self.missing_chunks,
            "graded": None if self.graded is None else round(self.graded, 6),
            "grader_error": self.grader_error,
        }


def grounding_candidates(calls: Iterable[Call]) -> list[Call]:
    """Answered calls that were given chunks: the population the groundedness sample is drawn from."""
    return [
        call
        for call in calls
        if call.get("outcome") == "ok"
        and call.get("output")
        and isinstance(call.get("rag"), dict)
        and call.get("rag", {}).get("chunk_ids")
    ]


def sample(calls: Sequence[Call], size: int, seed: int = 0) -> list[Call]:
    """``size`` of the calls (all when fewer), drawn with a fixed seed over the calls ordered by id, so
    the same logs give the same sample."""
    ordered = sorted(calls, key=lambda call: str(call.get("id")))
    if len(ordered) <= size:
        return ordered
    return sorted(random.Random(seed).sample(ordered, size), key=lambda call: call.time)


ChunkLookup = Callable[[str, str], str | None]  # (prompt name, chunk id) -> text


def ground(call: Call, lookup: ChunkLookup, threshold: float) -> Grounded:
    """The lexical groundedness of one answer against its chunks, as found by ``lookup``."""
    from llmops_ci.rag.measures import groundedness

    ids = [str(chunk) for chunk in call.get("rag", {}).get("chunk_ids", [])]
    texts = {chunk: lookup(str(call.get("prompt")), chunk) for chunk in ids}
    missing = [chunk for chunk, value in texts.items() if value is None]
    identifier = str(call.get("id"))
    if missing:
        return Grounded(identifier, None, missing_chunks=missing)
    outcome = groundedness(str(call.get("output")), [v for v in texts.values() if v is not None], threshold)
    return Grounded(identifier, outcome.score, unsupported=outcome.unsupported)


# --- drift --------------------------------------------------------------------------------------------------


def drift_values(baseline: Sequence[Call], window: Sequence[Call]) -> dict[str, float]:
    """The query drift measures from ``baseline`` to ``window`` (those that can be computed)."""
    from llmops_ci.rag import drift
    from llmops_ci.rag.measures import MeasureError

    before = [(text, c) for c in baseline if (text := query_of(c.record))]
    after = [(text, c) for c in window if (text := query_of(c.record))]
    if not before or not after:
        return {}
    a, b = [text for text, _ in before], [text for text, _ in after]
    p, q = drift.term_distribution(a), drift.term_distribution(b)
    values = {
        "term_jsd": drift.jensen_shannon(p, q),
        "vocabulary_new_fraction": drift.vocabulary_new_fraction(p, q),
    }
    with contextlib.suppress(MeasureError):  # queries without words: no length to compare
        values["query_length_shift"] = drift.length_shift(a, b)
    top_a = {text: ids for text, call in before if (ids := _chunk_ids(call)) is not None}
    top_b = {text: ids for text, call in after if (ids := _chunk_ids(call)) is not None}
    if top_a.keys() & top_b.keys():
        overlap = drift.topk_overlap(top_a, top_b)
        values["topk_changed_fraction"] = overlap.changed_fraction
        values["topk_mean_jaccard"] = overlap.mean_jaccard
    return values


def _chunk_ids(call: Call) -> list[str] | None:
    rag = call.get("rag")
    return [str(c) for c in rag.get("chunk_ids", [])] if isinstance(rag, dict) else None


# --- rollouts -----------------------------------------------------------------------------------------------


@dataclass
class Variant:
    version: str
    calls: int
    ok_rate: float | None
    block_rate: float | None
    error_rate: float | None
    latency_mean_ms: float | None
    cost_usd_per_call: float | None
    groundedness_mean: float | None
    weight: float | None = None  # declared in the Environment's releases, when the repository is there
    verdict: str | None = None  # against the rollout's base variant
    delta: float | None = None
    p_value: float | None = None
    strata: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {key: (round(v, 6) if isinstance(v, float) else v) for key, v in self.__dict__.items()}


@dataclass
class Rollout:
    prompt: str
    env: str | None
    base: str
    variants: list[Variant]

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "env": self.env,
            "base": self.base,
            "variants": [variant.to_dict() for variant in self.variants],
        }


def _variant(version: str, calls: Sequence[Call], grounded: Mapping[str, Grounded]) -> Variant:
    outcomes = Counter(str(call.get("outcome")) for call in calls)
    latencies = [v for call in calls if (v := number(call.get("latency_ms"))) is not None]
    costs = [v for call in calls if (v := number(call.get("cost_usd"))) is not None]
    scores = [
        s
        for call in calls
        if (g := grounded.get(str(call.get("id")))) is not None and (s := g.score) is not None
    ]
    return Variant(
        version=version,
        calls=len(calls),
        ok_rate=share(outcomes["ok"], len(calls)),
        block_rate=share(outcomes["blocked"], len(calls)),
        error_rate=share(outcomes["error"], len(calls)),
        latency_mean_ms=mean(latencies),
        cost_usd_per_call=mean(costs),
        groundedness_mean=mean(scores),
    )


def _compare(variant: Variant, base: Sequence[Call], head: Sequence[Call]) -> None:
    """The conditional test of ``diff`` on the answered share, each UTC day a stratum (the days both
    versions served): traffic that changes over the days does not pass for a difference of versions."""
    import numpy as np

    from llmops_ci.compare import stats

    days = sorted({c.day for c in base} & {c.day for c in head})
    rows = [[0, 0, 0, 0] for _ in days]
    where = {day: position for position, day in enumerate(days)}
    for calls, offset in ((base, 0), (head, 2)):
        for call in calls:
            if call.day in where:
                row = rows[where[call.day]]
                row[offset] += call.get("outcome") == "ok"
                row[offset + 1] += 1
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    test = stats.stratified_test(table[:, 0], table[:, 1], table[:, 2], table[:, 3])
    variant.verdict = stats.verdict(test)
    variant.delta = test.delta if test.paired else None
    variant.p_value = test.p_value if test.paired else None
    variant.strata = test.paired


def rollout_groups(calls: Iterable[Call]) -> dict[RolloutKey, dict[str, list[Call]]]:
    """The calls of weighted rollouts (records with a ``bucket``) by (prompt, environment), then version;
    only the groups served in more than one version."""
    groups: dict[RolloutKey, dict[str, list[Call]]] = defaultdict(lambda: defaultdict(list))
    for call in calls:
        if call.get("bucket") is not None:
            groups[(str(call.get("prompt")), call.get("env"))][str(call.get("version"))].append(call)
    return {key: dict(versions) for key, versions in groups.items() if len(versions) > 1}


def _base(versions: Mapping[str, Sequence[Call]], split: Split) -> str:
    for part in split:  # the stable version comes first in a declared split
        if str(part.get("version")) in versions:
            return str(part["version"])
    return max(sorted(versions), key=lambda version: len(versions[version]))


def rollouts(
    calls: Iterable[Call], grounded: Mapping[str, Grounded], splits: Mapping[RolloutKey, Split] | None = None
) -> list[Rollout]:
    """Each weighted rollout's versions side by side, per environment. The base is the first version of
    the split the Environment declares (the stable one), else the version with the most calls; each other
    version is tested against it."""
    splits = splits or {}
    result = []
    for key, versions in sorted(
        rollout_groups(calls).items(), key=lambda item: (item[0][0], str(item[0][1]))
    ):
        split = splits.get(key, [])
        weights = {str(part.get("version")): part.get("weight") for part in split}
        base = _base(versions, split)
        variants = []
        for version in [base, *sorted(v for v in versions if v != base)]:
            variant = _variant(version, versions[version], grounded)
            variant.weight = number(weights.get(version))
            if version != base:
                _compare(variant, versions[base], versions[version])
            variants.append(variant)
        result.append(Rollout(key[0], key[1], base, variants))
    return result
