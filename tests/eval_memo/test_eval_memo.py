"""A rerun that nothing changed is replayed from the last fully cached run (llmops_ci.eval.memo): the same
records and summary with this run's id and git sha, no planning, no request; any change it depends on
(files, directories, cache, invocation) runs it in full again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.cli import main
from tests.conftest import PROJECT, write_files
from tests.fakes.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[2]
MODEL = "openai/gpt-4o-mini-2024-07-18"
REPLAYED = "nothing changed since run"

PROMPT = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: classifier}
spec:
  model: {id: openai/gpt-4o-mini-2024-07-18, params: {temperature: 0, max_tokens: 20}}
  inputs: {type: object, required: [document], properties: {document: {type: string}}}
  messages:
    - {role: system, content: "Classify the document: invoice, contract or nda."}
    - {role: user, content: "{{ document }}"}
"""

CASES = "".join(
    json.dumps({"id": case, "vars": {"document": text}, "assert": [{"type": kind, "value": value}]}) + "\n"
    for case, text, kind, value in (
        ("inv-1", "INVOICE #1 total 10 EUR", "equals", "invoice"),
        ("con-1", "CONTRACT between A and B", "equals", "contract"),
        ("nda-1", "NDA: mutual", "contains", "nda"),
    )
)


def suite(api_base: str, name: str = "classifier-regression", extra: str = "") -> str:
    return f"""\
apiVersion: llmops-ci/v1
kind: EvalSuite
metadata: {{name: {name}}}
spec:
  target: {{prompt: classifier}}
  models: [{{id: {MODEL}, api_base: "{api_base}"}}]
  cases_file: cases/classifier.jsonl
{extra}"""


class Runs:
    """Runs ``eval`` in this process, each into its own results directory."""

    def __init__(self, repo: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.repo, self.out, self.capsys, self.count = repo, out, capsys, 0
        self.stdout = ""

    def __call__(self, *args: str) -> tuple[int, Path, str]:
        self.count += 1
        directory = self.out / f"run{self.count}"
        code = main(["eval", "--project", str(self.repo), "--output", str(directory), *args])
        captured = self.capsys.readouterr()
        self.stdout = captured.out
        return code, directory, captured.err


def records_of(directory: Path) -> list[dict[str, Any]]:
    lines = (directory / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in names}


def warm(runs: Runs, openai_server: OpenAIServer, *args: str) -> Path:
    """A first run (calls the model) and a second (served from the cache: leaves the memo)."""
    code, _, err = runs(*args)
    assert code == 0, err
    code, directory, err = runs(*args)
    assert code == 0 and REPLAYED not in err, err
    return directory


def test_an_unchanged_rerun_is_replayed_with_the_same_results(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    cached = warm(runs, openai_server)
    assert openai_server.request_count == 3
    code, replayed, err = runs()
    assert code == 0 and REPLAYED in err and "3 result(s)" in err
    assert openai_server.request_count == 3
    before, after = records_of(cached), records_of(replayed)
    assert [without(r, "run_id") for r in before] == [without(r, "run_id") for r in after]
    summary = json.loads((replayed / "summary.json").read_text(encoding="utf-8"))
    assert {r["run_id"] for r in after} == {summary["run_id"]} != {before[0]["run_id"]}
    assert summary["results_dir"] == str(replayed) and summary["model_calls"] == 0
    old = json.loads((cached / "summary.json").read_text(encoding="utf-8"))
    facts = ("run_id", "started_at", "finished_at", "results_dir")
    assert without(old, *facts) == without(summary, *facts) and list(old) == list(summary)
    schema = json.loads((ROOT / "schemas/results.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    for document in (*after, summary):
        assert not list(validator.iter_errors(document))


def test_a_replay_neither_plans_nor_loads_the_schemas(repo: Path, openai_server: OpenAIServer) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    probe = (
        "import sys; from llmops_ci.cli import main; code = main(sys.argv[1:]); "
        "print('LOADED', sorted(m for m in ('litellm', 'jsonschema', 'jinja2', 'llmops_ci.eval.plan') "
        "if m in sys.modules), file=sys.stderr); sys.exit(code)"
    )
    command = [sys.executable, "-c", probe, "eval", "--project", str(repo), "--format", "json"]
    outputs = [
        subprocess.run(command, capture_output=True, text=True, env=env, check=False) for _ in range(3)
    ]
    assert [o.returncode for o in outputs] == [0, 0, 0], outputs[-1].stderr
    assert REPLAYED in outputs[2].stderr and "LOADED []" in outputs[2].stderr
    assert json.loads(outputs[2].stdout)["passed"] is True and openai_server.request_count == 3


@pytest.mark.parametrize(
    ("change", "replayed"),
    [
        ("edit a cases file", False),
        ("rewrite a cases file with the same bytes", True),
        ("edit the prompt", False),
        ("edit llmops.yaml", False),
        ("add a suite", False),
        ("add a YAML file that is no artifact", False),
        ("add a subdirectory", False),
        ("add a text file", True),
        ("clear the cache", False),
        ("another --model", False),
        ("another suite selection", False),
        ("a damaged memo", False),
    ],
)
def test_what_a_replay_depends_on(
    runs: Runs, openai_server: OpenAIServer, repo: Path, change: str, replayed: bool
) -> None:
    warm(runs, openai_server)
    args: list[str] = []
    if change == "edit a cases file":
        path = repo / "evals/cases/classifier.jsonl"
        path.write_text(CASES.replace('"value": "nda"', '"value": "NDA"'), "utf-8")
    elif change == "rewrite a cases file with the same bytes":
        (repo / "evals/cases/classifier.jsonl").write_text(CASES, encoding="utf-8")
    elif change == "edit the prompt":
        (repo / "prompts/classifier.yaml").write_text(PROMPT.replace("nda.", "nda!"), encoding="utf-8")
    elif change == "edit llmops.yaml":
        (repo / "llmops.yaml").write_text(PROJECT.replace("spec: {}", "spec: {defaults: {}}"), "utf-8")
    elif change == "add a suite":
        (repo / "evals/second.yaml").write_text(suite(openai_server.base_url, "second"), "utf-8")
    elif change == "add a YAML file that is no artifact":
        (repo / "prompts/notes.yaml").write_text("just: data\n", encoding="utf-8")
    elif change == "add a subdirectory":
        (repo / "evals/more").mkdir()
    elif change == "add a text file":
        (repo / "prompts/README.md").write_text("# prompts\n", encoding="utf-8")
    elif change == "clear the cache":
        subprocess.run(["rm", "-rf", str(repo / ".llmops/cache")], check=True)
    elif change == "another --model":
        args = ["--model", "openai/gpt-4o-mini"]
    elif change == "another suite selection":
        args = ["classifier-regression"]
    elif change == "a damaged memo":
        for memo in (repo / ".llmops/memo").glob("*.jsonl"):
            memo.write_bytes(memo.read_bytes()[:-40])
    requests = openai_server.request_count
    code, directory, err = runs(*args)
    assert (REPLAYED in err) is replayed, err
    if change == "edit a cases file":
        assert code == 1 and [r["passed"] for r in records_of(directory)] == [True, True, False]
    elif change == "clear the cache":
        assert openai_server.request_count == requests + 3  # the calls are made again
    elif change == "add a suite":
        assert {r["suite"] for r in records_of(directory)} == {"classifier-regression", "second"}
    else:
        assert code == 0, err
    if change == "add a suite":
        # its requests were answered from the first suite's packs and copied into its own: a run that
        # changed the cache it read leaves no memo; the next one, reading only its own packs, does
        assert REPLAYED not in runs(*args)[2]
    if not replayed and openai_server.request_count == requests:
        assert REPLAYED in runs(*args)[2]  # that run left the memo for the next one


def test_a_refreshed_cache_is_not_replayed(runs: Runs, openai_server: OpenAIServer) -> None:
    warm(runs, openai_server)
    openai_server.reset()
    openai_server.reply(r".", "contract")
    assert runs("--record")[0] == 1  # the refreshed answers fail two cases
    code, directory, err = runs()
    assert REPLAYED not in err and code == 1
    assert [r["output"] for r in records_of(directory)] == ["contract"] * 3


def test_the_replayed_records_carry_this_commit(runs: Runs, openai_server: OpenAIServer, repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "llmops.yaml", "prompts", "evals"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    warm(runs, openai_server)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    code, directory, err = runs()
    assert code == 0 and REPLAYED in err
    assert {r["lineage"]["git_sha"] for r in records_of(directory)} == {head.strip()}
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert summary["git_sha"] == head.strip()


def test_python_assertions_are_never_replayed(runs: Runs, openai_server: OpenAIServer, repo: Path) -> None:
    (repo / "checks.py").write_text("def check(output, context):\n    return True\n", encoding="utf-8")
    extra = "  defaults:\n    assert: [{type: python, function: 'checks:check'}]\n"
    (repo / "evals/classifier.yaml").write_text(suite(openai_server.base_url, extra=extra), "utf-8")
    sys.modules.pop("checks", None)
    try:
        warm(runs, openai_server)
        code, _, err = runs()
    finally:
        sys.modules.pop("checks", None)
    assert code == 0 and REPLAYED not in err
    assert not list((repo / ".llmops/memo").glob("*.jsonl"))


def test_a_terms_file_change_is_seen(runs: Runs, openai_server: OpenAIServer, repo: Path) -> None:
    policy = """\
apiVersion: llmops-ci/v1
kind: GuardrailPolicy
metadata: {name: words}
spec:
  checks:
    - {id: banned, type: denylist, scopes: {output: block}, terms_file: banned.txt}
"""
    write_files(repo, {"guardrails/words.yaml": policy, "guardrails/banned.txt": "forbidden\n"})
    extra = "  guardrails: [words]\n"
    (repo / "evals/classifier.yaml").write_text(suite(openai_server.base_url, extra=extra), "utf-8")
    warm(runs, openai_server)
    assert REPLAYED in runs()[2]
    (repo / "guardrails/banned.txt").write_text("invoice\n", encoding="utf-8")
    code, directory, err = runs()
    assert REPLAYED not in err and code == 1
    assert records_of(directory)[0]["blocked"] == "output"


def test_replay_writes_junit_and_the_report_and_keeps_runs_apart(
    runs: Runs, openai_server: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warm(runs, openai_server)
    report = tmp_path / "report.md"
    code, directory, err = runs("--format", "junit", "--report", str(report))
    assert code == 0 and REPLAYED in err
    assert runs.stdout.startswith("<?xml") and 'tests="3"' in runs.stdout
    assert "classifier-regression" in report.read_text(encoding="utf-8")
    again = main(["eval", "--project", str(runs.repo), "--output", str(directory)])
    assert again == 2 and "already holds a run" in capsys.readouterr().err


def test_a_memo_damaged_inside_its_records_runs_in_full(
    runs: Runs, openai_server: OpenAIServer, repo: Path
) -> None:
    cached = warm(runs, openai_server)
    (memo,) = (repo / ".llmops/memo").glob("*.jsonl")
    lines = memo.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"@@llmops-ci:run_id@@", b"someone-else")  # the second record's run id
    memo.write_bytes(b"\n".join(lines))
    code, directory, err = runs()
    assert code == 0 and REPLAYED not in err
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert {r["run_id"] for r in records_of(directory)} == {summary["run_id"]}
    assert [without(r, "run_id") for r in records_of(directory)] == [
        without(r, "run_id") for r in records_of(cached)
    ]
    assert REPLAYED in runs()[2]  # the full run left a sound memo again


def rag_repo(root: Path) -> Path:
    """A BM25 RagPipeline over a five-file corpus, answered by the built-in extractive-qa baseline."""
    from tests.test_rag_eval import CORPUS, PIPELINE, suite_yaml

    prompt = """\
apiVersion: llmops-ci/v1
kind: Prompt
metadata: {name: answer}
spec:
  model: {id: local/extractive-qa}
  inputs: {type: object, required: [question], properties: {question: {type: string}}}
  messages:
    - {role: system, content: "Answer from the context only."}
    - {role: user, content: "Question: {{ question }}\\n\\nContext:\\n{{ context }}"}
"""
    files: dict[str, str | bytes] = {
        "llmops.yaml": PROJECT,
        "prompts/answer.yaml": prompt,
        "rag/birds.yaml": PIPELINE,
        "evals/birds.yaml": suite_yaml(),
        **CORPUS,
    }
    return write_files(root, files)


@pytest.mark.parametrize(
    ("change", "replayed"),
    [
        ("nothing", True),
        ("edit a corpus document", False),
        ("add a corpus document", False),
        ("add a corpus subdirectory", False),
        ("add a hidden file to the corpus", True),
    ],
)
def test_a_rag_suite_is_replayed_until_its_corpus_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, replayed: bool
) -> None:
    repo = rag_repo(tmp_path / "repo")
    runs = Runs(repo, tmp_path / "out", capsys)
    for _ in range(2):
        _, directory, err = runs()
        assert REPLAYED not in err, err
    before = {r["case"]: r for r in records_of(directory)}
    if change == "edit a corpus document":
        (repo / "corpus/e.txt").write_text("swan swan\n", encoding="utf-8")
    elif change == "add a corpus document":
        (repo / "corpus/f.txt").write_text("owl owl owl owl\n", encoding="utf-8")
    elif change == "add a corpus subdirectory":
        (repo / "corpus/more").mkdir()
        (repo / "corpus/more/g.txt").write_text("owl\n", encoding="utf-8")
    elif change == "add a hidden file to the corpus":
        (repo / "corpus/.notes.txt").write_text("owl owl owl owl owl\n", encoding="utf-8")
    _, directory, err = runs()
    assert (REPLAYED in err) is replayed, err
    after = {r["case"]: r for r in records_of(directory)}
    chunks = {case: [c["id"] for c in r["retrieval"]["chunks"]] for case, r in after.items()}
    if change == "add a corpus document":
        assert chunks["q-owl"][0] == "f.txt#0"  # the new document ranks first
    elif change == "add a corpus subdirectory":
        assert "more/g.txt#0" in chunks["q-owl"]
    elif change == "edit a corpus document":
        assert after["q-swan"]["target"]["index"] != before["q-swan"]["target"]["index"]
    else:
        assert chunks == {case: [c["id"] for c in r["retrieval"]["chunks"]] for case, r in before.items()}
