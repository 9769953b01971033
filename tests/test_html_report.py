"""`llmops-ci report`: one self-contained HTML file, checked as text and opened in headless Chromium
(Debian's ``chromium``; those tests skip when it is not installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.eval.cache import ResponseCache
from llmops_ci.report.html import render_report, render_section
from llmops_ci.report.html.prompts import find_messages, messages_digest
from llmops_ci.report.html.render import CLIP_CHARS
from llmops_ci.report.html.view import allot, usd
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_diff import record, write_run
from tests.test_eval import PROMPT, records_of, suite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install chromium)"
)

CASES = """\
    - {id: inv-1, vars: {document: "INVOICE #1 total 10 EUR"}, assert: [{type: equals, value: invoice}]}
    - {id: con-1, vars: {document: "CONTRACT between A and B"}, assert: [{type: equals, value: contract}]}
    - {id: con-2, vars: {document: "CONTRACT of lease"}, assert: [{type: equals, value: nda}]}
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _report(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["report", *(str(a) for a in args)])
    return code, capsys.readouterr().err


class _Links(HTMLParser):
    """Every URL the page would load: script/img/iframe src, link href, and url(...) in styles."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "audio", "video", "embed"} and values.get("src"):
            self.loaded.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.loaded.append(str(values["href"]))
        if tag == "object" and values.get("data"):
            self.loaded.append(str(values["data"]))


def assert_self_contained(html: str) -> None:
    parser = _Links()
    parser.feed(html)
    assert parser.loaded == []
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert not re.search(r"@import", html)


@pytest.fixture
def eval_run(tmp_path: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]) -> Path:
    """A real run through the fake OpenAI server: two cases pass, con-2 fails; the cache holds the prompts."""
    openai_server.reply(r"INVOICE", "invoice")
    openai_server.reply(r"CONTRACT", "contract")
    repo = write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": PROMPT,
            "evals/classifier.yaml": suite(openai_server.base_url, CASES),
        },
    )
    assert main(["eval", "--project", str(repo)]) == 1
    capsys.readouterr()
    return repo


def chromium(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            *(str(a) for a in args),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_chromium
def test_a_real_run_opens_in_headless_chromium(
    eval_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, err = _report(capsys, eval_run / ".llmops" / "runs", "-o", out)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)

    dom = chromium("--dump-dom", "--virtual-time-budget=2000", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "classifier-regression" in page
    assert 'equals: output is "contract", expected "nda"' in page  # con-2's failure reason
    assert page.count("<svg") >= 4 and "Pass rate by suite" in page
    # the prompt as sent, found in the run's response cache, not only the vars
    assert "Classify the document: invoice, contract or nda." in page
    # the script ran: the filter bar is shown and counts the cases
    assert re.search(r'id="filters"(?![^>]*hidden)', page)
    assert "3 of 3 shown" in page

    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1280,2000", out.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert png_size(shot) == (1280, 2000)


def test_failure_reason_output_and_prompt_are_in_the_drill_down(
    eval_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    assert _report(capsys, eval_run / ".llmops" / "runs", "-o", out)[0] == 0
    html = out.read_text(encoding="utf-8")
    records = records_of(next((eval_run / ".llmops" / "runs").iterdir()))
    failed = next(r for r in records if r["case"] == "con-2")
    reason = failed["assertions"][0]["reason"]
    assert reason and _escaped(reason) in html
    # failures come first in the drill-down
    order = [m.group(1) for m in re.finditer(r'<details class="case (\w+)"', html)]
    assert order == ["fail", "pass", "pass"]
    assert "Rendered prompts from the response cache" in html and "for 3 of 3 records" in html
    assert html.count('<span class="role">') == 6


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_without_a_cache_the_vars_are_shown(
    eval_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = eval_run / ".llmops" / "runs"
    moved = tmp_path / "elsewhere"
    shutil.copytree(runs, moved)
    out = tmp_path / "r.html"
    assert _report(capsys, moved, "-o", out)[0] == 0
    html = out.read_text(encoding="utf-8")
    assert "No response cache given" in html
    assert "CONTRACT of lease" in html and "Classify the document" not in html
    # --cache-dir points at it explicitly
    assert _report(capsys, moved, "-o", out, "--cache-dir", eval_run / ".llmops" / "cache")[0] == 0
    assert "Classify the document" in out.read_text(encoding="utf-8")


def test_cache_lookup_by_messages_digest(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    messages = [{"role": "user", "content": "héllo <b>"}]
    cache.put("a" * 64, {"model": "m", "params": {}, "messages": messages, "repeat": 0}, {"text": "x"}, "s")
    cache.close()
    digest = messages_digest(messages)
    assert find_messages(tmp_path / "cache", {digest, "sha256:000000000000"}) == {digest: messages}
    assert find_messages(None, {digest}) == {}
    assert find_messages(tmp_path / "nothing", {digest}) == {}


def rich_record(case: str, **extra: Any) -> dict[str, Any]:
    base = record("rag-qa", "gpt-4o-mini", case, False, reason="expected 'Paris' <not Lyon>")
    base.update(extra)
    return base


def test_guardrail_findings_chunks_and_untrusted_text_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = [
        {
            "policy": "pii-default",
            "check": "pii",
            "type": "pii",
            "scope": "output",
            "action": "block",
            "entity": "EMAIL_ADDRESS",
            "start": 3,
            "end": 20,
        }
    ]
    retrieval = {
        "pipeline": "docs",
        "query": "capital of France?",
        "top_k": 2,
        "chunks": [
            {
                "id": "geo.md#0",
                "document": "geo.md",
                "score": 0.91,
                "rank": 1,
                "text": "Paris is the capital.",
            },
            {
                "id": "x.md#3",
                "document": "x.md",
                "score": 0.2,
                "rank": 2,
                "text": "<script>alert(1)</script>",
            },
        ],
        "expected": ["geo.md#0"],
        "metrics": {"hit_rate": 1.0, "mrr": 1.0},
    }
    run = write_run(
        tmp_path / "run",
        [
            rich_record(
                "q1",
                output="<img src=x onerror=alert(1)>",
                retrieval=retrieval,
                guardrails={"output": {"verdict": "block", "findings": findings}},
                blocked="output",
            ),
            record("rag-qa", "gpt-4o-mini", "q2", None),
            record("rag-qa", "gpt-4o-mini", "q3", True),
        ],
    )
    out = tmp_path / "r.html"
    assert _report(capsys, run, "-o", out)[0] == 0
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "Paris is the capital" in html and "geo.md#0" in html and "capital of France?" in html
    assert "EMAIL_ADDRESS" in html and "pii-default/pii" in html and "blocked at output" in html
    assert "expected &#39;Paris&#39; &lt;not Lyon&gt;" in html
    assert "timeout: timed out" in html  # the errored record
    order = [m.group(1) for m in re.finditer(r'<details class="case (\w+)"', html)]
    assert order == ["error", "fail", "pass"]


def _runs(tmp_path: Path, outcomes: Iterable[tuple[str, bool | None, bool | None]]) -> tuple[Path, Path]:
    base, head = [], []
    for case, before, after in outcomes:
        base.append(record("cls", "gpt-4o-mini", case, before, latency=500.0, cost=0.001))
        head.append(record("cls", "gpt-4o-mini", case, after, latency=900.0, cost=0.002))
    return write_run(tmp_path / "base", base), write_run(tmp_path / "head", head)


def test_compare_shows_verdict_flips_and_base_vs_head_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = [(f"c{i}", True, i >= 12) for i in range(40)]
    base, head = _runs(tmp_path, outcomes)
    out = tmp_path / "r.html"
    code, err = _report(capsys, head, "--compare", base, "-o", out)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "Base vs head" in html and "verdict-regressed" in html
    assert "Pass rate: base vs head" in html and "Latency p95: base vs head" in html
    assert "Total cost: base vs head" in html
    assert "Passed in base, fail in head (12)" in html
    assert html.count('data-status="fail flip"') == 12
    assert "pass → fail" in html
    # flips are listed before the other records
    first = re.search(r'data-status="([^"]*)"', html)
    assert first is not None and first.group(1) == "fail flip"
    # each flip carries its base record: what the model answered before
    assert html.count("In base (gpt-4o-mini): passed</h4>") == 12
    assert html.count('<pre class="output base-output">invoice</pre>') == 12


@needs_chromium
def test_a_filter_named_in_the_link_applies_in_the_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes: list[tuple[str, bool | None, bool | None]] = [(f"c{i}", True, i >= 3) for i in range(10)]
    base, head = _runs(tmp_path, [*outcomes, ("broken", True, None)])
    out = tmp_path / "r.html"
    assert _report(capsys, head, "--compare", base, "-o", out)[0] == 0
    for name, visible in (("flip", 3), ("error", 1), ("fail", 3)):
        dom = chromium("--dump-dom", "--virtual-time-budget=2000", f"{out.as_uri()}#filter={name}")
        assert dom.returncode == 0, dom.stderr[-2000:]
        tags = re.findall(r'<details class="case \w+"[^>]*>', dom.stdout)
        assert len(tags) == 11
        assert sum(1 for tag in tags if not re.search(r"\shidden\b", tag)) == visible, name
        assert f"{visible} of 11 shown" in dom.stdout


def test_drill_down_is_capped_failures_first_and_counts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [record("big", "m", f"c{i:05d}", i % 10 != 0) for i in range(2000)]
    records.append(record("big", "m", "broken", None))
    run = write_run(tmp_path / "run", records)
    out = tmp_path / "r.html"
    assert _report(capsys, run, "-o", out, "--max-cases", "250")[0] == 0
    html = out.read_text(encoding="utf-8")
    statuses = re.findall(r'<details class="case (\w+)"', html)
    assert len(statuses) == 250
    assert statuses[0] == "error" and statuses[1:201] == ["fail"] * 200 and set(statuses[201:]) == {"pass"}
    assert "Showing 250 of 2001 records" in html and "Not shown: 1751 passed." in html


def test_extra_sections_render_after_the_suites(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [record("s", "m", "c1", True)])
    html = render_report(run, sections=[render_section("Production monitoring", "<p>cost per day $3</p>")])
    assert '<a href="#extra-1">Production monitoring</a>' in html
    assert "<p>cost per day $3</p>" in html
    assert html.index('id="suites"') < html.index('id="extra-1"') < html.index('id="cases"')


def test_audit_logs_add_the_monitoring_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_monitor import record as audit_record
    from tests.test_monitor import write_log

    run = write_run(tmp_path / "run", [record("s", "m", "c1", True)])
    logs = tmp_path / "audit"
    hostile = "<script>alert(1)</script>"
    write_log(logs, "2026-01-05", [audit_record(n, "2026-01-05", question=hostile) for n in range(3)])
    out = tmp_path / "report.html"
    write_files(tmp_path, {"llmops.yaml": PROJECT})
    code, err = _report(capsys, run, "-o", out, "--audit", logs, "--project", tmp_path)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert '<a href="#extra-1">Production monitoring</a>' in html
    section = html[html.index('id="extra-1"') : html.index('id="cases"')]
    assert "no alert fired" in section and "<table>" in section and "support-qa@1.0.0" in section
    assert hostile not in html
    assert_self_contained(html)


def test_suites_each_on_their_own_model_chart_one_bar_per_suite(tmp_path: Path) -> None:
    run = write_run(
        tmp_path / "run",
        [
            record("classification", "local/knn", "c1", True),
            record("extraction", "local/patterns", "c1", False),
        ],
    )
    html = render_report(run)
    chart = html[html.index("Pass rate by suite</figcaption>") : html.index("Pass rate by model")]
    assert "n/a" not in chart and "100.0%" in chart and "0.0%" in chart


def test_bad_input_is_a_clear_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _report(capsys, tmp_path / "missing", "-o", tmp_path / "r.html")
    assert code == 2 and "no such results directory" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    code, err = _report(capsys, tmp_path / "empty", "-o", tmp_path / "r.html")
    assert code == 2 and "no records.jsonl here" in err
    run = write_run(tmp_path / "run", [record("s", "m", "c1", True)])
    code, err = _report(capsys, run, "-o", tmp_path / "nodir" / "r.html")
    assert code == 2 and "no such directory" in err
    code, err = _report(capsys, run, "--compare", tmp_path / "missing", "-o", tmp_path / "r.html")
    assert code == 2 and "--compare" in err
    newer = write_run(tmp_path / "newer", [record("s", "m", "c1", True, schema_version=99)], summary=False)
    code, err = _report(capsys, newer, "-o", tmp_path / "r.html")
    assert code == 2 and "newer than this llmops-ci reads" in err and "records.jsonl:1" in err
    assert not (tmp_path / "r.html").exists()


def test_the_summary_is_recomputed_from_the_records(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [record("s", "m", "c1", True), record("s", "m", "c2", False)])
    (run / "summary.json").write_text(json.dumps({"schema_version": 1, "run_id": "r-7", "suites": []}))
    html = render_report(run)
    assert "r-7" in html and "50.0%" in html and "incomplete run" in html


def test_model_names_in_charts_are_escaped(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [record("s<x>", "m&<y>", "c1", True)])
    html = render_report(run)
    assert "s&lt;x&gt;" in html and "m&amp;&lt;y&gt;" in html and "<y>" not in html


@pytest.mark.parametrize(
    ("available", "limit", "expected"),
    [
        ([957, 10, 100, 0, 949, 7870], 500, [195, 10, 100, 0, 195, 0]),
        ([3, 1, 2, 0, 0, 100], 10, [3, 1, 2, 0, 0, 4]),
        ([0, 0, 0, 0, 0, 3], 500, [0, 0, 0, 0, 0, 3]),
        ([5, 5, 5, 0, 5, 5], 2, [1, 1, 0, 0, 0, 0]),
        ([5, 5, 5, 0, 5, 5], 0, [0, 0, 0, 0, 0, 0]),
    ],
)
def test_drill_down_places_are_shared_between_kinds(
    available: list[int], limit: int, expected: list[int]
) -> None:
    assert allot(available, limit) == expected


def test_a_long_output_is_clipped_with_a_count(tmp_path: Path) -> None:
    long = record("s", "m", "c1", False)
    long["output"] = "y" * (CLIP_CHARS + 1234)
    html = render_report(write_run(tmp_path / "run", [long]))
    assert "y" * CLIP_CHARS in html and "y" * (CLIP_CHARS + 1) not in html
    assert "1,234 more characters not shown" in html


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (8.4e-06, "$0.0000084"),
        (0.4936, "$0.4936"),
        (0.0, "$0.0000"),
        (-0.0016, "-$0.0016"),
        (1234.5, "$1,234.50"),
    ],
)
def test_dollars_keep_two_significant_digits_below_a_cent(value: float, text: str) -> None:
    assert usd(value) == text
