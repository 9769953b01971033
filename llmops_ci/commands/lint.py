"""``llmops-ci lint``: load the artifact graph, run the selected rules, report findings."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from llmops_ci.artifacts.loader import find_root, load_graph, load_project
from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.findings import Severity
from llmops_ci.lint.engine import Selection, run_rules, scope_for
from llmops_ci.lint.rules import RULES
from llmops_ci.report import LINT_REPORTERS

FORMATS = ("auto", *LINT_REPORTERS)


def resolve_format(name: str) -> str:
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return name


def project_root(paths: Sequence[Path], explicit: Path | None) -> Path:
    """--project, else the nearest llmops.yaml above the first path, else above the working directory."""
    if explicit is not None:
        if not explicit.is_dir():
            raise UsageError(f"--project {explicit}: not a directory")
        return explicit.resolve()
    for start in (*paths[:1], Path.cwd()):
        root = find_root(start)
        if root is not None:
            return root
    first = paths[0] if paths else Path.cwd()
    return (first if first.is_dir() else first.parent).resolve()


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
    config = load_project(project_root(paths, project))
    selection = Selection.build(config, select, ignore)
    named_files = [path for path in paths if path.is_file()]
    graph = load_graph(config, extra_files=named_files)
    scope = scope_for(graph, paths)
    findings = run_rules(graph, config, selection, scope)
    files_checked = len(scope) if scope is not None else len(graph.artifacts)
    rules = [rule.info for rule in RULES.values()]
    sys.stdout.write(LINT_REPORTERS[resolve_format(output_format)](findings, rules, files_checked))
    strict = strict or bool(config.lint.get("strict", False))
    failing = Severity.WARNING if strict else Severity.ERROR
    return EXIT_FINDINGS if any(f.severity >= failing for f in findings) else EXIT_OK
