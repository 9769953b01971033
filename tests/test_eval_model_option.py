"""`llmops-ci eval --model`: every suite runs on the named model instead of its own matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_eval import CASES, PROMPT, run_eval, suite


def test_model_option_overrides_every_suite(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
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
    code, out, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"), "--model", "local/keyword")
    assert code == 0, out + err
    records = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert {r["model"] for r in records} == {"local/keyword"} and len(records) == 3
    assert openai_server.request_count == 0, "the suite's own model was not called"
