"""`llmops-ci eval --model`: every suite runs on the named model instead of its own matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_eval import CASES, PROMPT, run_eval, suite


@pytest.mark.parametrize("from_environment", [False, True], ids=["option", "LLMOPS_CI_MODEL"])
def test_model_option_overrides_every_suite(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    from_environment: bool,
) -> None:
    project = PROJECT.replace(
        "spec: {}", 'spec:\n  providers:\n    local: {keyword: "tests.local_models:KeywordClassifier"}'
    )
    repo = write_files(
        tmp_path,
        {
            "llmops.yaml": project,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES),
        },
    )
    option = ["--model", "local/keyword"]
    if from_environment:  # the one switch between the offline baseline and an LLM
        monkeypatch.setenv("LLMOPS_CI_MODEL", "local/keyword")
        option = []
    code, out, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"), *option)
    assert code == 0, out + err
    records = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert {r["model"] for r in records} == {"local/keyword"} and len(records) == 3
    assert openai_server.request_count == 0, "the suite's own model was not called"
