"""`llmops-ci cost`: totals of eval results and audit logs by owner, suite, model, label and artifact,
owner budgets per day or month, output formats and exit codes, on hand-computed figures."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.governance.cost import Budget, parse_time
from tests.conftest import write_files

PROJECT = """\
apiVersion: llmops-ci/v1
kind: Project
metadata: {name: billing}
spec:
  budgets:
    max_cost_usd: 5
    owners:
      docs-team: {monthly_usd: 1.0}
      support: {daily_usd: 0.01}
  governance:
    owners:
      docs-team: {contact: docs@example.com, cost_center: CC-100}
"""


def prompt(name: str, owner: str | None, labels: str = "") -> str:
    meta = (
        f"name: {name}" + (f", owner: {owner}" if owner else "") + (f", labels: {labels}" if labels else "")
    )
    return f"""\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {{{meta}}}
spec:
  model: {{id: openai/gpt-4o-mini-2024-07-18}}
  messages:
    - {{role: user, content: "hello"}}
"""


def result(
    suite: str, target: str, model: str, cost: float | None, tokens: tuple[int, int]
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "run_id": "r1",
        "case_id": f"{suite}/c",
        "suite": suite,
        "case": "c",
        "target": {"kind": "Prompt", "name": target, "digest": "sha256:000000000000"},
        "model": model,
        "metrics": {"input_tokens": tokens[0], "output_tokens": tokens[1], "cost_usd": cost},
    }


def audit(
    time: str, prompt_name: str, model: str, cost: float | None, tokens: tuple[int, int]
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "time": time,
        "artifact": f"{prompt_name}@1.0.0",
        "prompt": prompt_name,
        "model": model,
        "tokens": {"input": tokens[0], "output": tokens[1]},
        "cost_usd": cost,
    }


Cost = Callable[..., tuple[int, str]]
CostJson = Callable[..., tuple[int, dict[str, Any]]]


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    records = [
        result("cls", "classifier", "gpt-a", 0.25, (100, 10)),
        result("cls", "classifier", "gpt-b", 0.5, (200, 20)),
        result("qa", "answerer", "gpt-a", None, (50, 5)),
        result("qa", "orphan", "gpt-a", 0.05, (1, 1)),
    ]
    write_files(
        root,
        {
            "llmops.yaml": PROJECT,
            "prompts/classifier.yaml": prompt("classifier", "docs-team", "{domain: invoices, tier: gold}"),
            "prompts/answerer.yaml": prompt("answerer", "support", "{domain: support}"),
            "prompts/unowned.yaml": prompt("unowned", None),
            ".llmops/runs/r1/records.jsonl": jsonl(records),
            ".llmops/runs/r1/summary.json": json.dumps(
                {"schema_version": 1, "started_at": "2025-03-02T10:00:00Z"}
            ),
            ".llmops/audit/audit-2025-03-01.jsonl": jsonl(
                [
                    audit("2025-03-01T09:00:00.000Z", "answerer", "gpt-a", 0.004, (40, 4)),
                    audit("2025-03-01T10:00:00.000Z", "answerer", "gpt-a", 0.004, (40, 4)),
                ]
            ),
            ".llmops/audit/audit-2025-03-02.jsonl": jsonl(
                [audit("2025-03-02T09:00:00.000Z", "answerer", "gpt-b", 0.02, (400, 40))]
            ),
        },
    )
    return root


@pytest.fixture
def cost(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run `llmops-ci cost -C ROOT ARGS...`: exit code, and stdout + stderr."""

    def invoke(root: Path, *args: str) -> tuple[int, str]:
        code = main(["cost", "-C", str(root), *args])
        out, err = capsys.readouterr()
        return code, out + err

    return invoke


@pytest.fixture
def cost_json(cost: Callable[..., tuple[int, str]]) -> Callable[..., tuple[int, dict[str, Any]]]:
    def invoke(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
        code, output = cost(root, *args, "--format", "json")
        return code, json.loads(output)

    return invoke


def rows(document: dict[str, Any]) -> dict[str, tuple[int, int, int, float, int]]:
    return {
        row["key"]: (
            row["calls"],
            row["input_tokens"],
            row["output_tokens"],
            row["cost_usd"],
            row["unpriced_calls"],
        )
        for row in document["rows"]
    }


def test_results_by_owner_with_unpriced_and_unowned_calls(repo: Path, cost_json: CostJson) -> None:
    code, document = cost_json(repo, str(repo / ".llmops/runs/r1"))
    assert rows(document) == {
        "docs-team": (2, 300, 30, 0.75, 0),
        "support": (1, 50, 5, 0.0, 1),
        "(unowned)": (1, 1, 1, 0.05, 0),
    }
    assert document["total"]["cost_usd"] == 0.8 and document["total"]["unpriced_calls"] == 1
    # docs-team spent 0.75 of a 1.00 monthly budget: 75 %, fine; support's 0 of 0.01 x 31 days
    assert {(b["owner"], b["period"], b["status"]) for b in document["budgets"]} == {
        ("docs-team", "2025-03", "ok"),
        ("support", "2025-03", "ok"),
    }
    assert code == 0 and document["over_budget"] == []


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("cost-center", {"CC-100": 0.75, "(none)": 0.05}),
        ("suite", {"cls": 0.75, "qa": 0.05}),
        ("model", {"gpt-a": 0.3, "gpt-b": 0.5}),
        ("artifact", {"Prompt/classifier": 0.75, "Prompt/answerer": 0.0, "Prompt/orphan": 0.05}),
        ("label", {"domain=invoices": 0.75, "tier=gold": 0.75, "domain=support": 0.0, "(none)": 0.05}),
    ],
)
def test_results_grouped(repo: Path, by: str, expected: dict[str, float], cost_json: CostJson) -> None:
    _, document = cost_json(repo, str(repo / ".llmops/runs"), "--by", by)
    assert {key: value[3] for key, value in rows(document).items()} == expected


def test_one_label_key_makes_rows_add_up(repo: Path, cost_json: CostJson) -> None:
    _, document = cost_json(repo, str(repo / ".llmops/runs/r1"), "--by", "label", "--label", "tier")
    assert {key: value[3] for key, value in rows(document).items()} == {"tier=gold": 0.75, "(none)": 0.05}
    assert sum(row["calls"] for row in document["rows"]) == document["total"]["calls"] == 4


def test_audit_logs_by_default_and_daily_budget_over(repo: Path, cost_json: CostJson) -> None:
    code, document = cost_json(repo, "--period", "day")
    assert rows(document) == {"support": (3, 480, 48, 0.028, 0)}
    checks = {
        (b["owner"], b["period"]): (b["spent_usd"], b["budget_usd"], b["status"]) for b in document["budgets"]
    }
    assert checks == {
        ("support", "2025-03-01"): (0.008, 0.01, "warn"),
        ("support", "2025-03-02"): (0.02, 0.01, "over"),
    }
    assert code == 1 and document["over_budget"] == ["support"]


def test_window_and_text_and_markdown_outputs(repo: Path, cost: Cost) -> None:
    code, output = cost(repo, "--period", "day", "--until", "2025-03-01")
    assert code == 0
    assert (
        "support" in output
        and "2 calls" in output
        and "near budget: support spent $0.0080 of $0.0100" in output
    )
    code, output = cost(repo, "--period", "day", "--since", "2025-03-02", "--format", "markdown")
    assert code == 1
    assert "| support | 2025-03-02 | $0.0200 | $0.0100 | 200% | :red_circle: over budget |" in output
    code, output = cost(repo, "--by", "model")  # support's March: 0.028 of 0.31
    assert (
        code == 0 and output.splitlines()[-1] == "within budget: 1 owner-period(s) under 80% of their budget"
    )
    assert "OVER" not in output and "near" not in output
    code, output = cost(repo, "--since", "2025-03-02T09:00:01Z")
    assert code == 0 and "no calls" in output


def test_eval_and_runtime_together_per_month(repo: Path, cost_json: CostJson) -> None:
    code, document = cost_json(repo, str(repo / ".llmops/runs/r1"), str(repo / ".llmops/audit"))
    # support in March: 0.028 runtime + 0 eval (unpriced) against 0.01 x 31 = 0.31
    support = next(b for b in document["budgets"] if b["owner"] == "support")
    assert support["spent_usd"] == 0.028 and support["budget_usd"] == 0.31
    assert code == 0 and document["total"]["calls"] == 7


def test_budget_proration() -> None:
    assert Budget(daily_usd=None, monthly_usd=28.0).for_period("day", "2025-02-10") == 1.0
    assert Budget(daily_usd=2.0, monthly_usd=None).for_period("month", "2024-02") == 58.0
    assert Budget(daily_usd=2.0, monthly_usd=10.0).for_period("month", "2024-02") == 10.0


def test_times() -> None:
    assert parse_time("2025-01-31", end=True).isoformat() == "2025-02-01T00:00:00+00:00"
    assert parse_time("2025-01-31T10:00:00+02:00").utcoffset() is not None


def test_bad_inputs_are_messages_not_tracebacks(repo: Path, tmp_path: Path, cost: Cost) -> None:
    bad = tmp_path / "audit-2025-03-03.jsonl"
    bad.write_text('{"schema_version": 1, "time": "2025-03-03T00:00:00Z"}\nnot json\n{"cut', encoding="utf-8")
    code, output = cost(repo, str(bad))
    assert code == 2 and f"{bad}:2: not a JSON audit record" in output
    newer = tmp_path / "newer.jsonl"
    newer.write_text(
        json.dumps({"schema_version": 9, "time": "2025-03-03T00:00:00Z"}) + "\n", encoding="utf-8"
    )
    code, output = cost(repo, str(newer))
    assert code == 2 and "newer than this llmops-ci reads" in output
    code, output = cost(repo, str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in output
    code, output = cost(repo, "--since", "yesterday", str(bad))
    assert code == 2 and "expected a date" in output
    code, output = cost(repo, "--label", "tier")
    assert code == 2 and "--label KEY goes with --by label" in output
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = cost(repo, str(empty))
    assert code == 1 and "neither a results directory" in output
    code, output = cost(empty)
    assert code == 2 and "no llmops.yaml here or above" in output
    code, output = cost(repo, "--by", "owner", "--until", "2025-03-01")  # no traceback on a valid run either
    assert code == 0 and "Traceback" not in output


def test_cut_last_line_is_skipped(repo: Path, cost_json: CostJson, tmp_path: Path) -> None:
    log = tmp_path / "audit-2025-03-03.jsonl"
    log.write_text(jsonl([audit("2025-03-03T01:00:00Z", "x", "m", 0.5, (1, 2))]) + '{"sche', encoding="utf-8")
    code, document = cost_json(repo, str(log))
    assert code == 0 and rows(document) == {"(unowned)": (1, 1, 2, 0.5, 0)}


def test_a_run_without_summary_is_timed_by_its_records_file(repo: Path, cost_json: CostJson) -> None:
    run = repo / ".llmops/runs/r1"
    (run / "summary.json").unlink()
    stamp = 1_700_000_000  # 2023-11-14T22:13:20Z
    os.utime(run / "records.jsonl", (stamp, stamp))
    _, document = cost_json(repo, str(run))
    assert document["window"]["first"] == "2023-11-14T22:13:20+00:00"
    _, document = cost_json(repo, str(run), "--since", "2023-11-15")
    assert document["rows"] == [] and document["total"]["calls"] == 0


def test_a_real_eval_run_is_attributed_to_the_prompts_owner(
    tmp_path: Path, cost: Cost, cost_json: CostJson, capsys: pytest.CaptureFixture[str]
) -> None:
    project = PROJECT.replace(
        "spec:\n", 'spec:\n  providers: {local: {keywords: "tests.local_models:KeywordClassifier"}}\n', 1
    )
    suite = """\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {name: routing}
spec:
  target: {prompt: classifier}
  cases:
    - {id: a, vars: {}, assert: [{type: equals, value: unknown}]}
    - {id: b, vars: {}, assert: [{type: equals, value: unknown}]}
"""
    prompt_file = prompt("classifier", "docs-team", "{domain: invoices}").replace(
        "openai/gpt-4o-mini-2024-07-18", "local/keywords"
    )
    root = write_files(
        tmp_path / "live",
        {"llmops.yaml": project, "prompts/classifier.yaml": prompt_file, "evals/routing.yaml": suite},
    )
    assert main(["eval", "-C", str(root), "--output", str(root / "run"), "--no-cache"]) == 0
    capsys.readouterr()
    code, document = cost_json(root, str(root / "run"), "--by", "label")
    assert code == 0 and [row["key"] for row in document["rows"]] == ["domain=invoices"]
    row = document["rows"][0]
    assert (
        row["calls"] == 2
        and row["input_tokens"] > 0
        and row["cost_usd"] == 0.0
        and row["unpriced_calls"] == 0
    )
    started = json.loads((root / "run/summary.json").read_text(encoding="utf-8"))["started_at"]
    assert parse_time(document["window"]["first"]) == parse_time(started)
    assert document["budgets"] == [
        {
            "owner": "docs-team",
            "period": started[:7],
            "spent_usd": 0.0,
            "budget_usd": 1.0,
            "share": 0.0,
            "status": "ok",
        }
    ]
