"""``llmops-ci lint``: load the artifact graph, run the selected rules, report findings."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.findings import Finding, Severity
from llmops_ci.lint.engine import Selection, run_rules, scope_for
from llmops_ci.lint.rules import RULES
from llmops_ci.report import lint_reporter


def resolve_format(name: str) -> str:
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return name


def group_by_project(paths: Sequence[Path], explicit: Path | None) -> dict[Path, list[Path]]:
    """Each path goes with the nearest llmops.yaml above it (a monorepo may hold several projects);
    ``--project`` puts them all in one. No path means the project of the working directory."""
    if explicit is not None:
        if not explicit.is_dir():
            raise UsageError(f"--project {explicit}: not a directory")
        return {explicit.resolve(): list(paths)}
    cwd_root = find_root(Path.cwd())
    if not paths:
        return {cwd_root or Path.cwd().resolve(): []}
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        root = find_root(path) or cwd_root or (path if path.is_dir() else path.parent).resolve()
        groups.setdefault(root, []).append(path)
    return groups


def _lint_project(
    root: Path, named: Sequence[Path], select: Sequence[str], ignore: Sequence[str], strict: bool
) -> tuple[list[Finding], int, Severity]:
    """Findings, how many artifact files were checked, and the severity that fails this project."""
    config = load_project(root)
    selection = Selection.build(config, select, ignore)
    graph = load_graph(config, extra_files=[path for path in named if path.is_file()])
    scope = scope_for(graph, named)
    findings = run_rules(graph, config, selection, scope)
    checked = sum(1 for artifact in graph.artifacts if scope is None or artifact.path in scope)
    failing = Severity.WARNING if strict or config.lint.get("strict", False) else Severity.ERROR
    return findings, checked, failing


def run(
    paths: Sequence[Path],
    *,
    project: Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    strict: bool = False,
    output_format: str = "auto",
) -> int:
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    findings: list[Finding] = []
    files_checked, failed = 0, False
    for root, named in group_by_project(paths, project).items():
        project_findings, checked, failing = _lint_project(root, named, select, ignore, strict)
        findings += project_findings
        files_checked += checked
        failed = failed or any(finding.severity >= failing for finding in project_findings)
    findings.sort(key=Finding.sort_key)
    rules = [rule.info for rule in RULES.values()]
    sys.stdout.write(lint_reporter(resolve_format(output_format))(findings, rules, files_checked))
    return EXIT_FINDINGS if failed else EXIT_OK
