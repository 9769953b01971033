"""`llmops-ci eval` of a suite that targets a RagPipeline, end to end and offline: BM25 retrieval (no
embedding server at all) in front of an in-process ``local/`` answer model; retrieval metrics in the records
and the summary checked against values worked out by hand, thresholds, cache, and the user errors."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from tests.conftest import PROJECT, write_files

ROOT = Path(__file__).resolve().parent.parent


class ContextEcho:
    """The answer model: repeats the first retrieved chunk (``[id] text``) of the prompt, citing it."""

    calls: ClassVar[int] = 0

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        ContextEcho.calls += 1
        found = re.search(r"\[(\S+)\] ([^\n]+)", messages[-1]["content"])
        return f"{found.group(2)} [{found.group(1)}]" if found else "I do not know."


LOCAL_PROJECT = PROJECT.replace(
    "spec: {}", 'spec:\n  providers: {local: {echo: "tests.test_rag_eval:ContextEcho"}}'
)

ANSWER_PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: answer}
spec:
  model: {id: local/echo}
  inputs: {type: object, required: [question], properties: {question: {type: string}}}
  messages:
    - {role: system, content: "Answer from the context only."}
    - {role: user, content: "<question>{{ question }}</question>\\n{{ context }}"}
"""

PIPELINE = """\
apiVersion: llmops-ci/v1
kind: RagPipeline
metadata: {name: birds}
spec:
  corpus: {path: ../corpus}
  chunking: {strategy: paragraph, size: 50, unit: words}
  retrieval: {top_k: 3}
  answer: {prompt: answer}
"""

# One chunk per file. BM25 (k1=1.5, b=0.75, avgdl = (3+2+4+2+1)/5 = 2.4), score per term idf * tf /
# (tf + 1.5*(0.25 + 0.75*dl/2.4)); a single-term question ranks by the tf part:
#   "owl":   a (tf 3, dl 3) 0.627 > b (tf 1, dl 2) 0.432 > c (tf 1, dl 4) 0.308       -> [a, b, c]
#   "crane": d (tf 2, dl 2) 0.604 > c (tf 1, dl 4) 0.308                              -> [d, c]
#   "swan":  e (tf 1, dl 1) 0.542 > c (tf 2, dl 4) 0.471 > b (tf 1, dl 2) 0.432       -> [e, c, b]
CORPUS = {
    "corpus/a.txt": "owl owl owl\n",
    "corpus/b.txt": "owl swan\n",
    "corpus/c.txt": "owl swan swan crane\n",
    "corpus/d.txt": "crane crane\n",
    "corpus/e.txt": "swan\n",
}

# k = 3. Expected ids are chunk ids ("b.txt#0") or document ids ("c.txt").
# q-owl   expected {b.txt#0}: ranked [a, b#0, c]: hit 1, recall 1/1, P@3 1/3, RR 1/2,
#         nDCG = (1/log2 3) / (1/log2 2) = 0.63093
# q-crane expected {c, d, a}: ranked [d, c]: hit 1, recall 2/3, P@3 2/3, RR 1,
#         nDCG = (1 + 1/log2 3) / (1 + 1/log2 3 + 1/log2 4) = 1.63093 / 2.13093 = 0.76536
# q-swan  expected {a}: ranked [e, c, b]: everything 0
SUITE_CASES = """\
    - {id: q-owl, vars: {question: owl}, expected_chunks: [b.txt#0], assert: [{type: contains, value: owl}]}
    - {id: q-crane, vars: {question: crane}, expected_chunks: [c.txt, d.txt, a.txt]}
    - {id: q-swan, vars: {question: swan}, expected_chunks: [a.txt]}
"""
NDCG_OWL = (1 / math.log2(3)) / 1
NDCG_CRANE = (1 + 1 / math.log2(3)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
HAND_MEANS = {
    "hit_rate": (1 + 1 + 0) / 3,
    "recall_at_k": (1 + 2 / 3 + 0) / 3,  # 5/9
    "precision_at_k": (1 / 3 + 2 / 3 + 0) / 3,  # 1/3
    "mrr": (1 / 2 + 1 + 0) / 3,  # 1/2
    "ndcg_at_k": (NDCG_OWL + NDCG_CRANE + 0) / 3,  # 0.46543
}


def suite_yaml(cases: str = SUITE_CASES, *, target: str = "{rag: birds}", extra: str = "") -> str:
    return (
        "apiVersion: llmops-ci/v1\nkind: EvalSuite\nmetadata: {name: birds-qa}\nspec:\n"
        f"  target: {target}\n{extra}  cases:\n{cases}"
    )


def make_repo(root: Path, **overrides: str) -> Path:
    files: dict[str, str | bytes] = {
        "llmops.yaml": LOCAL_PROJECT,
        "prompts/answer.yaml": ANSWER_PROMPT,
        "rag/birds.yaml": PIPELINE,
        "evals/birds.yaml": suite_yaml(),
        **CORPUS,
    }
    files.update(overrides)
    return write_files(root, files)


def run_eval(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", "--project", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def records_of(directory: Path) -> dict[str, dict[str, Any]]:
    lines = (directory / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["case"]: record for record in map(json.loads, lines)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def test_rag_records_carry_the_retrieval_and_lineage(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    code, out, err = run_eval(repo, capsys, "--output", str(out_dir))
    assert code == 0, out + err
    records = records_of(out_dir)
    owl = records["q-owl"]
    assert owl["target"]["kind"] == "RagPipeline" and owl["target"]["name"] == "birds"
    assert owl["target"]["digest"].startswith("sha256:")
    retrieval = owl["retrieval"]
    assert (retrieval["pipeline"], retrieval["query"], retrieval["top_k"]) == ("birds", "owl", 3)
    assert [chunk["id"] for chunk in retrieval["chunks"]] == ["a.txt#0", "b.txt#0", "c.txt#0"]
    assert [chunk["rank"] for chunk in retrieval["chunks"]] == [1, 2, 3]
    scores = [chunk["score"] for chunk in retrieval["chunks"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert retrieval["chunks"][0]["text"] == "owl owl owl" and retrieval["expected"] == ["b.txt#0"]
    assert retrieval["metrics"]["mrr"] == pytest.approx(0.5)
    assert retrieval["metrics"]["ndcg_at_k"] == pytest.approx(NDCG_OWL)
    assert retrieval["metrics"]["context_relevance"] == pytest.approx(1.0)  # "owl" is in every chunk
    assert owl["lineage"]["chunk_ids"] == ["a.txt#0", "b.txt#0", "c.txt#0"]
    # the answer model saw the chunks rendered into the prompt and echoed the first one with its citation
    assert owl["output"] == "owl owl owl [a.txt#0]" and owl["passed"] is True
    assert retrieval["metrics"]["groundedness"] == pytest.approx(1.0)  # the citation is not a claim
    # the answer's one content term, owl, is in all three chunks: each supports it
    assert retrieval["metrics"]["chunk_utilization"] == pytest.approx(1.0)
    assert records["q-crane"]["lineage"]["chunk_ids"] == ["d.txt#0", "c.txt#0"]  # only 2 share a term


def test_summary_retrieval_metrics_match_the_hand_computed_means(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    code, out, err = run_eval(repo, capsys, "--output", str(out_dir), "--format", "json")
    assert code == 0, out + err
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    metrics = summary["suites"][0]["metrics"]
    for name, value in HAND_MEANS.items():
        assert metrics[name] == pytest.approx(value, abs=1e-6), name
    assert metrics["recall_at_k"] == pytest.approx(5 / 9) and metrics["ndcg_at_k"] == pytest.approx(
        0.46543, 1e-4
    )
    assert json.loads(out)["suites"][0]["metrics"]["mrr"] == pytest.approx(0.5)


def test_results_validate_against_the_schema(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    assert run_eval(repo, capsys, "--output", str(out_dir))[0] == 0
    schema = json.loads((ROOT / "schemas/results.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    lines = (out_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()
    documents = [*map(json.loads, lines), json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))]
    for document in documents:
        errors = list(validator.iter_errors(document))
        assert not errors, errors[:2]


@pytest.mark.parametrize(
    ("thresholds", "code"),
    [
        ("{mrr: {min: 0.5}, hit_rate: {min: 0.66}, recall_at_k: {min: 0.55}}", 0),  # 0.5, 2/3, 5/9
        ("{hit_rate: {min: 0.7}}", 1),
        ("{ndcg_at_k: {min: 0.47}}", 1),  # 0.46543
        ("{precision_at_k: {max: 0.3}}", 1),  # 1/3
    ],
)
def test_retrieval_thresholds_gate_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], thresholds: str, code: int
) -> None:
    root = make_repo(tmp_path, **{"evals/birds.yaml": suite_yaml(extra=f"  thresholds: {thresholds}\n")})
    found, out, err = run_eval(root, capsys, "--format", "json")
    assert found == code, out + err
    assert json.loads(out)["passed"] is (code == 0)


def test_a_cached_rerun_makes_no_model_call(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = ContextEcho.calls
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    assert code == 0 and json.loads(out)["model_calls"] == 3 and ContextEcho.calls == before + 3
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    assert code == 0 and json.loads(out)["model_calls"] == 0 and ContextEcho.calls == before + 3
    # a changed chunk changes the rendered prompt: that case alone is asked again
    (repo / "corpus/e.txt").write_text("swan swan\n", encoding="utf-8")
    code, out, _ = run_eval(repo, capsys, "--format", "json")
    assert code == 0 and json.loads(out)["model_calls"] == 1 and ContextEcho.calls == before + 4


def test_a_case_without_the_question_names_file_line_and_var(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = SUITE_CASES + "    - {id: no-question, vars: {topic: owls}}\n"
    root = make_repo(tmp_path, **{"evals/birds.yaml": suite_yaml(cases)})
    before = ContextEcho.calls
    code, _, err = run_eval(root, capsys)
    assert code != 0 and "Traceback" not in err
    assert re.search(
        r"evals/birds\.yaml:10:\d+: case 'no-question': needs the question in var 'question'", err
    )
    assert ContextEcho.calls == before  # a planning problem: no case runs


def test_a_custom_query_var_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = PIPELINE.replace("answer: {prompt: answer}", "answer: {prompt: answer, query_var: ask}")
    cases = "    - {id: q-owl, vars: {ask: owl, question: owl}, expected_chunks: [a.txt]}\n"
    root = make_repo(tmp_path, **{"rag/birds.yaml": pipeline, "evals/birds.yaml": suite_yaml(cases)})
    code, out, err = run_eval(root, capsys, "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["suites"][0]["metrics"]["mrr"] == 1.0


def test_a_pipeline_without_an_answer_prompt_points_to_rag_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = PIPELINE.replace("  answer: {prompt: answer}\n", "")
    root = make_repo(tmp_path, **{"rag/birds.yaml": pipeline})
    code, _, err = run_eval(root, capsys)
    assert code != 0 and "Traceback" not in err
    assert re.search(r"evals/birds\.yaml:\d+:\d+: .*has no answer prompt", err)
    assert "llmops-ci rag eval birds" in err


def test_a_missing_pipeline_suggests_the_near_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path, **{"evals/birds.yaml": suite_yaml(target="{rag: bird}")})
    code, _, err = run_eval(root, capsys)
    assert code != 0 and "Traceback" not in err
    assert re.search(r"evals/birds\.yaml:5:\d+: .*no RagPipeline named 'bird'", err)
    assert "birds" in err.split("no RagPipeline named 'bird'")[1]  # did you mean 'birds'?


def test_a_broken_corpus_is_a_file_line_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, **{"corpus/faq.jsonl": '{"id": 1, "text": "owl facts"}\n{"id": 2, "text": \n'})
    code, out, err = run_eval(root, capsys)
    assert code != 0 and "Traceback" not in err + out
    assert re.search(r"faq\.jsonl:2: not valid JSON", err)


def test_the_offline_default_needs_no_key_and_no_server(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # any request to the network would fail
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    code, out, err = run_eval(repo, capsys, "--format", "json", "--no-cache")
    assert code == 0, out + err
    assert json.loads(out)["suites"][0]["metrics"]["hit_rate"] == pytest.approx(2 / 3)


def test_suites_sharing_a_pipeline_open_its_index_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_ci.rag import retrieve

    second = suite_yaml().replace("metadata: {name: birds-qa}", "metadata: {name: birds-again}")
    root = make_repo(tmp_path / "repo", **{"evals/again.yaml": second})
    opened: list[str] = []
    real = retrieve.open_retriever

    def counting(config: Any, project_root: Path, **options: Any) -> Any:
        opened.append(config.name)
        return real(config, project_root, **options)

    monkeypatch.setattr(retrieve, "open_retriever", counting)
    _, out, err = run_eval(root, capsys, "--output", str(tmp_path / "run"))
    assert "birds-again" in out and "birds-qa" in out, out + err
    assert opened == ["birds"]
