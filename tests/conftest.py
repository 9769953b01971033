"""Shared helpers: write a small artifact repository into a temporary directory and lint it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from llmops_ci.artifacts.loader import load_graph, load_project
from llmops_ci.findings import Finding
from llmops_ci.lint.engine import Selection, run_rules

pytest_plugins = ["tests.fakes.plugin"]

PROJECT = """\
apiVersion: llmops-ci/v1
kind: Project
metadata: {name: test-project}
spec: {}
"""

WriteRepo = Callable[[dict[str, str | bytes]], Path]


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteRepo:
    """Write files (plus a default llmops.yaml unless given) and return the repository root."""

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        if "llmops.yaml" not in files:
            files = {"llmops.yaml": PROJECT, **files}
        return write_files(root, files)

    return write


def lint_repo(root: Path, select: tuple[str, ...] = ()) -> list[Finding]:
    config = load_project(root)
    graph = load_graph(config)
    return run_rules(graph, config, Selection.build(config, select, ()))
