"""Local models configured in llmops.yaml (short and long form, built-in baselines) and the baselines run
end to end through `llmops-ci eval` and litellm's CustomLLM, in process, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.cli import main
from llmops_ci.providers import local
from tests.conftest import lint_repo, write_files


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "LOCAL_MODELS", {})
    monkeypatch.setattr(local, "_ENTRIES", {})
    monkeypatch.setattr(local, "_INSTANCES", {})


PROJECT = """\
apiVersion: llmops-ci/v1
kind: Project
metadata: {name: baselines}
spec:
  providers:
    local:
      doc-classifier:
        use: knn-classifier
        options: {train: data/train.jsonl, k: 3}
      field-extractor: {use: pattern-extractor, options: {fields: baseline/fields.yaml}}
      summarizer: {use: extractive-summarizer, options: {sentences: 1, lead: 0}}
"""

TRAIN = "".join(
    json.dumps({"text": text, "label": label}) + "\n"
    for text, label in [
        ("Invoice number 17, total amount due 100 EUR", "invoice"),
        ("Invoice for services, amount due within 30 days", "invoice"),
        ("This agreement may be terminated by either party", "contract"),
        ("Confidential information shall not be disclosed", "nda"),
    ]
)

FIELDS = r"""
fields:
  invoice_number: {type: string, patterns: ['invoice\s+(?:no\.?|number)\s*:?\s*([A-Z0-9-]+)']}
  total: {type: amount, patterns: ['total\D{0,12}(\d[\d.,]*)']}
  confidentiality: {type: presence, patterns: ['\bconfidential']}
"""


def prompt(name: str, model: str, inputs: list[str], user: str) -> str:
    properties = ", ".join(f"{item}: {{type: string}}" for item in inputs)
    return (
        f"apiVersion: llmops-ci/v1\nkind: Prompt\nmetadata: {{name: {name}}}\nspec:\n"
        f"  model: {{id: {model}}}\n"
        f"  inputs: {{type: object, required: [{', '.join(inputs)}], properties: {{{properties}}}}}\n"
        f"  messages:\n    - {{role: system, content: Answer from the document.}}\n"
        f"    - {{role: user, content: {json.dumps(user)}}}\n"
    )


def suite(name: str, target: str, cases: str) -> str:
    return (
        f"apiVersion: llmops-ci/v1\nkind: EvalSuite\nmetadata: {{name: {name}}}\nspec:\n"
        f"  target: {{prompt: {target}}}\n  cases:\n{cases}"
    )


DOC = "<document>\n{{ document }}\n</document>"
CASES = {
    "classification": """\
    - {id: inv, vars: {document: "INVOICE 4 - amount due 20 EUR"}, assert: [{type: equals, value: invoice}]}
    - {id: nda, vars: {document: "Keep this information confidential"}, assert: [{type: equals, value: nda}]}
""",
    "extraction": """\
    - id: inv
      vars: {document: "Invoice no: A-12. Total: 1.250,00 EUR"}
      assert:
        - {type: is-json}
        - {type: equals, value: {invoice_number: A-12, total: 1250, confidentiality: false}}
""",
    "qa": """\
    - id: rate
      vars:
        question: What is the hourly rate?
        context: "[a#0] The hourly rate is 90 EUR.\\n\\n[b#1] Pay soon."
      assert: [{type: equals, value: "The hourly rate is 90 EUR. [a#0]"}]
""",
    "summary": """\
    - id: s
      vars:
        document: >-
          Acme sells anvils to Wile every week. Acme ships the anvils to Wile by rail.
          Rail freight is cheap in the desert.
      assert: [{type: equals, value: Acme ships the anvils to Wile by rail.}]
""",
}


def baseline_repo(root: Path, project: str = PROJECT) -> Path:
    qa_user = "<question>{{ question }}</question>\n<context>\n{{ context }}\n</context>"
    return write_files(
        root,
        {
            "llmops.yaml": project,
            "data/train.jsonl": TRAIN,
            "baseline/fields.yaml": FIELDS,
            "prompts/classify.yaml": prompt("classify", "local/doc-classifier", ["document"], DOC),
            "prompts/extract.yaml": prompt("extract", "local/field-extractor", ["document"], DOC),
            "prompts/qa.yaml": prompt("qa", "local/extractive-qa", ["question", "context"], qa_user),
            "prompts/summary.yaml": prompt("summary", "local/summarizer", ["document"], DOC),
            "evals/classification.yaml": suite("classification", "classify", CASES["classification"]),
            "evals/extraction.yaml": suite("extraction", "extract", CASES["extraction"]),
            "evals/qa.yaml": suite("qa", "qa", CASES["qa"]),
            "evals/summary.yaml": suite("summary", "summary", CASES["summary"]),
        },
    )


def run_eval(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", "--project", str(repo), "--no-cache", "--max-retries", "0", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_baseline_runs_through_litellm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = baseline_repo(tmp_path / "repo")
    monkeypatch.chdir(
        tmp_path
    )  # relative option paths resolve against llmops.yaml, not the working directory
    code, out, err = run_eval(repo, capsys, "--format", "json")
    assert code == 0, out + err
    groups = {group["suite"]: group for group in json.loads(out)["suites"]}
    assert set(groups) == {"classification", "extraction", "qa", "summary"}
    for group in groups.values():
        assert group["metrics"]["pass_rate"] == 1.0, group
        assert group["metrics"]["cost_usd_total"] == 0.0
    assert groups["qa"]["model"] == "local/extractive-qa"  # a built-in answers without an llmops.yaml entry
    assert lint_repo(repo) == []  # the long form passes the Project schema


def test_a_missing_training_file_stops_eval_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = baseline_repo(tmp_path / "repo", PROJECT.replace("data/train.jsonl", "data/none.jsonl"))
    code, out, err = run_eval(repo, capsys)
    assert code == 2 and out == ""
    assert (
        "llmops.yaml:7:7: local model 'doc-classifier': knn-classifier: option 'train': file data/none.jsonl"
        in err
    )
    assert str(repo / "data/none.jsonl") in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{use: knn-clasifier}",
            r"'knn-clasifier' is neither a built-in baseline \(did you mean 'knn-classifier'\?\)",
        ),
        (
            "{use: extractive-qa, options: {cite: maybe}}",
            r"option 'cite' = 'maybe' is not valid: true or false",
        ),
        (
            "{use: extractive-qa, options: {colour: red}}",
            r"unknown option\(s\) 'colour'; known: answer_types, cite, no_answer",
        ),
        ("{use: 'tests.local_models:Nope'}", r"cannot load tests.local_models:Nope"),
        (
            "{use: 'tests.local_models:KeywordClassifier'}",
            r"KeywordClassifier\(options, base_dir\) failed: TypeError",
        ),
        ("knn-classifier", r"option 'train' is required"),
    ],
)
def test_bad_local_model_entries_name_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, message: str
) -> None:
    project = PROJECT.replace(
        "summarizer: {use: extractive-summarizer, options: {sentences: 1, lead: 0}}", f"summarizer: {entry}"
    )
    code, _, err = run_eval(baseline_repo(tmp_path / "repo", project), capsys)
    assert code == 2
    assert "llmops.yaml:11:7: local model 'summarizer': " in err
    assert re.search(message, err), err


def test_register_resolves_against_base_dir_and_short_forms(tmp_path: Path) -> None:
    repo = baseline_repo(tmp_path / "repo")
    local.register({"clf": {"use": "knn-classifier", "options": {"train": "data/train.jsonl"}}}, repo)
    messages = [{"role": "user", "content": "<document>confidential information</document>"}]
    assert local._instance("clf").complete(messages, {}) == "nda"
    local.register({"qa": "extractive-qa", "kw": "tests.local_models:KeywordClassifier"})
    assert local._instance("kw").complete([{"role": "user", "content": "an nda"}], {}) == "nda"
    assert type(local._instance("qa")).__name__ == "ExtractiveQA"
    assert type(local._instance("extractive-summarizer")).__name__ == "ExtractiveSummarizer"
    with pytest.raises(local.LocalModelError, match=r"no local model 'nope' \(known: clf, extractive-qa"):
        local._instance("nope")
    with pytest.raises(
        local.LocalModelError, match=r"option 'train' is required.*configure it in llmops.yaml"
    ):
        local._instance("knn-classifier")
    with pytest.raises(local.LocalModelError, match=r"llmops.yaml: local model 'x': expected 'module:Class'"):
        local.register({"x": 3})
    with pytest.raises(local.LocalModelError, match=r"local model 'x': options must be a mapping"):
        local.register({"x": {"use": "extractive-qa", "options": [1]}})


class Prefixer:
    """A user's own local model in the long form: constructed as Class(options, base_dir)."""

    def __init__(self, options: dict[str, Any], base_dir: Path) -> None:
        self.prefix = str(options["prefix"])
        self.base_dir = base_dir

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        return f"{self.prefix} {messages[-1]['content']}"


def test_a_user_class_in_the_long_form_gets_its_options_and_the_project_root(tmp_path: Path) -> None:
    local.register(
        {"mine": {"use": "tests.test_baseline_provider:Prefixer", "options": {"prefix": ">>"}}}, tmp_path
    )
    model = local._instance("mine")
    assert isinstance(model, Prefixer) and model.base_dir == tmp_path.resolve()
    assert model.complete([{"role": "user", "content": "hi"}], {}) == ">> hi"
    assert local.LOCAL_MODELS["mine"]["options"] == {"prefix": ">>"}  # the llmops.yaml value, as written


def test_an_unconfigured_knn_classifier_fails_its_cases_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = baseline_repo(tmp_path / "repo")
    path = repo / "prompts/classify.yaml"
    path.write_text(
        path.read_text().replace("local/doc-classifier", "local/knn-classifier"), encoding="utf-8"
    )
    code, out, _ = run_eval(repo, capsys, "classification", "--format", "json")
    assert code == 1
    group = json.loads(out)["suites"][0]
    assert group["errors"] == 2


def test_an_application_loads_a_baseline_prompt_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_prompt registers llmops.yaml's local models with paths relative to the project, not to the
    working directory of the application."""
    import shutil

    from llmops_ci.runtime import load_prompt

    project = tmp_path / "example-repo"
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "example-repo",
        project,
        ignore=shutil.ignore_patterns(".llmops"),
    )
    elsewhere = tmp_path / "app"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    prompt = load_prompt("doc-classifier", project=project, audit=False)
    invoice = (
        "INVOICE No. 2291\nDate: 3 March 2025\nBill to: Example Ltd\nWidgets 10 x 12.00 EUR\n"
        "Subtotal 120.00 EUR\nVAT 19% 22.80 EUR\nTotal due 142.80 EUR\nPayment within 30 days to IBAN below."
    )
    result = prompt.complete(document=invoice)
    assert (result.model, result.text) == ("local/doc-classifier-knn", "invoice")
