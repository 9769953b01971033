"""``llmops-ci monitor [AUDIT...]``: production monitoring from the runtime audit logs (seed §4.2.2,
§4.3.2). See :mod:`llmops_ci.monitoring` for what is measured; exit 1 when an alert rule of llmops.yaml
fires, 0 otherwise, 2 on a usage error."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.loader import ProjectConfig, find_root, load_graph, load_project
from llmops_ci.artifacts.model import Graph
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.monitoring import analysis, logs, sources
from llmops_ci.monitoring.alerts import Facts, load_rules
from llmops_ci.monitoring.logs import Call
from llmops_ci.monitoring.metrics import MONITOR_METRICS
from llmops_ci.monitoring.report import RENDERERS, Report, build
from llmops_ci.runtime.audit import DEFAULT_DIR

FORMATS = ("text", "json", "markdown")
DEFAULT_SAMPLE = 200
DEFAULT_THRESHOLD = 0.6


@dataclass
class MonitorOptions:
    audit: tuple[Path, ...] = ()
    since: str | None = None
    until: str | None = None
    #: another audit log (file or directory), or a window FROM..TO of the same logs
    baseline: str | None = None
    project: Path | None = None
    output_format: str = "text"
    sample: int | None = None
    #: a grader model id (overrides spec.monitoring.grader)
    grader: str | None = None
    now: dt.datetime | None = None


def list_metrics() -> int:
    for metric in MONITOR_METRICS.values():
        worse = "higher is worse" if metric.direction == "max" else "lower is worse"
        sys.stdout.write(f"{metric.name:<24} {worse:<16} {metric.description}\n")
    return EXIT_OK


def _project(options: MonitorOptions) -> tuple[ProjectConfig | None, Graph | None]:
    root = options.project.resolve() if options.project else find_root(Path.cwd())
    if root is None:
        return None, None
    if not (root / "llmops.yaml").is_file():
        raise UsageError(f"{root}: no llmops.yaml here")
    config = load_project(root)
    return config, load_graph(config)


def _settings(config: ProjectConfig | None) -> dict[str, Any]:
    monitoring = config.spec.get("monitoring") if config is not None else None
    return monitoring if isinstance(monitoring, dict) else {}


def _audit_paths(options: MonitorOptions, config: ProjectConfig | None) -> list[Path]:
    if options.audit:
        return list(options.audit)
    base = config.root if config is not None else Path.cwd()
    return [base / str(_settings(config).get("audit_dir", DEFAULT_DIR))]


def _baseline(
    options: MonitorOptions, paths: list[Path], since: dt.datetime | None, now: dt.datetime
) -> list[Call] | None:
    spec = options.baseline
    if spec is None:
        return logs.read_calls(paths, until=since) if since is not None else None
    if ".." in spec and not Path(spec).exists():
        start, _, end = spec.partition("..")
        return logs.read_calls(
            paths,
            since=logs.parse_time(start, now) if start else None,
            until=logs.parse_time(end, now) if end else None,
        )
    return logs.read_calls([Path(spec)])


def _span(calls: list[Call], **extra: Any) -> dict[str, Any]:
    return {
        "calls": len(calls),
        "from": calls[0].time.isoformat() if calls else None,
        "to": calls[-1].time.isoformat() if calls else None,
        **extra,
    }


def _grounding(
    calls: list[Call], config: ProjectConfig | None, graph: Graph | None, options: MonitorOptions
) -> tuple[list[analysis.Grounded], dict[str, Any]]:
    settings = _settings(config)
    size = options.sample or int(settings.get("sample", DEFAULT_SAMPLE))
    threshold = float(settings.get("groundedness_threshold", DEFAULT_THRESHOLD))
    candidates = analysis.grounding_candidates(calls)
    chosen = analysis.sample(candidates, size)
    lookup = sources.chunks(graph) if chosen else sources.Chunks()
    results = [analysis.ground(call, lookup.lookup, threshold) for call in chosen]
    missing = sum(1 for result in results if result.missing_chunks)
    facts: dict[str, Any] = {
        "candidates": len(candidates),
        "sample": size,
        "checked": len(results) - missing,
        "chunks_missing": missing,
        "threshold": threshold,
        "grader": None,
    }
    if missing:
        facts["missing_reason"] = "; ".join(lookup.problems) or "chunk ids not in the current index"
    grader = options.grader or settings.get("grader")
    if grader is not None:
        if config is not None:
            from llmops_ci.providers.local import register_project

            register_project(config)
        found = [
            (
                call,
                [lookup.lookup(str(call.get("prompt")), str(c)) or "" for c in call.get("rag")["chunk_ids"]],
                result,
            )
            for call, result in zip(chosen, results, strict=True)
            if not result.missing_chunks
        ]
        sources.grade(found, grader)
        facts["grader"] = grader if isinstance(grader, str) else grader.get("id")
    return results, facts


def run(options: MonitorOptions) -> int:
    report = build_report(options)
    if options.output_format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(RENDERERS[options.output_format](report))
    return EXIT_FINDINGS if report.fired else EXIT_OK


def build_report(options: MonitorOptions) -> Report:
    """The monitoring report of the audit logs ``options`` name (``llmops-ci report --audit`` too)."""
    if options.output_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    if options.sample is not None and options.sample < 1:
        raise UsageError("--sample must be at least 1")
    now = options.now or dt.datetime.now(dt.timezone.utc)
    config, graph = _project(options)
    rules = load_rules(config) if config is not None else []
    paths = _audit_paths(options, config)
    since = logs.parse_time(options.since, now) if options.since else None
    until = logs.parse_time(options.until, now) if options.until else None
    calls = logs.read_calls(paths, since=since, until=until)
    baseline = _baseline(options, paths, since, now)
    grounded, grounding = _grounding(calls, config, graph, options)
    notes = []
    if grounding["chunks_missing"]:
        notes.append(
            f"{grounding['chunks_missing']} sampled answer(s) not scored for groundedness: chunk texts "
            f"not found ({grounding['missing_reason']}); the audit log keeps chunk ids only"
        )
    if baseline is not None and not baseline:
        notes.append("the baseline window holds no calls: drift not measured")
    facts = Facts(
        calls=calls,
        baseline=baseline or [],
        grounded={result.id: result for result in grounded},
        owners=sources.owners(graph),
    )
    report = build(
        facts,
        rules,
        window=_span(calls, since=since.isoformat() if since else None),
        baseline=_span(baseline) if baseline else None,
        grounded=grounded,
        grounding=grounding,
        notes=notes,
        splits=sources.declared_splits(graph, analysis.rollout_groups(calls)),
    )
    return report
