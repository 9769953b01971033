"""`release tag` in a project below the repository's top (a monorepo): the CHANGELOG commit leaves the
working tree clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from llmops_ci.cli import main


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_release_tag_in_a_subdirectory_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    project = repo / "services" / "llm"
    project.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    assert main(["init", str(project)]) == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    capsys.readouterr()
    assert main(["release", "tag", "-C", str(project)]) == 0, capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == ""
    assert "prompts/ticket-classifier@1.0.0" in git(repo, "tag").split()
    assert (project / "CHANGELOG.md").is_file()
