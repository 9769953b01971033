"""Turn EvalSuites into the list of model calls to make, checking everything that can be checked before
spending money: targets, case inputs against the prompt's input schema, assertion parameters, graders,
and template rendering. Problems are collected with the file and line (or case id) they come from."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import artifact_digest, canonical_json, sha256_hex, short
from llmops_ci.artifacts.loader import ProjectConfig
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.modelref import model_id, params_of
from llmops_ci.artifacts.schemas import did_you_mean, embedded_schema
from llmops_ci.errors import LlmopsError
from llmops_ci.eval.assertion_types import ASSERTION_TYPES, base_type
from llmops_ci.eval.cases import Case, CaseFileError, file_cases, inline_cases

DEFAULT_TIMEOUT_S = 60.0
#: Up to this many calls a run keeps the calls it planned; beyond, it keeps none and makes them again from
#: the cases during the run (a second read of the cases files), so memory does not grow with the suite.
KEEP_CALLS = 20_000
#: ``canonical_json`` with its encoder made once (``json.dumps`` with options makes one per call)
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode


def shard_of(case_key: str, count: int) -> int:
    """The shard (1..count) a case belongs to: ``int(sha256(case_key)) % count + 1``, where ``case_key``
    is the stable ``suite/case`` id. Every repeat and every model of a case land in the same shard (so
    ``diff`` pairs it), and the result is the same on every machine and Python version."""
    return int(hashlib.sha256(case_key.encode("utf-8")).hexdigest(), 16) % count + 1


def parse_shard(value: str) -> tuple[int, int]:
    """``"i/N"`` (1 <= i <= N) as ``(i, N)``; ``ValueError`` with the reason otherwise."""
    index, slash, count = value.strip().partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"{value!r} is not i/N (e.g. 2/4)")
    i, n = int(index), int(count)
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"{value!r}: need 1 <= i <= N and N >= 1")
    return i, n


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
    inputs: dict[str, Any]
    repeat: int
    min_passes: int
    thresholds: dict[str, dict[str, float]]
    grader: ModelSpec | None
    max_cost_usd: float | None
    embedding_model: str | None = None
    case_count: int = 0
    # the cases files as first read (path, size, mtime): a streamed run reads them again and checks
    case_files: list[tuple[Path, int, int]] = field(default_factory=list)
    # (id of a model spec, repeat) -> canonical JSON of a request's other fields (see Call.cache_key)
    request_tails: dict[tuple[int, int], str] = field(default_factory=dict)
    #: (index, count): only the cases of this shard are run (see :func:`shard_of`)
    shard: tuple[int, int] | None = None
    #: a suite targeting a RagPipeline: its retrieval step (``target`` is then its answer prompt)
    rag: RagStep | None = None
    #: a suite targeting an Agent (llmops_ci.agents.task.AgentStep; ``target`` is then its system prompt)
    agent: Any = None
    #: some case runs the project's own code (a ``python`` assertion): its verdicts may change without
    #: any file the run reads changing, so the run is never replayed (see llmops_ci.eval.memo)
    runs_user_code: bool = False

    @property
    def name(self) -> str:
        return str(self.suite.name)

    def in_shard(self, case: Case) -> bool:
        if self.shard is None:
            return True
        index, count = self.shard
        return shard_of(f"{self.suite.name}/{case.id}", count) == index

    @property
    def default_vars(self) -> dict[str, Any]:
        return dict(self.suite.spec.get("defaults", {}).get("vars", {}))

    @property
    def default_assertions(self) -> list[dict[str, Any]]:
        return list(self.suite.spec.get("defaults", {}).get("assert", []))

    def iter_cases(self) -> Iterator[Case]:
        """Inline cases then file cases, in order, read as they are consumed (the streaming form of
        :func:`llmops_ci.eval.cases.suite_cases`; duplicate ids are checked by the planner)."""
        yield from inline_cases(self.suite)
        files = self.suite.spec.get("cases_file", [])
        for relative in [files] if isinstance(files, str) else files:
            yield from file_cases(self.suite, relative, self.inputs)


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
    #: RAG: the query, the retrieved chunks (with text) and the retrieval metrics of the case
    retrieval: dict[str, Any] | None = None
    #: Agent suites: the case's task (llmops_ci.agents.task.AgentTask: tools, fixtures, step limit)
    agent: Any = None
    # the canonical JSON of the messages, made on first use (not copied by dataclasses.replace)
    _messages: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def case_key(self) -> str:
        return f"{self.plan.suite.name}/{self.case.id}"

    @property
    def _messages_json(self) -> str:
        if self._messages is None:
            self._messages = _canonical(self.messages)
        return self._messages

    @property
    def cache_key(self) -> str:
        """Content address of the request: the digest of the canonical JSON of its model, params,
        rendered messages and repeat index (``request_key``), built around the messages' JSON, which the
        messages digest shares."""
        if self.agent is not None:  # --- agent suites: the tools, fixtures and step limit count too
            from llmops_ci.agents.task import task_cache_key

            params = self.model.params
            if self.model.id.startswith("local/"):
                from llmops_ci.providers.local import fingerprint

                params = {**params, "x-local-model": fingerprint(self.model.id)}
            return task_cache_key(self.model.id, params, self._messages_json, self.repeat, self.agent)
        tail = self.plan.request_tails.get((id(self.model), self.repeat))
        if tail is None:
            request = _request_fields(self.model, self.repeat)
            tail = self.plan.request_tails[(id(self.model), self.repeat)] = canonical_json(request)
        # "messages" sorts before every other key: the canonical JSON of the whole request
        return sha256_hex('{"messages":' + self._messages_json + "," + tail[1:])

    @property
    def messages_digest(self) -> str:
        return short(sha256_hex(self._messages_json))


def request_key(model: ModelSpec, messages: list[dict[str, str]], repeat: int) -> str:
    """The cache key of a request, computed the plain way (what :attr:`Call.cache_key` equals)."""
    return sha256_hex(canonical_json({**_request_fields(model, repeat), "messages": messages}))


def _request_fields(model: ModelSpec, repeat: int) -> dict[str, Any]:
    """A request's fields besides its messages. A ``local/`` model adds what its answers depend on
    (:func:`llmops_ci.providers.local.fingerprint`): its training data is part of the request."""
    request: dict[str, Any] = {"model": model.id, "params": model.params, "tools": None, "repeat": repeat}
    if model.id.startswith("local/"):
        from llmops_ci.providers.local import fingerprint

        request["local"] = fingerprint(model.id)
    return request


@dataclass
class RagStep:
    """The retrieval in front of a RAG suite's answer prompt: per case, the question is looked up and the
    chunks rendered into the prompt (``context_var`` as ``[id] text`` blocks, ``chunks`` as a list)."""

    pipeline: Artifact
    digest: str
    retriever: Any  # llmops_ci.rag.retrieve.Retriever
    #: the pipeline's guardrails (retrieval scope): a blocked chunk is dropped, a redacted one sent redacted
    policies: list[Any] = field(default_factory=list)

    def prepare(self, case: Case, merged: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the variables to render, the record's retrieval section); ``ValueError`` when the case has no
        question."""
        from llmops_ci.rag.evaluate import retrieval_record
        from llmops_ci.rag.retrieve import chunk_dicts, context_text

        config = self.retriever.config
        query = merged.get(config.query_var)
        if not isinstance(query, str) or not query.strip():
            raise ValueError(
                f"needs the question in var {config.query_var!r} (the pipeline's answer.query_var)"
            )
        retrieved, dropped = self._guarded(self.retriever.search(query))
        rendered = {**merged, config.context_var: context_text(retrieved), "chunks": chunk_dicts(retrieved)}
        record = retrieval_record(config, query, retrieved, case.expected_chunks)
        if self.policies:
            record["dropped"] = dropped
        return rendered, record

    def _guarded(self, retrieved: list[Any]) -> tuple[list[Any], list[str]]:
        """The chunks after the retrieval guardrails (deterministic checks), and the ids dropped."""
        if not self.policies:
            return retrieved, []
        from dataclasses import replace

        kept, dropped = [], []
        for item in retrieved:
            text = item.chunk.text
            blocked = False
            for policy in self.policies:
                verdict = policy.check(text, "retrieval")
                blocked, text = blocked or verdict.blocked, verdict.text
            if blocked:
                dropped.append(item.chunk.id)
            else:
                kept.append(
                    replace(item, chunk=replace(item.chunk, text=text)) if text != item.chunk.text else item
                )
        return kept, dropped


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


def _models(suite: Artifact, prompt: Artifact, config: ProjectConfig, own: Any = None) -> list[ModelSpec]:
    """The suite's model matrix; ``own``: the target's model when not the prompt's (an Agent's)."""
    prompt_ref = own if own is not None else prompt.spec.get("model", config.defaults.get("model"))
    prompt_model = _model_spec(prompt_ref)
    prompt_params = prompt_model.params if prompt_model else {}
    if "models" not in suite.spec:
        return [prompt_model] if prompt_model else []
    specs = [_model_spec(ref, prompt_params) for ref in suite.spec["models"]]
    return [spec for spec in specs if spec is not None]


_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "$schema", "$id"})
#: JSON Schema types as the exact Python types of parsed JSON (``bool`` is not ``int`` here, nor should be)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


def _quick_inputs_check(schema: Any) -> Any:
    """For the usual inputs schema (an object of named, typed properties, some required), a plain
    predicate that accepts only what the full validator accepts, at a tenth of its cost: a case it
    accepts is valid, any other goes through the validator, which then names the problems. None when
    the schema uses anything else."""
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - {
        "type",
        "properties",
        "required",
        "additionalProperties",
    }:
        return None
    if schema.get("type", "object") != "object" or "draft-03" in str(schema.get("$schema", "")):
        return None
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    properties = schema.get("properties", {})
    if not isinstance(required, list) or not isinstance(properties, dict) or not isinstance(extra, bool):
        return None
    checks: dict[str, tuple[frozenset[type], frozenset[str] | None]] = {}
    for name, sub in properties.items():
        if not isinstance(sub, dict) or set(sub) - _ANNOTATIONS - {"type", "enum"}:
            return None
        kinds = sub.get("type", list(_JSON_TYPES))
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(kinds, list) or not all(kind in _JSON_TYPES for kind in kinds):
            return None
        enum = sub.get("enum")
        if enum is not None and not (isinstance(enum, list) and all(isinstance(e, str) for e in enum)):
            return None  # only strings: Python's 1 == True is not JSON Schema's
        types = frozenset(t for kind in kinds for t in _JSON_TYPES[kind])
        checks[name] = (types, frozenset(enum) if enum is not None else None)
    names = frozenset(properties)

    def accepts(instance: dict[str, Any]) -> bool:
        if not extra and not names.issuperset(instance):
            return False
        for name in required:
            if name not in instance:
                return False
        for name, value in instance.items():
            found = checks.get(name)
            if found is not None:
                types, enum = found
                if type(value) not in types or (
                    enum is not None and (type(value) is not str or value not in enum)
                ):
                    return False
        return True

    return accepts


#: ``{{ name }}`` alone: rendered as ``str(value)``, as Jinja2 does, without a Jinja2 call.
_NAME_ONLY = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LITERALS = frozenset({"true", "false", "none", "True", "False", "None"})


class _Renderer:
    """A prompt's message templates, compiled once per run: compiling a template costs about a
    millisecond, rendering a compiled one tens of microseconds. Text without template syntax is used as
    it is, and a message that is one ``{{ variable }}`` is that variable as text: both exactly what
    Jinja2 would render. A template that does not compile is reported for every case, as a render error
    would be."""

    def __init__(self, prompt: Artifact) -> None:
        from llmops_ci.artifacts.templates import sandbox

        self.examples = prompt.spec.get("examples", [])
        # per message: role, and the text (constant), the variable name (one {{ name }}) or the template
        self.parts: list[tuple[str, str | None, str | None, Any]] = []
        self.error: Exception | None = None
        env = sandbox()
        try:
            for message in prompt.spec["messages"]:
                role, source = message["role"], message["content"]
                template = env.from_string(source)  # compiled even when unused: syntax errors surface
                name_only = _NAME_ONLY.fullmatch(source)
                if not any(mark in source for mark in ("{{", "{%", "{#", "\r")):
                    self.parts.append((role, source, None, None))
                elif name_only and name_only.group(1) not in _LITERALS:
                    self.parts.append((role, None, name_only.group(1), template))
                else:
                    self.parts.append((role, None, None, template))
        except Exception as error:  # jinja2 raises many kinds; every one is the user's template
            self.error = error

    def render(self, variables: dict[str, Any]) -> list[dict[str, str]]:
        if self.error is not None:
            raise self.error
        context: dict[str, Any] | None = None
        rendered = []
        for role, text, name, template in self.parts:
            if text is None:
                if name is not None and name in variables:
                    text = str(variables[name])
                else:
                    if context is None:
                        context = {"examples": self.examples, "context": [], **variables}
                    text = template.render(context)
            rendered.append({"role": role, "content": text})
        return rendered


class _Planner:
    def __init__(self, graph: Graph, config: ProjectConfig, shard: tuple[int, int] | None = None) -> None:
        self.graph = graph
        self.config = config
        self.shard = shard
        self.problems: list[str] = []
        self.count = 0  # calls planned
        self.kept: list[Call] | None = []  # None once there are too many to keep (a streamed run)
        self._rag: RagStep | None = None  # the retrieval of the suite being planned
        self._retrievers: dict[str, Any] = {}  # pipeline name -> its opened Retriever
        self._agent: Any = None  # the Agent of the suite being planned (llmops_ci.agents.task.AgentStep)

    def problem(self, artifact: Artifact, path: tuple[str | int, ...], message: str) -> None:
        position = artifact.position(path)
        self.problems.append(f"{artifact.rel}:{position.line}:{position.col}: {message}")

    def suite(self, suite: Artifact) -> SuitePlan | None:
        if not suite.valid:
            self.problems += [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in suite.problems]
            return None
        self._rag = self._agent = None
        target = self._target(suite)
        if target is None:
            return None
        models = _models(suite, target, self.config, self._agent.model if self._agent is not None else None)
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
            inputs=target.spec.get("inputs", {}),
            repeat=repeat,
            min_passes=int(suite.spec.get("min_passes", repeat)),
            thresholds=dict(suite.spec.get("thresholds", {})),
            grader=grader,
            max_cost_usd=suite.spec.get(
                "max_cost_usd", self.config.spec.get("budgets", {}).get("max_cost_usd")
            ),
            embedding_model=self.config.defaults.get("embedding_model"),
            shard=self.shard,
            rag=self._rag,
            agent=self._agent,
        )
        return plan if self._cases(plan) else None

    def _cases(self, plan: SuitePlan) -> bool:
        """Check every case of the suite (inputs, assertions, rendering) as it is read, keeping its calls
        while there are few enough. False when the cases cannot be read (reported alone, as before)."""
        reported = len(self.problems)
        validator, _, _ = embedded_schema(plan.inputs) if plan.inputs else (None, (), "")
        quick = _quick_inputs_check(plan.inputs) if validator is not None else None
        defaults = plan.default_assertions
        for index, assertion in enumerate(defaults):  # the same mappings for every case: checked once
            position = plan.suite.position(("spec", "defaults", "assert", index))
            self._check_assertion(
                plan, f"{plan.suite.rel}:{position.line}:{position.col}: defaults", assertion
            )
        default_vars = plan.default_vars
        renderer = _Renderer(plan.target)
        seen: dict[str, str] = {}
        try:
            for case in plan.iter_cases():
                if case.id in seen:
                    raise CaseFileError(
                        f"{case.where}: duplicate case id {case.id!r} (first at {seen[case.id]})"
                    )
                seen[case.id] = case.where
                merged = {**default_vars, **case.vars}
                retrieval = None
                if plan.rag is not None:
                    try:
                        merged, retrieval = plan.rag.prepare(case, merged)
                    except ValueError as missing:
                        self.problems.append(f"{case.where}: case {case.id!r}: {missing}")
                        continue
                ok = True
                checked = merged if retrieval is None else {k: v for k, v in merged.items() if k != "chunks"}
                if validator is not None and not (quick is not None and quick(checked)):
                    for error in sorted(validator.iter_errors(checked), key=lambda e: list(e.path)):
                        where = "/".join(str(p) for p in error.absolute_path) or "vars"
                        self.problems.append(f"{case.where}: case {case.id!r}: {where}: {error.message}")
                        ok = False
                for assertion in case.assertions:
                    self._check_assertion(plan, f"{case.where}: case {case.id!r}", assertion)
                if not ok:
                    continue  # reported: not rendered, so not reported twice
                try:
                    messages = renderer.render(merged)
                except Exception as error:  # jinja2 raises many kinds; every one is the user's template
                    self.problems.append(
                        f"{case.where}: case {case.id!r}: cannot render {plan.target.rel}: {error}"
                    )
                    continue
                if not plan.in_shard(case):
                    continue  # another shard's: checked all the same (every shard reports the same problems)
                plan.case_count += 1
                calls = len(plan.models) * plan.repeat
                self.count += calls
                if self.kept is not None and len(self.kept) + calls > KEEP_CALLS:
                    self.kept = None  # too many: the run makes them again from the cases
                if self.kept is not None:
                    assertions = [*defaults, *case.assertions]
                    self.kept += _case_calls(plan, case, merged, messages, assertions, retrieval)
        except CaseFileError as error:
            del self.problems[reported:]
            self.problems.append(str(error))
            return False
        plan.case_files = _case_files(plan)
        return True

    def _rag_step(self, suite: Artifact) -> tuple[RagStep, str] | None:
        """The suite's pipeline opened (its index built or updated) and the name of its answer prompt."""
        from llmops_ci.rag.pipeline import PipelineConfig
        from llmops_ci.rag.retrieve import open_retriever

        name = suite.spec["target"]["rag"]
        pipeline = self.graph.get("RagPipeline", name)
        where = ("spec", "target", "rag")
        if pipeline is None:
            names = [n for kind, n in self.graph.by_name if kind == "RagPipeline"]
            self.problem(suite, where, f"no RagPipeline named {name!r}{did_you_mean(name, names)}")
            return None
        if not pipeline.valid:
            self.problems += [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in pipeline.problems]
            return None
        answer = pipeline.spec.get("answer", {}).get("prompt")
        if answer is None:
            self.problem(
                suite,
                where,
                f"RagPipeline {name!r} has no answer prompt: nothing to call a model with; "
                f"`llmops-ci rag eval {name}` measures its retrieval alone",
            )
            return None
        try:
            retriever = self._retrievers.get(name)
            if retriever is None:  # several suites may target one pipeline: its index is opened once
                retriever = open_retriever(PipelineConfig.from_artifact(pipeline), self.config.root)
                self._retrievers[name] = retriever
        except LlmopsError as error:
            self.problems.append(str(error))
            return None
        from llmops_ci.guardrails.library import PolicyLibrary, PolicyLoadError

        policies, library = [], PolicyLibrary(self.graph)
        for index, policy_name in enumerate(pipeline.spec.get("guardrails", [])):
            try:
                policies.append(library.get(policy_name))
            except PolicyLoadError as error:
                at = pipeline.position(("spec", "guardrails", index))
                self.problems.append(f"{pipeline.rel}:{at.line}:{at.col}: {error}")
                return None
        digest = short(artifact_digest(pipeline, self.graph))
        return RagStep(pipeline, digest, retriever, policies), str(answer)

    def _target(self, suite: Artifact) -> Artifact | None:
        target = suite.spec["target"]
        name, where = target.get("prompt"), ("spec", "target", "prompt")
        if "rag" in target:
            opened = self._rag_step(suite)
            if opened is None:
                return None
            self._rag, name = opened
            where = ("spec", "target", "rag")
        if "agent" in target:  # --- agent suites: the Agent's system prompt renders each case
            from llmops_ci.agents.planning import open_agent

            agent_step = open_agent(self.graph, suite, self.problems)
            if agent_step is None:
                return None
            self._agent, name = agent_step, agent_step.agent.spec["prompt"]
            where = ("spec", "target", "agent")
        prompt = self.graph.get("Prompt", name)
        if prompt is None:
            names = [name for kind, name in self.graph.by_name if kind == "Prompt"]
            self.problem(suite, where, f"no Prompt named {name!r}{did_you_mean(str(name), names)}")
            return None
        if not prompt.valid:
            self.problems += [f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in prompt.problems]
            return None
        return prompt

    def _check_assertion(self, plan: SuitePlan, origin: str, assertion: dict[str, Any]) -> None:
        from llmops_ci.eval.assertion_types import validate_params
        from llmops_ci.eval.assertions import NOT_IMPLEMENTED

        kind = base_type(str(assertion.get("type", "")))
        where = f"{origin}: assertion {assertion.get('type')!r}"
        if kind == "python":
            plan.runs_user_code = True
        if kind not in ASSERTION_TYPES:
            self.problems.append(f"{where}: unknown type{did_you_mean(kind, ASSERTION_TYPES)}")
            return
        for message in validate_params(assertion):
            self.problems.append(f"{where}: {message}")
        if plan.agent is None:  # --- agent suites: tool assertions read an agent's transcript
            from llmops_ci.eval.assertions.agent import AGENT_TYPES

            if kind in AGENT_TYPES:
                self.problems.append(f"{where}: needs an agent suite (target: {{agent: NAME}})")
        if kind in NOT_IMPLEMENTED:
            self.problems.append(f"{where}: this assertion type is not available in this version yet")
        elif ASSERTION_TYPES[kind].model_graded and plan.grader is None and "grader" not in assertion:
            self.problems.append(f"{where}: needs a grader model: set spec.grader or defaults.grader")
        elif ASSERTION_TYPES[kind].needs_embeddings and not (plan.embedding_model or "grader" in assertion):
            self.problems.append(
                f"{where}: needs an embedding model: set defaults.embedding_model in llmops.yaml "
                "or the assertion's grader"
            )


def _case_calls(
    plan: SuitePlan,
    case: Case,
    merged: dict[str, Any],
    messages: list[dict[str, str]],
    assertions: list[dict[str, Any]],
    retrieval: dict[str, Any] | None = None,
) -> list[Call]:
    if retrieval is not None:  # the record keeps the case's own vars; the chunks are in its retrieval
        merged = {**plan.default_vars, **case.vars}
    agent = plan.agent.task(case.id, case.tool_results) if plan.agent is not None else None
    return [
        Call(plan, case, model, r, messages, assertions, merged, retrieval, agent)
        for model in plan.models
        for r in range(plan.repeat)
    ]


def _case_files(plan: SuitePlan) -> list[tuple[Path, int, int]]:
    files = plan.suite.spec.get("cases_file", [])
    found = []
    for relative in [files] if isinstance(files, str) else files:
        path = plan.suite.path.parent / relative
        stat = os.stat(path)
        found.append((path, stat.st_size, stat.st_mtime_ns))
    return found


def _replanned(plan: SuitePlan) -> Iterator[Call]:
    """The calls of a planned suite, made again from its cases (a streamed run): the cases were all
    checked when planned, so this only renders them; a cases file changed since is an error."""
    if _case_files(plan) != plan.case_files:
        raise LlmopsError(f"{plan.suite.rel}: a cases file changed during the run; run again")
    defaults = plan.default_assertions
    default_vars = plan.default_vars
    renderer = _Renderer(plan.target)
    for case in plan.iter_cases():
        if not plan.in_shard(case):
            continue
        merged = {**default_vars, **case.vars}
        retrieval = None
        if plan.rag is not None:
            merged, retrieval = plan.rag.prepare(case, merged)
        assertions = [*defaults, *case.assertions]
        yield from _case_calls(plan, case, merged, renderer.render(merged), assertions, retrieval)


@dataclass
class RunPlan:
    """The suites to run and their calls: ``count`` of them, made by :meth:`calls` (kept from planning
    for a run of up to ``KEEP_CALLS`` calls, else made again from the cases as the run consumes them)."""

    plans: list[SuitePlan]
    count: int
    kept: list[Call] | None

    @property
    def streamed(self) -> bool:
        return self.kept is None

    def calls(self) -> Iterator[Call]:
        if self.kept is not None:
            yield from self.kept
            return
        for plan in self.plans:
            yield from _replanned(plan)


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


def plan_run(
    graph: Graph, config: ProjectConfig, names: Sequence[str], shard: tuple[int, int] | None = None
) -> RunPlan:
    """Check everything about the requested suites before any model call; raises :class:`PlanError`.
    With ``shard=(i, N)``, every case is checked but only shard i's cases are planned."""
    planner = _Planner(graph, config, shard)
    plans = [plan for suite in select_suites(graph, names) if (plan := planner.suite(suite)) is not None]
    if planner.problems:
        raise PlanError(planner.problems)
    return RunPlan(plans, planner.count, planner.kept)
