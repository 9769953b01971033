"""Agents: the Agent kind, agent eval suites end to end (litellm tool calling against the local fake
OpenAI server, fixture tool results, step limits, stop tools, cache), the tool assertions and metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from llmops_ci.eval.assertions import evaluate
from llmops_ci.eval.assertions.agent import AgentOutput, contains
from llmops_ci.eval.assertions.base import Output
from llmops_ci.eval.results import read_records
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-4o-mini-2024-07-18"

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: travel-system}
spec:
  model: openai/gpt-4o-mini-2024-07-18
  inputs: {type: object, required: [question], properties: {question: {type: string}}}
  messages:
    - {role: system, content: "You are a travel assistant. Use the tools."}
    - {role: user, content: "{{ question }}"}
"""

AGENT = """\
apiVersion: llmops-ci/v1
kind: Agent
metadata: {name: travel}
spec:
  prompt: travel-system
  max_steps: 4
  stop: {tools: [give_up]}
  tools:
    - name: get_weather
      description: Current weather of a city.
      parameters:
        type: object
        required: [city]
        properties: {city: {type: string}, unit: {enum: [c, f]}}
        additionalProperties: false
    - name: book_hotel
      description: Book a hotel.
      parameters:
        type: object
        required: [city, nights]
        properties: {city: {type: string}, nights: {type: integer, minimum: 1}}
    - name: give_up
      description: End the task without an answer.
      parameters: {type: object, properties: {reason: {type: string}}}
"""


def suite(api_base: str, cases: str) -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: travel-agent}}
spec:
  target: {{agent: travel}}
  models: [{{id: {MODEL}, api_base: "{api_base}"}}]
  tool_results:
    get_weather: {{result: {{temp_c: 21, sky: sunny}}}}
  cases:
{cases}"""


WEATHER_CASE = """\
    - id: weather
      vars: {question: "What is the weather in Paris?"}
      assert:
        - {type: is-valid-tool-call}
        - {type: tool-called, value: get_weather}
        - {type: tool-args-match, value: {get_weather: {city: Paris}}}
        - {type: step-count, max: 2}
        - {type: contains, value: "21"}
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def make_repo(tmp_path: Path, server: OpenAIServer, cases: str) -> Path:
    return write_files(
        tmp_path,
        {
            "llmops.yaml": PROJECT,
            "prompts/travel-system.yaml": PROMPT,
            "agents/travel.yaml": AGENT,
            "evals/travel.yaml": suite(server.base_url, cases),
        },
    )


def run_eval(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str, out_name: str = "run"
) -> tuple[int, list[dict[str, Any]]]:
    out = repo / out_name
    code = main(["eval", "--project", str(repo), "--output", str(out), *args])
    capsys.readouterr()
    return code, list(read_records(out)) if (out / "records.jsonl").is_file() else []


def test_agent_loop_calls_tool_gets_fixture_and_answers(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"weather in Paris",
        [[{"name": "get_weather", "arguments": {"city": "Paris"}}], "It is 21 C and sunny in Paris."],
    )
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE)
    code, records = run_eval(repo, capsys)
    assert code == 0
    (record,) = records
    assert record["passed"] is True, record["assertions"]
    assert record["target"]["kind"] == "Agent" and record["target"]["name"] == "travel"
    assert record["output"] == "It is 21 C and sunny in Paris."
    agent = record["agent"]
    assert agent["steps"] == 2 and agent["stopped"] == "answer" and agent["max_steps"] == 4
    (call,) = agent["tool_calls"]
    assert call["name"] == "get_weather" and call["arguments"] == {"city": "Paris"}
    assert call["valid"] and call["fixture"] and call["result"] == {"temp_c": 21, "sky": "sunny"}
    # the second request carried the tool call and the fixture result back to the model, with the tools
    chats = openai_server.requests_to("chat/completions")
    assert len(chats) == 2
    assert [tool["function"]["name"] for tool in chats[0].body["tools"]] == [
        "get_weather",
        "book_hotel",
        "give_up",
    ]
    tool_message = chats[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and json.loads(tool_message["content"]) == {
        "sky": "sunny",
        "temp_c": 21,
    }
    first = chats[0].body
    assert record["metrics"]["input_tokens"] > 0 and record["metrics"]["output_tokens"] > 0
    assert first["messages"][0]["content"].startswith("You are a travel assistant")
    schema = json.loads((ROOT / "schemas/results.schema.json").read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(record))
    assert not errors, errors[0].message


def test_cached_rerun_makes_no_call(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"weather in Paris",
        [[{"name": "get_weather", "arguments": {"city": "Paris"}}], "It is 21 C and sunny in Paris."],
    )
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE)
    assert run_eval(repo, capsys)[0] == 0
    openai_server.reset()
    code, records = run_eval(repo, capsys, "--replay", out_name="rerun")
    assert code == 0 and openai_server.request_count == 0
    assert records[0]["cache_hit"] is True and records[0]["agent"]["steps"] == 2


def test_invalid_arguments_unknown_tool_and_step_limit(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"book",
        [
            [{"name": "book_hotel", "arguments": {"city": "Rome", "nights": 0}}],
            [{"name": "teleport", "arguments": {}}],
            [{"name": "book_hotel", "arguments": "{not json"}],
        ],
    )
    cases = """\
    - id: booking
      vars: {question: "book a hotel in Rome"}
      assert:
        - {type: is-valid-tool-call}
        - {type: step-count, max: 3}
        - {type: tool-sequence, value: [book_hotel, teleport]}
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code, (record,) = run_eval(repo, capsys)
    assert code == 1
    agent = record["agent"]
    assert agent["stopped"] == "max_steps" and agent["steps"] == 4 and record["output"] == ""
    assert agent["valid_calls"] == 0 and agent["invalid_calls"] == 4
    errors = [call["error"] for call in agent["tool_calls"]]
    assert "nights: 0 is less than the minimum of 1" in errors[0]
    assert "no tool named 'teleport'" in errors[1]
    assert "not JSON" in errors[2]
    results = {result["type"]: result for result in record["assertions"]}
    assert not results["is-valid-tool-call"]["passed"] and results["is-valid-tool-call"]["score"] == 0
    assert not results["step-count"]["passed"]
    assert results["tool-sequence"]["passed"]
    # the model was told why: the tool message carries the error
    last = openai_server.requests_to("chat/completions")[-1].body["messages"]
    assert "error" in json.loads(last[-1]["content"])


def test_stop_tool_ends_the_task_with_its_arguments(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"moon", [[{"name": "give_up", "arguments": {"reason": "no flights"}}], "never"]
    )
    cases = """\
    - id: moon
      vars: {question: "a trip to the moon"}
      assert:
        - {type: tool-called, value: give_up}
        - {type: not-tool-called, value: book_hotel}
        - {type: is-json}
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code, (record,) = run_eval(repo, capsys)
    assert code == 0, record["assertions"]
    assert record["agent"]["stopped"] == "stop_tool" and record["agent"]["steps"] == 1
    assert json.loads(record["output"]) == {"reason": "no flights"}
    assert openai_server.request_count == 1


def test_case_fixtures_override_the_suite_and_successive_results(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Oslo"}}
    openai_server.script_tools(r"Oslo", [[call], [call], [call], "done"])
    cases = """\
    - id: oslo
      vars: {question: "Oslo weather, three times"}
      tool_results:
        get_weather: {results: [{temp_c: -3}, {temp_c: -4}]}
      assert: [{type: tool-called, value: get_weather, min: 3, max: 3}]
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code, (record,) = run_eval(repo, capsys)
    assert code == 0
    assert [c["result"] for c in record["agent"]["tool_calls"]] == [
        {"temp_c": -3},
        {"temp_c": -4},
        {"temp_c": -4},
    ]


def test_a_cases_file_carries_its_own_fixtures(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Oslo"}}
    openai_server.script_tools(r"Oslo", [[call], "done"])
    repo = make_repo(tmp_path, openai_server, "    []\n")
    suite_file = repo / "evals/travel.yaml"
    suite_file.write_text(
        suite_file.read_text(encoding="utf-8").replace("  cases:\n    []\n", "  cases_file: cases.jsonl\n"),
        encoding="utf-8",
    )
    case = {
        "id": "oslo",
        "vars": {"question": "Oslo weather"},
        "tool_results": {"get_weather": {"result": {"temp_c": -3}}},
        "assert": [{"type": "tool-called", "value": "get_weather"}],
    }
    (repo / "evals/cases.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    code, (record,) = run_eval(repo, capsys)
    assert code == 0
    assert [c["result"] for c in record["agent"]["tool_calls"]] == [{"temp_c": -3}]  # not the suite's 21


def test_missing_fixture_is_told_to_the_model(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"hotel", [[{"name": "book_hotel", "arguments": {"city": "Rome", "nights": 2}}], "ok"]
    )
    cases = """\
    - id: hotel
      vars: {question: "hotel in Rome"}
      assert: [{type: is-valid-tool-call}]
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code, (record,) = run_eval(repo, capsys)
    assert code == 0
    (call,) = record["agent"]["tool_calls"]
    assert (
        call["valid"]
        and not call["fixture"]
        and call["result"] == {"error": "no fixture result for tool book_hotel"}
    )


def test_agent_metrics_in_the_summary(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"weather in Paris",
        [[{"name": "get_weather", "arguments": {"city": "Paris"}}], "It is 21 C and sunny in Paris."],
    )
    openai_server.script_tools(r"Lyon", [[{"name": "get_weather", "arguments": {"town": "Lyon"}}], "no idea"])
    cases = (
        WEATHER_CASE
        + """\
    - id: lyon
      vars: {question: "Lyon?"}
"""
    )
    repo = make_repo(tmp_path, openai_server, cases)
    out = repo / "run"
    main(["eval", "--project", str(repo), "--output", str(out)])
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["suites"][0]["metrics"]
    assert metrics["agent_steps_mean"] == 2.0
    assert metrics["tool_call_valid_rate"] == 0.5
    assert "cost_usd_per_task" in metrics


def test_plan_problems_are_reported_before_any_call(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = """\
    - id: bad
      vars: {question: "x"}
      tool_results: {get_wether: {result: 1}}
      assert: [{type: tool-called}]
"""
    repo = make_repo(tmp_path, openai_server, cases)
    code = main(["eval", "--project", str(repo)])
    err = capsys.readouterr().err
    assert code == 1
    assert "evals/travel.yaml:" in err and "tool_results for 'get_wether'" in err and "get_weather" in err
    assert openai_server.request_count == 0


def test_tool_assertions_need_an_agent_suite(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE)
    (repo / "evals/travel.yaml").write_text(
        (repo / "evals/travel.yaml")
        .read_text()
        .replace("{agent: travel}", "{prompt: travel-system}")
        .replace("  tool_results:\n    get_weather: {result: {temp_c: 21, sky: sunny}}\n", "")
    )
    code = main(["eval", "--project", str(repo)])
    err = capsys.readouterr().err
    assert code == 1 and "needs an agent suite" in err


# --- the assertions on their own -----------------------------------------------------------------------


def _output(calls: list[dict[str, Any]], steps: int = 1) -> AgentOutput:
    return AgentOutput(text="done", agent={"steps": steps, "tool_calls": calls})


def _call(name: str, valid: bool = True, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments, "valid": valid, "error": None if valid else "bad"}


def test_tool_sequence_in_order_and_exact() -> None:
    output = _output([_call("a"), _call("x"), _call("b")])
    assert evaluate({"type": "tool-sequence", "value": ["a", "b"]}, output).passed
    assert not evaluate({"type": "tool-sequence", "value": ["b", "a"]}, output).passed
    assert evaluate({"type": "tool-sequence", "value": ["b", "a"]}, output).score == 0.5


def test_tool_args_match_is_a_partial_deep_match() -> None:
    output = _output([_call("search", q="paris", filters={"stars": 4, "pool": True})])
    assert evaluate(
        {"type": "tool-args-match", "value": {"search": {"filters": {"stars": 4}}}}, output
    ).passed
    wrong = evaluate({"type": "tool-args-match", "value": {"search": {"q": "rome"}, "other": {}}}, output)
    assert not wrong.passed and "other: no call" in wrong.reason and wrong.score == 0
    assert contains({"n": 1}, {"n": 1.0}) and not contains({"n": True}, {"n": 1})


def test_is_valid_tool_call_scores_the_share_of_valid_calls() -> None:
    output = _output([_call("a"), _call("a", valid=False), _call("b")])
    result = evaluate({"type": "is-valid-tool-call"}, output)
    assert not result.passed and result.score == pytest.approx(2 / 3)
    assert evaluate({"type": "is-valid-tool-call", "value": "b"}, output).passed
    assert not evaluate({"type": "is-valid-tool-call"}, _output([])).passed


def test_tool_assertions_on_a_plain_output_fail_with_a_reason() -> None:
    result = evaluate({"type": "tool-called", "value": "a"}, Output(text="x"))
    assert not result.passed and "not an agent case" in result.reason
    assert evaluate({"type": "step-count", "min": 2, "max": 3}, _output([], steps=3)).passed


POLICY = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: no-email}
spec:
  checks:
    - {id: pii, type: pii, entities: [EMAIL_ADDRESS], scopes: {input: block, output: redact}}
"""


def test_the_agents_guardrails_guard_the_answer(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"weather in Paris",
        [
            [{"name": "get_weather", "arguments": {"city": "Paris"}}],
            "21 C. Write to ops@example.com for more.",
        ],
    )
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE.replace('value: "21"', "value: ops@example.com"))
    (repo / "agents/travel.yaml").write_text(
        AGENT.replace("  max_steps: 4\n", "  max_steps: 4\n  guardrails: [no-email]\n")
    )
    (repo / "guardrails").mkdir()
    (repo / "guardrails/no-email.yaml").write_text(POLICY)
    code, (record,) = run_eval(repo, capsys)
    assert code == 1
    assert "ops@example.com" not in record["output"] and record["raw_output"].endswith(
        "ops@example.com for more."
    )
    assert record["guardrails"]["output"]["findings"][0]["policy"] == "no-email"
    failed = [result["type"] for result in record["assertions"] if not result["passed"]]
    assert failed == ["contains"]


def test_a_missing_agent_policy_stops_the_run_before_any_call(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE)
    (repo / "agents/travel.yaml").write_text(
        AGENT.replace("  max_steps: 4\n", "  max_steps: 4\n  guardrails: [nope]\n")
    )
    code = main(["eval", "--project", str(repo)])
    err = capsys.readouterr().err
    assert code == 1 and "agents/travel.yaml:" in err and "no GuardrailPolicy named 'nope'" in err
    assert openai_server.request_count == 0


def test_the_agents_own_model_is_used_without_a_matrix(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(r"moon", ["No trips to the moon."])
    cases = """\
    - id: moon
      vars: {question: "a trip to the moon"}
      assert: [{type: step-count, max: 1}, {type: not-tool-called, value: book_hotel}]
"""
    repo = make_repo(tmp_path, openai_server, cases)
    suite_file = repo / "evals/travel.yaml"
    suite_file.write_text(
        "\n".join(line for line in suite_file.read_text().splitlines() if "models:" not in line)
    )
    model = f'{{id: openai/gpt-4o-2024-08-06, api_base: "{openai_server.base_url}"}}'
    agent = AGENT.replace("  prompt: travel-system\n", f"  prompt: travel-system\n  model: {model}\n")
    (repo / "agents/travel.yaml").write_text(agent)
    code, (record,) = run_eval(repo, capsys)
    assert code == 0 and record["model"] == "openai/gpt-4o-2024-08-06"
    assert record["agent"]["stopped"] == "answer" and record["agent"]["tool_calls"] == []
    assert openai_server.requests[0].body["model"] == "gpt-4o-2024-08-06"


def test_a_failed_step_is_retried_and_a_refused_one_errors_the_case(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.script_tools(
        r"weather in Paris",
        [[{"name": "get_weather", "arguments": {"city": "Paris"}}], "It is 21 C and sunny in Paris."],
    )
    openai_server.fail_next(1, status=429, retry_after=0)
    repo = make_repo(tmp_path, openai_server, WEATHER_CASE)
    code, (record,) = run_eval(repo, capsys)
    assert code == 0 and record["attempts"] == 3 and record["agent"]["steps"] == 2
    openai_server.reset()
    openai_server.fail_when(r"weather", status=400)
    code, (record,) = run_eval(repo, capsys, "--no-cache", out_name="refused")
    assert code == 1 and record["error"]["kind"] == "provider" and record["passed"] is None
