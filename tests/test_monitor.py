"""`llmops-ci monitor` over runtime audit logs written as the audit schema describes: usage and cost,
guardrail triggers, groundedness against a built BM25 index (and a grader model), drift against a
baseline, rollout variants, alert rules and exit codes. Every number below is worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from llmops_ci.compare import stats
from llmops_ci.monitoring import logs
from tests.conftest import write_files

ROOT = Path(__file__).resolve().parent.parent
AUDIT_SCHEMA = json.loads((ROOT / "schemas/audit-record.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(AUDIT_SCHEMA)

PII = {
    "policy": "pii-default",
    "check": "pii",
    "type": "pii",
    "scope": "input",
    "action": "redact",
    "entity": "EMAIL_ADDRESS",
    "start": 0,
    "end": 7,
}
SECRET = {**PII, "check": "secrets", "type": "secrets", "action": "block", "entity": "API_KEY"}

GROUNDED = "Refunds are accepted within 30 days of purchase."
INVENTED = "Refunds are accepted within 90 days of purchase."


def record(n: int, day: str, **overrides: Any) -> dict[str, Any]:
    """One audit record, valid against schemas/audit-record.schema.json."""
    found = overrides.pop("findings", [])
    version = overrides.pop("version", "1.0.0")
    question = overrides.pop("question", "How long do refunds take?")
    base: dict[str, Any] = {
        "schema_version": 1,
        "id": f"{n:032x}",
        "time": f"{day}T09:{n % 60:02d}:00.000Z",
        "artifact": f"support-qa@{version}",
        "prompt": "support-qa",
        "version": version,
        "digest": "sha256:" + "ab" * 6,
        "env": "prod",
        "source": "git",
        "promotion": "promotions/prod/prompts/support-qa/3",
        "bucket": None,
        "outcome": "ok",
        "blocked": None,
        "model": "openai/gpt-4o-mini",
        "fallback": False,
        "models_tried": ["openai/gpt-4o-mini"],
        "cache_hit": False,
        "tokens": {"input": 100, "output": 10},
        "cost_usd": 0.5,
        "latency_ms": 100.0,
        "guardrails": {"input": {"verdict": "pass", "modified": bool(found), "findings": found}},
        "rag": {"chunk_ids": ["refunds.txt#0"], "dropped_chunk_ids": []},
        "input": [{"role": "user", "content": f"<question>{question}</question>"}],
        "output": GROUNDED,
        "errors": [],
    }
    base.update(overrides)
    VALIDATOR.validate(base)
    return base


def write_log(directory: Path, day: str, records: list[dict[str, Any]], tail: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{day}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")
    return path


PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: support-qa, owner: support-team}
spec:
  model: {id: openai/gpt-4o-mini}
  inputs: {type: object, required: [question], properties: {question: {type: string}}}
  messages:
    - {role: user, content: "<question>{{ question }}</question>\\n{{ context }}"}
"""

PIPELINE = """\
apiVersion: llmops-ci/v1
kind: RagPipeline
metadata: {name: support}
spec:
  corpus: {path: ../corpus}
  chunking: {strategy: paragraph, size: 50, unit: words}
  retrieval: {top_k: 2}
  answer: {prompt: support-qa}
"""


def project(tmp_path: Path, monitoring: str = "", build: bool = True) -> Path:
    spec = f"spec:\n  monitoring:\n{monitoring}" if monitoring else "spec: {}"
    repo = write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": f"apiVersion: llmops-ci/v1\nkind: Project\nmetadata: {{name: p}}\n{spec}\n",
            "prompts/support-qa.yaml": PROMPT,
            "rag/support.yaml": PIPELINE,
            "corpus/refunds.txt": GROUNDED + "\n",
            "corpus/shipping.txt": "Parcels ship within 2 business days by courier.\n",
        },
    )
    if build:
        assert main(["rag", "build", "-C", str(repo)]) == 0
    return repo


def monitor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["monitor", *args])
    out, err = capsys.readouterr()
    return code, out, err


def monitor_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = monitor(capsys, *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


# --- usage and cost --------------------------------------------------------------------------------------


def test_usage_and_cost_by_day_version_model_and_owner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = project(tmp_path, build=False)
    audit = repo / ".llmops/audit"
    write_log(audit, "2026-11-01", [record(1, "2026-11-01"), record(2, "2026-11-01", cost_usd=0.25)])
    write_log(
        audit,
        "2026-11-02",
        [
            record(3, "2026-11-02", version="1.1.0", model="local/small", cost_usd=None),
            record(4, "2026-11-02", outcome="error", model=None, output=None, cost_usd=None, rag=None),
        ],
    )
    code, report = monitor_json(capsys, "-C", str(repo))
    assert code == 0
    usage = report["usage"]
    assert usage["day"]["2026-11-01"] == {
        "calls": 2,
        "input_tokens": 200,
        "output_tokens": 20,
        "cost_usd": 0.75,
        "unpriced_calls": 0,
    }
    # an answered call without a price is unpriced; a failed one is not
    assert usage["day"]["2026-11-02"]["unpriced_calls"] == 1
    assert usage["day"]["2026-11-02"]["cost_usd"] == 0.0
    assert set(usage["version"]) == {"support-qa@1.0.0", "support-qa@1.1.0"}
    assert usage["version"]["support-qa@1.0.0"]["calls"] == 3
    assert usage["model"]["(none)"]["calls"] == 1 and usage["model"]["local/small"]["calls"] == 1
    assert usage["owner"] == {
        "support-team": {
            "calls": 4,
            "input_tokens": 400,
            "output_tokens": 40,
            "cost_usd": 0.75,
            "unpriced_calls": 1,
        }
    }
    summary = report["summary"]
    assert summary["calls"] == 4 and summary["cost_usd"] == 0.75 and summary["error_rate"] == 0.25
    assert summary["tokens_total"] == 440
    # latencies 100 x 4: p95 by nearest rank is 100
    assert summary["latency_p95_ms"] == 100.0


def test_since_until_and_a_duration_back_from_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = tmp_path / "audit"
    write_log(audit, "2026-11-01", [record(1, "2026-11-01")])
    write_log(audit, "2026-11-02", [record(2, "2026-11-02"), record(3, "2026-11-02")])
    write_log(audit, "2026-11-03", [record(4, "2026-11-03")])
    monkey_cwd = tmp_path  # no llmops.yaml above tmp_path
    assert not (monkey_cwd / "llmops.yaml").exists()
    _, report = monitor_json(capsys, str(audit), "--since", "2026-11-02", "--until", "2026-11-03")
    assert report["window"]["calls"] == 2 and list(report["usage"]["day"]) == ["2026-11-02"]
    # the calls before --since are the default baseline
    assert report["baseline"]["calls"] == 1
    now = dt.datetime(2026, 11, 3, 12, tzinfo=dt.timezone.utc)
    assert logs.parse_time("36h", now) == dt.datetime(2026, 11, 2, 0, tzinfo=dt.timezone.utc)
    assert logs.parse_time("2w", now) == now - dt.timedelta(days=14)
    assert logs.parse_time("2026-11-02T10:00:00", now).tzinfo == dt.timezone.utc


# --- guardrail triggers ----------------------------------------------------------------------------------


def test_guardrail_trigger_shares_actions_and_trend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit"
    # day 1: 4 calls, pii on 1; day 2: 4 calls, pii on 3, and one secret blocked
    day1 = [record(n, "2026-11-01", findings=[PII] if n == 0 else []) for n in range(4)]
    day2 = [record(n, "2026-11-02", findings=[PII] if n != 7 else [SECRET]) for n in range(4, 8)]
    day2[3] = record(7, "2026-11-02", findings=[SECRET, PII], outcome="blocked", blocked="input", output=None)
    write_log(audit, "2026-11-01", day1)
    write_log(audit, "2026-11-02", day2)
    _, report = monitor_json(capsys, str(audit))
    pii, secrets = report["guardrails"]
    assert pii["check"] == "pii-default/pii" and pii["calls"] == 5 and pii["share"] == 5 / 8
    assert pii["per_day"] == {"2026-11-01": 0.25, "2026-11-02": 1.0}
    # first half of the window (4 calls): 1 fired; second half: 4 fired -> +75 points
    assert pii["change"] == 0.75
    assert pii["actions"] == {"redact": 5} and pii["scopes"] == {"input": 5}
    assert (
        secrets["check"] == "pii-default/secrets"
        and secrets["calls"] == 1
        and secrets["actions"] == {"block": 1}
    )
    assert report["summary"]["trigger_rate"] == 5 / 8 and report["summary"]["block_rate"] == 1 / 8


# --- groundedness ----------------------------------------------------------------------------------------


def test_groundedness_against_the_built_index_and_a_floor_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = project(tmp_path, "    alerts:\n      - {name: grounded, metric: groundedness_mean, limit: 0.8}\n")
    audit = repo / ".llmops/audit"
    calls = [record(n, "2026-11-01", output=GROUNDED if n % 2 else INVENTED) for n in range(4)]
    write_log(audit, "2026-11-01", calls)
    code, report = monitor_json(capsys, "-C", str(repo))
    grounding = report["groundedness"]
    assert grounding["candidates"] == 4 and grounding["checked"] == 4 and grounding["chunks_missing"] == 0
    scores = {answer["id"][-1]: answer["score"] for answer in grounding["answers"]}
    assert scores == {"0": 0.0, "1": 1.0, "2": 0.0, "3": 1.0}  # 90 is not the chunk's 30
    invented = next(a for a in grounding["answers"] if a["score"] == 0.0)
    assert invented["unsupported"] == [INVENTED]
    assert report["summary"]["groundedness_mean"] == 0.5 and report["summary"]["hallucination_rate"] == 0.5
    assert code == 1 and report["fired"] == ["grounded"]
    assert report["alerts"][0]["op"] == "<" and report["alerts"][0]["value"] == 0.5

    code, out, _ = monitor(capsys, "-C", str(repo), "--format", "markdown")
    assert code == 1
    assert "**🚨 1 alert(s) fired**" in out
    assert "| FIRED | grounded | groundedness_mean < 0.8 | 0.5 | - |" in out

    code, out, _ = monitor(capsys, "-C", str(repo), "--sample", "2")
    assert "groundedness: 2 of 4 answers with chunks checked (sample 2" in out


def test_answers_whose_chunks_cannot_be_found_are_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = project(tmp_path, build=False)  # no index built
    write_log(repo / ".llmops/audit", "2026-11-01", [record(1, "2026-11-01")])
    code, out, _ = monitor(capsys, "-C", str(repo))
    assert code == 0
    assert "1 skipped: chunk texts not found (support: no index built (llmops-ci rag build support))" in out
    assert "the audit log keeps chunk ids only" in out
    assert main(["rag", "build", "-C", str(repo)]) == 0
    write_log(
        repo / ".llmops/audit",
        "2026-11-01",
        [record(1, "2026-11-01", rag={"chunk_ids": ["gone.txt#4"], "dropped_chunk_ids": []})],
    )
    code, report = monitor_json(capsys, "-C", str(repo))
    assert report["groundedness"]["missing_reason"] == "chunk ids not in the current index"
    assert report["groundedness"]["answers"][0]["missing_chunks"] == ["gone.txt#4"]
    assert report["summary"]["groundedness_mean"] is None


class CountingGrader:
    """A grader model: every answer holds two claims, the context supports one unless it says 30 days."""

    calls: ClassVar[int] = 0

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        CountingGrader.calls += 1
        answer = messages[-1]["content"].split("<answer>")[1]
        supported = 2 if "30 days" in answer else 1
        return json.dumps({"reason": "checked", "claims": 2, "supported": supported})


def test_a_configured_grader_scores_the_sampled_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = project(tmp_path, "    grader: local/grader\n")
    text = (repo / "llmops.yaml").read_text(encoding="utf-8")
    local = '{grader: "tests.test_monitor:CountingGrader", mumbler: "tests.test_monitor:Mumbler"}'
    text = text.replace("spec:\n", f"spec:\n  providers: {{local: {local}}}\n")
    (repo / "llmops.yaml").write_text(text, encoding="utf-8")
    write_log(
        repo / ".llmops/audit",
        "2026-11-01",
        [record(1, "2026-11-01", output=GROUNDED), record(2, "2026-11-01", output=INVENTED)],
    )
    CountingGrader.calls = 0
    _, report = monitor_json(capsys, "-C", str(repo))
    assert CountingGrader.calls == 2
    graded = {a["id"][-1]: a["graded"] for a in report["groundedness"]["answers"]}
    assert graded == {"1": 1.0, "2": 0.5}
    assert report["groundedness"]["grader"] == "local/grader"
    assert report["summary"]["faithfulness_mean"] == 0.75
    # --grader overrides llmops.yaml; an answer the grader cannot give is an error of that answer only
    _, report = monitor_json(capsys, "-C", str(repo), "--grader", "local/mumbler")
    assert report["groundedness"]["grader"] == "local/mumbler"
    assert [a["graded"] for a in report["groundedness"]["answers"]] == [None, None]
    assert all("did not answer in JSON" in a["grader_error"] for a in report["groundedness"]["answers"])
    assert report["summary"]["faithfulness_mean"] is None and report["summary"]["groundedness_mean"] == 0.5


class Mumbler:
    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        return "hard to say"


class EchoFirstChunk:
    """An answer model: repeats the first chunk of its context (``[id] text`` lines)."""

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        lines = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
        return lines[0].split("] ", 1)[1] if lines else "I do not know."


def test_records_written_by_the_runtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole path: prompt.complete with retrieved chunks writes the audit log, monitor reads it."""
    from llmops_ci.rag.index import IndexStore, index_dir
    from llmops_ci.rag.pipeline import PipelineConfig
    from llmops_ci.runtime import load_prompt

    repo = project(tmp_path)
    text = (repo / "llmops.yaml").read_text(encoding="utf-8")
    providers = 'spec:\n  providers: {local: {echo: "tests.test_monitor:EchoFirstChunk"}}\n'
    (repo / "llmops.yaml").write_text(text.replace("spec: {}\n", providers), encoding="utf-8")
    prompt_file = repo / "prompts/support-qa.yaml"
    prompt_file.write_text(
        PROMPT.replace("openai/gpt-4o-mini", "local/echo").replace(
            "{{ context }}", "{% for c in context %}[{{ c.id }}] {{ c.text }}\n{% endfor %}"
        ),
        encoding="utf-8",
    )
    from llmops_ci.artifacts.loader import load_graph, load_project

    graph = load_graph(load_project(repo))
    config = PipelineConfig.from_artifact(graph.get("RagPipeline", "support"))  # type: ignore[arg-type]
    index = IndexStore(index_dir(repo, config), config).load()
    assert index is not None
    chunks = [{"id": c.id, "text": c.text, "source": c.document, "score": 1.0} for c in index.chunks]
    refunds = next(chunk for chunk in chunks if chunk["id"].startswith("refunds"))
    prompt = load_prompt("support-qa", project=repo, audit=repo / ".llmops/audit")
    assert prompt.complete(question="How long do refunds take?", context=[refunds]).text.strip() == GROUNDED
    code, report = monitor_json(capsys, "-C", str(repo))
    assert code == 0 and report["window"]["calls"] == 1
    assert report["usage"]["model"]["local/echo"]["calls"] == 1
    assert report["usage"]["owner"]["support-team"]["calls"] == 1
    assert report["groundedness"]["checked"] == 1 and report["summary"]["groundedness_mean"] == 1.0


# --- drift -----------------------------------------------------------------------------------------------


def test_drift_against_a_baseline_window_and_a_baseline_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit"
    write_log(audit, "2026-11-01", [record(1, "2026-11-01", question="refund policy")])
    changed = {"chunk_ids": ["shipping.txt#0"], "dropped_chunk_ids": []}
    write_log(
        audit,
        "2026-11-02",
        [
            record(2, "2026-11-02", question="refund policy", rag=changed),
            record(3, "2026-11-02", question="parcel tracking number"),
        ],
    )
    _, report = monitor_json(capsys, str(audit), "--since", "2026-11-02")
    drift = report["drift"]
    # baseline terms {refund, polici}; window: refund, polici, parcel, track, number -> 3 of 5 new
    assert drift["vocabulary_new_fraction"] == 0.6
    # mean words 2 -> (2 + 3) / 2 = 2.5: +25 %
    assert drift["query_length_shift"] == 0.25
    # "refund policy" asked in both: its chunk ids changed completely
    assert drift["topk_changed_fraction"] == 1.0 and drift["topk_mean_jaccard"] == 0.0
    _, same = monitor_json(
        capsys, str(audit), "--since", "2026-11-02", "--baseline", "2026-11-01..2026-11-02"
    )
    assert same["drift"] == drift
    other = write_log(
        tmp_path / "other", "2026-10-01", [record(9, "2026-10-01", question="refund policy parcel tracking")]
    )
    _, report = monitor_json(capsys, str(audit), "--since", "2026-11-02", "--baseline", str(other))
    assert report["baseline"]["calls"] == 1 and report["drift"]["vocabulary_new_fraction"] == 0.2


# --- rollouts --------------------------------------------------------------------------------------------


def test_rollout_variants_side_by_side_with_the_stratified_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit"
    n = 0
    for day in ("2026-11-01", "2026-11-02"):
        records = []
        for i in range(30):  # stable: every call answered
            records.append(record(n, day, bucket=i, version="1.0.0"))
            n += 1
        for i in range(10):  # canary: 6 of 10 fail
            failed = {"outcome": "error", "output": None, "model": None} if i < 6 else {}
            records.append(record(n, day, bucket=90 + i, version="1.1.0", latency_ms=300.0, **failed))
            n += 1
        write_log(audit, day, records)
    write_log(tmp_path / "other", "2026-11-01", [record(999, "2026-11-01")])  # no bucket: no rollout
    _, report = monitor_json(capsys, str(audit))
    (rollout,) = report["rollouts"]
    assert rollout["prompt"] == "support-qa" and rollout["env"] == "prod" and rollout["base"] == "1.0.0"
    base, canary = rollout["variants"]
    assert base["calls"] == 60 and base["ok_rate"] == 1.0 and base["verdict"] is None
    assert canary["calls"] == 20 and canary["ok_rate"] == 0.4 and canary["error_rate"] == 0.6
    assert canary["latency_mean_ms"] == 300.0 and canary["strata"] == 2
    expected = stats.stratified_test([30, 30], [30, 30], [4, 4], [10, 10])
    assert canary["p_value"] == round(expected.p_value, 6) and canary["verdict"] == stats.REGRESSED
    assert canary["delta"] == -0.6
    _, out, _ = monitor(capsys, str(audit))
    assert "Rollout of support-qa in prod" in out and "1.0.0 (base)" in out and "regressed" in out
    _, out, _ = monitor(capsys, str(audit), "--format", "markdown")
    assert "### Rollout of support-qa in prod" in out
    assert expected.p_value < 0.0001
    assert "| 1.1.0 | - | 20 | 40.0% | 0.0% | 60.0% | 300 | 0.5 | - | regressed | <0.0001 |" in out


def test_the_declared_split_names_the_base_and_the_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = project(tmp_path, build=False)
    (repo / "environments").mkdir()
    (repo / "environments/prod.yaml").write_text(
        "apiVersion: llmops-ci/v1\nkind: Environment\nmetadata: {name: prod}\nspec:\n  releases:\n"
        "    support-qa: {rollout: [{version: 1.1.0, weight: 75}, {version: 1.0.0, weight: 25}]}\n",
        encoding="utf-8",
    )
    # 1.0.0 has more calls here, but the Environment says 1.1.0 is the stable version
    calls = [record(n, "2026-11-01", bucket=n, version="1.0.0" if n < 6 else "1.1.0") for n in range(10)]
    write_log(repo / ".llmops/audit", "2026-11-01", calls)
    _, report = monitor_json(capsys, "-C", str(repo))
    (rollout,) = report["rollouts"]
    assert rollout["base"] == "1.1.0"
    assert [(v["version"], v["weight"], v["calls"]) for v in rollout["variants"]] == [
        ("1.1.0", 75.0, 4),
        ("1.0.0", 25.0, 6),
    ]
    # both answered everything: nothing to tell them apart
    assert rollout["variants"][1]["verdict"] == stats.UNCHANGED and rollout["variants"][1]["p_value"] == 1.0


# --- alerts and exit codes -------------------------------------------------------------------------------


def test_alert_rules_per_day_where_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = (
        "    alerts:\n"
        "      - {name: daily-spend, metric: cost_usd, limit: 1.2, window: day}\n"
        "      - {name: pii-rate, metric: trigger_rate, where: {check: pii}, limit: 0.5}\n"
        "      - {name: canary-errors, metric: error_rate, where: {version: 1.1.0}, op: '>=', limit: 0.5}\n"
        "      - {name: team-spend, metric: cost_usd, where: {owner: support-team}, limit: 100}\n"
    )
    repo = project(tmp_path, rules, build=False)
    audit = repo / ".llmops/audit"
    write_log(audit, "2026-11-01", [record(n, "2026-11-01", findings=[PII]) for n in range(2)])
    write_log(
        audit,
        "2026-11-02",
        [
            record(n, "2026-11-02", version="1.1.0", outcome="error", output=None, model=None)
            for n in range(2, 5)
        ],
    )
    code, report = monitor_json(capsys, "-C", str(repo))
    alerts = {a["name"]: a for a in report["alerts"]}
    # cost per day: 1.0 then 1.5 -> only the second day is over 1.2; the worst day's value is shown
    assert alerts["daily-spend"]["fired"] and alerts["daily-spend"]["days"] == ["2026-11-02"]
    assert alerts["daily-spend"]["value"] == 1.5
    assert not alerts["pii-rate"]["fired"] and alerts["pii-rate"]["value"] == 0.4
    assert alerts["canary-errors"]["fired"] and alerts["canary-errors"]["value"] == 1.0
    assert not alerts["team-spend"]["fired"] and alerts["team-spend"]["value"] == 2.5
    assert code == 1 and report["fired"] == ["daily-spend", "canary-errors"]
    code, report = monitor_json(capsys, "-C", str(repo), "--since", "2026-11-01", "--until", "2026-11-02")
    assert code == 1 and report["fired"] == ["pii-rate"]  # day 1 alone: both calls carry PII
    code, out, _ = monitor(capsys, "-C", str(repo), "--since", "2026-11-03")
    assert code == 0 and out.rstrip().endswith("no alert fired")  # no calls: no value, nothing fires


def test_a_wrong_rule_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = project(
        tmp_path, "    alerts:\n      - {name: spend, metric: cost_usd_total, limit: 5}\n", build=False
    )
    write_log(repo / ".llmops/audit", "2026-11-01", [record(1, "2026-11-01")])
    code, _, err = monitor(capsys, "-C", str(repo))
    assert code == 2
    assert "llmops.yaml:7:" in err and "unknown metric 'cost_usd_total'" in err and "cost_usd" in err
    (repo / "llmops.yaml").write_text(
        (repo / "llmops.yaml").read_text().replace("metric: cost_usd_total", "metric: term_jsd, window: day"),
        encoding="utf-8",
    )
    code, _, err = monitor(capsys, "-C", str(repo))
    assert code == 2 and "term_jsd compares the window with the baseline" in err


def test_usage_errors_and_damaged_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = tmp_path / "audit"
    good = json.dumps(record(1, "2026-11-01"))
    write_log(audit, "2026-11-01", [record(2, "2026-11-01")], tail='{"cut short')
    code, report = monitor_json(capsys, str(audit))
    assert code == 0 and report["window"]["calls"] == 1  # a last line cut by a crash is skipped
    (audit / "audit-2026-11-02.jsonl").write_text("not json\n" + good + "\n", encoding="utf-8")
    code, _, err = monitor(capsys, str(audit))
    assert code == 2 and "audit-2026-11-02.jsonl:1: not a JSON audit record" in err
    (audit / "audit-2026-11-02.jsonl").write_text(
        good.replace('"schema_version": 1', '"schema_version": 2') + "\n"
    )
    code, _, err = monitor(capsys, str(audit))
    assert code == 2 and "schema_version 2 is newer" in err
    code, _, err = monitor(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "no such audit file or directory" in err
    code, _, err = monitor(capsys, str(tmp_path), "--since", "yesterday")
    assert code == 2 and "'yesterday' is not a time" in err
    code, _, err = monitor(capsys, str(audit), "--format", "html")
    assert code == 2


def test_list_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = monitor(capsys, "--list-metrics")
    assert code == 0 and "groundedness_mean" in out and "lower is worse" in out
