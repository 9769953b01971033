"""The criteria of the maturity rubric as code: one function per criterion id of
:data:`llmops_ci.governance.maturity.RUBRIC`, each reading :class:`~llmops_ci.governance.evidence.Facts` and
returning whether it holds with the evidence for or against it (what a user reads in the report)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from llmops_ci.artifacts.model import Artifact
from llmops_ci.errors import LlmopsError
from llmops_ci.eval.cases import inline_cases, suite_cases
from llmops_ci.eval.metrics import METRICS
from llmops_ci.governance.evidence import Facts, Workflow


@dataclass
class Check:
    met: bool
    evidence: list[str]


def _names(artifacts: Iterable[Artifact], *, kinds: bool = False) -> str:
    names = sorted(a.ref if kinds else str(a.name) for a in artifacts)
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return shown or "none"


def _all(
    kind: str, items: list[Artifact], failing: list[Artifact], what: str, missing: str, *, kinds: bool = False
) -> Check:
    """Met when ``items`` is non-empty and none fails; the evidence names both sides (``kinds``: as
    ``Kind/name``, for lists that mix kinds)."""
    if not items:
        return Check(False, [f"no {kind}"])
    if failing:
        shown = _names(failing, kinds=kinds)
        return Check(
            False, [f"{len(items) - len(failing)} of {len(items)} {kind} {what}; {missing}: {shown}"]
        )
    return Check(True, [f"{len(items)} of {len(items)} {kind} {what}: {_names(items, kinds=kinds)}"])


def _prompt_registry(facts: Facts) -> Check:
    prompts = facts.artifacts("Prompt")
    invalid = [p for p in prompts if not p.valid]
    check = _all("prompts", prompts, invalid, "schema-valid", "invalid")
    for prompt in invalid[:3]:
        problem = prompt.problems[0]
        check.evidence.append(
            f"{problem.path}:{problem.line}:{problem.col}: {problem.code} {problem.message}"
        )
    return check


def _versioned(facts: Facts) -> Check:
    if facts.git_top is None:
        return Check(False, [f"{facts.root} is not in a git repository"])
    return Check(True, [f"git repository at {facts.git_top}"])


def _workflow_check(facts: Facts, wanted: Callable[[Workflow], bool], what: str) -> Check:
    matching = [w for w in facts.workflows if wanted(w)]
    if matching:
        return Check(True, [f"{w.path}: {what}" for w in matching])
    if not facts.workflows:
        return Check(False, ["no workflows in .github/workflows"])
    return Check(False, [f"none of {', '.join(w.path for w in facts.workflows)} {what}"])


def _prompt_ci(facts: Facts) -> Check:
    return _workflow_check(
        facts,
        lambda w: w.on_pull_requests and (w.evaluates or "lint" in w.commands),
        "runs llmops-ci on pull requests",
    )


def _released(facts: Facts) -> Check:
    prompts = facts.artifacts("Prompt")
    tagged = {t.name for t in facts.releases if t.kind == "Prompt"}
    check = _all(
        "prompts", prompts, [p for p in prompts if p.name not in tagged], "have a release tag", "untagged"
    )
    count = sum(1 for t in facts.releases if t.kind == "Prompt")
    check.evidence.append(f"{count} prompt release tag(s)")
    return check


def _gated(facts: Facts) -> Check:
    promotions = [
        t for t in facts.promotions if t.kind == "Prompt" and (t.data or {}).get("type") != "rollback"
    ]
    if not promotions:
        return Check(False, ["no prompt promotion tags"])
    ungated = [t.tag for t in promotions if not (t.data or {}).get("evidence")]
    rollouts = [t.tag for t in promotions if len((t.data or {}).get("live", [])) > 1]
    evidence = [
        f"{len(promotions) - len(ungated)} of {len(promotions)} prompt promotions carry eval evidence"
    ]
    evidence += [f"without evidence: {', '.join(ungated[:5])}"] if ungated else []
    evidence += [f"weighted rollouts (A/B): {', '.join(rollouts[:5])}"] if rollouts else []
    return Check(not ungated, evidence)


def _corpus_exists(pipeline: Artifact) -> bool:
    corpus = pipeline.spec.get("corpus", {}).get("path")
    return isinstance(corpus, str) and (pipeline.path.parent / corpus).is_dir()


def _rag_declared(facts: Facts) -> Check:
    pipelines = facts.valid("RagPipeline")
    invalid = [p for p in facts.artifacts("RagPipeline") if not p.valid]
    missing = [p for p in pipelines if not _corpus_exists(p)]
    check = _all("RAG pipelines", pipelines, missing, "have their corpus directory", "corpus missing")
    if invalid:
        check = Check(False, [*check.evidence, f"schema-invalid: {_names(invalid)}"])
    return check


def _rag_evaluated(facts: Facts) -> Check:
    pipelines = facts.valid("RagPipeline")
    untested = [p for p in pipelines if not facts.suites_targeting("rag", str(p.name))]
    return _all("RAG pipelines", pipelines, untested, "are targeted by a suite", "no suite")


_RETRIEVAL_METRICS = {name for name, metric in METRICS.items() if metric.category == "retrieval"}
_DRIFT_ALERTS = {
    "term_jsd",
    "vocabulary_new_fraction",
    "query_length_shift",
    "topk_changed_fraction",
    "topk_mean_jaccard",
}


def _retrieval_gated(facts: Facts) -> Check:
    pipelines = facts.valid("RagPipeline")

    def gated(pipeline: Artifact) -> bool:
        suites = facts.suites_targeting("rag", str(pipeline.name))
        return any(set(s.spec.get("thresholds", {})) & _RETRIEVAL_METRICS for s in suites)

    return _all(
        "RAG pipelines",
        pipelines,
        [p for p in pipelines if not gated(p)],
        "gate a retrieval metric",
        "no retrieval threshold",
    )


def _drift(facts: Facts) -> Check:
    pipelines = facts.valid("RagPipeline")
    alerts = facts.alert_metrics & _DRIFT_ALERTS
    if alerts and pipelines:
        return Check(True, [f"monitoring alerts on {', '.join(sorted(alerts))}"])
    undeclared = [p for p in pipelines if not p.spec.get("drift", {}).get("thresholds")]
    return _all("RAG pipelines", pipelines, undeclared, "declare drift thresholds", "none")


def _tuned(facts: Facts) -> Check:
    pipelines = facts.valid("RagPipeline")

    def tuned(pipeline: Artifact) -> bool:
        saved = facts.root / ".llmops" / "index" / str(pipeline.name) / "tune"
        return bool(pipeline.spec.get("tune")) or (saved.is_dir() and any(saved.iterdir()))

    return _all(
        "RAG pipelines",
        pipelines,
        [p for p in pipelines if not tuned(p)],
        "are tuned",
        "no grid or tune results",
    )


_BASIC_FILTERS = {"pii", "secrets", "moderation", "toxicity"}


def _checks(policy: Artifact) -> list[dict[str, Any]]:
    return [c for c in policy.spec.get("checks", []) if isinstance(c, dict)]


def _policy(facts: Facts) -> Check:
    policies = facts.valid("GuardrailPolicy")
    basic = [p for p in policies if any(c.get("type") in _BASIC_FILTERS for c in _checks(p))]
    if basic:
        return Check(True, [f"basic filters in {_names(basic)}"])
    return Check(False, [f"{len(policies)} valid policies, none with a pii, secrets or moderation check"])


def _policies_of(facts: Facts, prompt: Artifact) -> list[Artifact]:
    names = prompt.spec.get("guardrails", [])
    found = (facts.graph.get("GuardrailPolicy", str(n)) for n in names if isinstance(n, str))
    return [p for p in found if p is not None]


def _applied(facts: Facts) -> Check:
    prompts = facts.valid("Prompt")
    bare = [p for p in prompts if not _policies_of(facts, p)]
    return _all("prompts", prompts, bare, "apply a policy", "no policy")


def _tested(facts: Facts) -> Check:
    policies = facts.valid("GuardrailPolicy")
    untested = [p for p in policies if not p.spec.get("fixtures")]
    return _all("policies", policies, untested, "have fixtures", "no fixtures")


def _both_ways(facts: Facts) -> Check:
    prompts = facts.valid("Prompt")

    def scopes(prompt: Artifact) -> set[str]:
        return {
            s for policy in _policies_of(facts, prompt) for c in _checks(policy) for s in c.get("scopes", {})
        }

    one_way = [p for p in prompts if not {"input", "output"} <= scopes(p)]
    return _all("prompts", prompts, one_way, "guard input and output", "one-sided or unguarded")


def _alert_check(facts: Facts, metrics: set[str], what: str) -> Check:
    found = facts.alert_metrics & metrics
    if found:
        return Check(True, [f"monitoring alerts on {', '.join(sorted(found))}"])
    listed = ", ".join(sorted(facts.alert_metrics)) or "none"
    return Check(False, [f"no alert rule on {what} (alert metrics: {listed})"])


def _monitored(facts: Facts) -> Check:
    return _alert_check(facts, {"trigger_rate", "block_rate"}, "trigger_rate or block_rate")


def _suites(facts: Facts) -> Check:
    suites = facts.valid("EvalSuite")
    invalid = [s for s in facts.artifacts("EvalSuite") if not s.valid]
    check = _all(
        "suites",
        suites,
        [s for s in suites if not s.spec.get("thresholds")],
        "set thresholds",
        "no thresholds",
    )
    if invalid:
        check = Check(False, [*check.evidence, f"schema-invalid: {_names(invalid)}"])
    return check


def _coverage(facts: Facts) -> Check:
    prompts = facts.valid("Prompt")
    targeted = {s.spec.get("target", {}).get("prompt") for s in facts.valid("EvalSuite")}
    for pipeline in facts.valid("RagPipeline"):
        if facts.suites_targeting("rag", str(pipeline.name)):
            targeted.add(pipeline.spec.get("answer", {}).get("prompt"))
    return _all(
        "prompts", prompts, [p for p in prompts if p.name not in targeted], "are evaluated", "untested"
    )


def _eval_ci(facts: Facts) -> Check:
    return _workflow_check(facts, lambda w: w.on_pull_requests and w.evaluates, "evaluates on pull requests")


_GROUNDING_ASSERTIONS = {"context-faithfulness", "factuality"}
_GROUNDING_METRICS = {"hallucination_rate", "groundedness_mean", "factuality_mean"}
_GROUNDING_ALERTS = {"groundedness_mean", "hallucination_rate", "faithfulness_mean"}


def _assertion_types(suite: Artifact) -> set[str]:
    """Assertion types of the suite's defaults and cases (inline and cases files; an unreadable cases file
    counts as no cases: ``llmops-ci eval`` and lint report it)."""
    try:
        cases = suite_cases(suite, {})
    except LlmopsError:
        cases = list(inline_cases(suite))
    lists = [suite.spec.get("defaults", {}).get("assert", []), *(case.assertions for case in cases)]
    return {
        str(a.get("type", "")).removeprefix("not-") for items in lists for a in items if isinstance(a, dict)
    }


def _hallucination(facts: Facts) -> Check:
    evidence = []
    for suite in facts.valid("EvalSuite"):
        found = (_assertion_types(suite) & _GROUNDING_ASSERTIONS) | (
            set(suite.spec.get("thresholds", {})) & _GROUNDING_METRICS
        )
        if found:
            evidence.append(f"suite {suite.name}: {', '.join(sorted(found))}")
    alerts = facts.alert_metrics & _GROUNDING_ALERTS
    evidence += [f"monitoring alerts on {', '.join(sorted(alerts))}"] if alerts else []
    return Check(
        bool(evidence), evidence or ["no faithfulness/factuality assertion, grounding threshold or alert"]
    )


def _continuous(facts: Facts) -> Check:
    scheduled = _workflow_check(
        facts, lambda w: w.scheduled and bool(w.commands or w.uses_action), "runs llmops-ci on a schedule"
    )
    if scheduled.met or not facts.alert_metrics:
        return scheduled
    return Check(True, [f"{len(facts.alert_metrics)} monitoring alert metric(s) in llmops.yaml"])


_COST_THRESHOLDS = {"cost_usd_total", "cost_usd_mean"}
_COST_ALERTS = {"cost_usd", "cost_usd_per_call", "tokens_input", "tokens_output", "tokens_total"}


def _budget(facts: Facts) -> Check:
    evidence = []
    budgets = facts.spec.get("budgets")
    if isinstance(budgets, dict) and budgets:
        evidence.append(f"llmops.yaml budgets: {', '.join(sorted(budgets))}")
    suites = [s for s in facts.valid("EvalSuite") if set(s.spec.get("thresholds", {})) & _COST_THRESHOLDS]
    evidence += [f"cost thresholds in suites {_names(suites)}"] if suites else []
    prompts = [p for p in facts.valid("Prompt") if "max_cost_usd" in p.spec.get("budget", {})]
    evidence += [f"per-call budgets in prompts {_names(prompts)}"] if prompts else []
    return Check(bool(evidence), evidence or ["no budget in llmops.yaml, suites or prompts"])


def _owner_budgets(facts: Facts) -> dict[str, Any]:
    budgets = facts.spec.get("budgets")
    owners = budgets.get("owners") if isinstance(budgets, dict) else None
    return owners if isinstance(owners, dict) else {}


def _cost_alerts(facts: Facts) -> Check:
    check = _alert_check(facts, _COST_ALERTS, "cost or tokens")
    if check.met:
        return check
    if _owner_budgets(facts):
        return Check(True, [f"per-owner budgets for {', '.join(sorted(_owner_budgets(facts)))}"])
    workflow = _workflow_check(facts, lambda w: "cost" in w.commands, "runs llmops-ci cost")
    return (
        workflow if workflow.met else Check(False, [*check.evidence, "no budgets.owners", *workflow.evidence])
    )


def _owner(artifact: Artifact) -> str | None:
    metadata = artifact.data.get("metadata")
    owner = metadata.get("owner") if isinstance(metadata, dict) else None
    return owner if isinstance(owner, str) and owner else None


def _attributed(facts: Facts) -> Check:
    items = facts.artifacts("Prompt") + facts.artifacts("RagPipeline")
    check = _all(
        "prompts and pipelines",
        items,
        [a for a in items if not _owner(a)],
        "name an owner",
        "no owner",
        kinds=True,
    )
    owners = {o for o in map(_owner, items) if o}
    unbudgeted = sorted(owners - set(_owner_budgets(facts)))
    if unbudgeted:
        return Check(
            False, [*check.evidence, f"owners without a budget in budgets.owners: {', '.join(unbudgeted)}"]
        )
    return check


def _optimized(facts: Facts) -> Check:
    cache = facts.spec.get("cache")
    if isinstance(cache, dict) and cache.get("enabled") is False:
        return Check(False, ["the response cache is disabled (spec.cache.enabled: false)"])
    matrices = [s for s in facts.valid("EvalSuite") if len(s.spec.get("models", [])) >= 2]
    routed = [
        p
        for p in facts.valid("Prompt")
        if isinstance(p.spec.get("model"), dict) and p.spec["model"].get("fallbacks")
    ]
    evidence = [f"model matrices in suites {_names(matrices)}"] if matrices else []
    evidence += [f"fallback routing in prompts {_names(routed)}"] if routed else []
    return Check(
        bool(evidence), evidence or ["response cache on, but no suite compares models and no prompt routes"]
    )


_GOVERNED = ("Prompt", "RagPipeline", "GuardrailPolicy", "EvalSuite", "Environment", "Agent", "FineTune")


def _owners(facts: Facts) -> Check:
    items = [a for kind in _GOVERNED for a in facts.artifacts(kind)]
    return _all(
        "artifacts", items, [a for a in items if not _owner(a)], "name an owner", "no owner", kinds=True
    )


def _logging(facts: Facts) -> Check:
    evidence = [f"{facts.audit_logs} audit log file(s)"] if facts.audit_logs else []
    audit = facts.governance.get("audit")
    evidence += (
        ["governance.audit: " + ", ".join(f"{key} {value}" for key, value in audit.items())]
        if isinstance(audit, dict) and audit
        else []
    )
    return Check(bool(evidence), evidence or ["no audit logs and no governance.audit in llmops.yaml"])


def _risk_class(facts: Facts) -> Check:
    risk = facts.governance.get("risk_class")
    purpose = facts.governance.get("purpose")
    if risk is None:
        return Check(False, ["no governance.risk_class in llmops.yaml"])
    if risk == "unacceptable":
        return Check(False, ["risk_class unacceptable: a prohibited practice under the EU AI Act (Art. 5)"])
    if not purpose:
        return Check(False, [f"risk_class {risk}, but no governance.purpose it was assessed for"])
    return Check(True, [f"risk_class {risk} for: {purpose}"])


def _approvals(facts: Facts) -> Check:
    envs = [e for e in facts.valid("Environment") if e.spec.get("releases") or e.spec.get("gate")]
    return _all(
        "environments",
        envs,
        [e for e in envs if not e.spec.get("approvers")],
        "name approvers",
        "anyone may promote",
    )


def _retention(facts: Facts) -> Check:
    audit = facts.governance.get("audit")
    days = audit.get("keep_days") if isinstance(audit, dict) else None
    if not isinstance(days, int):
        return Check(False, ["no governance.audit.keep_days"])
    if facts.governance.get("risk_class") == "high" and days < 183:
        return Check(
            False, [f"keep_days {days}: a high-risk system keeps logs at least six months (183 days)"]
        )
    return Check(True, [f"audit logs kept {days} days"])


def _obligations(facts: Facts) -> Check:
    risk = facts.governance.get("risk_class")
    review = facts.governance.get("review")
    review = review if isinstance(review, dict) else {}
    transparency = facts.governance.get("transparency")
    transparency = transparency if isinstance(transparency, dict) else {}
    if risk is None or risk == "unacceptable":
        return Check(False, ["no deployable risk class declared"])
    if risk == "high":
        ok = bool(review.get("human_oversight")) and bool(review.get("approvers"))
        return Check(
            ok,
            [
                "high risk: human oversight and approvers "
                + ("declared" if ok else "missing in governance.review")
            ],
        )
    if risk == "limited":
        ok = bool(transparency.get("disclosure"))
        return Check(ok, ["limited risk: transparency disclosure " + ("declared" if ok else "missing")])
    return Check(True, ["minimal risk: no specific obligations"])


CHECKS: dict[str, Callable[[Facts], Check]] = {
    "prompt-management.registry": _prompt_registry,
    "prompt-management.versioned": _versioned,
    "prompt-management.ci": _prompt_ci,
    "prompt-management.released": _released,
    "prompt-management.gated": _gated,
    "rag-pipeline.declared": _rag_declared,
    "rag-pipeline.evaluated": _rag_evaluated,
    "rag-pipeline.retrieval-gated": _retrieval_gated,
    "rag-pipeline.drift": _drift,
    "rag-pipeline.tuned": _tuned,
    "guardrails.policy": _policy,
    "guardrails.applied": _applied,
    "guardrails.tested": _tested,
    "guardrails.both-ways": _both_ways,
    "guardrails.monitored": _monitored,
    "evaluation.suites": _suites,
    "evaluation.coverage": _coverage,
    "evaluation.ci": _eval_ci,
    "evaluation.hallucination": _hallucination,
    "evaluation.continuous": _continuous,
    "cost-management.budget": _budget,
    "cost-management.alerts": _cost_alerts,
    "cost-management.attributed": _attributed,
    "cost-management.optimized": _optimized,
    "governance.owners": _owners,
    "governance.logging": _logging,
    "governance.risk-class": _risk_class,
    "governance.approvals": _approvals,
    "governance.retention": _retention,
    "governance.obligations": _obligations,
}
