"""The command line: click only. Each command parses options and calls ``commands.<name>.run(...)``.

Exit codes: 0 ok; 1 findings, failed cases or gates; 2 command-line misuse or unreadable llmops.yaml;
3 internal error; 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from llmops_ci import __version__
from llmops_ci.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, LlmopsError
from llmops_ci.report import LINT_REPORTERS

FORMAT_CHOICES = ("auto", *LINT_REPORTERS)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="llmops-ci")
def cli() -> None:
    """Git-native CI/CD for prompts, guardrail policies, RAG configs and eval suites.

    Artifacts are YAML files (apiVersion: llmops-ci/v1) found under the paths of llmops.yaml.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--project",
    "-C",
    type=click.Path(path_type=Path),
    help="Repository root holding llmops.yaml (default: found above PATH or the working directory).",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these rule codes or prefixes, comma-separated (e.g. S,R001). Overrides llmops.yaml.",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="auto is github when GITHUB_ACTIONS=true, else text.",
)
def lint(
    paths: tuple[Path, ...],
    project: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    output_format: str,
) -> None:
    """Validate artifacts against their schemas and run the lint rules.

    With no PATH, the whole repository. With files, those files plus what they reference and what
    references them (a prompt change can break a suite). Suppress one finding with a comment
    `# llmops-ci: disable=CODE` on its line or the line above; a whole file with `disable-file=CODE`.
    """
    from llmops_ci.commands import lint as command

    sys.exit(
        command.run(
            list(paths),
            project=project,
            select=select,
            ignore=ignore,
            strict=strict,
            output_format=output_format,
        )
    )


@cli.command()
@click.argument("code", required=False)
@click.option("--list", "list_rules", is_flag=True, help="List every rule.")
@click.option("--markdown", is_flag=True, help="With --list: a Markdown table (the README's rule list).")
def rule(code: str | None, list_rules: bool, markdown: bool) -> None:
    """Print the documentation of rule CODE, or list the rules."""
    from llmops_ci.commands import rule as command

    sys.exit(command.run(code, list_rules=list_rules, markdown=markdown))


@cli.command()
@click.argument("kind", required=False)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    help="Write every schema into this directory (for editors' yaml-language-server).",
)
def schema(kind: str | None, output_dir: Path | None) -> None:
    """Print the JSON Schema of KIND (Prompt, EvalSuite, ...); no KIND lists the kinds."""
    from llmops_ci.commands import schema as command

    sys.exit(command.run(kind, output_dir=output_dir))


@cli.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Scaffold a minimal repository in DIRECTORY that lints clean. Never overwrites a file."""
    from llmops_ci.commands import init as command

    sys.exit(command.run(directory))


@cli.command(name="eval")
@click.argument("suites", nargs=-1)
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Results directory (default .llmops/runs/<run-id>).",
)
@click.option(
    "--concurrency", "-j", type=click.IntRange(min=1), help="Requests in flight at once (default 8)."
)
@click.option(
    "--timeout", "timeout_s", type=click.FloatRange(min=0.001), help="Seconds per request (default 60)."
)
@click.option("--max-retries", type=click.IntRange(min=0), help="Retries of a failed request (default 3).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")
@click.option("--replay", is_flag=True, help="Only cached responses; a miss is an error (exit 1).")
@click.option("--record", is_flag=True, help="Call the models again and refresh the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory, e.g. .llmops/cassettes.")
@click.option("--stream", is_flag=True, help="Stream responses to measure time to first token.")
@click.option("--dry-run", is_flag=True, help="Print calls, tokens and estimated cost; call nothing.")
@click.option(
    "--model",
    envvar="LLMOPS_CI_MODEL",
    help="Run every suite on this model id instead of its own models (env LLMOPS_CI_MODEL).",
)
@click.option(
    "--shard",
    metavar="I/N",
    callback=lambda _ctx, _param, value: _shard(value),
    help="Run only shard I of N (1-based): a case's shard is sha256(suite/case) mod N + 1.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a Markdown report: tables, gates, failed cases with reasons.",
)
def eval_command(
    suites: tuple[str, ...],
    project: Path | None,
    output: Path | None,
    concurrency: int | None,
    timeout_s: float | None,
    max_retries: int | None,
    no_cache: bool,
    replay: bool,
    record: bool,
    cache_dir: Path | None,
    stream: bool,
    dry_run: bool,
    model: str | None,
    shard: tuple[int, int] | None,
    output_format: str,
    report: Path | None,
) -> None:
    """Run eval suites (all by default) against their models and gate on their thresholds.

    Writes records.jsonl (one line per call, as calls finish) and summary.json. Exit 0 when every
    threshold holds, 1 when one fails (or on a --replay miss), 130 when interrupted (results kept).
    A rerun of the same command after a run the cache answered whole, with nothing it depends on
    changed, writes that run's results again without planning (see .llmops/memo; --no-cache runs in full).
    """
    import gc

    from llmops_ci.commands import eval as command

    gc.enable()  # a long run must collect (the console script starts with the collector off)
    if replay and record:
        raise click.UsageError("--replay and --record exclude each other")
    options = command.EvalOptions(
        suites=suites,
        project=project,
        output=output,
        cache_dir=cache_dir,
        no_cache=no_cache,
        replay=replay,
        record=record,
        dry_run=dry_run,
        concurrency=concurrency,
        timeout_s=timeout_s,
        max_retries=max_retries,
        stream=stream,
        output_format=output_format,
        model=model,
        shard=shard,
        report=report,
    )
    sys.exit(command.run(options))


def _shard(value: str | None) -> tuple[int, int] | None:
    """``--shard I/N`` as (I, N); a bad value is a usage error (exit 2)."""
    if value is None:
        return None
    from llmops_ci.eval.plan import parse_shard

    try:
        return parse_shard(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--shard'") from None


# --- merge: commands/merge.py (combine shard runs)


@cli.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output", "-o", required=True, type=click.Path(path_type=Path), help="The merged run directory (new)."
)
@click.option(
    "--allow-partial", is_flag=True, help="Missing shards or incomplete inputs do not fail (exit 0)."
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def merge(runs: tuple[Path, ...], output: Path, allow_partial: bool, output_format: str) -> None:
    """Combine runs (e.g. the shards of `eval --shard I/N`) into one run directory at --output.

    Records are concatenated (a case_id x model x repeat in two inputs is refused) and the summary is
    recomputed from them. Complete only when every input is complete and, for shard runs, shards 1..N
    are each given once. Exit 0; 1 when incomplete (unless --allow-partial); 2 for unusable input.
    Thresholds are not gated here: `llmops-ci show DIR` exits 1 when the merged run misses one.
    """
    from llmops_ci.commands import merge as command

    sys.exit(command.run(list(runs), output=output, allow_partial=allow_partial, output_format=output_format))


@cli.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a Markdown report: tables, gates, failed cases with reasons.",
)
def show(results: Path, output_format: str, report: Path | None) -> None:
    """Print a saved run (a results directory, or a runs directory for the latest run)."""
    from llmops_ci.commands import show as command

    sys.exit(command.run(results, output_format=output_format, report=report))


@cli.command()
@click.argument("base", required=False, type=click.Path(path_type=Path))
@click.argument("head", required=False, type=click.Path(path_type=Path))
@click.option(
    "--artifacts",
    nargs=2,
    metavar="BASE_REF HEAD_REF",
    help="Also say which artifacts changed between these git refs (shown above the numbers).",
)
@click.option(
    "--project", "-C", type=click.Path(path_type=Path), help="Project directory for --artifacts (default: .)."
)
@click.option(
    "--pair-models",
    "pairs",
    multiple=True,
    metavar="A=B",
    help="Compare base's model A with head's model B on the same case ids; only listed pairs are compared.",
)
@click.option(
    "--max-regression",
    "limits",
    multiple=True,
    metavar="METRIC=LIMIT",
    help="How much METRIC may get worse per suite x model (in its unit, or N% of base); "
    "exceeding it counts as a regression for --fail-on.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of the pass-rate verdict (two-sided).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "regression"]),
    default="never",
    show_default=True,
    help="regression: exit 1 when a suite x model regressed or a --max-regression limit was exceeded.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown is the pull-request comment (under GitHub's 65,536-character limit).",
)
def diff(
    base: Path | None,
    head: Path | None,
    artifacts: tuple[str, str] | None,
    project: Path | None,
    pairs: tuple[str, ...],
    limits: tuple[str, ...],
    alpha: float,
    fail_on: str,
    output_format: str,
) -> None:
    """Compare two runs (results directories) per suite x model.

    Cases line up by id and model. Per suite x model: pass-rate delta with a paired bootstrap 95%
    interval and an exact conditional test (exact McNemar on the flips with repeat 1), a verdict
    (improved / regressed / no significant change, decided on pass rate at --alpha), the other metrics'
    deltas, flipped cases with the failing assertion's reason, new and removed cases, error changes.
    With --artifacts alone (no BASE HEAD), only the artifact changes. Exit 0; 1 with --fail-on
    regression when something regressed; 2 for unusable input.
    """
    from llmops_ci.commands import diff as command

    options = command.DiffOptions(
        base=base,
        head=head,
        artifacts=(artifacts[0], artifacts[1]) if artifacts else None,
        project=project,
        pairs=pairs,
        limits=limits,
        alpha=alpha,
        output_format=output_format,
        fail_on=fail_on,
    )
    sys.exit(command.run(options))


@cli.command()
def metrics() -> None:
    """List the metrics thresholds and gates can name, with direction and unit."""
    from llmops_ci.commands import catalog

    sys.exit(catalog.run_metrics())


@cli.command()
def assertions() -> None:
    """List the assertion types eval suites can use."""
    from llmops_ci.commands import catalog

    sys.exit(catalog.run_assertions())


@cli.group()
def guard() -> None:
    """Guardrail policies: check text against a policy, list the check types."""


@guard.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--policy", "policy_name", required=True, help="Name of the GuardrailPolicy.")
@click.option(
    "--scope",
    type=click.Choice(["input", "output", "retrieval"]),
    default="input",
    show_default=True,
    help="Which of the policy's actions apply.",
)
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml.")
@click.option("--strict", is_flag=True, help="A warn verdict fails too (exit 1).")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def guard_check(
    paths: tuple[Path, ...],
    policy_name: str,
    scope: str,
    project: Path | None,
    strict: bool,
    output_format: str,
) -> None:
    """Run a policy on PATHS, or on stdin (no PATHS or -).

    From stdin, the text after redaction and masking goes to stdout (nothing when blocked), findings to
    stderr as path:line:col: action check ENTITY. Exit 1 when blocked (or warned, with --strict).
    """
    from llmops_ci.commands import guard as command

    sys.exit(
        command.check(
            list(paths),
            policy_name=policy_name,
            scope=scope,
            project=project,
            strict=strict,
            output_format=output_format,
        )
    )


@guard.command(name="checks")
@click.argument("check_type", required=False)
def guard_checks(check_type: str | None) -> None:
    """List the check types, or print one check's documentation."""
    from llmops_ci.commands import guard as command

    sys.exit(command.checks(check_type))


@cli.group()
def rag() -> None:
    """RAG pipelines: build the index, query it, measure retrieval, drift and tuning."""


_RAG_PROJECT = click.option(
    "--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml."
)
_RAG_FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@rag.command(name="build")
@click.argument("pipelines", nargs=-1)
@_RAG_PROJECT
@click.option("--force", is_flag=True, help="Parse, chunk and embed every document again.")
@_RAG_FORMAT
def rag_build(pipelines: tuple[str, ...], project: Path | None, force: bool, output_format: str) -> None:
    """Build or update the index of PIPELINES (default: all) under .llmops/index/.

    Only documents whose bytes changed are parsed, chunked and embedded again; an unchanged corpus and
    configuration load the existing index.
    """
    from llmops_ci.commands import rag as command

    sys.exit(command.build(pipelines, project=project, force=force, output_format=output_format))


@rag.command(name="query")
@click.argument("question")
@click.option("--pipeline", "-p", "pipeline", help="RagPipeline name (default: the only one).")
@click.option(
    "--top-k", "-k", type=click.IntRange(min=1), help="Chunks to return (default: retrieval.top_k)."
)
@_RAG_PROJECT
@_RAG_FORMAT
def rag_query(
    question: str, pipeline: str | None, top_k: int | None, project: Path | None, output_format: str
) -> None:
    """Print the chunks QUESTION retrieves: rank, score, chunk id (source#n), heading and text."""
    from llmops_ci.commands import rag as command

    sys.exit(command.query(pipeline, question, project=project, top_k=top_k, output_format=output_format))


@rag.command(name="eval")
@click.argument("pipeline", required=False)
@click.option("--suite", "suites", multiple=True, help="Only this EvalSuite (repeatable).")
@click.option(
    "--misses",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Questions whose expected chunks were not retrieved to list.",
)
@_RAG_PROJECT
@_RAG_FORMAT
def rag_eval(
    pipeline: str | None, suites: tuple[str, ...], misses: int, project: Path | None, output_format: str
) -> None:
    """Measure PIPELINE's retrieval alone over the suites targeting it (no model is called).

    Per suite: hit rate, recall@k, precision@k, MRR, nDCG@k over cases with expected_chunks, and context
    relevance over all; the suite's thresholds on these metrics decide the exit code (1 on a failure).
    """
    from llmops_ci.commands import rag as command

    sys.exit(
        command.evaluate(pipeline, suites, project=project, output_format=output_format, show_misses=misses)
    )


@rag.command(name="drift")
@click.argument("base")
@click.argument("head")
@click.option("--pipeline", "-p", "pipeline", help="RagPipeline name (default: the only one).")
@_RAG_PROJECT
@_RAG_FORMAT
def rag_drift(base: str, head: str, pipeline: str | None, project: Path | None, output_format: str) -> None:
    """Semantic drift from BASE to HEAD: two git refs (the corpus at each) or two audit logs.

    Measures: term_jsd, vocabulary_new_fraction, centroid_shift, topk_changed_fraction, topk_mean_jaccard
    and (query logs) query_length_shift, judged against the pipeline's drift.thresholds; exit 1 when one
    is beyond its limit.
    """
    from llmops_ci.commands import rag as command

    sys.exit(command.drift(base, head, name=pipeline, project=project, output_format=output_format))


def _numbers(kind: type) -> Any:
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> list[Any]:
        if not value:
            return []
        try:
            return [kind(item) for item in value.split(",") if item.strip()]
        except ValueError:
            raise click.BadParameter(f"{value!r}: a comma-separated list of numbers") from None

    return convert


@rag.command(name="tune")
@click.argument("pipeline", required=False)
@click.option("--size", "sizes", callback=_numbers(int), help="Chunk sizes, e.g. 128,256,512.")
@click.option(
    "--overlap",
    "overlaps",
    callback=_numbers(float),
    help="Overlaps: units, or a fraction of the size below 1 (e.g. 0,0.1).",
)
@click.option("--top-k", "top_ks", callback=_numbers(int), help="top_k values, e.g. 3,5,8.")
@click.option("--objective", help="Retrieval metric to maximise (default recall_at_k).")
@_RAG_PROJECT
@_RAG_FORMAT
def rag_tune(
    pipeline: str | None,
    sizes: list[int],
    overlaps: list[float],
    top_ks: list[int],
    objective: str | None,
    project: Path | None,
    output_format: str,
) -> None:
    """Sweep chunk size, overlap and top_k against PIPELINE's retrieval cases.

    Prints each setting's retrieval metrics and context tokens per question, and the best setting. The
    grid comes from the options, else the pipeline's tune section, else half/same/double the current one.
    """
    from llmops_ci.commands import rag as command

    sys.exit(
        command.tune(
            pipeline,
            project=project,
            sizes=sizes,
            overlaps=overlaps,
            top_ks=top_ks,
            objective=objective,
            output_format=output_format,
        )
    )


# --- maturity, cost: commands/maturity.py, commands/cost.py (governance)


@cli.command()
@click.argument("repo", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--rubric", is_flag=True, help="Print the rubric (every criterion of every level) and exit.")
@click.option(
    "--fail-under",
    type=click.IntRange(0, 2),
    help="Exit 1 when a dimension scores below this level (a CI gate).",
)
def maturity(repo: Path | None, output_format: str, rubric: bool, fail_under: int | None) -> None:
    """Score REPO (default: the working directory) on the seed's six LLMOps maturity dimensions.

    Each of prompt management, RAG pipeline, guardrails, evaluation, cost management and governance is
    at Level 0 (manual / ad hoc), 1 (pipeline automation) or 2 (full CI/CD + governance): a level is
    reached when all its criteria and those of the levels below hold. The evidence is what the
    repository shows: artifacts, workflows running llmops-ci or its Action, release and promotion tags,
    thresholds, budgets, owners, monitoring rules, audit logs and the EU AI Act risk class in
    llmops.yaml (spec.governance). Each dimension lists what was found and the next step.

    \b
    Dimension          Level 1                             Level 2
    prompt management  schema-valid prompts in git         PR CI, release tags, promotions w/ evidence
    RAG pipeline       pipeline with corpus + eval suite   retrieval gate, drift limits, tuning
    guardrails         PII/secrets policy on every prompt  fixtures, input+output, trigger alerts
    evaluation         thresholds, every prompt tested     PR CI, hallucination checks, scheduled runs
    cost management    a budget and a spend alert          owners with budgets, model comparison
    governance         owners and audit logging            risk class, approvers, retention, duties

    Run with --rubric for every criterion.
    """
    from llmops_ci.commands import maturity as command

    sys.exit(command.run(repo, output_format=output_format, rubric=rubric, fail_under=fail_under))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--by",
    type=click.Choice(["owner", "cost-center", "suite", "model", "label", "artifact"]),
    default="owner",
    show_default=True,
    help="Group the totals (owner and labels: the called artifact's metadata; cost-center: the owner's "
    "in spec.governance.owners).",
)
@click.option(
    "--label", "label_key", metavar="KEY", help="With --by label: one label key only (rows add up)."
)
@click.option("--since", metavar="DATE", help="First day (2025-01-31) or ISO date-time, UTC.")
@click.option("--until", metavar="DATE", help="Last day (inclusive) or ISO date-time (exclusive), UTC.")
@click.option(
    "--period",
    type=click.Choice(["day", "month"]),
    default="month",
    show_default=True,
    help="Budget period: each owner's spend per UTC day or month against budgets.owners.",
)
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
def cost(
    paths: tuple[Path, ...],
    by: str,
    label_key: str | None,
    since: str | None,
    until: str | None,
    period: str,
    project: Path | None,
    output_format: str,
) -> None:
    """Token and cost totals of eval RESULTS and runtime AUDIT logs, for chargeback.

    PATHS: results directories (records.jsonl), directories of runs, audit directories or audit files;
    default: the audit directory (spec.governance.audit.dir, spec.monitoring.audit_dir,
    $LLMOPS_AUDIT_DIR or .llmops/audit). Costs are attributed to the called artifact's metadata.owner
    and metadata.labels. Each owner's spend per --period is checked against spec.budgets.owners in
    llmops.yaml: exit 1 when an owner is over budget.
    """
    from llmops_ci.commands import cost as command

    sys.exit(
        command.run(
            list(paths),
            by=by,
            label_key=label_key,
            since=since,
            until=until,
            period=period,
            project=project,
            output_format=output_format,
        )
    )


# --- monitor: commands/monitor.py


@cli.command()
@click.argument("audit", nargs=-1, type=click.Path(path_type=Path))
@click.option("--since", help="Window start: a date, a date-time (UTC) or a duration back (7d, 24h).")
@click.option("--until", help="Window end (exclusive), same forms as --since.")
@click.option(
    "--baseline",
    help="Drift baseline: other audit logs (a path), or FROM..TO of the same logs (default: before --since).",
)
@click.option("--sample", type=int, help="Answers checked for groundedness (default 200).")
@click.option("--grader", help="Also grade the sampled answers with this model (context faithfulness).")
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--list-metrics", is_flag=True, help="List the metrics alert rules can name, and exit.")
def monitor(
    audit: tuple[Path, ...],
    since: str | None,
    until: str | None,
    baseline: str | None,
    sample: int | None,
    grader: str | None,
    project: Path | None,
    output_format: str,
    list_metrics: bool,
) -> None:
    """Report on the runtime audit logs AUDIT (files or directories; default .llmops/audit).

    Token usage and cost by day, version, model and owner; guardrail triggers and their trend; sampled
    groundedness of answers against their chunks; query drift against a baseline; weighted rollouts side
    by side. Exit 1 when an alert rule of llmops.yaml (spec.monitoring.alerts) fires.
    """
    from llmops_ci.commands import monitor as command

    if list_metrics:
        sys.exit(command.list_metrics())
    options = command.MonitorOptions(
        audit=audit,
        since=since,
        until=until,
        baseline=baseline,
        project=project,
        output_format=output_format,
        sample=sample,
        grader=grader,
    )
    sys.exit(command.run(options))


# --- report: commands/report.py (one self-contained HTML report)


@cli.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--compare",
    "compare",
    type=click.Path(path_type=Path),
    help="Base results directory: base vs head charts, verdicts and flips.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Response cache holding the rendered prompts (default: .llmops/cache beside the runs directory).",
)
@click.option(
    "--max-cases",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Records in the drill-down (flips, errors and failures first).",
)
@click.option(
    "--audit",
    "audit",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Runtime audit logs (files or directories): adds the llmops-ci monitor summary. Repeatable.",
)
@click.option("--since", help="With --audit: only calls since this date, date-time or duration (7d).")
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml.")
def report(
    results: Path,
    compare: Path | None,
    output: Path,
    cache_dir: Path | None,
    max_cases: int,
    audit: tuple[Path, ...],
    since: str | None,
    project: Path | None,
) -> None:
    """Write the run in RESULTS as one self-contained HTML file (tables, charts, per-case drill-down).

    RESULTS is a results directory, or a runs directory for the latest run. The file opens offline.
    With --audit, production monitoring from the runtime audit logs is a section of the same file.
    """
    from llmops_ci.commands import report as command

    sections = command.monitoring_sections(audit, since=since, project=project) if audit else []
    sys.exit(
        command.run(
            results,
            output=output,
            compare=compare,
            cache_dir=cache_dir,
            max_cases=max_cases,
            sections=sections,
        )
    )


# --- finetune: commands/finetune.py (FineTune artifacts: data checks, job submission and status)


@cli.group()
def finetune() -> None:
    """Fine-tunes: validate the training data, submit the job, follow it until the model exists."""


_FT_PROJECT = click.option(
    "--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml."
)
_FT_FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@finetune.command(name="validate")
@click.argument("name")
@_FT_PROJECT
@_FT_FORMAT
@click.option("--strict", is_flag=True, help="Warnings (duplicates, warn-level findings) fail too.")
def finetune_validate(name: str, project: Path | None, output_format: str, strict: bool) -> None:
    """Check the data of FineTune NAME: chat format per line, tokens, context window, duplicates, PII and
    secrets, leakage of the gating suite's cases, and the cost estimate. Problems as file:line."""
    from llmops_ci.commands import finetune as command

    sys.exit(command.validate_command(name, project=project, output_format=output_format, strict=strict))


@finetune.command(name="submit")
@click.argument("name")
@_FT_PROJECT
@click.option("--force", is_flag=True, help="Submit even when the state file records a live or finished job.")
def finetune_submit(name: str, project: Path | None, force: bool) -> None:
    """Validate, upload the data and create the fine-tuning job of NAME; its id goes to NAME's state file
    (<artifact>.state.json, next to the artifact: commit it)."""
    from llmops_ci.commands import finetune as command

    sys.exit(command.submit_command(name, project=project, force=force))


@finetune.command(name="status")
@click.argument("name")
@_FT_PROJECT
@click.option("--wait", is_flag=True, help="Poll until the job succeeds, fails or is cancelled.")
@click.option(
    "--interval", "interval_s", type=click.FloatRange(min=0), default=30.0, show_default=True, help="Seconds."
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0),
    default=86400.0,
    show_default=True,
    help="Seconds.",
)
@_FT_FORMAT
@click.option(
    "--gate", is_flag=True, help="Once the model exists, run the gating suite on it (exit code: eval's)."
)
def finetune_status(
    name: str,
    project: Path | None,
    wait: bool,
    interval_s: float,
    timeout_s: float,
    output_format: str,
    gate: bool,
) -> None:
    """Read the job of NAME from the provider and update its state file; once the model exists, print the
    command that runs the gating suite on it (--gate runs it)."""
    from llmops_ci.commands import finetune as command

    sys.exit(
        command.status_command(
            name,
            project=project,
            wait=wait,
            interval_s=interval_s,
            timeout_s=timeout_s,
            output_format=output_format,
            gate=gate,
        )
    )


# --- releases and promotions: commands/release.py, promote.py, rollback.py, history.py, ci_release.py

_PROJECT_OPTION = click.option(
    "--project", "-C", type=click.Path(path_type=Path), help="Repository root holding llmops.yaml."
)
_RESULTS_OPTION = click.option(
    "--results",
    multiple=True,
    type=click.Path(path_type=Path),
    help="More results (a run directory or a directory of runs) besides the project's runs directory.",
)
_PUSH_OPTION = click.option(
    "--push", metavar="REMOTE", help="Push the new promotion tag to REMOTE (e.g. origin), atomically."
)
_ENV_FILE_OPTION = click.option(
    "--update-env-file",
    is_flag=True,
    help="Also write the new version into the Environment file's releases and commit it (GitOps).",
)


@cli.group()
def release() -> None:
    """Release artifacts as git tags: <kind-plural>/<name>@<x.y.z> (e.g. prompts/x@1.4.0)."""


@release.command(name="plan")
@click.argument("names", nargs=-1)
@_PROJECT_OPTION
@_RESULTS_OPTION
@click.option("--all", "show_all", is_flag=True, help="List unchanged artifacts too.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def release_plan(
    names: tuple[str, ...],
    project: Path | None,
    results: tuple[Path, ...],
    show_all: bool,
    output_format: str,
) -> None:
    """Show what changed since each artifact's last release tag, the proposed semver bump and why,
    and the eval evidence for the exact content digest (pass rate, cost).

    NAMES are prompt names or prefix/name (policies/x, rag/x, suites/x); none means every artifact.
    major: inputs removed, renamed or narrowed, output schema broken; minor: template, messages, model,
    params changed, optional inputs added; patch: metadata or descriptions only. Exit 0.
    """
    from llmops_ci.commands import release as command

    sys.exit(
        command.run_plan(
            list(names),
            project=project,
            results=list(results),
            show_all=show_all,
            output_format=output_format,
        )
    )


@release.command(name="tag")
@click.argument("names", nargs=-1)
@_PROJECT_OPTION
@_RESULTS_OPTION
@click.option(
    "--require-eval", is_flag=True, help="Refuse unless passing eval results exist for each content digest."
)
@click.option(
    "--bump",
    type=click.Choice(["patch", "minor", "major"]),
    help="Raise the proposed bump (never lower it).",
)
@click.option(
    "--version",
    "version",
    metavar="X.Y.Z",
    help="With one NAME: release as this version (at least the proposed one), e.g. to continue a "
    "numbering started elsewhere.",
)
@click.option(
    "--changelog",
    default="CHANGELOG.md",
    show_default=True,
    help="Changelog file, relative to the project root.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def release_tag(
    names: tuple[str, ...],
    project: Path | None,
    results: tuple[Path, ...],
    require_eval: bool,
    bump: str | None,
    version: str | None,
    changelog: str,
    output_format: str,
) -> None:
    """Tag every changed artifact (or NAMES): an annotated tag whose message holds the content digest,
    the bump reason and the eval summary, after a commit adding one CHANGELOG entry per artifact.

    All or nothing: the commit and the tags are written in one git ref transaction. Refuses (exit 1)
    on a dirty tree, an existing tag, an invalid artifact, a named artifact that did not change, and
    with --require-eval when no passing results exist for the digest.
    """
    from typing import Literal, cast

    from llmops_ci.commands import release as command

    level = cast("Literal['patch', 'minor', 'major'] | None", bump)
    sys.exit(
        command.run_tag(
            list(names),
            project=project,
            results=list(results),
            require_eval=require_eval,
            bump=level,
            version=version,
            changelog=changelog,
            output_format=output_format,
        )
    )


@release.command(name="lock")
@click.option(
    "--env", "envs", multiple=True, required=True, metavar="ENV", help="Environment to lock (repeatable)."
)
@_PROJECT_OPTION
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Where to write the lock (default: llmops.lock at the project root).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the lock is missing or out of date.")
def release_lock(envs: tuple[str, ...], project: Path | None, output: Path | None, check: bool) -> None:
    """Write llmops.lock: what the promotion tags make live in each ENV, with each live version's released
    content (the artifact, its policies and referenced files, llmops.yaml) and its digest, so a deploy
    image without .git can load_prompt(name, env=ENV). JSON, described by schemas/lock.schema.json.
    """
    from llmops_ci.commands import release as command

    sys.exit(command.run_lock(list(envs), project=project, output=output, check=check))


@cli.command()
@click.argument("target", metavar="NAME@VERSION")
@click.option("--to", "env", required=True, metavar="ENV", help="The Environment to promote to.")
@_PROJECT_OPTION
@click.option("--reason", "-m", default="", help="Why (kept in the promotion tag).")
@click.option(
    "--weight",
    type=click.FloatRange(0, 100, min_open=True),
    help="Weighted rollout: this version gets N%, the stable version the rest.",
)
@_ENV_FILE_OPTION
@_RESULTS_OPTION
@_PUSH_OPTION
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def promote(
    target: str,
    env: str,
    project: Path | None,
    reason: str,
    weight: float | None,
    update_env_file: bool,
    results: tuple[Path, ...],
    push: str | None,
    output_format: str,
) -> None:
    """Promote a released version to ENV: an immutable annotated tag promotions/<env>/<kind>/<name>/<seq>
    (the highest sequence is live) holding the version, digest, who, why and the evidence.

    Refused (exit 1) without eval evidence for the release's digest, below the environment's gate
    thresholds, by someone not in its approvers, or before the version is live in the environments it
    requires.
    """
    from llmops_ci.commands import promote as command

    sys.exit(
        command.run(
            target,
            env=env,
            project=project,
            reason=reason,
            weight=weight,
            update_env_file=update_env_file,
            results=list(results),
            push=push,
            output_format=output_format,
        )
    )


@cli.command()
@click.argument("name")
@click.option("--env", required=True, help="The Environment to roll back.")
@_PROJECT_OPTION
@click.option("--reason", "-m", default="", help="Why (kept in the promotion tag).")
@_ENV_FILE_OPTION
@_PUSH_OPTION
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rollback(
    name: str,
    env: str,
    project: Path | None,
    reason: str,
    update_env_file: bool,
    push: str | None,
    output_format: str,
) -> None:
    """Make the previous version of NAME live again in ENV, as a new promotion tag (no tag is moved).

    Promotions replay as a stack: a rollback undoes the latest promotion still in force, so rolling back
    twice goes back two promotions. Approvers apply; the gate does not (the version passed it before).
    """
    from llmops_ci.commands import rollback as command

    sys.exit(
        command.run(
            name,
            env=env,
            project=project,
            reason=reason,
            update_env_file=update_env_file,
            push=push,
            output_format=output_format,
        )
    )


@cli.command()
@click.argument("name")
@click.option("--env", help="Only this Environment's promotions.")
@_PROJECT_OPTION
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def history(name: str, env: str | None, project: Path | None, output_format: str) -> None:
    """Every release and promotion of NAME with who, when and the evidence, and what is live where."""
    from llmops_ci.commands import history as command

    sys.exit(command.run(name, env=env, project=project, output_format=output_format))


@cli.group()
def ci() -> None:
    """Jobs for the GitHub Action."""


@ci.command(name="release")
@_PROJECT_OPTION
@click.option("--require-eval", is_flag=True, help="A release tag without eval evidence fails verification.")
@_RESULTS_OPTION
@_PUSH_OPTION
def ci_release(project: Path | None, require_eval: bool, results: tuple[Path, ...], push: str | None) -> None:
    """On a release tag push, verify the tag (digest of the tagged content, recorded evidence) and write
    a summary ($GITHUB_STEP_SUMMARY); on workflow_dispatch (inputs name, version, env, reason, weight,
    update_env_file), promote as the GitHub actor (--results and --push apply to it).
    Reads GITHUB_EVENT_NAME, GITHUB_REF and GITHUB_EVENT_PATH. Exit 1 when verification fails or the
    promotion is refused.
    """
    from llmops_ci.commands import ci_release as command

    sys.exit(command.run(project=project, require_eval=require_eval, results=list(results), push=push))


# --- ci pr: commands/ci_pr.py (the pull-request job of the Action)


@ci.command(name="pr")
@click.option("--project", "-C", type=click.Path(path_type=Path), help="Directory holding llmops.yaml.")
@click.option("--event", type=click.Path(path_type=Path), help="Event payload (default: $GITHUB_EVENT_PATH).")
@click.option(
    "--suites", default="", help="Suites to evaluate (comma/space separated, or all); default: affected."
)
@click.option("--model", help="Run every suite on this model instead of its own matrix.")
@click.option(
    "--fail-on",
    type=click.Choice(["regression", "threshold", "never"]),
    default="regression",
    show_default=True,
    help="regression: a regressed suite x model, lint errors or a head that cannot run fail (exit 1); "
    "threshold: also missed thresholds at head; never: report only.",
)
@click.option("--comment/--no-comment", default=True, show_default=True, help="Upsert the PR comment.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Eval cache shared by head and base.")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Directory for the head/ and base/ runs."
)
@click.option("--max-regression", "limits", multiple=True, metavar="METRIC=LIMIT", help="As in `diff`.")
def ci_pr(
    project: Path | None,
    event: Path | None,
    suites: str,
    model: str | None,
    fail_on: str,
    comment: bool,
    cache_dir: Path | None,
    output: Path | None,
    limits: tuple[str, ...],
) -> None:
    """On a pull_request event: lint what changed, evaluate the affected suites at head and at base (a git
    worktree, one shared cache), diff them, upsert one PR comment (GITHUB_TOKEN, GITHUB_API_URL), write
    the step summary and outputs (verdict, pass-rate, cost-delta, comment-url), and exit per --fail-on.
    """
    import gc

    from llmops_ci.commands import ci_pr as command

    gc.enable()  # evaluates, like eval
    options = command.PrOptions(
        project=project,
        event=event,
        suites=suites,
        model=model or None,
        fail_on=fail_on,
        comment=comment,
        cache_dir=cache_dir,
        output=output,
        limits=limits,
    )
    sys.exit(command.run(options))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run click without its own exit handling so every exit code is ours."""
    try:
        cli.main(args=argv, prog_name="llmops-ci", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except LlmopsError as error:
        click.echo(f"llmops-ci: {error}", err=True)
        return error.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("llmops-ci: interrupted", err=True)
        return EXIT_INTERRUPTED
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:
        return 0
    except Exception:
        import traceback

        click.echo("llmops-ci: internal error (please report it with the trace below)", err=True)
        traceback.print_exc()
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())
