"""`llmops-ci rag build | query | eval | tune | drift`, in process (``llmops_ci.cli.main``) on tmp
repositories: output formats, exit codes, the hand-computed retrieval metrics of ``tests.test_rag_eval``,
corpus drift between two git refs and query drift between two audit logs, and the user errors. Offline:
BM25 only, no server."""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from tests.conftest import write_files
from tests.fakes.openai_server import OpenAIServer
from tests.test_rag_eval import HAND_MEANS, LOCAL_PROJECT, PIPELINE, make_repo, suite_yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the test repository's own git config counts."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def rag(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["rag", *args, "--project", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


# --- build ------


def test_build_reports_the_first_build_then_up_to_date(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = rag(capsys, repo, "build")
    assert code == 0, err
    assert re.fullmatch(
        r"birds: indexed 5 files \(5 parsed, the rest unchanged\), 5 documents, 5 chunks, bm25, "
        r"\d+\.\d\d s\n",
        out,
    )
    code, out, _ = rag(capsys, repo, "build")
    assert (code, out) == (0, "birds: up to date (5 files, 5 chunks, bm25)\n")
    (repo / "corpus/e.txt").write_text("swan heron\n", encoding="utf-8")
    code, out, _ = rag(capsys, repo, "build", "birds", "--format", "json")
    report = json.loads(out)
    assert code == 0 and len(report) == 1
    assert {k: report[0][k] for k in ("pipeline", "index", "files", "files_parsed", "rebuilt", "chunks")} == {
        "pipeline": "birds",
        "index": "bm25",
        "files": 5,
        "files_parsed": 1,
        "rebuilt": True,
        "chunks": 5,
    }
    code, out, _ = rag(capsys, repo, "build", "--force", "--format", "json")
    assert code == 0 and json.loads(out)[0]["files_parsed"] == 5


def test_build_of_an_unknown_pipeline_suggests_a_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rag(capsys, repo, "build", "bird")
    assert code == 2 and out == ""
    assert "no RagPipeline named 'bird' (did you mean 'birds'?) (known: birds)" in err
    assert "Traceback" not in err


def test_build_of_a_broken_corpus_names_file_and_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(repo, {"corpus/more.jsonl": '{"text": "heron"}\n\n{"text": 3}\n'})
    code, _, err = rag(capsys, repo, "build")
    assert code == 1 and "Traceback" not in err
    assert re.search(r"more\.jsonl:3: the record needs a string 'text'", err)


def test_an_invalid_pipeline_points_to_lint(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "rag/birds.yaml").write_text(PIPELINE.replace("top_k: 3", "top_k: 0"), encoding="utf-8")
    code, _, err = rag(capsys, repo, "build")
    assert code == 1 and re.search(r"rag/birds\.yaml:7:\d+: ", err) and "llmops-ci lint" in err


# --- query ------


def test_query_prints_rank_score_id_and_text(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(["rag", "query", "owl", "--project", str(repo)]), *capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert [re.sub(r"\s+", " ", line).strip() for line in lines[1::2]] == [
        "owl owl owl",
        "owl swan",
        "owl swan swan crane",
    ]
    ranked = [re.fullmatch(r" ?(\d)\. +(\d+\.\d{4})  (\S+)", line) for line in lines[0::2]]
    assert all(ranked), lines
    assert [(m.group(1), m.group(3)) for m in ranked if m] == [
        ("1", "a.txt#0"),
        ("2", "b.txt#0"),
        ("3", "c.txt#0"),
    ]
    scores = [float(m.group(2)) for m in ranked if m]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    code, out, _ = rag(capsys, repo, "query", "owl", "--top-k", "1", "--format", "json")
    chunks = json.loads(out)
    assert code == 0 and [(c["rank"], c["id"], c["document"], c["text"]) for c in chunks] == [
        (1, "a.txt#0", "a.txt", "owl owl owl")
    ]
    assert chunks[0]["score"] == pytest.approx(scores[0], abs=1e-4)


def test_query_shows_the_heading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long_text = "Herons wade " + "slowly " * 120
    root = make_repo(tmp_path, **{"corpus/guide.md": f"# Wading birds\n\n{long_text}\n"})
    code, out, _ = rag(capsys, root, "query", "herons wading", "-p", "birds")
    assert code == 0
    first, snippet = out.splitlines()[:2]
    assert first.endswith("guide.md#0  § Wading birds")
    assert snippet.endswith("…") and len(snippet) == 4 + 300 + 1  # cut at 300 characters


def test_query_that_retrieves_nothing_exits_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rag(capsys, repo, "query", "penguin")
    assert (code, out) == (1, "") and "birds: nothing retrieved for this question" in err
    code, out, _ = rag(capsys, repo, "query", "penguin", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_query_needs_a_name_when_there_are_several_pipelines(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(repo, {"rag/other.yaml": PIPELINE.replace("name: birds", "name: other")})
    code, _, err = rag(capsys, repo, "query", "owl")
    assert code == 2 and "name the RagPipeline (RagPipeline artifacts here: birds, other)" in err
    assert rag(capsys, repo, "query", "owl", "--pipeline", "other")[0] == 0
    code, _, err = rag(capsys, repo, "query", "owl", "--top-k", "0")
    assert code == 2 and "--top-k" in err


# --- eval ------

THRESHOLDS = "  thresholds: {mrr: {min: 0.5}, hit_rate: {min: 0.9}, pass_rate: {min: 1.0}}\n"
EXTRA_CASE = "    - {id: no-question, vars: {topic: birds}}\n"


def thresholds_repo(root: Path) -> Path:
    suite = suite_yaml(
        "    - {id: q-owl, vars: {question: owl}, expected_chunks: [b.txt#0]}\n"
        "    - {id: q-crane, vars: {question: crane}, expected_chunks: [c.txt, d.txt, a.txt]}\n"
        "    - {id: q-swan, vars: {question: swan}, expected_chunks: [a.txt]}\n"
        "    - {id: q-free, vars: {question: owl swan}}\n" + EXTRA_CASE,
        extra=THRESHOLDS,
    )
    return make_repo(root, **{"evals/birds.yaml": suite})


def test_eval_prints_metrics_thresholds_and_misses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = thresholds_repo(tmp_path)
    code, out, err = rag(capsys, root, "eval", "birds")
    assert code == 1, err  # hit_rate 2/3 < 0.9
    lines = out.splitlines()
    assert lines[0] == "birds-qa: 4 questions, 3 with expected chunks, k=3"
    table = {
        line.split()[0]: float(line.split()[1]) for line in lines[1:] if re.match(r"  \w+ +\d\.\d{3}", line)
    }
    for name, value in HAND_MEANS.items():
        assert table[name] == pytest.approx(value, abs=5e-4), name
    assert "context_relevance_mean" in table  # judged over all 4 questions
    assert "  pass mrr = 0.500 (min 0.5)" in lines
    assert "  FAIL hit_rate = 0.667 (min 0.9)" in lines
    assert not any("pass_rate" in line for line in lines)  # not a retrieval threshold: left to llmops-ci eval
    assert "  skipped (no question var): no-question" in lines
    assert "  miss q-swan: expected a.txt; got e.txt#0, c.txt#0, b.txt#0" in lines
    code, out, _ = rag(capsys, root, "eval", "--misses", "0")
    assert code == 1 and "miss q-swan" not in out
    assert "  ... 1 more misses (--misses N, or --format json)" in out.splitlines()


def test_eval_json_and_a_passing_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = thresholds_repo(tmp_path)
    code, out, _ = rag(capsys, root, "eval", "--format", "json", "--suite", "birds-qa")
    document = json.loads(out)
    assert code == 1 and document["pipeline"] == "birds" and document["passed"] is False
    suite: dict[str, Any] = document["suites"][0]
    assert (suite["cases"], suite["judged"], suite["skipped"], suite["top_k"]) == (4, 3, ["no-question"], 3)
    for name, value in HAND_MEANS.items():
        assert suite["metrics"][name] == pytest.approx(value), name
    gates = {gate["metric"]: gate for gate in suite["thresholds"]}
    assert gates["mrr"]["passed"] is True and gates["hit_rate"]["passed"] is False
    assert gates["hit_rate"]["value"] == pytest.approx(2 / 3) and "pass_rate" not in gates
    assert suite["misses"] == [
        {
            "case": "q-swan",
            "query": "swan",
            "expected": ["a.txt"],
            "retrieved": ["e.txt#0", "c.txt#0", "b.txt#0"],
        }
    ]
    path = root / "evals/birds.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("min: 0.9", "min: 0.66"), encoding="utf-8")
    code, out, _ = rag(capsys, root, "eval")
    assert code == 0 and "  pass hit_rate = 0.667 (min 0.66)" in out.splitlines()


def test_eval_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = rag(capsys, repo, "eval", "--suite", "nope")
    assert code == 2 and "no EvalSuite targeting 'birds' named 'nope'" in err
    (repo / "evals/birds.yaml").unlink()
    code, _, err = rag(capsys, repo, "eval")
    assert code == 2 and "no EvalSuite targets RagPipeline 'birds' (spec.target: {rag: birds})" in err
    code, _, err = rag(capsys, repo, "eval", "brds")
    assert code == 2 and "did you mean 'birds'?" in err


# --- tune ------

# count_tokens: a word is ceil(len/4) tokens: owl 1, swan 1, crane 2. Chunks: a 3, b 2, c 5, d 4, e 1.
# top_k 3: owl [a, b, c] 10, crane [d, c] 9, swan [e, c, b] 8 -> 9.0 context tokens per question;
# top_k 1: owl [a] 3, crane [d] 4, swan [e] 1 -> 8/3. recall@1: owl 0, crane 1/3, swan 0 -> 1/9.


def test_tune_sweeps_the_grid_and_picks_the_best(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rag(capsys, repo, "tune", "--size", "20,50", "--overlap", "0", "--top-k", "1,3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "birds: 3 questions, objective recall_at_k, chunk size in words"
    assert (
        " ".join(lines[1].split()) == "size overlap top_k chunks hit_rate recall@k P@k mrr ndcg@k ctx tokens"
    )
    # each row: a mark column, then size overlap top_k chunks hit recall P mrr ndcg tokens
    rows = {tuple(line[1:].split()[:3]): (line[0], line[1:].split()[3:]) for line in lines[2:-1]}
    assert list(rows) == [("20", "0", "1"), ("20", "0", "3"), ("50", "0", "1"), ("50", "0", "3")]
    mark, fields = rows[("20", "0", "1")]
    assert fields[2] == "0.111" and fields[-1] == "3"  # recall@1 1/9; 8/3 context tokens, no decimals
    mark, fields = rows[("20", "0", "3")]
    assert (
        mark == "*" and fields[:6] == ["5", "0.667", "0.556", "0.333", "0.500", "0.465"] and fields[-1] == "9"
    )
    assert rows[("50", "0", "3")][0] == "=" and rows[("50", "0", "3")][1][2] == "0.556"  # the current setting
    assert rows[("50", "0", "1")][0] == " "  # ties go to the first best row: size 20
    assert lines[-1].startswith("best: size 20, overlap 0, top_k 3: recall_at_k 0.556 for 9 context tokens")


def test_tune_json_fraction_overlaps_and_objective(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = rag(
        capsys,
        repo,
        "tune",
        "birds",
        "--size",
        "20",
        "--overlap",
        "0,0.5",
        "--top-k",
        "2",
        "--objective",
        "mrr",
        "--format",
        "json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["objective"] == "mrr"
    assert [(row["size"], row["overlap"], row["top_k"]) for row in document["rows"]] == [
        (20, 0, 2),
        (20, 10, 2),
    ]
    # top 2: owl [a, b] RR 1/2, crane [d, c] RR 1, swan [e, c] 0 -> MRR 1/2
    assert document["best"]["metrics"]["mrr"] == pytest.approx(0.5)
    assert document["best"]["metrics"]["recall_at_k"] == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_tune_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = rag(capsys, repo, "tune", "--size", "20", "--objective", "accuracy")
    assert code == 2
    assert (
        "objective must be one of hit_rate, recall_at_k, precision_at_k, mrr, ndcg_at_k, not 'accuracy'"
        in err
    )
    code, _, err = rag(capsys, repo, "tune", "--size", "20,big")
    assert code == 2 and "'20,big': a comma-separated list of numbers" in err
    suite = suite_yaml("    - {id: q-owl, vars: {question: owl}}\n")
    (repo / "evals/birds.yaml").write_text(suite, encoding="utf-8")
    code, _, err = rag(capsys, repo, "tune", "--size", "20")
    assert code == 2 and "rag tune needs cases with expected_chunks in a suite targeting birds" in err


# --- drift between two git refs ------


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def git_repo(root: Path, thresholds: str) -> Path:
    pipeline = PIPELINE + f"  drift: {{thresholds: {thresholds}}}\n"
    make_repo(root, **{"rag/birds.yaml": pipeline, ".gitignore": ".llmops/\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v1")
    git(root, "tag", "v1")
    # head: a new owl document outranks b for "owl"; crane and swan keep their top 3
    write_files(root, {"corpus/f.txt": "owl owl owl owl\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v2")
    git(root, "tag", "v2")
    return root


def test_corpus_drift_between_two_refs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = git_repo(tmp_path / "g", "{term_jsd: 0.5, topk_changed_fraction: 0.5}")
    code, out, err = rag(capsys, root, "drift", "v1", "v2", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["pipeline"], report["mode"], report["base"], report["head"]) == (
        "birds",
        "corpus",
        "v1",
        "v2",
    )
    assert report["sizes"] == {
        "base_documents": 5,
        "base_chunks": 5,
        "head_documents": 6,
        "head_chunks": 6,
        "queries": 3,
    }
    measures = {m["name"]: m for m in report["measures"]}
    # terms v1: owl 5, swan 4, crane 3 (12); v2 adds owl 4: owl 9, swan 4, crane 3 (16) -> nothing new
    assert measures["vocabulary_new_fraction"]["value"] == 0.0
    p, q = [5 / 12, 4 / 12, 3 / 12], [9 / 16, 4 / 16, 3 / 16]
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    jsd = sum(
        0.5 * a * math.log2(a / c) + 0.5 * b * math.log2(b / c) for a, b, c in zip(p, q, m, strict=True)
    )
    assert measures["term_jsd"]["value"] == pytest.approx(jsd) and measures["term_jsd"]["ok"] is True
    # owl: {a, b, c} -> {f, a, b}, Jaccard 2/4; crane and swan unchanged -> changed 1/3, mean (0.5+1+1)/3
    assert measures["topk_changed_fraction"]["value"] == pytest.approx(1 / 3)
    assert measures["topk_changed_fraction"]["ok"] is True
    assert (
        measures["topk_mean_jaccard"]["value"] == pytest.approx(2.5 / 3)
        and measures["topk_mean_jaccard"]["ok"] is None
    )
    assert 0 < measures["centroid_shift"]["value"] < 1
    assert report["changed_queries"] == ["owl"] and report["verdict"] == "pass"


def test_corpus_drift_verdict_follows_the_thresholds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_repo(tmp_path / "g", "{term_jsd: 0.001, topk_mean_jaccard: 0.9}")
    code, out, err = rag(capsys, root, "drift", "v1", "v2")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == (
        "birds: corpus drift v1 -> v2 (base documents 5, base chunks 5, head documents 6, head chunks 6, "
        "queries 3)"
    )
    assert re.search(r"^  FAIL term_jsd +\d\.\d{4}  \(max 0\.001\)$", out, re.MULTILINE)
    assert re.search(r"^  FAIL topk_mean_jaccard +0\.8333  \(min 0\.9\)$", out, re.MULTILINE)
    assert re.search(r"^       vocabulary_new_fraction +0\.0000$", out, re.MULTILINE)  # no limit
    assert "  top-k changed: owl" in lines and lines[-1] == "verdict: fail"
    code, out, _ = rag(capsys, root, "drift", "v1", "v1")
    assert code == 0 and out.splitlines()[-1] == "verdict: pass"
    assert re.search(r"^  pass term_jsd +0\.0000  \(max 0\.001\)$", out, re.MULTILINE)


def test_corpus_drift_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = git_repo(tmp_path / "g", "{term_jsd: 0.5}")
    code, _, err = rag(capsys, root, "drift", "v1", "nope")
    assert code == 2 and "cannot read corpus at 'nope'" in err and "Traceback" not in err
    code, _, err = rag(capsys, root, "drift", "v1", "v2", "--pipeline", "bird")
    assert code == 2 and "did you mean 'birds'?" in err
    plain = make_repo(tmp_path / "plain")
    code, _, err = rag(capsys, plain, "drift", "v1", "v2")
    assert code == 2 and "is not inside a git repository: give two query logs instead" in err


# --- drift between two audit logs ------


def audit_record(question: str, chunk_ids: list[str] | None, number: int) -> dict[str, Any]:
    """A runtime audit record (schemas/audit-record.schema.json) of one call to the answer prompt."""
    return {
        "schema_version": 1,
        "id": f"{number:032x}",
        "time": "2026-01-31T09:15:02.123Z",
        "artifact": "answer@1.0.0",
        "prompt": "answer",
        "version": "1.0.0",
        "digest": "sha256:0123456789ab",
        "env": "prod",
        "source": "git",
        "outcome": "ok",
        "blocked": None,
        "model": "local/echo",
        "fallback": False,
        "models_tried": ["local/echo"],
        "cache_hit": False,
        "tokens": {"input": 20, "output": 5},
        "cost_usd": 0.0,
        "latency_ms": 3.5,
        "guardrails": {},
        "rag": None if chunk_ids is None else {"chunk_ids": chunk_ids, "dropped_chunk_ids": []},
        "input": [
            {"role": "system", "content": "Answer from the context only."},
            {"role": "user", "content": f"<question>{question}</question>\n[a.txt#0] owl owl owl"},
        ],
        "output": "owl owl owl [a.txt#0]",
        "errors": [],
    }


def write_log(path: Path, records: list[dict[str, Any]]) -> Path:
    schema = json.loads((ROOT / "schemas/audit-record.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    for record in records:
        assert not list(validator.iter_errors(record)), list(validator.iter_errors(record))[:1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_query_drift_between_two_audit_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = (
        PIPELINE + "  drift: {thresholds: {term_jsd: 0.7, topk_mean_jaccard: 0.6, query_length_shift: 0.6}}\n"
    )
    root = make_repo(tmp_path / "repo", **{"rag/birds.yaml": pipeline})
    base = write_log(
        tmp_path / "base/audit-2026-01.jsonl",
        [audit_record("owl", ["a.txt#0", "b.txt#0", "c.txt#0"], 1), audit_record("crane", ["d.txt#0"], 2)],
    )
    head = write_log(
        tmp_path / "head/audit-2026-02.jsonl",
        [audit_record("owl", ["a.txt#0", "b.txt#0", "d.txt#0"], 3), audit_record("heron wading", None, 4)],
    )
    code, out, err = rag(capsys, root, "drift", str(base), str(head), "--format", "json")
    report = json.loads(out)
    assert code == 1, err
    assert report["mode"] == "queries" and report["sizes"] == {"base_queries": 2, "head_queries": 2}
    values = {m["name"]: m["value"] for m in report["measures"]}
    verdicts = {m["name"]: m["ok"] for m in report["measures"]}
    # terms: base {owl 1, crane 1}; head {owl 1, heron 1, wad 1} ("wading" stems to "wad")
    # M = {owl 5/12, crane 1/4, heron 1/6, wad 1/6}
    kl_p = 0.5 * math.log2(0.5 / (5 / 12)) + 0.5 * math.log2(0.5 / 0.25)
    kl_q = (1 / 3) * math.log2((1 / 3) / (5 / 12)) + 2 * (1 / 3) * math.log2((1 / 3) / (1 / 6))
    assert values["term_jsd"] == pytest.approx((kl_p + kl_q) / 2)  # 0.5954
    assert values["vocabulary_new_fraction"] == pytest.approx(2 / 3)
    assert values["query_length_shift"] == pytest.approx((1.5 - 1) / 1)  # mean words 1 -> 1.5
    # only "owl" is in both logs with chunk ids: {a, b, c} vs {a, b, d} -> Jaccard 2/4, changed 1/1
    assert values["topk_mean_jaccard"] == pytest.approx(0.5) and values["topk_changed_fraction"] == 1.0
    assert verdicts == {
        "term_jsd": True,
        "vocabulary_new_fraction": None,
        "query_length_shift": True,
        "centroid_shift": None,
        "topk_changed_fraction": None,
        "topk_mean_jaccard": False,  # a minimum: 0.5 < 0.6
    }
    assert report["changed_queries"] == ["owl"] and report["verdict"] == "fail"
    # the directories are read too (audit-*.jsonl), and the same log against itself does not drift
    code, out, _ = rag(capsys, root, "drift", str(base.parent), str(base.parent))
    assert code == 0 and out.splitlines()[-1] == "verdict: pass"


def test_query_drift_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    good = write_log(tmp_path / "good/audit-1.jsonl", [audit_record("owl", None, 1)])
    broken = tmp_path / "broken/audit-1.jsonl"
    broken.parent.mkdir()
    broken.write_text('{"input": []}\n{not json\n{"input": []}\n', encoding="utf-8")
    code, _, err = rag(capsys, root, "drift", str(good), str(broken))
    assert code == 2 and f"{broken}:2: not a JSON audit record" in err and "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = rag(capsys, root, "drift", str(good), str(empty))
    assert code == 1 and f"{empty}: no audit-*.jsonl files" in err
    quiet = write_log(tmp_path / "quiet/audit-1.jsonl", [])
    code, _, err = rag(capsys, root, "drift", str(good), str(quiet))
    assert code == 1 and "no queries in the audit log" in err
    typo = tmp_path / "good/audit-2.jsonl"  # one log and a mistyped one: not taken for two git refs
    code, _, err = rag(capsys, root, "drift", str(good), str(typo))
    assert code == 2 and f"{typo}: no such audit log" in err and "Traceback" not in err


def test_query_drift_judges_the_length_shift_either_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = PIPELINE + "  drift: {thresholds: {query_length_shift: 0.4}}\n"
    root = make_repo(tmp_path / "repo", **{"rag/birds.yaml": pipeline})
    base = write_log(
        tmp_path / "a/audit-1.jsonl",
        [audit_record("owl swan", None, 1), audit_record("crane heron", None, 2)],
    )
    head = tmp_path / "b/audit-1.jsonl"
    write_log(head, [audit_record("owl", None, 3), audit_record("crane", None, 4)])
    with head.open("a", encoding="utf-8") as log:
        log.write('{"schema_version": 1, "input": [{"role": "user", "con')  # a write cut by a crash
    code, out, err = rag(capsys, root, "drift", str(base), str(head), "--format", "json")
    assert code == 1, err
    (shift,) = [m for m in json.loads(out)["measures"] if m["name"] == "query_length_shift"]
    # mean words 2 -> 1: (1 - 2) / 2 = -0.5, shown signed, judged as |-0.5| > 0.4
    assert (shift["value"], shift["limit"], shift["ok"]) == (-0.5, 0.4, False)
    assert json.loads(out)["sizes"] == {"base_queries": 2, "head_queries": 2}  # the cut line is skipped


def test_build_without_any_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_files(tmp_path, {"llmops.yaml": LOCAL_PROJECT})
    code, _, err = rag(capsys, root, "build")
    assert code == 2 and "no RagPipeline artifacts in this project" in err
    code, _, err = rag(capsys, root, "query", "owl")
    assert code == 2 and "name the RagPipeline (RagPipeline artifacts here: none)" in err


def test_eval_reads_the_cases_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = suite_yaml(
        "    - {id: q-owl, vars: {question: owl}, expected_chunks: [b.txt#0]}\n",
        extra="  cases_file: cases/birds.jsonl\n",
    )
    cases = (
        '{"id": "q-crane", "vars": {"question": "crane"}, "expected_chunks": ["c.txt", "d.txt", "a.txt"]}\n'
        '{"id": "q-swan", "vars": {"question": "swan"}, "expected_chunks": ["a.txt"]}\n'
    )
    root = make_repo(tmp_path, **{"evals/birds.yaml": suite, "evals/cases/birds.jsonl": cases})
    code, out, err = rag(capsys, root, "eval", "--format", "json")
    assert code == 0, err
    metrics = json.loads(out)["suites"][0]["metrics"]
    assert {name: metrics[name] for name in HAND_MEANS} == pytest.approx(HAND_MEANS)


# --- a dense pipeline over the local fake OpenAI server ------


@pytest.fixture
def dense(tmp_path: Path, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    embedding = (
        f'  embedding: {{model: openai/text-embedding-3-small, api_base: "{openai_server.base_url}"}}\n'
    )
    pipeline = PIPELINE + embedding + "  index: {type: hybrid}\n"
    return make_repo(tmp_path / "dense", **{"rag/birds.yaml": pipeline, ".gitignore": ".llmops/\n"})


def test_hybrid_build_and_query(
    dense: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = rag(capsys, dense, "build")
    assert code == 0, err
    assert re.match(
        r"birds: indexed 5 files \(5 parsed, the rest unchanged\), 5 documents, 5 chunks, "
        r"5 chunks embedded, hybrid, ",
        out,
    )
    assert openai_server.request_count > 0
    openai_server.reset()
    code, out, _ = rag(capsys, dense, "build")
    assert (code, out, openai_server.request_count) == (
        0,
        "birds: up to date (5 files, 5 chunks, hybrid)\n",
        0,
    )
    code, out, _ = rag(capsys, dense, "query", "crane", "--format", "json")
    chunks = json.loads(out)
    assert code == 0 and len(chunks) == 3  # fusion ranks every chunk; the ones naming crane first
    assert [chunk["id"] for chunk in chunks[:2]] == ["d.txt#0", "c.txt#0"] and chunks[0]["score"] <= 1.0
    assert openai_server.request_count == 1  # the question alone


def test_corpus_drift_of_a_dense_pipeline_embeds_the_chunks(
    dense: Path, openai_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    git(dense, "init", "-q", "-b", "main")
    git(dense, "config", "user.email", "dev@example.com")
    git(dense, "config", "user.name", "Dev")
    git(dense, "add", "-A")
    git(dense, "commit", "-q", "-m", "v1")
    code, out, err = rag(capsys, dense, "drift", "HEAD", "HEAD", "--format", "json")
    assert code == 0, err
    values = {m["name"]: m["value"] for m in json.loads(out)["measures"]}
    assert values["centroid_shift"] == pytest.approx(0.0, abs=1e-6) and values["topk_changed_fraction"] == 0.0
    assert openai_server.request_count > 0
    inputs = {text for request in openai_server.requests for text in request.body["input"]}
    assert "owl owl owl" in inputs  # each version's chunks were embedded by the pipeline's model
