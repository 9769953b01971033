"""``llmops-ci rag build | query | eval | drift | tune``: a RagPipeline's index, its retrieval measured on
its own (no model call), semantic drift between two corpus versions or query logs, and a tuning sweep."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from llmops_ci.artifacts.loader import ProjectConfig, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.commands._project import named_artifact, project_root
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.eval.cases import Case, suite_cases
from llmops_ci.eval.metrics import METRICS
from llmops_ci.rag.evaluate import RetrievalReport, retrieval_record
from llmops_ci.rag.pipeline import PipelineConfig
from llmops_ci.rag.retrieve import Retriever, open_retriever

_RETRIEVAL_GATES = ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg_at_k", "context_relevance_mean")


@dataclass
class Project:
    config: ProjectConfig
    graph: Graph

    @classmethod
    def open(cls, project: Path | None) -> Project:
        config = load_project(project_root(project))
        return cls(config, load_graph(config))

    def pipeline(self, name: str | None) -> PipelineConfig:
        return PipelineConfig.from_artifact(named_artifact(self.graph, "RagPipeline", name))

    def suites(self, pipeline: str, names: Sequence[str] = ()) -> list[Artifact]:
        suites = [
            suite
            for suite in self.graph.of_kind("EvalSuite")
            if suite.spec["target"].get("rag") == pipeline and (not names or suite.name in names)
        ]
        missing = set(names) - {str(suite.name) for suite in suites}
        if missing:
            raise UsageError(f"no EvalSuite targeting {pipeline!r} named {sorted(missing)[0]!r}")
        return suites


def _question(config: PipelineConfig, suite: Artifact, case: Case) -> str | None:
    merged = {**suite.spec.get("defaults", {}).get("vars", {}), **case.vars}
    query = merged.get(config.query_var)
    return query if isinstance(query, str) and query.strip() else None


# --- build ------


def build(names: Sequence[str], *, project: Path | None, force: bool, output_format: str) -> int:
    opened = Project.open(project)
    chosen = list(names) or sorted(str(a.name) for a in opened.graph.of_kind("RagPipeline", valid_only=False))
    if not chosen:
        raise UsageError("no RagPipeline artifacts in this project")
    reports = []
    for name in chosen:
        config = opened.pipeline(name)
        retriever = open_retriever(config, opened.config.root, force=force)
        stats = retriever.stats.to_dict() if retriever.stats else {}
        reports.append({"pipeline": name, "index": config.index_type, **stats})
        if output_format == "text":
            click.echo(_build_line(name, config, stats))
    if output_format == "json":
        click.echo(json.dumps(reports, indent=2))
    return EXIT_OK


def _build_line(name: str, config: PipelineConfig, stats: dict[str, Any]) -> str:
    if not stats.get("rebuilt"):
        return f"{name}: up to date ({stats['files']} files, {stats['chunks']} chunks, {config.index_type})"
    embedded = f", {stats['embedded']} chunks embedded" if config.dense else ""
    return (
        f"{name}: indexed {stats['files']} files ({stats['files_parsed']} parsed, the rest unchanged), "
        f"{stats['documents']} documents, {stats['chunks']} chunks{embedded}, {config.index_type}, "
        f"{stats['seconds']:.2f} s"
    )


# --- query ------


def query(
    name: str | None, question: str, *, project: Path | None, top_k: int | None, output_format: str
) -> int:
    opened = Project.open(project)
    config = opened.pipeline(name)
    retriever = open_retriever(config, opened.config.root)
    found = retriever.search(question, top_k)
    if output_format == "json":
        click.echo(json.dumps(retrieval_record(config, question, found, [])["chunks"], indent=2))
        return EXIT_OK
    if not found:
        click.echo(f"{config.name}: nothing retrieved for this question", err=True)
        return EXIT_FINDINGS
    for item in found:
        chunk = item.chunk
        heading = f"  § {chunk.heading}" if chunk.heading else ""
        click.echo(f"{item.rank:>2}. {item.score:8.4f}  {chunk.id}{heading}")
        snippet = " ".join(chunk.text.split())
        click.echo(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    return EXIT_OK


# --- eval (retrieval alone) ------


def evaluate(
    name: str | None, suites: Sequence[str], *, project: Path | None, output_format: str, show_misses: int
) -> int:
    opened = Project.open(project)
    config = opened.pipeline(name)
    chosen = opened.suites(config.name, suites)
    if not chosen:
        raise UsageError(
            f"no EvalSuite targets RagPipeline {config.name!r} (spec.target: {{rag: {config.name}}})"
        )
    retriever = open_retriever(config, opened.config.root)
    results = [_evaluate_suite(config, retriever, suite) for suite in chosen]
    passed = all(result["passed"] for result in results)
    if output_format == "json":
        click.echo(json.dumps({"pipeline": config.name, "suites": results, "passed": passed}, indent=2))
    else:
        for result in results:
            _print_suite(result, show_misses)
    return EXIT_OK if passed else EXIT_FINDINGS


def _evaluate_suite(config: PipelineConfig, retriever: Retriever, suite: Artifact) -> dict[str, Any]:
    report = RetrievalReport(config.name, config.top_k)
    skipped = []
    for case in suite_cases(suite, {}):
        question = _question(config, suite, case)
        if question is None:
            skipped.append(case.id)
            continue
        record = retrieval_record(config, question, retriever.search(question), case.expected_chunks)
        report.add(case.id, record)
    means = report.means
    gates = []
    for metric, bound in suite.spec.get("thresholds", {}).items():
        if metric not in _RETRIEVAL_GATES:
            continue
        value = means.get(metric)
        ok = (
            value is not None
            and (bound.get("min") is None or value >= bound["min"])
            and (bound.get("max") is None or value <= bound["max"])
        )
        gates.append({"metric": metric, **bound, "value": value, "passed": ok})
    misses = [
        {
            "case": case["case"],
            "query": case["query"],
            "expected": case["expected"],
            "retrieved": [chunk["id"] for chunk in case["chunks"]],
        }
        for case in report.cases
        if case["expected"] and case["metrics"].get("hit_rate") == 0.0
    ]
    return {
        "suite": str(suite.name),
        "cases": len(report.cases),
        "judged": report.judged,
        "skipped": skipped,
        "top_k": config.top_k,
        "metrics": means,
        "thresholds": gates,
        "misses": misses,
        "passed": all(gate["passed"] for gate in gates),
    }


def _print_suite(result: dict[str, Any], show_misses: int) -> None:
    click.echo(
        f"{result['suite']}: {result['cases']} questions, {result['judged']} with expected chunks, "
        f"k={result['top_k']}"
    )
    for metric, value in result["metrics"].items():
        unit = METRICS[metric].description if metric in METRICS else ""
        click.echo(f"  {metric:<24} {value:7.3f}   {unit}")
    for gate in result["thresholds"]:
        bound = " ".join(f"{k} {gate[k]}" for k in ("min", "max") if k in gate)
        mark = "pass" if gate["passed"] else "FAIL"
        value = "n/a" if gate["value"] is None else f"{gate['value']:.3f}"
        click.echo(f"  {mark} {gate['metric']} = {value} ({bound})")
    if result["skipped"]:
        click.echo(f"  skipped (no question var): {', '.join(result['skipped'][:10])}")
    for miss in result["misses"][:show_misses]:
        click.echo(
            f"  miss {miss['case']}: expected {', '.join(miss['expected'])}; got "
            f"{', '.join(miss['retrieved']) or 'nothing'}"
        )
    if len(result["misses"]) > show_misses:
        click.echo(f"  ... {len(result['misses']) - show_misses} more misses (--misses N, or --format json)")


# --- drift ------


def drift(base: str, head: str, *, name: str | None, project: Path | None, output_format: str) -> int:
    from llmops_ci.rag.drifting import corpus_drift, log_drift

    opened = Project.open(project)
    config = opened.pipeline(name)
    embedder = _embedder(config, opened.config.root)
    base_path, head_path = Path(base), Path(head)
    if base_path.exists() != head_path.exists():
        missing = head if base_path.exists() else base
        raise UsageError(
            f"{missing}: no such audit log (BASE and HEAD are two audit logs, or two git refs of the corpus)"
        )
    if base_path.exists():
        report = log_drift(config, base_path, head_path, embedder)
    else:
        suites = [config.drift_suite] if config.drift_suite else []
        questions = [
            question
            for suite in opened.suites(config.name, suites)
            for case in suite_cases(suite, {})
            if (question := _question(config, suite, case)) is not None
        ]
        report = corpus_drift(config, base, head, questions, embedder)
    if output_format == "json":
        click.echo(json.dumps({"pipeline": config.name, **report.to_dict()}, indent=2))
    else:
        sizes = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.sizes.items())
        click.echo(f"{config.name}: {report.mode} drift {report.base} -> {report.head} ({sizes})")
        for measure in report.measures:
            limit = "" if measure.limit is None else f"  ({measure.direction} {measure.limit})"
            mark = {True: "pass", False: "FAIL", None: "    "}[measure.ok]
            click.echo(f"  {mark} {measure.name:<24} {measure.value:8.4f}{limit}")
        for changed in report.changed[:5]:
            click.echo(f"  top-k changed: {changed}")
        click.echo(f"verdict: {report.verdict}")
    return EXIT_OK if report.verdict == "pass" else EXIT_FINDINGS


def _embedder(config: PipelineConfig, root: Path) -> Any:
    if not config.dense:
        return None
    from llmops_ci.rag.embeddings import CachedEmbedder
    from llmops_ci.rag.index import index_dir

    return CachedEmbedder(config, index_dir(root, config) / "embeddings")


# --- tune ------


def tune(
    name: str | None,
    *,
    project: Path | None,
    sizes: Sequence[int],
    overlaps: Sequence[float],
    top_ks: Sequence[int],
    objective: str | None,
    output_format: str,
) -> int:
    from llmops_ci.rag.tuning import Query, best, default_grid, sweep

    opened = Project.open(project)
    config = opened.pipeline(name)
    grid_sizes, grid_overlaps, grid_ks = default_grid(config)
    sizes = list(sizes) or config.tune.get("size") or grid_sizes
    overlaps = list(overlaps) or config.tune.get("overlap") or grid_overlaps
    top_ks = list(top_ks) or config.tune.get("top_k") or grid_ks
    objective = objective or config.tune.get("objective", "recall_at_k")
    queries = [
        Query(f"{suite.name}/{case.id}", question, tuple(case.expected_chunks))
        for suite in opened.suites(config.name)
        for case in suite_cases(suite, {})
        if (question := _question(config, suite, case)) is not None
    ]
    rows = sweep(
        config, opened.config.root, queries, sizes, overlaps, top_ks, _embedder(config, opened.config.root)
    )
    winner = best(rows, str(objective))
    if output_format == "json":
        document = {
            "pipeline": config.name,
            "objective": objective,
            "rows": [row.__dict__ for row in rows],
            "best": winner.__dict__,
        }
        click.echo(json.dumps(document, indent=2))
        return EXIT_OK
    unit = config.chunking.unit
    click.echo(f"{config.name}: {len(queries)} questions, objective {objective}, chunk size in {unit}")
    header = (
        f"  {'size':>6} {'overlap':>7} {'top_k':>5} {'chunks':>7} "
        + " ".join(f"{m:>9}" for m in ("hit_rate", "recall@k", "P@k", "mrr", "ndcg@k"))
        + f" {'ctx tokens':>10}"
    )
    click.echo(header)
    for row in rows:
        metrics = " ".join(
            f"{row.metrics[m]:9.3f}"
            for m in ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg_at_k")
        )
        mark = "*" if row is winner else ("=" if row.current else " ")
        click.echo(
            f"{mark} {row.size:>6} {row.overlap:>7} {row.top_k:>5} {row.chunks:>7} {metrics} "
            f"{row.context_tokens:10.0f}"
        )
    click.echo(
        f"best: size {winner.size}, overlap {winner.overlap}, top_k {winner.top_k}: {objective} "
        f"{winner.metrics[str(objective)]:.3f} for {winner.context_tokens:.0f} context tokens per question "
        "(* best, = current setting)"
    )
    return EXIT_OK
