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

The rubric — every criterion of every level — is the data :data:`RUBRIC`, rendered below (this docstring is
completed from it), by ``llmops-ci maturity --rubric`` (text, Markdown or JSON), and summarised in the
README's "Maturity and cost" section.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import LlmopsError, UsageError
from llmops_ci.eval.cases import inline_cases, suite_cases
from llmops_ci.eval.metrics import METRICS
from llmops_ci.release.git import Git, TagInfo
from llmops_ci.release.tags import PROMOTION_TAG, RELEASE_KINDS, RELEASE_TAG, data_of
from llmops_ci.runtime.audit import audit_files

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


# --- evidence ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workflow:
    path: str
    triggers: frozenset[str]
    uses_action: bool
    commands: frozenset[str]

    @property
    def on_pull_requests(self) -> bool:
        return bool(self.triggers & {"pull_request", "pull_request_target"})

    @property
    def scheduled(self) -> bool:
        return "schedule" in self.triggers

    @property
    def evaluates(self) -> bool:
        return self.uses_action or bool(self.commands & {"eval", "ci pr", "diff"})


_COMMAND = re.compile(r"\bllmops-ci[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?")
_ACTION = re.compile(r"(^|/)llmops-ci(@|$)")


def _triggers(data: dict[Any, Any]) -> frozenset[str]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads the bare key `on` as true
    if isinstance(on, str):
        return frozenset({on})
    if isinstance(on, (list, dict)):
        return frozenset(str(event) for event in on)
    return frozenset()


def _steps(data: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    jobs = data.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else ():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, dict):
                yield step


def read_workflow(path: Path, shown: str) -> Workflow | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    uses_action, commands = False, set()
    for step in _steps(data):
        uses_action |= bool(_ACTION.search(str(step.get("uses", "")).split("@")[0] + "@"))
        for match in _COMMAND.finditer(str(step.get("run", ""))):
            first, second = match.groups()
            commands.add(
                f"{first} {second}" if first in ("ci", "rag", "release", "guard") and second else first
            )
    return Workflow(shown, _triggers(data), uses_action, frozenset(commands))


@dataclass(frozen=True)
class Tag:
    kind: str
    name: str
    env: str | None  # promotions only
    data: dict[str, Any] | None
    tag: str


@dataclass
class Facts:
    """Everything the criteria read, collected once from the repository."""

    root: Path
    spec: dict[str, Any]
    graph: Graph
    git_top: Path | None
    releases: list[Tag] = field(default_factory=list)
    promotions: list[Tag] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    audit_logs: int = 0

    def artifacts(self, kind: str) -> list[Artifact]:
        return [a for a in self.graph.artifacts if a.kind == kind and a.name]

    def valid(self, kind: str) -> list[Artifact]:
        return [a for a in self.artifacts(kind) if a.valid]

    @cached_property
    def governance(self) -> dict[str, Any]:
        value = self.spec.get("governance")
        return value if isinstance(value, dict) else {}

    @cached_property
    def alert_metrics(self) -> set[str]:
        monitoring = self.spec.get("monitoring")
        alerts = monitoring.get("alerts") if isinstance(monitoring, dict) else None
        rules = alerts if isinstance(alerts, list) else []
        return {str(rule.get("metric")) for rule in rules if isinstance(rule, dict) and rule.get("metric")}

    def suites_targeting(self, kind_key: str, name: str) -> list[Artifact]:
        return [s for s in self.valid("EvalSuite") if s.spec.get("target", {}).get(kind_key) == name]


def _tags(git: Git) -> tuple[list[Tag], list[Tag]]:
    releases, promotions = [], []
    infos: list[TagInfo] = git.tags(*(f"{prefix}/" for prefix in RELEASE_KINDS), "promotions/")
    for info in infos:
        release = RELEASE_TAG.match(info.name)
        if release:
            releases.append(
                Tag(RELEASE_KINDS[release["prefix"]], release["name"], None, data_of(info), info.name)
            )
            continue
        promotion = PROMOTION_TAG.match(info.name)
        if promotion:
            kind = RELEASE_KINDS[promotion["prefix"]]
            promotions.append(Tag(kind, promotion["name"], promotion["env"], data_of(info), info.name))
    return releases, promotions


def _workflows(root: Path, git_top: Path | None) -> list[Workflow]:
    found: list[Workflow] = []
    seen: set[Path] = set()
    for base in dict.fromkeys(p for p in (root, git_top) if p is not None):
        directory = base / ".github" / "workflows"
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix in (".yml", ".yaml") and path.resolve() not in seen:
                seen.add(path.resolve())
                workflow = read_workflow(path, path.relative_to(base).as_posix())
                if workflow is not None:
                    found.append(workflow)
    return found


def _audit_count(root: Path, spec: dict[str, Any], governance: dict[str, Any]) -> int:
    audit = governance.get("audit")
    configured = audit.get("dir") if isinstance(audit, dict) else None
    monitoring = spec.get("monitoring")
    monitored = monitoring.get("audit_dir") if isinstance(monitoring, dict) else None
    candidates = [root / str(place) for place in (configured, monitored) if place]
    candidates += [Path(os.environ["LLMOPS_AUDIT_DIR"])] if os.environ.get("LLMOPS_AUDIT_DIR") else []
    candidates.append(root / ".llmops" / "audit")
    return sum(len(audit_files(directory)) for directory in dict.fromkeys(candidates))


def collect(repo: Path) -> Facts:
    """Read the repository at ``repo`` (or the llmops.yaml above it)."""
    if not repo.is_dir():
        raise UsageError(f"{repo}: no such directory")
    root = find_root(repo) or repo.resolve()
    config = load_project(root)
    facts = Facts(root, config.spec, load_graph(config), None)
    try:
        git = Git(root)
    except UsageError:
        git = None
    if git is not None:
        facts.git_top = git.top
        facts.releases, facts.promotions = _tags(git)
    facts.workflows = _workflows(root, facts.git_top)
    facts.audit_logs = _audit_count(root, facts.spec, facts.governance)
    return facts


# --- criteria ------------------------------------------------------------------------------------------


@dataclass
class Check:
    met: bool
    evidence: list[str]


def _names(artifacts: Iterable[Artifact]) -> str:
    names = sorted(str(a.name) for a in artifacts)
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return shown or "none"


def _all(kind: str, items: list[Artifact], failing: list[Artifact], what: str, missing: str) -> Check:
    """Met when ``items`` is non-empty and none fails; the evidence names both sides."""
    if not items:
        return Check(False, [f"no {kind}"])
    if failing:
        return Check(
            False,
            [f"{len(items) - len(failing)} of {len(items)} {kind} {what}; {missing}: {_names(failing)}"],
        )
    return Check(True, [f"{len(items)} of {len(items)} {kind} {what}: {_names(items)}"])


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
        "prompts and pipelines", items, [a for a in items if not _owner(a)], "name an owner", "no owner"
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
    return _all("artifacts", items, [a for a in items if not _owner(a)], "name an owner", "no owner")


def _logging(facts: Facts) -> Check:
    evidence = [f"{facts.audit_logs} audit log file(s)"] if facts.audit_logs else []
    audit = facts.governance.get("audit")
    evidence += [f"governance.audit: {audit}"] if isinstance(audit, dict) and audit else []
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
