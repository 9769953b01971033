"""`llmops-ci eval` end to end: real litellm HTTP to the local fake OpenAI server, cache, replay, retries,
errors, thresholds, results files, bad input, interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-4o-mini-2024-07-18"

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
"""


def suite(api_base: str, cases: str, extra: str = "") -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: classifier-regression}}
spec:
  target: {{prompt: classifier}}
  models: [{{id: {MODEL}, api_base: "{api_base}"}}]
{extra}  cases:
{cases}"""


CASES = """\
    - {id: inv-1, vars: {document: "INVOICE #1 total 10 EUR"}, assert: [{type: equals, value: invoice}]}
    - {id: con-1, vars: {document: "CONTRACT between A and B"}, assert: [{type: equals, value: contract}]}
    - {id: nda-1, vars: {document: "NDA: mutual non-disclosure"}, assert: [{type: icontains, value: NDA}]}
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


@pytest.fixture
def repo(tmp_path: Path, openai_server: OpenAIServer) -> Path:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTRACT", "contract")
    openai_server.reply(r"NDA", "nda")
    return write_files(
        tmp_path,
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES),
        },
    )


def run_eval(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", "--project", str(repo), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def records_of(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (directory / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def results_validator() -> Draft202012Validator:
    schema = json.loads((ROOT / "schemas/results.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def test_a_suite_runs_passes_and_writes_valid_results(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run1"
    code, out, err = run_eval(repo, capsys, "--output", str(out_dir))
    assert code == 0, out + err
    assert openai_server.request_count == 3
    records = records_of(out_dir)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    validator = results_validator()
    for document in (*records, summary):
        assert not list(validator.iter_errors(document)), list(validator.iter_errors(document))[:2]
    assert {r["case_id"] for r in records} == {
        "classifier-regression/inv-1",
        "classifier-regression/con-1",
        "classifier-regression/nda-1",
    }
    first = next(r for r in records if r["case"] == "inv-1")
    assert first["output"] == "invoice" and first["passed"] is True and first["cache_hit"] is False
    assert first["metrics"]["input_tokens"] > 0 and first["metrics"]["latency_ms"] > 0
    assert first["metrics"]["cost_usd"] > 0  # priced from litellm's table
    assert first["target"]["digest"].startswith("sha256:") and first["messages_digest"].startswith("sha256:")
    group = summary["suites"][0]
    assert group["metrics"]["pass_rate"] == 1.0 and summary["passed"] is True and summary["complete"] is True
    assert "classifier-regression" in out and "PASSED" in out


def test_a_rerun_makes_no_model_call_and_does_not_import_litellm(
    repo: Path, openai_server: OpenAIServer, tmp_path: Path
) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    probe = (
        "import sys; from llmops_ci.cli import main; code = main(sys.argv[1:]); "
        "print('LITELLM', 'litellm' in sys.modules, file=sys.stderr); sys.exit(code)"
    )
    command = [sys.executable, "-c", probe, "eval", "--project", str(repo), "--format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert openai_server.request_count == 3
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0, second.stderr
    assert openai_server.request_count == 3, "a cached rerun must not call the model"
    assert "LITELLM False" in second.stderr
    assert json.loads(second.stdout)["model_calls"] == 0


def test_failed_case_fails_the_default_gate(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.reset()
    openai_server.reply(r"INVOICE", "contract")  # a regression
    openai_server.reply(r"CONTRACT", "contract")
    openai_server.reply(r"NDA", "nda")
    code, out, _ = run_eval(repo, capsys, "--no-cache", "--output", str(tmp_path / "r"), "--format", "json")
    summary = json.loads(out)
    group = summary["suites"][0]
    assert code == 1 and group["failed"] == 1 and group["passed"] == 2
    gate = next(v for v in group["thresholds"] if v["metric"] == "pass_rate")
    assert gate["passed"] is False and gate["min"] == 1.0 and abs(gate["value"] - 2 / 3) < 1e-9


def test_thresholds_decide_the_exit_code(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "contract")
    openai_server.reply(r"CONTRACT", "contract")
    openai_server.reply(r"NDA", "nda")
    thresholds = (
        "  thresholds: {pass_rate: {min: 0.6}, latency_p95_ms: {max: 60000}, cost_usd_total: {max: 1}}\n"
    )
    repo = write_files(
        tmp_path / "r",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES, thresholds),
        },
    )
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    verdicts = {v["metric"]: v["passed"] for v in json.loads(out)["suites"][0]["thresholds"]}
    assert code == 0 and verdicts == {
        "error_rate": True,
        "pass_rate": True,
        "latency_p95_ms": True,
        "cost_usd_total": True,
    }


def test_rate_limits_are_retried_honouring_retry_after(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.fail_next(2, status=429, retry_after=0.3)
    started = time.monotonic()
    code, out, err = run_eval(repo, capsys, "--no-cache", "-j", "1", "--output", str(tmp_path / "r"))
    assert code == 0, out + err
    assert time.monotonic() - started >= 0.6
    records = records_of(tmp_path / "r")
    assert sum(r["attempts"] for r in records) == 5 and openai_server.request_count == 5


def test_errors_are_recorded_as_errors_not_failures(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.fail_when(r"INVOICE", status=500)
    openai_server.fail_when(r"CONTRACT", kind="malformed")
    openai_server.fail_when(r"NDA", kind="empty_choices")
    code, _, _ = run_eval(repo, capsys, "--no-cache", "--max-retries", "1", "--output", str(tmp_path / "r"))
    records = {r["case"]: r for r in records_of(tmp_path / "r")}
    assert code == 1
    assert records["inv-1"]["error"]["kind"] == "provider" and records["inv-1"]["attempts"] == 2
    assert records["con-1"]["error"]["kind"] == "bad_response"
    assert records["nda-1"]["error"]["kind"] == "bad_response"
    assert all(r["passed"] is None for r in records.values())
    summary = json.loads((tmp_path / "r/summary.json").read_text(encoding="utf-8"))
    assert summary["suites"][0]["errors"] == 3 and summary["suites"][0]["failed"] == 0


def test_timeouts_are_errors_of_kind_timeout(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.fail_when(r"INVOICE", kind="timeout", hang=3)
    code, _, _ = run_eval(
        repo, capsys, "--no-cache", "--timeout", "0.5", "--max-retries", "0", "--output", str(tmp_path / "r")
    )
    records = {r["case"]: r for r in records_of(tmp_path / "r")}
    assert code == 1 and records["inv-1"]["error"]["kind"] == "timeout"
    assert records["con-1"]["passed"] is True


def test_streaming_measures_time_to_first_token(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.latency = 0.05
    code, _, _ = run_eval(repo, capsys, "--no-cache", "--stream", "--output", str(tmp_path / "r"))
    records = records_of(tmp_path / "r")
    assert code == 0
    assert all(r["metrics"]["ttft_ms"] >= 50 for r in records)
    summary = json.loads((tmp_path / "r/summary.json").read_text(encoding="utf-8"))
    assert summary["suites"][0]["metrics"]["ttft_p95_ms"] >= 50


def test_truncated_stream_is_a_bad_response(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    openai_server.fail_when(r"INVOICE", kind="truncated_stream")
    run_eval(repo, capsys, "--no-cache", "--stream", "--max-retries", "0", "--output", str(tmp_path / "r"))
    records = {r["case"]: r for r in records_of(tmp_path / "r")}
    assert records["inv-1"]["error"] is not None
    assert records["inv-1"]["error"]["kind"] in ("bad_response", "provider")


def test_replay_serves_from_the_cache_and_fails_on_a_miss(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cassettes = repo / ".llmops/cassettes"
    assert run_eval(repo, capsys, "--cache-dir", str(cassettes))[0] == 0
    assert openai_server.request_count == 3
    code, _, _ = run_eval(repo, capsys, "--cache-dir", str(cassettes), "--replay")
    assert code == 0 and openai_server.request_count == 3
    (repo / "prompts/classifier.yaml").write_text(PROMPT.replace("Classify", "Label"), encoding="utf-8")
    code, _, err = run_eval(
        repo, capsys, "--cache-dir", str(cassettes), "--replay", "--output", str(tmp_path / "m")
    )
    assert code == 1 and "not in the cache" in err and openai_server.request_count == 3
    assert {r["error"]["kind"] for r in records_of(tmp_path / "m")} == {"replay_miss"}


def test_record_refreshes_the_cache(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_eval(repo, capsys)[0] == 0
    assert run_eval(repo, capsys, "--record")[0] == 0
    assert openai_server.request_count == 6


def test_repeat_and_k_of_n(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["invoice", "contract", "invoice"])
    openai_server.responder = lambda body: next(answers)
    cases = '    - {id: inv-1, vars: {document: "INVOICE"}, assert: [{type: equals, value: invoice}]}\n'
    repo = write_files(
        tmp_path / "r",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, cases, "  repeat: 3\n  min_passes: 2\n"),
        },
    )
    code, out, _ = run_eval(repo, capsys, "--format", "json", "-j", "1")
    group = json.loads(out)["suites"][0]
    assert openai_server.request_count == 3 and group["passed"] == 1 and group["pass_all_repeats"] == 0
    assert abs(group["metrics"]["pass_rate"] - 2 / 3) < 1e-9 and code == 1  # default gate: pass_rate min 1


JSONL_CASES = (
    '{"id": "j1", "vars": {"document": "INVOICE 7"}, "assert": [{"type": "equals", "value": "invoice"}]}\n'
    '{"vars": {"document": "INVOICE 8"}}\n'
)
CSV_CASES = "id,document,__expected\nc1,INVOICE 9,invoice\nc2,INVOICE 10,contains: voice\n"


def test_cases_file_jsonl_and_csv(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    extra = "  cases_file: [cases/more.jsonl, cases/more.csv]\n"
    repo = write_files(
        tmp_path / "r",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, "    []\n", extra).replace(
                "  cases:\n    []", "  cases: []"
            ),
            "evals/cases/more.jsonl": JSONL_CASES,
            "evals/cases/more.csv": CSV_CASES,
        },
    )
    code, out, err = run_eval(repo, capsys, "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["suites"][0]["cases"] == 4


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"evals/classifier.yaml": ("target: {prompt: classifier}", "target: {prompt: clasifier}")},
            "no Prompt named 'clasifier' (did you mean 'classifier'?)",
        ),
        (
            {"evals/classifier.yaml": ('{document: "INVOICE #1 total 10 EUR"}', "{doc: x}")},
            "evals/classifier.yaml:8:7: case 'inv-1': vars: 'document' is a required property",
        ),
        (
            {"evals/classifier.yaml": ('{document: "INVOICE #1 total 10 EUR"}', "{document: 42}")},
            "case 'inv-1': document: 42 is not of type 'string'",
        ),
        (
            {
                "evals/classifier.yaml": (
                    "{type: equals, value: invoice}",
                    "{type: contains-any, value: invoice}",
                )
            },
            "case 'inv-1': assertion 'contains-any': contains-any needs 'value' as a list of strings",
        ),
        (
            {
                "evals/classifier.yaml": (
                    "{type: equals, value: invoice}",
                    "{type: llm-rubric, value: polite}",
                )
            },
            "assertion 'llm-rubric'",
        ),
    ],
)
def test_bad_input_is_reported_before_any_call(
    repo: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, tuple[str, str]],
    expected: str,
) -> None:
    for relative, (old, new) in files.items():
        path = repo / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, _, err = run_eval(repo, capsys)
    assert code == 1 and expected in err, err
    assert "nothing was run" in err and openai_server.request_count == 0
    assert "Traceback" not in err


def test_unknown_suite_and_cases_file_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_eval(repo, capsys, "classifier-regresion")
    assert code == 1 and "did you mean 'classifier-regression'" in err
    path = repo / "evals/classifier.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  cases_file: cases/x.jsonl\n", encoding="utf-8")
    write_files(repo, {"evals/cases/x.jsonl": '{"vars": {"document": "a"}}\n{not json\n'})
    code, _, err = run_eval(repo, capsys)
    assert code == 1 and "evals/cases/x.jsonl:2:2: invalid JSON" in err


def test_dry_run_and_budget(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_eval(repo, capsys, "--dry-run")
    assert code == 0 and "3 calls planned, 0 in the cache, 3 to make" in out and "estimated cost $" in out
    assert openai_server.request_count == 0
    path = repo / "evals/classifier.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  cases:", "  max_cost_usd: 0.0000001\n  cases:"),
        encoding="utf-8",
    )
    code, _, err = run_eval(repo, capsys)
    assert code == 1 and "exceeds the budget" in err and openai_server.request_count == 0


def test_unknown_model_price_is_null_not_a_crash(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    cases = '    - {id: inv-1, vars: {document: "INVOICE"}, assert: [{type: equals, value: invoice}]}\n'
    repo = write_files(
        tmp_path / "r",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, cases).replace(
                MODEL, "openai/acme-private-2025-01-01"
            ),
        },
    )
    code, out, _ = run_eval(repo, capsys)
    assert code == 0 and "unknown" in out
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    group = json.loads(out)["suites"][0]
    assert group["cost_known"] is False and "cost_usd_total" not in group["metrics"]


def test_show_recomputes_a_saved_run_and_refuses_newer_versions(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    assert run_eval(repo, capsys, "--output", str(out_dir))[0] == 0
    assert main(["show", str(out_dir)]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert main(["show", str(out_dir), "--format", "junit"]) == 0
    assert (
        '<testsuite name="classifier-regression [openai/gpt-4o-mini-2024-07-18]" tests="3"'
        in capsys.readouterr().out
    )
    lines = (out_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()
    newer = json.loads(lines[0]) | {"schema_version": 99}
    (out_dir / "records.jsonl").write_text(
        "\n".join([json.dumps(newer), *lines[1:]]) + "\n", encoding="utf-8"
    )
    assert main(["show", str(out_dir)]) == 1
    assert "newer than this llmops-ci reads" in capsys.readouterr().err


def test_junit_output(repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]) -> None:
    openai_server.reset()
    openai_server.reply(r".", "contract")
    code, out, _ = run_eval(repo, capsys, "--format", "junit")
    from xml.etree import ElementTree

    suite_element = ElementTree.fromstring(out.split("?>", 1)[1]).find("testsuite")
    assert code == 1 and suite_element is not None
    assert suite_element.get("tests") == "3" and suite_element.get("failures") == "2"


def test_interrupt_keeps_a_valid_partial_run_and_resume_uses_the_cache(
    repo: Path, openai_server: OpenAIServer, tmp_path: Path
) -> None:
    many = "".join(
        f'    - {{id: c{i}, vars: {{document: "INVOICE {i}"}}, assert: [{{type: equals, value: invoice}}]}}\n'
        for i in range(40)
    )
    (repo / "evals/classifier.yaml").write_text(suite(openai_server.base_url, many), encoding="utf-8")
    openai_server.latency = 0.2
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    command = [
        sys.executable,
        "-m",
        "llmops_ci.cli",
        "eval",
        "--project",
        str(repo),
        "-j",
        "2",
        "--output",
        str(tmp_path / "partial"),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while openai_server.request_count < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    partial = records_of(tmp_path / "partial")
    summary = json.loads((tmp_path / "partial/summary.json").read_text(encoding="utf-8"))
    assert 0 < len(partial) < 40 and summary["complete"] is False
    done_before = openai_server.request_count
    openai_server.latency = 0.0
    resumed = subprocess.run(
        [*command[:-2], "--output", str(tmp_path / "full")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert openai_server.request_count - done_before == 40 - len(partial)


GRADED_PROJECT = PROJECT.replace(
    "spec: {}",
    "spec:\n  defaults:\n    grader: {id: openai/gpt-4o-2024-08-06, params: {temperature: 0}}\n"
    "    embedding_model: openai/text-embedding-3-small",
)


def graded_repo(tmp_path: Path, server: OpenAIServer, assertion: str, extra_vars: str = "") -> Path:
    cases = f'    - {{id: q1, vars: {{document: "INVOICE 1"{extra_vars}}}, assert: [{assertion}]}}\n'
    text = suite(server.base_url, cases).replace(
        "  cases:", f'  grader: {{id: openai/gpt-4o-2024-08-06, api_base: "{server.base_url}"}}\n  cases:'
    )
    return write_files(
        tmp_path / "g",
        {
            "llmops.yaml": GRADED_PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": text,
        },
    )


@pytest.mark.parametrize(
    ("grader_reply", "passed", "score"),
    [
        ('{"reason": "names the label", "score": 0.9}', True, 0.9),
        ('{"reason": "off", "score": 0.2}', False, 0.2),
    ],
)
def test_llm_rubric_is_graded_by_the_pinned_grader(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    grader_reply: str,
    passed: bool,
    score: float,
) -> None:
    openai_server.reply(r"<rubric>", grader_reply)
    openai_server.reply(r"INVOICE", "invoice")
    repo = graded_repo(tmp_path, openai_server, "{type: llm-rubric, value: 'Answers with one label'}")
    run_eval(repo, capsys, "--output", str(tmp_path / "r"))
    record = records_of(tmp_path / "r")[0]
    result = record["assertions"][0]
    assert result["passed"] is passed and abs(result["score"] - score) < 1e-9
    assert result["grader"] == {"model": "openai/gpt-4o-2024-08-06", "params": {"temperature": 0}}
    grader_request = next(
        r for r in openai_server.requests_to("chat/completions") if "<rubric>" in str(r.body)
    )
    assert grader_request.body["model"] == "gpt-4o-2024-08-06" and grader_request.body["temperature"] == 0
    before = openai_server.request_count
    run_eval(repo, capsys, "--output", str(tmp_path / "again"))
    assert openai_server.request_count == before, "model and grader calls are both cached"
    assert records_of(tmp_path / "again")[0]["assertions"][0]["passed"] is passed


def test_factuality_and_unreadable_grader_answers(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"<reference>", '{"reason": "contradicts", "choice": "D"}')
    openai_server.reply(r"INVOICE", "contract")
    repo = graded_repo(tmp_path, openai_server, "{type: factuality, value: 'It is an invoice'}")
    code, _, _ = run_eval(repo, capsys, "--output", str(tmp_path / "r"))
    result = records_of(tmp_path / "r")[0]["assertions"][0]
    assert code == 1 and result["passed"] is False and "(D) the output disagrees" in result["reason"]
    openai_server.reset()
    openai_server.reply(r"<reference>", "I think it is fine")
    openai_server.reply(r"INVOICE", "invoice")
    run_eval(repo, capsys, "--no-cache", "--output", str(tmp_path / "e"))
    record = records_of(tmp_path / "e")[0]
    assert (
        record["error"]["kind"] == "assertion_error"
        and "did not answer in JSON" in record["error"]["message"]
    )


def test_context_faithfulness_feeds_the_hallucination_rate(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"<context>", '{"reason": "one claim unsupported", "claims": 4, "supported": 3}')
    openai_server.reply(r"INVOICE", "invoice")
    repo = graded_repo(
        tmp_path, openai_server, "{type: context-faithfulness}", ', context: "Invoice 1 is due."'
    )
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    group = json.loads(out)["suites"][0]
    assert code == 1 and group["metrics"]["hallucination_rate"] == 1.0
    grader_body = next(
        r.body for r in openai_server.requests_to("chat/completions") if "<context>" in str(r.body)
    )
    assert "Invoice 1 is due." in str(grader_body)


def test_similar_uses_cached_embeddings(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "this is an invoice")
    repo = graded_repo(
        tmp_path, openai_server, "{type: similar, value: 'this is an invoice', threshold: 0.99}"
    )
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    group = json.loads(out)["suites"][0]
    assert code == 0 and group["metrics"]["similarity_mean"] > 0.99
    assert len(openai_server.requests_to("embeddings")) == 1
    run_eval(repo, capsys)
    assert len(openai_server.requests_to("embeddings")) == 1


def test_similar_needs_an_embedding_model(
    repo: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "evals/classifier.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "{type: equals, value: invoice}", "{type: similar, value: invoice}", 1
        ),
        encoding="utf-8",
    )
    code, _, err = run_eval(repo, capsys)
    assert code == 1 and "needs an embedding model" in err and openai_server.request_count == 0


def test_in_process_local_models_run_through_litellm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = PROJECT.replace(
        "spec: {}", 'spec:\n  providers: {local: {keywords: "tests.local_models:KeywordClassifier"}}'
    )
    prompt = PROMPT.replace("openai/gpt-4o-mini-2024-07-18", "local/keywords")
    cases = CASES.replace("{type: icontains, value: NDA}", "{type: equals, value: nda}")
    text = (
        f"apiVersion: llmops-ci/v1\nkind: EvalSuite\nmetadata: {{name: local-suite}}\nspec:\n"
        f"  target: {{prompt: classifier}}\n  cases:\n{cases}"
    )
    repo = write_files(
        tmp_path / "l", {"llmops.yaml": project, "prompts/classifier.yaml": prompt, "evals/local.yaml": text}
    )
    code, out, err = run_eval(repo, capsys, "--format", "json", "--stream")
    assert code == 0, out + err
    group = json.loads(out)["suites"][0]
    assert group["model"] == "local/keywords" and group["metrics"]["pass_rate"] == 1.0
    assert group["metrics"]["cost_usd_total"] == 0.0 and group["metrics"]["output_tokens_total"] > 0
    project_bad = project.replace("tests.local_models:KeywordClassifier", "tests.local_models:Missing")
    (repo / "llmops.yaml").write_text(project_bad, encoding="utf-8")
    code, out, _ = run_eval(repo, capsys, "--no-cache", "--format", "json", "--max-retries", "0")
    assert code == 1 and json.loads(out)["suites"][0]["errors"] == 3
