"""The LLMOps maturity assessment (seed §4.4): a repository scored on six dimensions at Level 0, 1 or 2.

The seed's levels are *Level 0 — manual / ad hoc*, *Level 1 — pipeline automation* and *Level 2 — full
CI/CD + governance*; its assessment table (§4.4.2) names one step per dimension and level. llmops-ci turns
each step into criteria it can check from what a repository holds, so the score is evidence, not opinion.

Scoring: a dimension is at Level 1 when every Level 1 criterion holds, and at Level 2 when every Level 1 and
Level 2 criterion holds; otherwise Level 0. Every criterion is reported with the evidence found for or
against it, and the unmet criteria of the next level are the dimension's next steps. The overall level is
the lowest dimension's (a platform is as mature as its weakest part).

Evidence read (nothing is executed, nothing is sent anywhere):

- the artifacts under llmops.yaml's paths, and whether each is schema-valid (as ``llmops-ci lint``
  reads them);
- llmops.yaml: ``budgets`` (``max_cost_usd``, ``owners``), ``cache``, ``monitoring.alerts`` (their metric
  names), ``governance`` (``risk_class``, ``purpose``, ``owners``, ``audit``, ``review``, ``transparency``);
- workflows in ``.github/workflows/`` (of the project directory and of the git top level): their triggers,
  steps that use the llmops-ci Action (``uses: <owner>/llmops-ci@<ref>``) and ``run:`` lines calling
  ``llmops-ci <command>``;
- git tags: releases ``prompts/<name>@x.y.z`` (and ``policies/``, ``rag/``, ``suites/``), promotions
  ``promotions/<env>/<prefix>/<name>/<seq>`` and the evidence their messages carry;
- runtime audit logs (``audit-YYYY-MM-DD.jsonl``) in ``governance.audit.dir``, ``monitoring.audit_dir``,
  ``$LLMOPS_AUDIT_DIR`` or ``.llmops/audit``, and saved ``llmops-ci rag tune`` results under
  ``.llmops/index/<pipeline>/tune``.

The evidence is collected by :mod:`llmops_ci.governance.evidence`, and each criterion is checked by its
function in :mod:`llmops_ci.governance.criteria`.

The rubric — every criterion of every level — is the data :data:`RUBRIC`, rendered below (this docstring is
completed from it), by ``llmops-ci maturity --rubric`` (text, Markdown or JSON), and summarised in the
README's "Maturity and cost" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.governance.criteria import CHECKS, Check
from llmops_ci.governance.evidence import collect

LEVEL_NAMES = ("Manual / ad hoc", "Pipeline automation", "Full CI/CD + governance")


@dataclass(frozen=True)
class Criterion:
    """One checkable condition of a level: its id (``dimension.name``), what it asks, and what to do."""

    id: str
    level: int
    text: str
    next_step: str


@dataclass(frozen=True)
class Dimension:
    """One row of the seed's §4.4.2 table: its three step names, and the criteria of levels 1 and 2."""

    id: str
    title: str
    steps: tuple[str, str, str]
    criteria: tuple[Criterion, ...]


def _c(dimension: str, name: str, level: int, text: str, next_step: str) -> Criterion:
    return Criterion(f"{dimension}.{name}", level, text, next_step)


RUBRIC: tuple[Dimension, ...] = (
    Dimension(
        "prompt-management",
        "Prompt management",
        ("Hardcoded", "Registry", "CI/CD + A/B"),
        (
            _c(
                "prompt-management",
                "registry",
                1,
                "Prompts are artifacts: at least one Prompt file, and every Prompt is schema-valid.",
                "Move prompts out of application code into prompts/*.yaml (llmops-ci init) and fix what "
                "llmops-ci lint reports.",
            ),
            _c(
                "prompt-management",
                "versioned",
                1,
                "The artifacts are under version control (a git repository).",
                "Put the repository under git (git init; commit the artifacts).",
            ),
            _c(
                "prompt-management",
                "ci",
                2,
                "A workflow runs llmops-ci on pull requests (the llmops-ci Action, or llmops-ci ci pr, eval,"
                " diff or lint in a run: step).",
                "Add .github/workflows/llmops-ci.yml using the llmops-ci Action on pull_request.",
            ),
            _c(
                "prompt-management",
                "released",
                2,
                "Every Prompt has a release tag (prompts/<name>@x.y.z, from llmops-ci release tag).",
                "Tag releases with llmops-ci release tag NAME (after an eval of that version).",
            ),
            _c(
                "prompt-management",
                "gated",
                2,
                "Prompts are promoted by promotion tags, and every prompt promotion carries eval evidence "
                "(the gate of llmops-ci promote); weighted rollouts are the A/B mechanism.",
                "Promote with llmops-ci promote NAME@VERSION --to ENV behind an Environment gate (e.g. gate:"
                " {pass_rate: {min: 0.95}}); use a weighted rollout for A/B.",
            ),
        ),
    ),
    Dimension(
        "rag-pipeline",
        "RAG pipeline",
        ("Manual", "Automated refresh", "Continuous optimization"),
        (
            _c(
                "rag-pipeline",
                "declared",
                1,
                "Retrieval is configuration: at least one schema-valid RagPipeline, each with an existing "
                "corpus directory (llmops-ci rag build refreshes the index from it, re-embedding only "
                "changed documents).",
                "Declare the pipeline as rag/<name>.yaml (corpus, chunking, embedding, retrieval) and build "
                "it with llmops-ci rag build.",
            ),
            _c(
                "rag-pipeline",
                "evaluated",
                1,
                "Every RagPipeline is the target of an EvalSuite (its index is rebuilt and retrieval "
                "measured on every eval).",
                "Add an EvalSuite with target: {rag: NAME} and cases naming the expected chunks or "
                "documents.",
            ),
            _c(
                "rag-pipeline",
                "retrieval-gated",
                2,
                "Retrieval quality gates: a suite targeting each pipeline sets a threshold on a retrieval "
                "metric (hit_rate, recall_at_k, mrr, ndcg_at_k...).",
                "Add thresholds such as hit_rate: {min: 0.9} to the pipeline's suite.",
            ),
            _c(
                "rag-pipeline",
                "drift",
                2,
                "Drift is watched: every pipeline declares drift thresholds (spec.drift, for llmops-ci rag "
                "drift), or llmops.yaml has a monitoring alert on a drift metric.",
                "Declare spec.drift.thresholds (term_jsd, topk_changed_fraction...) and run llmops-ci rag "
                "drift on changes.",
            ),
            _c(
                "rag-pipeline",
                "tuned",
                2,
                "Chunking and top_k are chosen by measurement: a spec.tune grid or saved llmops-ci rag tune "
                "results for every pipeline.",
                "Run llmops-ci rag tune PIPELINE and keep its grid in spec.tune.",
            ),
        ),
    ),
    Dimension(
        "guardrails",
        "Guardrails",
        ("None or ad hoc", "Basic filters", "Adaptive + monitored"),
        (
            _c(
                "guardrails",
                "policy",
                1,
                "A schema-valid GuardrailPolicy with a basic filter (a pii, secrets or moderation check).",
                "Add guardrails/pii-default.yaml with pii and secrets checks (llmops-ci init writes one).",
            ),
            _c(
                "guardrails",
                "applied",
                1,
                "Every Prompt applies at least one policy (spec.guardrails).",
                "List the policy in each prompt's spec.guardrails.",
            ),
            _c(
                "guardrails",
                "tested",
                2,
                "Every policy has fixtures that pin its verdicts (add one per incident: the feedback loop).",
                "Add spec.fixtures to each policy: texts with the expected pass / redact / block.",
            ),
            _c(
                "guardrails",
                "both-ways",
                2,
                "Every Prompt's policies check both its input and its output.",
                "Give each prompt's policies checks with input and output scopes.",
            ),
            _c(
                "guardrails",
                "monitored",
                2,
                "Guardrail triggers are monitored: an alert rule on trigger_rate or block_rate in "
                "llmops.yaml (spec.monitoring.alerts, evaluated by llmops-ci monitor).",
                "Add spec.monitoring.alerts: [{name: pii-leaks, metric: trigger_rate, where: {check: pii}, "
                "limit: 0.02}] and run llmops-ci monitor on a schedule.",
            ),
        ),
    ),
    Dimension(
        "evaluation",
        "Evaluation",
        ("Manual", "Test suites", "Automated + continuous"),
        (
            _c(
                "evaluation",
                "suites",
                1,
                "At least one schema-valid EvalSuite, and every suite sets thresholds (the gate llmops-ci "
                "eval exits 1 on).",
                "Add evals/<name>.yaml with cases and thresholds: {pass_rate: {min: 0.95}}.",
            ),
            _c(
                "evaluation",
                "coverage",
                1,
                "Every Prompt is evaluated: targeted by a suite directly, or as the answer prompt of a "
                "targeted RagPipeline.",
                "Add a suite for each untested prompt.",
            ),
            _c(
                "evaluation",
                "ci",
                2,
                "Evaluation is automated: a workflow evaluates on pull requests (the Action, llmops-ci ci pr"
                " or llmops-ci eval).",
                "Run the llmops-ci Action on pull_request (it evaluates base and head and diffs them).",
            ),
            _c(
                "evaluation",
                "hallucination",
                2,
                "Hallucination is detected automatically: a suite asserts context-faithfulness or "
                "factuality, or gates hallucination_rate, groundedness_mean or factuality_mean, or an alert "
                "rule watches groundedness_mean, hallucination_rate or faithfulness_mean.",
                "Add a context-faithfulness assertion (or a groundedness_mean threshold on a RAG suite).",
            ),
            _c(
                "evaluation",
                "continuous",
                2,
                "Evaluation continues after merge: a scheduled workflow runs llmops-ci, or llmops.yaml "
                "declares monitoring alerts.",
                "Add a scheduled workflow running llmops-ci monitor (or eval) with alert rules in "
                "llmops.yaml.",
            ),
        ),
    ),
    Dimension(
        "cost-management",
        "Cost management",
        ("Unknown", "Monitored", "Optimized"),
        (
            _c(
                "cost-management",
                "budget",
                1,
                "A cost budget is declared: spec.budgets in llmops.yaml, a cost threshold on a suite "
                "(cost_usd_total / cost_usd_mean), or a Prompt's budget.max_cost_usd.",
                "Set spec.budgets.max_cost_usd in llmops.yaml and cost thresholds on suites.",
            ),
            _c(
                "cost-management",
                "alerts",
                1,
                "Spend raises an alert: a monitoring alert on cost or tokens, per-owner budgets "
                "(budgets.owners: llmops-ci cost exits 1 over budget), or a workflow running llmops-ci cost.",
                "Add budgets.owners to llmops.yaml and run llmops-ci cost on a schedule, or a cost_usd "
                "alert.",
            ),
            _c(
                "cost-management",
                "attributed",
                2,
                "Spend is attributed: every Prompt and RagPipeline names an owner, and every owner has a "
                "budget in budgets.owners (chargeback).",
                "Set metadata.owner on every prompt and pipeline and a budget per owner.",
            ),
            _c(
                "cost-management",
                "optimized",
                2,
                "Spend is optimised: the response cache is not disabled, and models are compared or routed "
                "on cost (a suite with two or more models, or a Prompt with fallbacks).",
                "Evaluate a cheaper model next to the current one (models: [a, b]) and keep the cache on.",
            ),
        ),
    ),
    Dimension(
        "governance",
        "Governance",
        ("None", "Logging", "Full audit + compliance"),
        (
            _c(
                "governance",
                "owners",
                1,
                "Every artifact names an owner (metadata.owner): someone answers for each change.",
                "Set metadata.owner on every artifact.",
            ),
            _c(
                "governance",
                "logging",
                1,
                "Runtime calls are logged: audit logs exist, or spec.governance.audit declares where they "
                "are kept.",
                "Load prompts with llmops_ci.runtime (audit on by default) and declare governance.audit.dir.",
            ),
            _c(
                "governance",
                "risk-class",
                2,
                "An EU AI Act risk class and intended purpose are declared (spec.governance.risk_class, "
                "purpose), and the class is not 'unacceptable' (a prohibited practice, Art. 5).",
                "Assess the use case and declare governance: {risk_class: ..., purpose: ...}.",
            ),
            _c(
                "governance",
                "approvals",
                2,
                "Promotions need approval: every Environment with releases or a gate names approvers.",
                "Add spec.approvers to each Environment (e-mails or @github-logins).",
            ),
            _c(
                "governance",
                "retention",
                2,
                "Audit retention is declared (governance.audit.keep_days; at least 183 days — six months — "
                "for a high-risk system, Art. 19 and 26).",
                "Declare governance.audit.keep_days.",
            ),
            _c(
                "governance",
                "obligations",
                2,
                "The class's obligations are declared: high risk needs governance.review.human_oversight and"
                " approvers (Art. 14), limited risk a governance.transparency.disclosure (Art. 50).",
                "Declare governance.review (human oversight, approvers) or governance.transparency.",
            ),
        ),
    ),
)

DIMENSIONS = {dimension.id: dimension for dimension in RUBRIC}


def rubric_markdown() -> str:
    """The rubric as Markdown: one table per dimension (the README reproduces it)."""
    lines = ["| Dimension | Level 0 | Level 1 | Level 2 |", "|---|---|---|---|"]
    lines += [f"| {d.title} | {d.steps[0]} | {d.steps[1]} | {d.steps[2]} |" for d in RUBRIC]
    for dimension in RUBRIC:
        lines += ["", f"**{dimension.title}** (`{dimension.id}`)", ""]
        lines += [f"- L{c.level} `{c.id.split('.', 1)[1]}`: {c.text}" for c in dimension.criteria]
    return "\n".join(lines)


def rubric_text() -> str:
    lines = [f"Level {n}: {name}" for n, name in enumerate(LEVEL_NAMES)]
    lines.append("A level holds when all its criteria and those of the levels below hold.")
    for dimension in RUBRIC:
        lines += ["", f"{dimension.title} ({' / '.join(dimension.steps)})"]
        lines += [f"  L{c.level} {c.id}: {c.text}" for c in dimension.criteria]
    return "\n".join(lines)


__doc__ = f"{__doc__}\nThe rubric\n----------\n\n{rubric_text()}\n"


# --- scoring -------------------------------------------------------------------------------------------


@dataclass
class Scored:
    dimension: Dimension
    results: list[tuple[Criterion, Check]]

    @property
    def level(self) -> int:
        level = 0
        for target in (1, 2):
            if all(check.met for criterion, check in self.results if criterion.level <= target):
                level = target
            else:
                break
        return level

    @property
    def next_steps(self) -> list[str]:
        """The unmet criteria of the next level (or, at Level 2, nothing)."""
        target = self.level + 1
        return [c.next_step for c, check in self.results if c.level == target and not check.met]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.dimension.id,
            "title": self.dimension.title,
            "level": self.level,
            "level_name": self.dimension.steps[self.level],
            "criteria": [
                {"id": c.id, "level": c.level, "text": c.text, "met": check.met, "evidence": check.evidence}
                for c, check in self.results
            ],
            "next_steps": self.next_steps,
        }


@dataclass
class Assessment:
    root: Path
    dimensions: list[Scored]

    @property
    def level(self) -> int:
        return min(d.level for d in self.dimensions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repository": str(self.root),
            "level": self.level,
            "level_name": LEVEL_NAMES[self.level],
            "dimensions": [d.to_dict() for d in self.dimensions],
        }


def assess(repo: Path) -> Assessment:
    facts = collect(repo)
    scored = [Scored(d, [(c, CHECKS[c.id](facts)) for c in d.criteria]) for d in RUBRIC]
    return Assessment(facts.root, scored)
