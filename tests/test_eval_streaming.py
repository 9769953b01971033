"""`llmops-ci eval` at scale: records streamed (the summary built as they arrive equals the one recomputed
from records.jsonl), a fixed pool of workers instead of a task per call, and litellm's per-call work we do
not use (its cost calculator, its logging callbacks) skipped for our calls only."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.eval.results import load_run
from llmops_ci.report import eval_text
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer

MODEL = "openai/gpt-4o-mini-2024-07-18"
PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: echo}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: user, content: "{{ document }}"}
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def repo_with_cases(root: Path, api_base: str, count: int) -> Path:
    cases = "".join(
        json.dumps({"id": f"c{i}", "vars": {"document": f"doc {i} {'FAIL' if i % 7 == 0 else 'ok'}"}}) + "\n"
        for i in range(count)
    )
    suite = f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: many}}
spec:
  target: {{prompt: echo}}
  models: [{{id: {MODEL}, api_base: "{api_base}"}}]
  defaults: {{assert: [{{type: not-contains, value: FAIL}}]}}
  thresholds: {{pass_rate: {{min: 0.5}}}}
  cases_file: cases/many.jsonl
"""
    return write_files(
        root,
        {
            "llmops.yaml": PROJECT,
            "prompts/echo.yaml": PROMPT,
            "evals/many.yaml": suite,
            "evals/cases/many.jsonl": cases,
        },
    )


def test_a_large_run_streams_records_through_a_fixed_pool_of_workers(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count, concurrency = 240, 4
    openai_server.latency = 0.005
    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, count)
    tasks_alive: list[int] = []
    advance = eval_text.Progress.advance

    def counting_advance(self: eval_text.Progress, record: dict[str, Any]) -> None:
        tasks_alive.append(len(asyncio.all_tasks()))
        advance(self, record)

    monkeypatch.setattr(eval_text.Progress, "advance", counting_advance)
    out_dir = tmp_path / "run"
    code = main(
        ["eval", "--project", str(repo), "--no-cache", "-j", str(concurrency), "--output", str(out_dir)]
    )
    capsys.readouterr()
    assert code == 0
    assert openai_server.request_count == count and len(tasks_alive) == count
    # a task per worker (plus the run's own and a few of the HTTP client's), never one per call
    assert max(tasks_alive) <= 3 * concurrency, max(tasks_alive)
    written = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    recomputed = load_run(out_dir)
    for key in ("suites", "passed", "run_id", "complete"):
        assert written[key] == recomputed[key], key
    group = written["suites"][0]
    assert group["records"] == count and group["failed"] == len(range(0, count, 7))


def test_junit_lists_every_record_read_back_from_the_results(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 12)
    code = main(["eval", "--project", str(repo), "--output", str(tmp_path / "run"), "--format", "junit"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count('<testcase classname="many"') == 12 and out.count("<failure") == 2


def test_our_calls_skip_litellm_cost_calculator_and_callbacks_other_callers_keep_them(
    openai_server: OpenAIServer,
) -> None:
    from llmops_ci.providers.litellm_provider import complete, litellm_module

    litellm = litellm_module()
    from litellm.integrations.custom_logger import CustomLogger

    class Counting(CustomLogger):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.successes = 0

        async def async_log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            self.successes += 1

    counting = Counting()
    previous = list(litellm.callbacks)
    litellm.callbacks = [*previous, counting]
    messages = [{"role": "user", "content": "hello"}]

    async def both() -> tuple[Any, Any]:
        ours = await complete(MODEL, messages, {"max_tokens": 5}, api_base=openai_server.base_url)
        await asyncio.sleep(0.3)  # litellm logs from a background task
        seen_after_ours = counting.successes
        theirs = await litellm.acompletion(
            model=MODEL, messages=messages, api_base=openai_server.base_url, max_retries=0
        )
        await asyncio.sleep(0.3)
        return (ours, seen_after_ours), theirs

    try:
        (ours, seen_after_ours), theirs = asyncio.run(both())
    finally:
        litellm.callbacks = previous
    assert ours.text == "echo: hello" and ours.input_tokens
    assert seen_after_ours == 0, "our calls run no litellm callbacks"
    assert counting.successes == 1, "a direct litellm call keeps its callbacks"
    assert isinstance(theirs._hidden_params.get("response_cost"), float), "and its cost calculator"
