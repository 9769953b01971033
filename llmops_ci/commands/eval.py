"""``llmops-ci eval``: plan the suites, run them (cache, concurrency, retries), write the results
directory, print the table, and exit on the thresholds."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from llmops_ci import __version__
from llmops_ci.commands._project import project_root
from llmops_ci.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, LlmopsError, UsageError
from llmops_ci.eval import memo
from llmops_ci.report import eval_text

if TYPE_CHECKING:  # the full path's machinery, imported when a run is not replayed (see memo)
    from llmops_ci.artifacts.loader import ProjectConfig
    from llmops_ci.artifacts.model import Graph
    from llmops_ci.eval.cache import ResponseCache
    from llmops_ci.eval.guarding import EvalGuards
    from llmops_ci.eval.plan import Call, RunPlan, SuitePlan
    from llmops_ci.eval.runner import RunOptions

FORMATS = ("text", "json", "junit")


@dataclass
class EvalOptions:
    suites: Sequence[str] = ()
    project: Path | None = None
    output: Path | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    replay: bool = False
    record: bool = False
    dry_run: bool = False
    concurrency: int | None = None
    timeout_s: float | None = None
    max_retries: int | None = None
    stream: bool = False
    output_format: str = "text"
    #: run every suite on this model (its prompt's params kept) instead of its own matrix
    model: str | None = None
    #: (index, count), 1-based: run only the cases of this shard (``--shard i/N``)
    shard: tuple[int, int] | None = None
    #: also write the run as a Markdown report here
    report: Path | None = None


def _git_sha(root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def response_cache(config: ProjectConfig, options: EvalOptions) -> ResponseCache:
    """The response cache a run reads and writes (llmops.yaml cache settings, --cache-dir, --no-cache...)."""
    from llmops_ci.eval.cache import ResponseCache

    cache_spec = config.spec.get("cache", {})
    directory = options.cache_dir or config.root / cache_spec.get("dir", ".llmops/cache")
    enabled = cache_spec.get("enabled", True) and not options.no_cache
    if options.replay and not enabled:
        raise UsageError("--replay reads the cache: it cannot be combined with --no-cache")
    return ResponseCache(directory, read=enabled and not options.record, write=enabled)


def make_run_options(
    config: ProjectConfig, options: EvalOptions, run_id: str, plans: list[SuitePlan]
) -> RunOptions:
    from llmops_ci.eval.runner import RunOptions

    defaults = config.defaults
    budgets = [plan.max_cost_usd for plan in plans if plan.max_cost_usd is not None]
    return RunOptions(
        concurrency=options.concurrency or int(defaults.get("concurrency", 8)),
        timeout_s=options.timeout_s or float(defaults.get("timeout_s", 60.0)),
        max_retries=options.max_retries
        if options.max_retries is not None
        else int(defaults.get("max_retries", 3)),
        replay=options.replay,
        stream=options.stream,
        git_sha=_git_sha(config.root),
        run_id=run_id,
        max_cost_usd=sum(budgets) if budgets else None,
    )


def _estimate(calls: Iterable[Call], cache: ResponseCache) -> dict[str, Any]:
    """Calls to make, tokens and cost they would take (litellm's price table; None where unknown)."""
    from llmops_ci.providers.catalog import model_info

    count = to_call = input_tokens = 0
    cost: float | None = 0.0
    unknown: set[str] = set()
    for call in calls:
        count += 1
        if cache.get(call.cache_key, call.plan.name) is not None:
            continue
        to_call += 1
        tokens_in = sum(len(m["content"]) for m in call.messages) // 4 + 4
        input_tokens += tokens_in
        info = model_info(call.model.id)
        out = int(
            call.model.params.get("max_tokens") or call.model.params.get("max_completion_tokens") or 256
        )
        if info.input_cost_per_token is None or info.output_cost_per_token is None:
            unknown.add(call.model.id)
            continue
        cost = (cost or 0.0) + tokens_in * info.input_cost_per_token + out * info.output_cost_per_token
    return {
        "calls": count,
        "cached": count - to_call,
        "to_call": to_call,
        "input_tokens": input_tokens,
        "cost_usd": cost,
        "unpriced_models": sorted(unknown),
    }


def _print_estimate(estimate: dict[str, Any]) -> None:
    cost = estimate["cost_usd"]
    priced = f"${cost:.4f}" if cost is not None else "unknown"
    sys.stdout.write(
        f"{estimate['calls']} calls planned, {estimate['cached']} in the cache, "
        f"{estimate['to_call']} to make\n"
        f"~{estimate['input_tokens']:,} input tokens; estimated cost {priced} (output at max_tokens)\n"
    )
    if estimate["unpriced_models"]:
        sys.stdout.write(
            "no price known for: " + ", ".join(estimate["unpriced_models"]) + " (cost not counted)\n"
        )


def override_models(graph: Graph, model: str) -> None:
    """Every suite runs on ``model`` (with its prompt's params) instead of its own ``models`` matrix."""
    for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
        spec = suite.data.get("spec")
        if isinstance(spec, dict):
            spec["models"] = [model]


def write_report(path: Path, summary: dict[str, Any], directory: Path) -> None:
    from llmops_ci.atomic import write_atomically
    from llmops_ci.eval.results import read_records
    from llmops_ci.report import eval_markdown

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, eval_markdown.render(summary, read_records(directory)))
    except OSError as error:
        raise UsageError(f"--report {path}: cannot write: {error.strerror}") from None
    sys.stderr.write(f"llmops-ci: report written to {path}\n")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(options: EvalOptions) -> int:
    if options.output_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    root = project_root(options.project)
    invocation = _invocation(root, options)
    if invocation is not None:
        found = memo.lookup(root, invocation.key())
        if found is not None:
            return _replay(root, found, options)
    return _run(root, options, invocation)


def _invocation(root: Path, options: EvalOptions) -> memo.Invocation | None:
    """What keys this run's memo; None when the run can neither replay one nor leave one."""
    if options.no_cache or options.record or options.dry_run:
        return None
    return memo.Invocation(root, tuple(options.suites), options.model, options.shard, options.cache_dir)


def _replay(root: Path, found: memo.Memo, options: EvalOptions) -> int:
    run_id = _run_id()
    directory = options.output or Path(found.default_runs_dir) / run_id
    try:
        _check_fresh(directory)
    except UsageError:
        found.close()
        raise
    started = _now()
    facts = {
        "run_id": run_id,
        "started_at": started,
        "git_sha": _git_sha(root),
        "toolkit_version": __version__,
        "finished_at": _now(),
        "results_dir": str(directory),
    }
    summary = memo.replay(found, directory, facts)
    if summary is None:  # the memo's records are damaged: run in full (it leaves a new memo)
        return _run(root, options, _invocation(root, options))
    sys.stderr.write(
        f"llmops-ci: nothing changed since run {found.source_run}: its {found.count} result(s), all from "
        "the cache, written again without planning (--no-cache or --record to run in full)\n"
    )
    return _conclude(summary, directory, options, interrupted=False, over_budget=False, replay_misses=0)


def _run(root: Path, options: EvalOptions, invocation: memo.Invocation | None) -> int:
    from llmops_ci.artifacts.loader import load_graph, load_project, walk
    from llmops_ci.artifacts.root import PROJECT_FILE
    from llmops_ci.eval.guarding import EvalGuards
    from llmops_ci.eval.plan import PlanError, plan_run
    from llmops_ci.providers.local import register_project as register_local_models

    # each input is noted before it is read (see llmops_ci.eval.memo): llmops.yaml, the walked tree, ...
    project_file = memo.file_entries([root / PROJECT_FILE])
    config = load_project(root)
    tree = memo.snapshot(walk(config), config.root) if invocation is not None else None
    if str(config.root) not in sys.path:
        sys.path.insert(0, str(config.root))  # `python` assertions and local models name the repo's modules
    register_local_models(config)
    graph = load_graph(config)
    if options.model:
        override_models(graph, options.model)
    read_later = memo.file_entries(_read_files(config, graph)) if invocation is not None else []  # ... cases
    if tree is not None:
        for corpus in _corpora(graph):  # ... and the RAG corpora the planner retrieves from
            tree.dirs += corpus.dirs
            tree.files += corpus.files
    guards = EvalGuards(graph)
    try:
        plan = plan_run(graph, config, options.suites, options.shard)
        _prepare_guardrails(guards, plan)
    except PlanError as error:
        sys.stderr.write("\n".join(f"llmops-ci: {problem}" for problem in error.problems) + "\n")
        sys.stderr.write(
            f"llmops-ci: {len(error.problems)} problem(s) found before any model call; nothing was run\n"
        )
        return EXIT_FINDINGS
    cache = response_cache(config, options)
    memoize = None
    if (
        invocation is not None
        and tree is not None
        and cache.read
        and cache.write
        and _memoizable(config, plan)
    ):
        inputs = memo.Inputs(
            tree, project_file + read_later, memo.cache_state(cache.directory, [p.name for p in plan.plans])
        )
        memoize = _Memoize(invocation, inputs, _runs_dir(config))
    run_options = make_run_options(config, options, _run_id(), plan.plans)
    if options.dry_run:
        if options.shard is not None:
            _print_shard(options.shard, plan)
        _print_estimate(_estimate(plan.calls(), cache))
        return EXIT_OK
    budget = run_options.max_cost_usd
    # the estimate reads every cache entry: only worth it when a budget is there to check
    estimate = _estimate(plan.calls(), cache) if budget is not None else None
    if budget is not None and estimate and estimate["cost_usd"] is not None and estimate["cost_usd"] > budget:
        raise LlmopsError(
            f"estimated cost ${estimate['cost_usd']:.4f} exceeds the budget ${budget:.4f} "
            "(max_cost_usd); nothing was run. See --dry-run"
        )
    return _execute(config, options, run_options, plan, cache, guards, memoize)


@dataclass
class _Memoize:
    """What a run needs to leave a memo when it ends served entirely from the cache."""

    invocation: memo.Invocation
    inputs: memo.Inputs
    default_runs_dir: Path

    def store(self, directory: Path, summary: dict[str, Any], count: int) -> None:
        memo.store(
            root=self.invocation.root,
            key=self.invocation.key(),
            inputs=self.inputs,
            default_runs_dir=self.default_runs_dir,
            results_dir=directory,
            summary=summary,
            count=count,
        )


def _local_model_files(config: ProjectConfig) -> list[Path]:
    """The files named by local models' options (``train: data/train.jsonl``), relative to the project."""
    providers = config.spec.get("providers")
    local = providers.get("local") if isinstance(providers, dict) else None
    found = []
    for value in local.values() if isinstance(local, dict) else []:
        options = value.get("options") if isinstance(value, dict) else None
        for option in options.values() if isinstance(options, dict) else []:
            if isinstance(option, str) and option and (config.root / option).is_file():
                found.append(config.root / option)
    return found


def _corpora(graph: Graph) -> list[memo.Snapshot]:
    """The corpora of the RagPipelines that suites target, as their reader will see them."""
    from llmops_ci.rag.pipeline import PipelineConfig

    names = set()
    for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
        target = suite.spec.get("target") if isinstance(suite.spec, dict) else None
        if isinstance(target, dict) and isinstance(target.get("rag"), str):
            names.add(target["rag"])
    found = []
    for name in sorted(names):
        pipeline = graph.get("RagPipeline", name)
        if pipeline is None or not pipeline.valid:
            continue  # the planner reports it
        try:
            found.append(memo.corpus_snapshot(PipelineConfig.from_artifact(pipeline).corpus_dir))
        except LlmopsError:
            continue
    return found


def _memoizable(config: ProjectConfig, plan: RunPlan) -> bool:
    """No input outside the manifest: no dense retrieval (its vectors come from an embedding cache), no
    ``python`` assertion, no local model class of the project's own (see llmops_ci.eval.memo)."""
    from llmops_ci.baselines import BASELINES

    if any(suite.runs_user_code for suite in plan.plans):
        return False
    if any(suite.rag is not None and suite.rag.retriever.config.dense for suite in plan.plans):
        return False
    providers = config.spec.get("providers")
    local = providers.get("local") if isinstance(providers, dict) else None
    for value in local.values() if isinstance(local, dict) else []:
        used = value.get("use") if isinstance(value, dict) else value
        if used not in BASELINES:
            return False
    return True


def _read_files(config: ProjectConfig, graph: Graph) -> list[Path]:
    """The files a run reads besides the YAML it walks: every suite's cases files, guardrail
    ``terms_file``s (relative to their artifact's directory), the files local models' options name (the
    planner builds the models) and litellm's price table."""
    from llmops_ci.providers.catalog import litellm_table_path

    found = _local_model_files(config)
    for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
        files = suite.spec.get("cases_file") if isinstance(suite.spec, dict) else None
        for name in [files] if isinstance(files, str) else files if isinstance(files, list) else []:
            if isinstance(name, str) and name:
                found.append(suite.path.parent / name)
    for policy in graph.of_kind("GuardrailPolicy", valid_only=False, everywhere=True):
        checks = policy.spec.get("checks") if isinstance(policy.spec, dict) else None
        for check in checks if isinstance(checks, list) else []:
            name = check.get("terms_file") if isinstance(check, dict) else None
            if isinstance(name, str) and name:
                found.append(Path(name) if Path(name).is_absolute() else policy.path.parent / name)
    table = litellm_table_path()
    return [*found, *([table] if table is not None else [])]


def _runs_dir(config: ProjectConfig) -> Path:
    return config.root / str(config.spec.get("runs", {}).get("dir", ".llmops/runs"))


def _check_fresh(directory: Path) -> None:
    if (directory / "records.jsonl").is_file():
        raise UsageError(f"{directory} already holds a run: choose another --output (runs never mix)")


def _print_shard(shard: tuple[int, int], plan: RunPlan) -> None:
    cases = sum(suite.case_count for suite in plan.plans)
    sys.stdout.write(f"shard {shard[0]}/{shard[1]}: {cases} case(s), {plan.count} call(s)\n")


def _prepare_guardrails(guards: EvalGuards, plan: RunPlan) -> None:
    """Compile every policy the suites run with or assert, before any model call."""
    from llmops_ci.eval.guarding import suite_policy_names
    from llmops_ci.eval.plan import PlanError

    problems = []
    for suite in plan.plans:
        names = suite_policy_names(suite.suite.spec, suite.target.spec)
        problems += guards.prepare(names, f"suite {suite.name!r} ({suite.suite.rel})")
    if problems:
        raise PlanError(problems)


def _execute(
    config: ProjectConfig,
    options: EvalOptions,
    run_options: RunOptions,
    plan: RunPlan,
    cache: ResponseCache,
    guards: EvalGuards,
    memoize: _Memoize | None = None,
) -> int:
    from llmops_ci.eval.results import RecordWriter, Summarizer, write_summary
    from llmops_ci.eval.runner import Runner

    directory = options.output or _runs_dir(config) / run_options.run_id
    _check_fresh(directory)
    writer = RecordWriter(directory)
    summarizer = Summarizer()  # running totals: records go to disk as they finish, none stay in memory
    progress = eval_text.Progress(plan.count)

    def on_record(record: dict[str, Any]) -> None:
        writer.write(record, flush=not record["cache_hit"])
        summarizer.add(record)
        progress.advance(record)

    run_facts = {
        "run_id": run_options.run_id,
        "started_at": _now(),
        "git_sha": run_options.git_sha,
        "toolkit_version": __version__,
        "complete": False,
        **({"shard": {"index": options.shard[0], "count": options.shard[1]}} if options.shard else {}),
    }
    runner = Runner(run_options, cache, on_record)
    runner.guards = guards
    previous = signal.signal(signal.SIGTERM, _interrupt)
    interrupted = served_whole = False
    try:
        # calls the cache answers are recorded as they come, without an event loop; the first one it
        # cannot answer starts the loop, whose workers take the rest
        to_call = runner.serve_cached(plan.calls())
        first = next(to_call, None)
        if first is not None:
            import asyncio

            asyncio.run(runner.run(itertools.chain((first,), to_call)))
        else:
            served_whole = True
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        writer.close()
        cache.close()
        progress.done()
    complete = not interrupted and not runner.over_budget and summarizer.count == plan.count
    summary = summarizer.summary(
        {
            **run_facts,
            "finished_at": _now(),
            "complete": complete,
            "results_dir": str(directory),
            "model_calls": runner.calls_made,
        },
    )
    write_summary(directory, summary)
    if memoize is not None and served_whole and complete and runner.calls_made == 0:
        memoize.store(directory, summary, summarizer.count)
    return _conclude(
        summary,
        directory,
        options,
        interrupted=interrupted,
        over_budget=runner.over_budget,
        replay_misses=len(runner.replay_misses),
        spent_usd=runner.spent_usd,
        kept=summarizer.count,
        planned=plan.count,
    )


def _conclude(
    summary: dict[str, Any],
    directory: Path,
    options: EvalOptions,
    *,
    interrupted: bool,
    over_budget: bool,
    replay_misses: int,
    spent_usd: float = 0.0,
    kept: int = 0,
    planned: int | None = None,
) -> int:
    """Print the run (text, json or junit), write its report, and choose the exit status."""
    from llmops_ci.eval.results import read_records

    # only JUnit lists every record: read them back from records.jsonl (a run directory holds one run)
    records = list(read_records(directory)) if options.output_format == "junit" else []
    eval_text.emit(summary, options.output_format, records)
    if options.report is not None:
        write_report(options.report, summary, directory)
    if interrupted:
        sys.stderr.write(f"llmops-ci: interrupted; {kept} of {planned} results kept in {directory}\n")
        return EXIT_INTERRUPTED
    if over_budget:
        sys.stderr.write(f"llmops-ci: stopped: spent ${spent_usd:.4f}, over the budget\n")
    if replay_misses:
        sys.stderr.write(f"llmops-ci: --replay: {replay_misses} request(s) not in the cache\n")
        return EXIT_FINDINGS
    cases = sum(suite.get("cases", 0) for suite in summary.get("suites", []))
    if options.shard is not None and cases == 0 and summary.get("complete"):
        sys.stderr.write(f"llmops-ci: shard {options.shard[0]}/{options.shard[1]} holds no cases\n")
        return EXIT_OK
    return EXIT_OK if summary["passed"] else EXIT_FINDINGS
