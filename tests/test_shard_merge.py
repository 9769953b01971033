"""`llmops-ci eval --shard I/N` and `llmops-ci merge`: shards partition the cases, the merge of every shard
equals the unsharded run, missing or overlapping shards are reported, and the sharded example workflow
is valid. Models are the in-process `local/keyword` (no server)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from llmops_ci.cli import main
from llmops_ci.eval.plan import parse_shard, shard_of
from tests.conftest import PROJECT, write_files

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "example-repo/.github/workflows/llmops-ci-sharded.yml"
WORKFLOW_SCHEMA = ROOT.parent / "shared/oracles/schemastore-github/github-workflows.json"

LOCAL = 'spec:\n  providers:\n    local: {keyword: "tests.local_models:KeywordClassifier"}'

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: local/keyword, params: {temperature: 0}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
"""

LABELS = ("invoice", "contract", "nda", "memo")  # memo: the keyword model answers "unknown", a failure


def suite_file(name: str, cases: int, repeat: int = 1) -> str:
    lines = [
        f'    - {{id: c-{n:02d}, vars: {{document: "{LABELS[n % 4].upper()} number {n}"}}, '
        f"assert: [{{type: equals, value: {LABELS[n % 4]}}}]}}"
        for n in range(cases)
    ]
    return (
        "apiVersion: llmops-ci/v1\nkind: EvalSuite\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n  target: {prompt: classifier}\n"
        f"  repeat: {repeat}\n"
        "  thresholds: {pass_rate: {min: 0.5}}\n"
        "  cases:\n" + "\n".join(lines) + "\n"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": PROJECT.replace("spec: {}", LOCAL),
            "prompts/classifier.yaml": PROMPT,
            "evals/alpha.yaml": suite_file("alpha", 13, repeat=2),
            "evals/beta.yaml": suite_file("beta", 8),
        },
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def evaluate(repo: Path, capsys: pytest.CaptureFixture[str], output: Path, *args: str) -> int:
    code, out, err = cli(
        capsys,
        "eval",
        "--project",
        str(repo),
        "--cache-dir",
        str(repo / "cache"),
        "--output",
        str(output),
        *args,
    )
    assert code in (0, 1), out + err
    return code


def records_of(directory: Path) -> list[dict[str, Any]]:
    lines = (directory / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def summary_of(directory: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    return summary


def comparable(record: dict[str, Any]) -> str:
    """A record without what differs between two runs of the same cache (run id, lineage)."""
    kept = {k: v for k, v in record.items() if k not in ("run_id", "lineage")}
    return json.dumps(kept, sort_keys=True)


def test_shard_of_is_a_stable_sha256_partition() -> None:
    # int(sha256(id)) % N + 1: fixed values, the same on every machine and Python version
    assert [shard_of("suite/case-1", n) for n in (1, 2, 3, 5, 7)] == [1, 1, 1, 3, 6]
    assert [shard_of("alpha/c-00", n) for n in (1, 2, 3, 5, 7)] == [1, 1, 1, 1, 3]
    assert parse_shard("2/4") == (2, 4) and parse_shard("1/1") == (1, 1)
    for bad in ("0/4", "5/4", "4", "a/b", "1/0", "-1/3", "1/-3", "", "2/4/6"):
        with pytest.raises(ValueError):
            parse_shard(bad)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_partition_the_cases_exactly(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int
) -> None:
    whole = tmp_path / "whole"
    evaluate(repo, capsys, whole)
    expected = {(r["case_id"], r["model"], r["repeat"]) for r in records_of(whole)}
    assert len(expected) == 13 * 2 + 8
    seen: list[set[tuple[str, str, int]]] = []
    for index in range(1, count + 1):
        shard = tmp_path / f"shard-{index}"
        evaluate(repo, capsys, shard, "--shard", f"{index}/{count}")
        records = records_of(shard)
        keys = {(r["case_id"], r["model"], r["repeat"]) for r in records}
        assert len(keys) == len(records)
        # a case's every repeat and model stay together, in the shard its id hashes to
        assert all(shard_of(case_id, count) == index for case_id, _, _ in keys)
        assert summary_of(shard)["shard"] == {"index": index, "count": count}
        seen.append(keys)
    assert set().union(*seen) == expected
    assert sum(len(keys) for keys in seen) == len(expected)  # pairwise disjoint


def test_merge_of_every_shard_equals_the_unsharded_run(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluate(repo, capsys, tmp_path / "warm")  # fills the cache: every later run reads the same answers
    whole = tmp_path / "whole"
    whole_code = evaluate(repo, capsys, whole)
    shards = [tmp_path / f"shard-{i}" for i in (1, 2, 3)]
    for index, shard in enumerate(shards, start=1):
        evaluate(repo, capsys, shard, "--shard", f"{index}/3")
    merged = tmp_path / "merged"
    code, out, err = cli(capsys, "merge", *map(str, reversed(shards)), "--output", str(merged))
    assert code == 0, out + err
    assert "alpha" in out and "beta" in out
    assert sorted(map(comparable, records_of(merged))) == sorted(map(comparable, records_of(whole)))
    ours, theirs = summary_of(merged), summary_of(whole)
    assert ours["complete"] is True and ours["passed"] == theirs["passed"]
    assert "shard" not in ours and ours["results_dir"] == str(merged)
    by_group = {(g["suite"], g["model"]): g for g in theirs["suites"]}
    assert len(ours["suites"]) == len(by_group) == 2
    for group in ours["suites"]:
        other = by_group[(group["suite"], group["model"])]
        for key in ("records", "cases", "passed", "failed", "errors", "pass_all_repeats", "passed_gates"):
            assert group[key] == other[key], key
        assert group["metrics"].keys() == other["metrics"].keys()
        for name, value in group["metrics"].items():
            assert value == pytest.approx(other["metrics"][name]), name
    validator = Draft202012Validator(json.loads((ROOT / "schemas/results.schema.json").read_text()))
    for document in (ours, summary_of(shards[0]), *records_of(merged)[:3]):
        assert not list(validator.iter_errors(document))
    # the merged run reads like any other: show recomputes the same verdict (its exit is the gate)
    show_code, show_out, _ = cli(capsys, "show", str(merged), "--format", "json")
    assert show_code == whole_code and json.loads(show_out)["passed"] == theirs["passed"]


def test_a_missing_shard_leaves_the_merge_incomplete(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = [tmp_path / f"shard-{i}" for i in (1, 2, 3, 4)]
    for index, shard in enumerate(shards, start=1):
        evaluate(repo, capsys, shard, "--shard", f"{index}/4")
    merged = tmp_path / "merged"
    code, _, err = cli(capsys, "merge", str(shards[0]), str(shards[2]), "--output", str(merged))
    assert code == 1
    assert "missing shard(s) 2/4, 4/4" in err
    summary = summary_of(merged)
    assert summary["complete"] is False and summary["passed"] is False
    assert len(records_of(merged)) == len(records_of(shards[0])) + len(records_of(shards[2]))
    partial = tmp_path / "partial"
    code, _, err = cli(
        capsys, "merge", str(shards[0]), str(shards[2]), "--output", str(partial), "--allow-partial"
    )
    assert code == 0 and "missing shard(s) 2/4, 4/4" in err and summary_of(partial)["complete"] is False


def test_an_incomplete_input_leaves_the_merge_incomplete(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    evaluate(repo, capsys, one, "--shard", "1/2")
    evaluate(repo, capsys, two, "--shard", "2/2")
    (two / "summary.json").unlink()  # as a killed run leaves it
    code, _, err = cli(capsys, "merge", str(one), str(two), "--output", str(tmp_path / "merged"))
    assert code == 1 and "incomplete input run(s)" in err and str(two) in err


def test_duplicates_and_misuse_are_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, again = tmp_path / "one", tmp_path / "again"
    evaluate(repo, capsys, one, "--shard", "1/2")
    evaluate(repo, capsys, again, "--shard", "1/3")
    merged = tmp_path / "merged"
    # shards of different counts
    code, _, err = cli(capsys, "merge", str(one), str(again), "--output", str(merged))
    assert code == 2 and "different counts" in err
    # the same records twice (two whole runs of the same suites)
    a, b = tmp_path / "a", tmp_path / "b"
    evaluate(repo, capsys, a, "beta")
    evaluate(repo, capsys, b, "beta")
    code, _, err = cli(capsys, "merge", str(a), str(b), "--output", str(merged))
    assert code == 2 and "the runs overlap" in err and "beta/c-" in err
    assert not merged.exists() and not list(tmp_path.glob(".merged.*")), "nothing left behind"
    # one shard given twice (copied)
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("records.jsonl", "summary.json"):
        (copy / name).write_bytes((one / name).read_bytes())
    code, _, err = cli(capsys, "merge", str(one), str(copy), "--output", str(merged))
    assert code == 2 and "shard 1/2 given twice" in err
    # an existing output, the same input twice, not a results directory
    code, _, err = cli(capsys, "merge", str(one), "--output", str(a))
    assert code == 2 and "already exists" in err
    code, _, err = cli(capsys, "merge", str(one), str(one), "--output", str(merged))
    assert code == 2 and "given twice" in err
    code, _, err = cli(capsys, "merge", str(tmp_path / "nowhere"), "--output", str(merged))
    assert code == 2 and "no such results directory" in err
    code, _, _ = cli(capsys, "merge", "--output", str(merged))
    assert code == 2


def test_a_newer_schema_version_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    evaluate(repo, capsys, run, "beta")
    records = records_of(run)
    records[0]["schema_version"] = 99
    (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    code, _, err = cli(capsys, "merge", str(run), "--output", str(tmp_path / "merged"))
    assert code == 1 and "newer than this llmops-ci reads" in err
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("value", ["0/4", "5/4", "4", "x/4", "1/0", "3/2", "1/2/3"])
def test_bad_shard_values_are_usage_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, _, err = cli(
        capsys, "eval", "--project", str(repo), "--shard", value, "--output", str(tmp_path / "r")
    )
    assert code == 2 and "--shard" in err
    assert not (tmp_path / "r").exists()


def test_dry_run_reports_the_shard(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = [
        sum(1 for n in range(13) if shard_of(f"alpha/c-{n:02d}", 2) == 1),
        sum(1 for n in range(8) if shard_of(f"beta/c-{n:02d}", 2) == 1),
    ]
    code, out, err = cli(capsys, "eval", "--project", str(repo), "--shard", "1/2", "--dry-run")
    assert code == 0, out + err
    cases, calls = expected[0] + expected[1], expected[0] * 2 + expected[1]
    assert f"shard 1/2: {cases} case(s), {calls} call(s)" in out
    assert f"{calls} calls planned" in out


def test_an_empty_shard_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_files(
        tmp_path / "repo",
        {
            "llmops.yaml": PROJECT.replace("spec: {}", LOCAL),
            "prompts/classifier.yaml": PROMPT,
            "evals/one.yaml": suite_file("one", 1),
        },
    )
    empty = next(i for i in (1, 2) if shard_of("one/c-00", 2) != i)
    code, _, err = cli(
        capsys, "eval", "--project", str(repo), "--shard", f"{empty}/2", "--output", str(tmp_path / "r")
    )
    assert code == 0 and "holds no cases" in err
    assert records_of(tmp_path / "r") == [] and summary_of(tmp_path / "r")["complete"] is True


def test_merge_from_the_console_script(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    evaluate(repo, capsys, one, "beta", "--shard", "1/2")
    evaluate(repo, capsys, two, "beta", "--shard", "2/2")
    merged = tmp_path / "merged"
    script = Path(sys.executable).parent / "llmops-ci"
    result = subprocess.run(
        [str(script), "merge", str(one), str(two), "-o", str(merged), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["complete"] is True and len(records_of(merged)) == 8


def test_the_sharded_example_workflow_is_valid() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    if True in workflow:  # YAML 1.1 reads the key `on` as true
        workflow["on"] = workflow.pop(True)
    assert "pull_request" in workflow["on"]
    jobs = workflow["jobs"]
    matrix_jobs = [job for job in jobs.values() if "matrix" in job.get("strategy", {})]
    assert matrix_jobs, "a matrix of shards"
    steps = [step for job in jobs.values() for step in job["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    assert all("${{" not in run for run in runs), "inputs reach run: lines through env:, never ${{ }}"
    joined = "\n".join(runs)
    for command in ("llmops-ci eval", "--shard", "llmops-ci merge", "llmops-ci diff"):
        assert command in joined
    uses = [str(step.get("uses", "")) for step in steps]
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    assert any(u.startswith("actions/download-artifact") for u in uses)
    if not WORKFLOW_SCHEMA.is_file():
        pytest.skip(f"{WORKFLOW_SCHEMA} not here: validated as YAML only")
    schema = json.loads(WORKFLOW_SCHEMA.read_text(encoding="utf-8"))
    errors = list(Draft7Validator(schema).iter_errors(workflow))
    assert not errors, [e.message for e in errors[:3]]
