"""Turn EvalSuites into the list of model calls to make, checking everything that can be checked before
spending money: targets, case inputs against the prompt's input schema, assertion parameters, graders,
and template rendering. Problems are collected with the file and line (or case id) they come from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmops_ci.artifacts.digest import artifact_digest, canonical_json, sha256_hex, short
from llmops_ci.artifacts.loader import ProjectConfig
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.artifacts.schemas import did_you_mean, embedded_schema
from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type
from llmops_ci.eval.cases import Case, CaseFileError, suite_cases

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ModelSpec:
    id: str
    params: dict[str, Any] = field(default_factory=dict)
    api_base: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.id


@dataclass
class SuitePlan:
    suite: Artifact
    target: Artifact
    target_digest: str
    models: list[ModelSpec]
    cases: list[Case]
    repeat: int
    min_passes: int
    thresholds: dict[str, dict[str, float]]
    grader: ModelSpec | None
    max_cost_usd: float | None
    embedding_model: str | None = None


@dataclass
class Call:
    """One model request: a case of a suite, on one model, at one repeat index."""

    plan: SuitePlan
    case: Case
    model: ModelSpec
    repeat: int
    messages: list[dict[str, str]]
    assertions: list[dict[str, Any]]
    vars: dict[str, Any]

    @property
    def case_key(self) -> str:
        return f"{self.plan.suite.name}/{self.case.id}"

    @property
    def cache_key(self) -> str:
        """Content address of the request: model, params, rendered messages and repeat index."""
        request = {
            "model": self.model.id,
            "params": self.model.params,
            "messages": self.messages,
            "tools": None,
            "repeat": self.repeat,
        }
        return sha256_hex(canonical_json(request))

    @property
    def messages_digest(self) -> str:
        return short(sha256_hex(canonical_json(self.messages)))


class PlanError(Exception):
    """Everything wrong with the requested suites, one line each (``path:line:col: message``)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _model_spec(ref: Any, fallback_params: dict[str, Any] | None = None) -> ModelSpec | None:
    name = model_id(ref)
    if name is None:
        return None
    params = {**(fallback_params or {}), **params_of(ref)}
    api_base = ref.get("api_base") if isinstance(ref, dict) else None
    label = ref.get("label") if isinstance(ref, dict) else None
    return ModelSpec(name, params, api_base, label)


def _models(suite: Artifact, prompt: Artifact, config: ProjectConfig) -> list[ModelSpec]:
    prompt_ref = prompt.spec.get("model", config.defaults.get("model"))
    prompt_model = _model_spec(prompt_ref)
    prompt_params = prompt_model.params if prompt_model else {}
    if "models" not in suite.spec:
        return [prompt_model] if prompt_model else []
    specs = [_model_spec(ref, prompt_params) for ref in suite.spec["models"]]
    return [spec for spec in specs if spec is not None]


def _render(prompt: Artifact, variables: dict[str, Any]) -> list[dict[str, str]]:
    from llmops_ci.artifacts.templates import sandbox

    env = sandbox()
    context = {"examples": prompt.spec.get("examples", []), "context": [], **variables}
    rendered = []
    for message in prompt.spec["messages"]:
        text = env.from_string(message["content"]).render(**context)
        rendered.append({"role": message["role"], "content": text})
    return rendered


class _Planner:
    def __init__(self, graph: Graph, config: ProjectConfig) -> None:
        self.graph = graph
        self.config = config
        self.problems: list[str] = []
        self.bad_cases: set[int] = set()  # cases already reported: not rendered, so not reported twice

    def problem(self, artifact: Artifact, path: tuple[str | int, ...], message: str) -> None:
        position = artifact.position(path)
        self.problems.append(f"{artifact.rel}:{position.line}:{position.col}: {message}")

    def suite(self, suite: Artifact) -> SuitePlan | None:
        if not suite.valid:
            self.problems += [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in suite.problems]
            return None
        target = self._target(suite)
        if target is None:
            return None
        inputs = target.spec.get("inputs", {})
        try:
            cases = suite_cases(suite, inputs)
        except CaseFileError as error:
            self.problems.append(str(error))
            return None
        models = _models(suite, target, self.config)
        if not models:
            self.problem(suite, ("spec",), "no model: set spec.models, the prompt's model or defaults.model")
            return None
        grader = _model_spec(suite.spec.get("grader", self.config.defaults.get("grader")))
        repeat = int(suite.spec.get("repeat", 1))
        plan = SuitePlan(
            suite=suite,
            target=target,
            target_digest=short(artifact_digest(target, self.graph)),
            models=models,
            cases=cases,
            repeat=repeat,
            min_passes=int(suite.spec.get("min_passes", repeat)),
            thresholds=dict(suite.spec.get("thresholds", {})),
            grader=grader,
            max_cost_usd=suite.spec.get(
                "max_cost_usd", self.config.spec.get("budgets", {}).get("max_cost_usd")
            ),
            embedding_model=self.config.defaults.get("embedding_model"),
        )
        for case in cases:
            self._check_case(plan, case, inputs)
        return plan

    def _target(self, suite: Artifact) -> Artifact | None:
        target = suite.spec["target"]
        if "rag" in target:
            self.problem(
                suite,
                ("spec", "target", "rag"),
                "RAG pipeline targets are not evaluated yet (the RAG engine is a later issue)",
            )
            return None
        prompt = self.graph.get("Prompt", target["prompt"])
        if prompt is None:
            names = [name for kind, name in self.graph.by_name if kind == "Prompt"]
            self.problem(
                suite,
                ("spec", "target", "prompt"),
                f"no Prompt named {target['prompt']!r}{did_you_mean(target['prompt'], names)}",
            )
            return None
        if not prompt.valid:
            self.problems += [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in prompt.problems]
            return None
        return prompt

    def _check_case(self, plan: SuitePlan, case: Case, inputs: dict[str, Any]) -> None:
        merged = {**plan.suite.spec.get("defaults", {}).get("vars", {}), **case.vars}
        validator, _, _ = embedded_schema(inputs) if inputs else (None, (), "")
        if validator is not None:
            for error in sorted(validator.iter_errors(merged), key=lambda e: list(e.path)):
                where = "/".join(str(p) for p in error.absolute_path) or "vars"
                self.problems.append(f"{case.where}: case {case.id!r}: {where}: {error.message}")
                self.bad_cases.add(id(case))
        for assertion in self._assertions(plan, case):
            self._check_assertion(plan, case, assertion)

    def _assertions(self, plan: SuitePlan, case: Case) -> list[dict[str, Any]]:
        return [*plan.suite.spec.get("defaults", {}).get("assert", []), *case.assertions]

    def _check_assertion(self, plan: SuitePlan, case: Case, assertion: dict[str, Any]) -> None:
        from llmops_ci.eval.assertion_types import validate_params
        from llmops_ci.eval.assertions import ASSERTIONS, GRADED

        kind = base_type(str(assertion.get("type", "")))
        where = f"{case.where}: case {case.id!r}: assertion {assertion.get('type')!r}"
        if kind not in ASSERTION_TYPES:
            self.problems.append(f"{where}: unknown type{did_you_mean(kind, ASSERTION_TYPES)}")
            return
        for message in validate_params(assertion):
            self.problems.append(f"{where}: {message}")
        if kind not in ASSERTIONS and kind not in GRADED:
            self.problems.append(f"{where}: this assertion type is not available in this version yet")
        elif ASSERTION_TYPES[kind].model_graded and plan.grader is None and "grader" not in assertion:
            self.problems.append(f"{where}: needs a grader model: set spec.grader or defaults.grader")
        elif ASSERTION_TYPES[kind].needs_embeddings and not (plan.embedding_model or "grader" in assertion):
            self.problems.append(
                f"{where}: needs an embedding model: set defaults.embedding_model in llmops.yaml "
                "or the assertion's grader"
            )

    def calls(self, plan: SuitePlan) -> list[Call]:
        calls = []
        for case in plan.cases:
            if id(case) in self.bad_cases:
                continue
            merged = {**plan.suite.spec.get("defaults", {}).get("vars", {}), **case.vars}
            try:
                messages = _render(plan.target, merged)
            except Exception as error:  # jinja2 raises many kinds; every one is the user's template
                self.problems.append(
                    f"{case.where}: case {case.id!r}: cannot render {plan.target.rel}: {error}"
                )
                continue
            assertions = self._assertions(plan, case)
            for model in plan.models:
                calls += [
                    Call(plan, case, model, r, messages, assertions, merged) for r in range(plan.repeat)
                ]
        return calls


def select_suites(graph: Graph, names: Sequence[str]) -> list[Artifact]:
    suites = list(graph.of_kind("EvalSuite", valid_only=False, everywhere=True))
    if not names:
        return suites
    by_name = {str(suite.name): suite for suite in suites}
    missing = [name for name in names if name not in by_name]
    if missing:
        hint = did_you_mean(missing[0], by_name)
        raise PlanError(
            [f"no EvalSuite named {missing[0]!r}{hint}; suites: {', '.join(sorted(by_name)) or 'none'}"]
        )
    return [by_name[name] for name in names]


def plan_run(graph: Graph, config: ProjectConfig, names: Sequence[str]) -> tuple[list[SuitePlan], list[Call]]:
    planner = _Planner(graph, config)
    plans = [plan for suite in select_suites(graph, names) if (plan := planner.suite(suite)) is not None]
    calls = [call for plan in plans for call in planner.calls(plan)]
    if planner.problems:
        raise PlanError(planner.problems)
    return plans, calls
