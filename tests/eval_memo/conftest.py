"""Fixtures of the eval memo tests: a three-case classifier project on the local fake OpenAI server, and
a runner of ``eval`` into fresh results directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PROJECT, write_files
from tests.eval_memo.test_eval_memo import CASES, PROMPT, Runs, suite
from tests.fakes.openai_server import OpenAIServer


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch, openai_server: OpenAIServer) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)  # --model names no api_base
    monkeypatch.delenv("LLMOPS_CI_MODEL", raising=False)  # the environment must not pick the model


@pytest.fixture
def repo(tmp_path: Path, openai_server: OpenAIServer) -> Path:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTRACT", "contract")
    openai_server.reply(r"NDA", "nda")
    return write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url),
            "evals/cases/classifier.jsonl": CASES,
        },
    )


@pytest.fixture
def runs(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Runs:
    return Runs(repo, tmp_path / "out", capsys)
