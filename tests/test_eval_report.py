"""`llmops-ci eval --report` and `llmops-ci show --report`: the run as one Markdown file."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops_ci.cli import main
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_eval import PROMPT, run_eval, suite

CASES = """\
    - {id: inv-1, vars: {document: "INVOICE #1 total 10 EUR"}, assert: [{type: equals, value: invoice}]}
    - {id: con-1, vars: {document: "CONTRACT between A | B"}, assert: [{type: equals, value: contract}]}
    - {id: nda-1, vars: {document: "NDA: mutual non-disclosure"}, assert: [{type: equals, value: nda}]}
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def test_report_lists_suites_gates_and_failed_cases(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTRACT", "a contract | maybe")  # fails equals; the pipe must not break the table
    openai_server.reply(r"NDA", "nda")
    thresholds = "  thresholds: {pass_rate: {min: 0.9}}\n"
    repo = write_files(
        tmp_path,
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES, thresholds),
        },
    )
    report = tmp_path / "out" / "report.md"
    code, _, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"), "--report", str(report))
    assert code == 1 and f"report written to {report}" in err
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# llmops-ci eval: FAILED\n")
    assert "| classifier-regression | `openai/gpt-4o-mini-2024-07-18` | 3 | 66.7% |" in text
    assert "- ❌ `pass_rate` 66.7% (min 0.9)" in text
    assert "2 passed, 1 failed, 0 errored of 3 cases." in text
    (failure,) = [line for line in text.splitlines() if line.startswith("| `con-1`")]
    assert "equals:" in failure and "a contract \\| maybe" in failure
    assert "`inv-1`" not in text  # only failed and errored cases are listed
    # the same report from the saved run
    again = tmp_path / "again.md"
    assert main(["show", str(tmp_path / "run"), "--report", str(again)]) == 1
    assert again.read_text(encoding="utf-8").splitlines()[3:] == text.splitlines()[3:]


def test_an_unwritable_report_is_a_message(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r".", "invoice")
    repo = write_files(
        tmp_path,
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES),
        },
    )
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    code, _, err = run_eval(
        repo, capsys, "--output", str(tmp_path / "run"), "--report", str(blocker / "r.md")
    )
    assert code == 2 and "cannot write" in err and "Traceback" not in err
