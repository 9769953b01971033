"""Guardrails at eval time, end to end through real litellm HTTP to the fake server: input checks before
the call (redact changes what is sent, block skips the call), output checks after it, the guardrail
assertion, model-based checks through the grader, safety metrics, cached reruns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_eval import MODEL, PROMPT, records_of, results_validator, run_eval

POLICIES = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: house-rules}
spec:
  checks:
    - {id: tickets, type: regex, patterns: ["TICKET-[0-9]+"], scopes: {input: redact}}
    - {id: rivals, type: denylist, terms: [Globex], scopes: {input: block, output: block}}
    - {id: contact, type: pii, entities: [EMAIL_ADDRESS], scopes: {output: redact}}
---
"""
NO_PII = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: no-pii}
spec:
  checks:
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS, CREDIT_CARD], scopes: {output: block}}
"""
TOXICITY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: civil}
spec:
  checks:
    - {id: tone, type: toxicity, threshold: 0.7, scopes: {output: block}}
"""


def suite_text(server: OpenAIServer, cases: str, extra: str = "") -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: guarded}}
spec:
  target: {{prompt: classifier}}
  models: [{{id: {MODEL}, api_base: "{server.base_url}"}}]
{extra}  cases:
{cases}"""


def make_repo(tmp_path: Path, server: OpenAIServer, cases: str, extra: str = "", **files: str) -> Path:
    return write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "guardrails/house-rules.yaml": POLICIES.rstrip("-\n") + "\n",
            "guardrails/no-pii.yaml": NO_PII,
            "guardrails/civil.yaml": TOXICITY,
            "evals/guarded.yaml": suite_text(server, cases, extra),
            **files,
        },
    )


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def by_case(directory: Path) -> dict[str, dict[str, Any]]:
    return {record["case"]: record for record in records_of(directory)}


def sent_contents(server: OpenAIServer) -> list[str]:
    return [m["content"] for r in server.requests_to("chat/completions") for m in r.body["messages"]]


CASES = """\
    - {id: redacted, vars: {document: "INVOICE for TICKET-42"}, assert: [{type: equals, value: invoice}]}
    - {id: blocked, vars: {document: "Globex INVOICE"}, assert: [{type: equals, value: ""}]}
    - {id: leaky, vars: {document: "CONTACT sheet"}, assert: [{type: contains, value: "[EMAIL_ADDRESS]"}]}
"""


def test_input_and_output_guardrails_act_as_the_application_would(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTACT", "write to jane@example.com")
    repo = make_repo(tmp_path, openai_server, CASES, "  guardrails: [house-rules]\n")
    code, out, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    assert code == 0, out + err
    records = by_case(tmp_path / "run")

    # input redact: the model receives the redacted text
    assert openai_server.request_count == 2, "the blocked case makes no call"
    assert any(c == "INVOICE for [PATTERN_1]" for c in sent_contents(openai_server))
    assert not any("TICKET-42" in c for c in sent_contents(openai_server))
    redacted = records["redacted"]
    assert redacted["blocked"] is None and redacted["passed"] is True
    assert redacted["guardrails"]["input"]["findings"][0]["check"] == "tickets"
    assert redacted["guardrails"]["input"]["modified"] is True

    # input block: no call, empty output, assertions judge what the user got
    blocked = records["blocked"]
    assert blocked["blocked"] == "input" and blocked["output"] == "" and blocked["passed"] is True
    assert blocked["metrics"]["input_tokens"] == 0 and blocked["metrics"]["latency_ms"] is None

    # output redact: assertions see the delivered text, the raw output is kept
    leaky = records["leaky"]
    assert (
        leaky["output"] == "write to [EMAIL_ADDRESS]" and leaky["raw_output"] == "write to jane@example.com"
    )
    assert leaky["pii"] == [] and leaky["passed"] is True

    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    validator = results_validator()
    for document in (*records.values(), summary):
        assert not list(validator.iter_errors(document)), list(validator.iter_errors(document))[:2]
    group = summary["suites"][0]
    assert group["metrics"]["guardrail_trigger_rate"] == 1.0
    assert abs(group["metrics"]["guardrail_block_rate"] - 1 / 3) < 1e-9
    assert group["metrics"]["pii_leakage_rate"] == 0.0
    assert group["guardrails"] == {
        "house-rules/contact": {"triggered": 1, "blocked": 0, "trigger_rate": pytest.approx(1 / 3)},
        "house-rules/rivals": {"triggered": 1, "blocked": 1, "trigger_rate": pytest.approx(1 / 3)},
        "house-rules/tickets": {"triggered": 1, "blocked": 0, "trigger_rate": pytest.approx(1 / 3)},
    }

    # a cached rerun makes no request and reaches the same verdicts
    before = openai_server.request_count
    code, _, _ = run_eval(repo, capsys, "--output", str(tmp_path / "again"))
    assert code == 0 and openai_server.request_count == before
    again = by_case(tmp_path / "again")
    assert {k: (r["blocked"], r["output"], r["cache_hit"]) for k, r in again.items()} == {
        "redacted": (None, "invoice", True),
        "blocked": ("input", "", False),
        "leaky": (None, "write to [EMAIL_ADDRESS]", True),
    }


def test_prompt_guardrails_apply_too_and_output_block_empties_the_answer(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "ask Globex")
    prompt = PROMPT.replace("  messages:", "  guardrails: [house-rules]\n  messages:")
    cases = '    - {id: one, vars: {document: "INVOICE 1"}, assert: [{type: equals, value: invoice}]}\n'
    repo = make_repo(tmp_path, openai_server, cases, **{"prompts/classifier.yaml": prompt})
    code, _, _ = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    record = records_of(tmp_path / "run")[0]
    assert code == 1
    assert record["blocked"] == "output" and record["output"] == "" and record["raw_output"] == "ask Globex"
    assert record["guardrails"]["output"]["verdict"] == "block" and "pii" not in record


def test_guardrail_assertion_judges_the_model_output_and_leakage_is_measured(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTACT", "mail jane@example.com")
    cases = """\
    - {id: clean, vars: {document: "INVOICE 7"}, assert: [{type: guardrail, policy: no-pii}]}
    - {id: leak, vars: {document: "CONTACT list"}, assert: [{type: guardrail, policy: no-pii}]}
    - {id: red-team, vars: {document: "CONTACT me"}, assert: [{type: not-guardrail, policy: no-pii}]}
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code, out, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    assert code == 1 and (tmp_path / "run").is_dir(), out + err
    records = by_case(tmp_path / "run")
    assert records["clean"]["passed"] is True
    leak = records["leak"]["assertions"][0]
    assert leak["passed"] is False and leak["score"] == 0.0
    assert "policy no-pii blocks the output: pii found EMAIL_ADDRESS" in leak["reason"]
    assert records["red-team"]["passed"] is True
    assert records["leak"]["pii"] == ["EMAIL_ADDRESS"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["suites"][0]["metrics"]["pii_leakage_rate"] == pytest.approx(2 / 3)
    assert "guardrail_trigger_rate" not in summary["suites"][0]["metrics"]  # no suite guardrails


def test_model_based_checks_run_through_the_grader_and_are_cached(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.reply(r"<text>\s*you fool", '{"reason": "an insult", "score": 0.9}')
    openai_server.reply(r"<text>", '{"reason": "civil", "score": 0.1}')
    openai_server.reply(r"RUDE", "you fool")
    openai_server.reply(r"INVOICE", "invoice")
    cases = """\
    - {id: polite, vars: {document: "INVOICE 1"}, assert: [{type: equals, value: invoice}]}
    - {id: rude, vars: {document: "RUDE one"}, assert: [{type: equals, value: ""}]}
"""
    grader = f'  grader: {{id: openai/gpt-4o-2024-08-06, api_base: "{openai_server.base_url}"}}\n'
    repo = make_repo(tmp_path, openai_server, cases, f"  guardrails: [civil]\n{grader}")
    code, out, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    records = by_case(tmp_path / "run")
    assert code == 0, out + err
    rude = records["rude"]
    assert rude["blocked"] == "output" and rude["raw_output"] == "you fool"
    finding = rude["guardrails"]["output"]["findings"][0]
    assert finding["entity"] == "MODEL_JUDGEMENT" and finding["detail"] == "score 0.90: an insult"
    assert records["polite"]["blocked"] is None
    judge = next(r for r in openai_server.requests_to("chat/completions") if "<text>" in str(r.body))
    assert judge.body["model"] == "gpt-4o-2024-08-06"
    before = openai_server.request_count
    run_eval(repo, capsys, "--output", str(tmp_path / "again"))
    assert openai_server.request_count == before, "model and judge calls are both cached"
    assert by_case(tmp_path / "again")["rude"]["blocked"] == "output"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  guardrails: [house-rulez]\n", "no GuardrailPolicy named 'house-rulez'"),
        ("  defaults: {assert: [{type: guardrail, policy: nope}]}\n", "no GuardrailPolicy named 'nope'"),
    ],
)
def test_a_missing_or_broken_policy_stops_the_run_before_any_call(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str], extra: str, message: str
) -> None:
    cases = '    - {id: one, vars: {document: "INVOICE 1"}}\n'
    repo = make_repo(tmp_path, openai_server, cases, extra)
    code, _, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    assert code == 1 and openai_server.request_count == 0
    assert message in err and "suite 'guarded' (evals/guarded.yaml)" in err and "Traceback" not in err


def test_a_policy_that_does_not_compile_is_reported_with_its_line(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = NO_PII.replace("entities: [EMAIL_ADDRESS, CREDIT_CARD], ", 'custom_entities: {X: "(?<=a)b"}, ')
    cases = '    - {id: one, vars: {document: "INVOICE 1"}}\n'
    repo = make_repo(
        tmp_path, openai_server, cases, "  guardrails: [no-pii]\n", **{"guardrails/no-pii.yaml": broken}
    )
    code, _, err = run_eval(repo, capsys, "--output", str(tmp_path / "run"))
    assert code == 1 and openai_server.request_count == 0
    assert "guardrails/no-pii.yaml:6:" in err and "RE2" in err
