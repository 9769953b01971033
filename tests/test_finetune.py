"""FineTune: data validation (format per line, tokens, context window, duplicates, PII and secrets through
the guardrail engine, leakage of the gating suite, cost), and submit / status against the local fake
OpenAI server's files and fine_tuning/jobs endpoints, with the state file kept next to the artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.finetune.data import example_problem, example_tokens
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer


def chat(user: str, answer: str, system: str | None = None) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user},
        {"role": "assistant", "content": answer},
    ]
    return json.dumps({"messages": messages})


PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: support}
spec:
  model: openai/gpt-4o-mini-2024-07-18
  messages: [{role: user, content: "{{ question }}"}]
"""
SUITE = """\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {name: support-gate}
spec:
  target: {prompt: support}
  cases:
    - id: refund
      vars: {question: "How do I get a refund for a damaged parcel?"}
      assert: [{type: contains, value: refund}]
    - {id: short, vars: {question: "Hi"}}
"""


def finetune(extra: str = "", data: str = "{training: data/train.jsonl, validation: data/val.jsonl}") -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: FineTune
metadata: {{name: support-bot}}
spec:
  base_model: openai/gpt-4o-mini-2024-07-18
  method: lora
  hyperparameters: {{rank: 16, alpha: 32, epochs: 2, batch_size: 4, learning_rate: 0.5}}
  data: {data}
  gate: {{suite: support-gate}}
  price_per_million_tokens: 3.0
{extra}"""


GOOD_TRAIN = "\n".join(
    [
        chat("Where is my order?", "Let me check the tracking for you.", system="You are a support agent."),
        chat("Can I change my address?", "Yes, until the parcel ships."),
    ]
)
GOOD_VAL = chat("Do you ship abroad?", "We ship to 30 countries.")


def make_repo(tmp_path: Path, train: str = GOOD_TRAIN, val: str = GOOD_VAL, spec: str | None = None) -> Path:
    return write_files(
        tmp_path,
        {
            "llmops.yaml": PROJECT,
            "prompts/support.yaml": PROMPT,
            "evals/support.yaml": SUITE,
            "finetune/support-bot.yaml": spec or finetune(),
            "finetune/data/train.jsonl": train + "\n",
            "finetune/data/val.jsonl": val + "\n",
        },
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_data_reports_tokens_and_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo), "--format", "json")
    assert code == 0
    report = json.loads(out)
    training, validation = report["files"]
    assert training["examples"] == 2 and validation["examples"] == 1
    first = example_tokens(json.loads(GOOD_TRAIN.splitlines()[0])["messages"])
    second = example_tokens(json.loads(GOOD_TRAIN.splitlines()[1])["messages"])
    assert training["tokens"] == first + second and training["max_tokens"] == max(first, second)
    assert report["trained_tokens"] == 2 * (first + second) and report["epochs"] == 2
    assert report["cost_usd"] == pytest.approx(report["trained_tokens"] * 3.0 / 1e6)
    assert report["errors"] == [] and report["warnings"] == []


def test_each_bad_line_is_named_by_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        chat("ok", "fine"),
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": "no answer"}]}),
        json.dumps({"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]}),
        json.dumps({"prompt": "x", "completion": "y"}),
        "",
        json.dumps({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}),
    ]
    repo = make_repo(tmp_path, train="\n".join(lines))
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 1
    assert "finetune/data/train.jsonl:2: error: not JSON" in out
    assert "finetune/data/train.jsonl:3: error: no assistant message" in out
    assert "finetune/data/train.jsonl:4: error: messages[0].role is 'robot'" in out
    assert "finetune/data/train.jsonl:5: error: unknown key(s) 'completion', 'prompt'" in out
    assert "finetune/data/train.jsonl:7: error: the example ends with a user message" in out
    assert "5 error(s), 0 warning(s)" in out
    assert "Traceback" not in out


def test_duplicates_within_and_across_files_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = chat("Where is my order?", "Checking.")
    repo = make_repo(tmp_path, train="\n".join([line, chat("x", "y"), line]), val=line)
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 0
    assert "finetune/data/train.jsonl:3: warning: duplicate of finetune/data/train.jsonl:1" in out
    assert "finetune/data/val.jsonl:1: warning: duplicate of finetune/data/train.jsonl:1" in out
    assert run(capsys, "finetune", "validate", "support-bot", "-C", str(repo), "--strict")[0] == 1


def test_examples_over_the_context_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long = chat("word " * 300, "short")
    repo = make_repo(
        tmp_path, train="\n".join([chat("a", "b"), long]), spec=finetune("  context_window: 200\n")
    )
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 1
    assert "finetune/data/train.jsonl:2: error: " in out and "over the context window of 200" in out


def test_pii_and_secrets_found_through_the_guardrail_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        chat("My card is 4111 1111 1111 1111", "Thanks."),
        chat("deploy", "use key AKIAIOSFODNN7EXAMPLE"),
        chat("mail", "write to jane.doe@example.com"),
    ]
    repo = make_repo(tmp_path, train="\n".join(lines))
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 1
    assert "train.jsonl:1: error: pii CREDIT_CARD in messages[0] (user)" in out
    assert "train.jsonl:2: error: secrets AWS_ACCESS_KEY in messages[1] (assistant)" in out
    assert "train.jsonl:3: error: pii EMAIL_ADDRESS" in out
    assert "4111 1111 1111 1111" not in out and "AKIAIOSFODNN7EXAMPLE" not in out  # shown masked


def test_the_finetunes_own_policy_decides_the_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: data-scan}
spec:
  checks:
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS], scopes: {input: warn}}
"""
    repo = make_repo(
        tmp_path,
        train=chat("mail", "write to jane.doe@example.com"),
        spec=finetune("  guardrails: [data-scan]\n"),
    )
    (repo / "guardrails").mkdir()
    (repo / "guardrails/data-scan.yaml").write_text(policy)
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 0 and "warning: pii EMAIL_ADDRESS" in out and "policy data-scan, warn" in out


def test_leakage_of_gating_cases_into_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaked = chat("how do I get a REFUND for a damaged parcel??", "Send us a photo.")
    repo = make_repo(tmp_path, train="\n".join([chat("Hi", "Hello"), leaked]))
    code, out, _ = run(capsys, "finetune", "validate", "support-bot", "-C", str(repo))
    assert code == 1
    assert "train.jsonl:2: error: leakage: holds case 'refund' of the gating suite 'support-gate'" in out
    assert "train.jsonl:1" not in out  # "Hi" is too short to tell


def test_chat_format_rules() -> None:
    tool_turn = {"role": "assistant", "content": None, "tool_calls": [{"id": "1", "type": "function"}]}
    example = {
        "messages": [
            {"role": "user", "content": "q"},
            tool_turn,
            {"role": "tool", "tool_call_id": "1", "content": "r"},
            {"role": "assistant", "content": "a"},
        ]
    }
    assert example_problem(example) is None
    assert example_problem([]) == "a line must be a JSON object with a 'messages' list"
    assert "empty" in str(example_problem({"messages": [{"role": "user", "content": " "}]}))


def test_unknown_finetune_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    code, _, err = run(capsys, "finetune", "validate", "support-bots", "-C", str(repo))
    assert code == 2 and "did you mean 'support-bot'" in err


# --- submit and status against the fake server ----------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    return make_repo(tmp_path, spec=finetune(f'  api_base: "{openai_server.base_url}"\n'))


def state_of(repo: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((repo / "finetune/support-bot.state.json").read_text())
    return loaded


def test_submit_uploads_creates_the_job_and_records_it(
    served: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "finetune", "submit", "support-bot", "-C", str(served))
    assert code == 0, err
    state = state_of(served)
    assert state["job_id"] in out and state["status"] == "validating_files"
    assert state["schema_version"] == 1 and state["digest"].startswith("sha256:")
    uploaded = openai_server.files
    assert set(uploaded) == {state["training_file_id"], state["validation_file_id"]}
    assert openai_server.file_content(state["training_file_id"]).decode() == GOOD_TRAIN + "\n"
    (job,) = openai_server.jobs.values()
    assert job["model"] == "gpt-4o-mini-2024-07-18"
    assert job["hyperparameters"] == {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5}
    # a second submit is refused while the state file records a job
    code, _, err = run(capsys, "finetune", "submit", "support-bot", "-C", str(served))
    assert code == 1 and "already records job" in err and len(openai_server.jobs) == 1


def test_status_wait_follows_the_job_to_its_model(
    served: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.finetune_polls = 3
    assert run(capsys, "finetune", "submit", "support-bot", "-C", str(served))[0] == 0
    code, out, _ = run(capsys, "finetune", "status", "support-bot", "-C", str(served))
    assert code == 0 and "running" in out
    code, out, _ = run(
        capsys, "finetune", "status", "support-bot", "-C", str(served), "--wait", "--interval", "0"
    )
    assert code == 0
    state = state_of(served)
    assert state["status"] == "succeeded" and state["model"] == f"openai/{state['fine_tuned_model']}"
    assert f"gate it: llmops-ci eval support-gate --model {state['model']}" in out
    assert len(openai_server.requests_to(f"fine_tuning/jobs/{state['job_id']}")) == 3


def test_gating_suite_runs_against_the_fine_tuned_model(
    served: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai_server.finetune_polls = 1
    openai_server.reply(r"refund", "Send a photo for a refund.")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    assert run(capsys, "finetune", "submit", "support-bot", "-C", str(served))[0] == 0
    code, out, err = run(capsys, "finetune", "status", "support-bot", "-C", str(served), "--gate")
    assert code == 0, err
    model = state_of(served)["model"]
    assert "PASSED" in out
    models = {request.body["model"] for request in openai_server.requests_to("chat/completions")}
    assert models == {model.removeprefix("openai/")}
    # the gate is an ordinary eval: a regressed answer fails it
    openai_server.reset()
    openai_server.reply(r"refund", "I cannot help.")
    code, _, _ = run(capsys, "eval", "support-gate", "-C", str(served), "--model", model, "--no-cache")
    assert code == 1


def test_gate_needs_a_finished_job(
    served: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.finetune_polls = 5
    assert run(capsys, "finetune", "submit", "support-bot", "-C", str(served))[0] == 0
    code, _, err = run(capsys, "finetune", "status", "support-bot", "-C", str(served), "--gate")
    assert code == 1 and "no model to gate yet" in err
    assert not openai_server.requests_to("chat/completions")


def test_failed_job_exits_1_and_allows_a_new_submit(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    repo = make_repo(
        tmp_path,
        train=chat("FAIL_FINETUNE please", "ok"),
        spec=finetune(f'  api_base: "{openai_server.base_url}"\n'),
    )
    openai_server.finetune_polls = 1
    assert run(capsys, "finetune", "submit", "support-bot", "-C", str(repo))[0] == 0
    code, out, _ = run(capsys, "finetune", "status", "support-bot", "-C", str(repo))
    assert code == 1 and "failed: fake: the data asked to fail" in out
    assert run(capsys, "finetune", "submit", "support-bot", "-C", str(repo))[0] == 0


def test_submit_refuses_invalid_data_and_status_needs_a_state_file(
    served: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (served / "finetune/data/train.jsonl").write_text("{broken\n")
    code, _, err = run(capsys, "finetune", "submit", "support-bot", "-C", str(served))
    assert code == 1 and "train.jsonl:1: error: not JSON" in err and "nothing was submitted" in err
    assert openai_server.request_count == 0
    code, _, err = run(capsys, "finetune", "status", "support-bot", "-C", str(served))
    assert code == 2 and "submit first" in err


# --- the fake server's fine-tuning endpoints on their own ---------------------------------------------------


def _http(method: str, url: str, body: bytes | None = None, content_type: str = "application/json") -> Any:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_fake_server_files_jobs_cancel_and_unknown_ids(openai_server: OpenAIServer) -> None:
    base = openai_server.base_url
    boundary = "xyz"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n{GOOD_VAL}\n\r\n--{boundary}--\r\n"
    ).encode()
    status, uploaded = _http("POST", f"{base}/files", multipart, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and uploaded["filename"] == "t.jsonl" and uploaded["purpose"] == "fine-tune"
    assert _http("GET", f"{base}/files/{uploaded['id']}")[1]["bytes"] == len(GOOD_VAL) + 1
    assert _http("POST", f"{base}/files", b"{}")[0] == 400
    status, job = _http(
        "POST", f"{base}/fine_tuning/jobs", json.dumps({"model": "m", "training_file": "nope"}).encode()
    )
    assert status == 400
    body = json.dumps({"model": "m", "training_file": uploaded["id"]}).encode()
    status, job = _http("POST", f"{base}/fine_tuning/jobs", body)
    assert status == 200 and job["status"] == "validating_files"
    status, cancelled = _http("POST", f"{base}/fine_tuning/jobs/{job['id']}/cancel", b"")
    assert status == 200 and cancelled["status"] == "cancelled"
    assert _http("GET", f"{base}/fine_tuning/jobs/{job['id']}")[1]["status"] == "cancelled"
    assert _http("GET", f"{base}/fine_tuning/jobs/ftjob-none")[0] == 404
    assert _http("GET", f"{base}/models")[0] == 200  # the other endpoints are untouched
