"""Agent transcripts in the reports: ``eval --report`` / ``show --report`` (Markdown) and ``llmops-ci report``
(HTML), from real agent runs against the local fake OpenAI server with scripted tool calls."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.eval.results import summarize
from llmops_ci.report import eval_markdown
from llmops_ci.report.html import render_report, view
from llmops_ci.report.html.render import TOOL_CLIP_CHARS
from tests.fakes.openai_server import OpenAIServer
from tests.test_agents import WEATHER_CASE, make_repo
from tests.test_diff import record, write_run
from tests.test_html_report import CHROMIUM, assert_self_contained, chromium, needs_chromium

HOSTILE = "a|b `tick` <script>alert(1)</script>\nnext line </details> $x$"

CASES = (
    WEATHER_CASE
    + """\
    - id: booking
      vars: {question: "book a hotel in Rome"}
      assert:
        - {type: is-valid-tool-call}
        - {type: step-count, max: 3}
    - id: moon
      vars: {question: "a trip to the moon"}
      assert: [{type: not-tool-called, value: give_up}]
    - id: hostile
      vars: {question: "hostile weather"}
      tool_results:
        get_weather: {result: {note: "a|b `tick` <script>alert(1)</script> </details>"}}
      assert: [{type: equals, value: "sunny"}]
"""
)


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def script(server: OpenAIServer) -> None:
    """weather passes (answer); booking fails at max_steps with only invalid calls; moon ends by the stop
    tool (and fails); hostile calls a tool with hostile arguments, gets a hostile result and answers it."""
    server.script_tools(
        r"weather in Paris",
        [[{"name": "get_weather", "arguments": {"city": "Paris"}}], "It is 21 C and sunny in Paris."],
    )
    server.script_tools(
        r"book",
        [
            [{"name": "book_hotel", "arguments": {"city": "Rome", "nights": 0}}],
            [{"name": "teleport", "arguments": {}}],
            [{"name": "book_hotel", "arguments": "{not json"}],
        ],
    )
    server.script_tools(r"moon", [[{"name": "give_up", "arguments": {"reason": "no flights"}}], "never"])
    server.script_tools(
        r"hostile",
        [[{"name": "get_weather", "arguments": {"city": HOSTILE}}], HOSTILE],
    )


@pytest.fixture
def agent_run(tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]) -> Path:
    script(openai_server)
    repo = make_repo(tmp_path / "repo", openai_server, CASES)
    code = main(["eval", "--project", str(repo), "--output", str(tmp_path / "run")])
    capsys.readouterr()
    assert code == 1
    return tmp_path / "run"


def markdown_of(run: Path, tmp_path: Path) -> str:
    out = tmp_path / "report.md"
    assert main(["show", str(run), "--report", str(out)]) == 1
    return out.read_text(encoding="utf-8")


def without_code_spans(line: str) -> str:
    return re.sub(r"`[^`]*`", "``", line)


def cells(row: str) -> list[str]:
    """The cells of a GFM table row (a pipe escaped with a backslash is not a delimiter)."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return re.split(r"(?<!\\) \| ", row[2:-2])


def transcript(text: str, case: str) -> str:
    start = text.index(f"<details><summary>Transcript of <code>{case}</code>")
    return text[start : text.index("\n</details>", start) + len("\n</details>")]


def test_markdown_has_agent_metrics_per_suite_and_model(agent_run: Path, tmp_path: Path) -> None:
    text = markdown_of(agent_run, tmp_path)
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("| agent suite |"))
    header, row = lines[at], lines[at + 2]
    assert cells(header) == [
        "agent suite",
        "model",
        "`agent_steps_mean`",
        "`tool_call_valid_rate`",
        "`cost_usd_per_task`",
        "stopped",
    ]
    summary = json.loads((agent_run / "summary.json").read_text(encoding="utf-8"))
    metrics = summary["suites"][0]["metrics"]
    suite, model, steps, valid, cost, stopped = cells(row)
    assert suite == "travel-agent" and model == "`openai/gpt-4o-mini-2024-07-18`"
    assert steps == eval_markdown._number(metrics["agent_steps_mean"])  # (2 + 4 + 1 + 2) / 4
    assert metrics["tool_call_valid_rate"] == pytest.approx(3 / 7) and valid == "42.9%"
    assert cost.startswith("$") or cost == "unknown"
    assert stopped == "2 answer · 1 stop_tool · 1 max_steps"


def test_markdown_shows_the_transcript_of_each_failed_agent_case(agent_run: Path, tmp_path: Path) -> None:
    text = markdown_of(agent_run, tmp_path)
    assert "Transcript of <code>weather</code>" not in text  # it passed
    booking = transcript(text, "booking")
    assert booking.splitlines()[0] == (
        "<details><summary>Transcript of <code>booking</code>: stopped at max_steps (4 of 4 steps) "
        "without an answer; 4 tool calls, 4 invalid</summary>"
    )
    rows = [cells(line) for line in booking.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0] == ["step", "tool call", "valid", "result"]
    step, call, valid, result = rows[1]
    assert step == "1" and call == '`book_hotel({"city":"Rome","nights":0})`'
    assert valid.startswith("❌ `") and "nights: 0 is less than the minimum of 1" in valid
    assert result == "(the error)"  # what the model was told is the error itself
    assert rows[2][1] == "`teleport({})`" and "no tool named 'teleport'" in rows[2][2]
    assert rows[3][1] == '`book_hotel("{not json")`'  # arguments that were not JSON show as a string
    assert len(rows) == 5 and "Final answer: none" in booking
    moon = transcript(text, "moon")
    assert "ended by a stop tool after 1 of 4 steps; 1 tool call, 0 invalid" in moon
    assert (
        '| 1 | `give_up({"reason":"no flights"})` | ✅ | `{"error":"no fixture result for tool give_up"}` |'
        in moon
    )
    assert 'Final answer: `{"reason": "no flights"}`' in moon


def test_markdown_escapes_hostile_tool_arguments_results_and_answers(agent_run: Path, tmp_path: Path) -> None:
    text = markdown_of(agent_run, tmp_path)
    hostile = transcript(text, "hostile")
    # HTML from the run appears only inside code spans, where neither Markdown nor HTML reads it
    for line in text.splitlines():
        outside = without_code_spans(line)
        assert "<script" not in outside and "</script" not in outside, line
    assert "</details>" not in without_code_spans(hostile[: -len("</details>")])
    # every table row keeps its columns: pipes escaped, newlines and backticks flattened
    for line in text.splitlines():
        if line.startswith("| ") and "---" not in line:
            header = line.startswith(("| case", "| step", "| suite", "| agent suite"))
            assert header or len(cells(line)) in (3, 4, 6, 10), line
    (row,) = [line for line in hostile.splitlines() if line.startswith("| 1 |")]
    _, call, valid, result = cells(row)
    # JSON keeps the newline as \n; the pipe is escaped for the table, the backticks became quotes
    assert (
        call
        == r'`get_weather({"city":"a\|b '
        + "'tick'"
        + r' <script>alert(1)</script>\nnext line </details> $x$"})`'
    )
    assert valid == "✅" and result.count("`") == 2 and "\\|" in result
    (answer,) = [line for line in hostile.splitlines() if line.startswith("Final answer:")]
    assert answer == "Final answer: `a|b 'tick' <script>alert(1)</script> next line </details> $x$`"
    # the failure row of an agent case escapes HTML in its output too
    (failure,) = [line for line in text.splitlines() if line.startswith("| `hostile`")]
    assert "&lt;script&gt;" in failure and len(cells(failure)) == 3


def test_long_values_and_many_calls_are_cut(
    tmp_path: Path,
    openai_server: OpenAIServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = [{"name": "get_weather", "arguments": {"city": f"city-{n}"}} for n in range(30)]
    openai_server.script_tools(r"everywhere", [calls, "done"])
    cases = """\
    - id: everywhere
      vars: {question: "weather everywhere"}
      tool_results:
        get_weather: {result: {forecast: "%s"}}
      assert: [{type: equals, value: "nope"}]
""" % ("x" * 5000)
    repo = make_repo(tmp_path / "repo", openai_server, cases)
    report = tmp_path / "r.md"
    code = main(["eval", "--project", str(repo), "--output", str(tmp_path / "run"), "--report", str(report)])
    capsys.readouterr()
    assert code == 1
    text = report.read_text(encoding="utf-8")
    block = transcript(text, "everywhere")
    rows = [line for line in block.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == eval_markdown.SHOWN_TOOL_CALLS
    assert "...and 5 more tool calls in records.jsonl." in block
    assert "x" * 180 in rows[0] and "x" * 300 not in rows[0] and "…`" in rows[0]
    assert len(text) < 20_000
    html = render_report(tmp_path / "run")
    assert "x" * (TOOL_CLIP_CHARS - 20) in html and "x" * (TOOL_CLIP_CHARS + 1) not in html
    assert html.count("more characters not shown") == 30
    assert html.count("<td><code>get_weather</code></td>") == 30
    assert "30 tool calls, 0 invalid" in html
    monkeypatch.setattr(view, "TOOL_CALLS_SHOWN", 10)
    html = render_report(tmp_path / "run")
    assert html.count("<td><code>get_weather</code></td>") == 10
    assert "…and 20 more tool calls in <code>records.jsonl</code>." in html
    assert "30 tool calls, 0 invalid" in html  # the count covers the calls not shown


def test_an_errored_agent_case_says_it_has_no_transcript(
    tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.fail_when(r"weather", status=400)
    repo = make_repo(tmp_path / "repo", openai_server, WEATHER_CASE)
    report = tmp_path / "r.md"
    code = main(["eval", "--project", str(repo), "--output", str(tmp_path / "run"), "--report", str(report)])
    capsys.readouterr()
    assert code == 1
    text = report.read_text(encoding="utf-8")
    assert "No transcript for <code>weather</code>: the task errored before it finished." in text
    assert "| agent suite |" not in text  # no task finished: no agent metrics to show
    assert "| `weather` | error provider:" in text


def test_html_lists_every_agent_case_with_its_transcript(agent_run: Path, tmp_path: Path) -> None:
    html = render_report(agent_run)
    assert_self_contained(html)
    assert '<a href="#agents">Agents</a>' in html and '<h3 id="agents">Agent suites</h3>' in html
    table = html[html.index('<table class="agents">') : html.index("</table>", html.index('class="agents"'))]
    for name in ("agent_steps_mean", "tool_call_valid_rate", "cost_usd_per_task"):
        assert f'<th class="n">{name}</th>' in table
    assert "42.9%" in table and "2 answer · 1 stop_tool · 1 max_steps" in table
    # every agent case has its transcript, collapsible, including the one that passed
    assert html.count('<details class="transcript" open>') == 4
    assert html.count("<h4>Final answer</h4>") == 4 and "<h4>Output</h4>" not in html
    assert (
        "Agent transcript: stopped at max_steps (4 of 4 steps) without an answer; 4 tool calls, 4 invalid"
        in html
    )
    assert "Agent transcript: answered after 2 of 4 steps; 1 tool call, 0 invalid" in html
    assert '<pre class="json">{&#34;city&#34;:&#34;Rome&#34;,&#34;nights&#34;:0}</pre>' in html
    assert "invalid</span>: nights: 0 is less than the minimum of 1" in html
    assert '<pre class="json">{&#34;temp_c&#34;:21,&#34;sky&#34;:&#34;sunny&#34;}</pre>' in html
    assert html.count('<span class="note">(the error)</span>') == 4  # booking's four invalid calls
    assert '<pre class="output">(none)</pre>' in html  # booking stopped without an answer
    assert "<code>teleport</code>" in html and "no tool named &#39;teleport&#39;" in html


def test_html_escapes_hostile_transcripts(agent_run: Path) -> None:
    html = render_report(agent_run)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the hostile </details> stays text: the page's details elements still pair up
    assert html.count("<details") == html.count("</details>")
    assert "&lt;/details&gt;" in html


@needs_chromium
def test_the_transcript_opens_in_headless_chromium(agent_run: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    out = tmp_path / "report.html"
    out.write_text(render_report(agent_run), encoding="utf-8")
    dom = chromium("--dump-dom", "--virtual-time-budget=2000", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "4 of 4 shown" in page  # the script ran over the four agent cases
    assert page.count('<details class="transcript" open="">') == 4
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- non-agent runs render as before -------------------------------------------------------------------

GOLDEN = """\
# llmops-ci eval: FAILED

run `run` · commit `abc123abc123` · 3 model calls (the rest from the cache)

| suite | model | cases | pass rate | score | p50 ms | p95 ms | tokens | cost | gates |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
| cls | `gpt-4o-mini` | 3 | 50.0% | 0.5 | 800 | 800 | 246 | $0.0002 | ❌ |

## cls on `gpt-4o-mini`

1 passed, 1 failed, 1 errored of 3 cases.

- ❌ `error_rate` 33.3% (max 0.0)
- ❌ `pass_rate` 50.0% (min 1.0)

| case | why | output |
| --- | --- | --- |
| `c2` | equals: out \\| &lt;b&gt;put&lt;/b&gt; | x \\| y 'z' &lt;i&gt;w&lt;/i&gt; |
| `c3` | error timeout: timed out |  |
"""


def _plain_records() -> list[dict[str, Any]]:
    records = [
        record("cls", "gpt-4o-mini", "c1", True),
        record("cls", "gpt-4o-mini", "c2", False, reason="out | <b>put</b>"),
        record("cls", "gpt-4o-mini", "c3", None),
    ]
    records[1]["output"] = "x | y\n`z` <i>w</i>"
    return records


def test_a_non_agent_markdown_report_is_unchanged(tmp_path: Path) -> None:
    records = _plain_records()
    summary = summarize(iter(records), {"run_id": "run", "git_sha": "abc123abc123ff"})
    summary["model_calls"] = 3
    assert eval_markdown.render(summary, records) == GOLDEN  # as before agents, HTML in cells escaped


def test_a_non_agent_html_report_has_no_agent_parts(tmp_path: Path) -> None:
    html = render_report(write_run(tmp_path / "run", _plain_records()))
    for agent_part in ('href="#agents"', 'id="agents"', '<details class="transcript"', "Final answer"):
        assert agent_part not in html
    assert html.count("<h4>Output</h4>") == 3
