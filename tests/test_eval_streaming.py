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


# --- the cache: one pack per suite and run -------------------------------------------------------------


def cache_packs(repo: Path) -> list[Path]:
    return sorted((repo / ".llmops/cache/packs").glob("*/*.jsonl"))


def test_a_cached_rerun_reads_one_pack_of_readable_entries(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 30)
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "a")]) == 0
    packs = cache_packs(repo)
    assert [p.parent.name for p in packs] == ["many"] and not list(packs[0].parent.glob("*.open.jsonl"))
    entries = [json.loads(line) for line in packs[0].read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 30 and {e["format"] for e in entries} == {1}
    first = entries[0]
    assert first["request"]["messages"][0]["content"].startswith("doc ")  # the rendered messages
    assert first["response"]["text"].startswith("echo: doc ")
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert openai_server.request_count == 30 and cache_packs(repo) == packs  # nothing new to write
    records = [json.loads(line) for line in (tmp_path / "b/records.jsonl").read_text().splitlines()]
    assert len(records) == 30 and all(r["cache_hit"] for r in records)
    assert {r["output"] for r in records} == {e["response"]["text"] for e in entries}


def test_the_cache_ignores_broken_lines_and_reads_entries_of_earlier_versions(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmops_ci.eval.cache import ResponseCache

    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 6)
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "a")]) == 0
    pack = cache_packs(repo)[0]
    lines = pack.read_bytes().splitlines(keepends=True)
    # an earlier version's layout: one pretty-printed file per entry, request before response
    loose = json.loads(lines[0])
    loose_path = repo / ".llmops/cache" / loose["key"][:2] / f"{loose['key']}.json"
    loose_path.parent.mkdir(parents=True)
    loose_path.write_text(
        json.dumps({k: loose[k] for k in ("format", "key", "request", "response")}, indent=1),
        encoding="utf-8",
    )
    # a line cut short (a writer killed mid-line), and two lines run together (a cut line, appended to)
    pack.write_bytes(lines[1] + lines[3] + lines[4][:100] + lines[5] + lines[2][:40])
    key = [json.loads(line)["key"] for line in lines]
    cache = ResponseCache(repo / ".llmops/cache", write=False)
    assert cache.get(key[1], "many") is not None and cache.get(key[3], "many") is not None
    assert cache.get(key[0], "many") is not None  # from the per-entry file
    assert cache.get(key[2], "many") is None and cache.get(key[4], "many") is None
    assert cache.get(key[5], "many") is None
    cache.close()
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert openai_server.request_count == 6 + 3  # the three lost entries are asked again
    loose_path.unlink()
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "c")]) == 0
    assert openai_server.request_count == 9  # the per-entry file's entry was copied into a pack


def test_a_suites_packs_are_merged_when_there_are_many(tmp_path: Path) -> None:
    from llmops_ci.eval.cache import MAX_PACKS, ResponseCache

    directory = tmp_path / "cache"
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for run in range(MAX_PACKS + 1):
        cache = ResponseCache(directory)
        cache.put("a" * 64, request, {"text": f"answer {run}"}, "suite one")
        cache.put(f"{run:064d}", request, {"text": f"only in run {run}"}, "suite one")
        cache.close()
    packs = sorted((directory / "packs" / "suite-one").iterdir())
    assert len(packs) == 1 and packs[0].suffix == ".jsonl"
    cache = ResponseCache(directory)
    assert cache.get("a" * 64, "suite one") == {
        "key": "a" * 64,
        "format": 1,
        "response": {"text": f"answer {MAX_PACKS}"},  # the newest entry of a key wins
    }
    assert all(cache.get(f"{run:064d}", "suite one") for run in range(MAX_PACKS + 1))
    # another suite finds the entry too (and keeps a copy in its own pack)
    assert cache.get("a" * 64, "suite two") is not None
    cache.close()
    assert len(list((directory / "packs" / "suite-two").iterdir())) == 1


def test_record_writes_a_newer_entry_that_wins(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 3)
    assert main(["eval", "--project", str(repo), "--output", str(tmp_path / "a")]) == 0
    openai_server.reply(r".", "refreshed")
    assert main(["eval", "--project", str(repo), "--record", "--output", str(tmp_path / "b")]) == 0
    main(["eval", "--project", str(repo), "--format", "json", "--output", str(tmp_path / "c")])
    capsys.readouterr()
    records = [json.loads(line) for line in (tmp_path / "c/records.jsonl").read_text().splitlines()]
    assert openai_server.request_count == 6 and {r["output"] for r in records} == {"refreshed"}


# --- planning: the same calls, made faster --------------------------------------------------------------


def test_the_cache_key_is_the_digest_of_the_whole_request() -> None:
    from llmops_ci.artifacts.digest import canonical_json, sha256_hex
    from llmops_ci.eval.plan import Call, ModelSpec, SuitePlan

    plan: Any = SuitePlan(
        suite=None,  # type: ignore[arg-type]
        target=None,  # type: ignore[arg-type]
        target_digest="",
        models=[],
        inputs={},
        repeat=1,
        min_passes=1,
        thresholds={},
        grader=None,
        max_cost_usd=None,
    )
    model = ModelSpec("openai/gpt-4o-mini", {"temperature": 0, "max_tokens": 20, "stop": ["é"]})
    messages = [{"role": "system", "content": 'Säg "hej"\n'}, {"role": "user", "content": "x"}]
    for repeat in (0, 3):
        call = Call(plan, None, model, repeat, messages, [], {})  # type: ignore[arg-type]
        request = {"model": model.id, "params": model.params, "messages": messages, "tools": None}
        assert call.cache_key == sha256_hex(canonical_json({**request, "repeat": repeat}))
        assert call.messages_digest == "sha256:" + sha256_hex(canonical_json(messages))[:12]


@pytest.mark.parametrize(
    "value", ["text", "", 3, 2.5, True, None, ["a", 1], {"k": "v"}, "ünïcode {{ not a template }}"]
)
def test_templates_are_rendered_as_jinja2_renders_them(value: Any) -> None:
    from llmops_ci.artifacts.templates import sandbox
    from llmops_ci.eval.plan import _Renderer

    sources = [
        "{{ document }}",
        "{{document}}",
        "plain text\n",
        "a {{ document }} b",
        "{{ none }}",
        "{{ x }}",
    ]
    prompt: Any = type(
        "Prompt", (), {"spec": {"messages": [{"role": "user", "content": s} for s in sources]}}
    )()
    rendered = _Renderer(prompt).render({"document": value, "x": "y"})
    context = {"examples": [], "context": [], "document": value, "x": "y"}
    expected = [sandbox().from_string(source).render(context) for source in sources]
    assert [m["content"] for m in rendered] == expected


def test_the_quick_inputs_check_accepts_only_what_the_validator_accepts() -> None:
    from jsonschema import Draft202012Validator

    from llmops_ci.eval.plan import _quick_inputs_check

    schema = {
        "type": "object",
        "required": ["document"],
        "additionalProperties": False,
        "properties": {
            "document": {"type": "string"},
            "count": {"type": ["integer", "null"]},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "label": {"type": "string", "enum": ["a", "b"]},
            "anything": {"description": "no type"},
        },
    }
    quick = _quick_inputs_check(schema)
    assert quick is not None
    validator = Draft202012Validator(schema)
    instances = [
        {"document": "d"},
        {},
        {"document": 1},
        {"document": "d", "count": None},
        {"document": "d", "count": True},
        {"document": "d", "count": 2.0},
        {"document": "d", "ratio": 1},
        {"document": "d", "ratio": False},
        {"document": "d", "flag": 0},
        {"document": "d", "label": "c"},
        {"document": "d", "label": ["a"]},
        {"document": "d", "extra": 1},
        {"document": "d", "anything": [{"x": 1}]},
    ]
    for instance in instances:
        if quick(instance):
            assert validator.is_valid(instance), instance
    assert quick({"document": "d", "count": 3, "label": "a", "anything": {}})
    for unsupported in ({"type": "object", "minProperties": 1}, {"properties": {"a": {"pattern": "x"}}}):
        assert _quick_inputs_check(unsupported) is None


def test_a_large_run_makes_its_calls_again_from_the_cases_file(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llmops_ci.eval import plan

    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 50)
    assert main(["eval", "--project", str(repo), "--no-cache", "--output", str(tmp_path / "kept")]) == 0
    monkeypatch.setattr(plan, "KEEP_CALLS", 10)
    made_again: list[str] = []
    replanned = plan._replanned

    def counting(suite_plan: plan.SuitePlan) -> Any:
        made_again.append(suite_plan.name)
        return replanned(suite_plan)

    monkeypatch.setattr(plan, "_replanned", counting)
    assert main(["eval", "--project", str(repo), "--no-cache", "--output", str(tmp_path / "streamed")]) == 0
    capsys.readouterr()
    assert made_again == ["many"]

    def outcomes(name: str) -> list[tuple[str, str, bool]]:
        lines = (tmp_path / name / "records.jsonl").read_text().splitlines()
        return sorted((r["case_id"], r["messages_digest"], r["passed"]) for r in map(json.loads, lines))

    assert outcomes("kept") == outcomes("streamed") and len(outcomes("kept")) == 50


# --- the direct path to OpenAI chat models -----------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("openai/gpt-4o-mini-2024-07-18", {"temperature": 0, "max_tokens": 20, "seed": 7, "stop": ["\n"]}),
        ("openai/o3-mini-2025-01-31", {"temperature": 0, "max_tokens": 20}),  # mapped for o-series
    ],
)
def test_the_direct_path_sends_what_litellm_acompletion_sends(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, model: str, params: dict[str, Any]
) -> None:
    from llmops_ci.providers.litellm_provider import _direct_route, complete, litellm_module

    litellm = litellm_module()
    assert _direct_route(litellm, model, params) is not None
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}]

    async def once() -> Any:
        return await complete(model, messages, params, api_base=openai_server.base_url)

    direct = asyncio.run(once())
    monkeypatch.setenv("LLMOPS_CI_LITELLM_FULL_PATH", "1")
    full = asyncio.run(once())
    first, second = (request.body for request in openai_server.requests_to("chat/completions"))
    assert first == second
    assert (direct.text, direct.input_tokens, direct.output_tokens, direct.finish_reason) == (
        full.text,
        full.input_tokens,
        full.output_tokens,
        full.finish_reason,
    )


def test_the_direct_path_is_only_for_what_it_can_send_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops_ci.providers.litellm_provider import _direct_route, litellm_module

    litellm = litellm_module()
    model = "openai/gpt-4o-mini-2024-07-18"
    assert _direct_route(litellm, model, {"temperature": 0}) is not None
    assert _direct_route(litellm, model, {"not_an_openai_param": 1}) is None
    assert _direct_route(litellm, "anthropic/claude-3-5-sonnet-20241022", {}) is None
    assert _direct_route(litellm, "local/keywords", {}) is None
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-1")
    assert _direct_route(litellm, model, {}) is None
    monkeypatch.delenv("OPENAI_ORGANIZATION")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert _direct_route(litellm, model, {}) is None  # litellm's own error for a missing key


def test_a_cached_rerun_starts_no_event_loop_and_imports_no_http_client(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    import os
    import subprocess
    import sys

    repo = repo_with_cases(tmp_path / "repo", openai_server.base_url, 5)
    probe = (
        "import sys; from llmops_ci.cli import main; code = main(sys.argv[1:]); "
        "print('LOADED', *(m for m in ('asyncio', 'litellm', 'httpx', 'aiohttp') if m in sys.modules), "
        "file=sys.stderr); sys.exit(code)"
    )
    command = [sys.executable, "-c", probe, "eval", "--project", str(repo), "--format", "json"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0 and "LOADED asyncio litellm" in first.stderr, first.stderr[-2000:]
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "LOADED\n" in second.stderr and openai_server.request_count == 5
    assert json.loads(second.stdout)["suites"][0]["records"] == 5
