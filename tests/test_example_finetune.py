"""The example repository's FineTune (document-classifier): its data validates through the real CLI, is
what tools/build_finetune.py writes, and holds the training documents only, as the doc-classifier prompt
sends them (system message rendered, documents redacted by pii-default)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.artifacts.loader import load_graph, load_project
from llmops_ci.artifacts.templates import sandbox
from llmops_ci.guardrails.library import PolicyLibrary

EXAMPLE = Path(__file__).resolve().parents[1] / "example-repo"
ARTIFACT = EXAMPLE / "finetune" / "document-classifier.yaml"
GENERATED = ("finetune/data/train.jsonl", "finetune/data/validation.jsonl")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _normal(text: str) -> str:
    """As the leakage check compares: words only, case-folded."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmops_ci.cli", *args, "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _project_copy(target: Path) -> Path:
    """example-repo copied (without its run state), to be changed by a test."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".llmops", "__pycache__"))
    return target


@pytest.fixture(scope="module")
def project() -> Path:
    return EXAMPLE


@pytest.fixture(scope="module")
def labels() -> list[dict[str, Any]]:
    return _jsonl(EXAMPLE / "data" / "labels.jsonl")


@pytest.fixture(scope="module")
def examples() -> dict[str, list[dict[str, Any]]]:
    return {relative: _jsonl(EXAMPLE / relative) for relative in GENERATED}


def test_the_example_project_selects_its_finetune() -> None:
    assert load_project(EXAMPLE).selects(ARTIFACT), "example-repo/llmops.yaml: paths.include lacks finetune/"


def test_the_finetune_validates_with_no_error_or_warning(project: Path) -> None:
    done = _cli(project, "finetune", "validate", "document-classifier", "--format", "json", "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["errors"] == [] and report["warnings"] == []
    assert [(f["role"], f["file"], f["examples"]) for f in report["files"]] == [
        ("training", "finetune/data/train.jsonl", 24),
        ("validation", "finetune/data/validation.jsonl", 12),
    ]
    assert report["epochs"] == 4 and report["cost_usd"] > 0


def test_the_example_still_lints_clean_with_its_finetune(project: Path) -> None:
    done = _cli(project, "lint", "--strict", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["findings"] == []


def test_an_eval_document_in_the_training_data_is_caught(
    tmp_path: Path, labels: list[dict[str, Any]]
) -> None:
    """The 0 errors above mean something: the gate's cases are what the leakage check compares."""
    project = _project_copy(tmp_path / "example-repo")
    leaked = next(row for row in labels if row["split"] == "eval")
    document = (EXAMPLE / "corpus" / leaked["doc"]).read_text(encoding="utf-8")
    line = {"messages": [{"role": "user", "content": document}, {"role": "assistant", "content": "x"}]}
    with (project / GENERATED[0]).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    done = _cli(project, "finetune", "validate", "document-classifier")
    assert done.returncode == 1
    assert "finetune/data/train.jsonl:25: error: leakage: holds case" in done.stdout
    assert "of the gating suite 'classification'" in done.stdout


def test_the_generator_rewrites_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "tools" / "build_finetune.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for relative in GENERATED:
        assert (tmp_path / relative).read_bytes() == (EXAMPLE / relative).read_bytes(), (
            f"{relative} is stale: run python example-repo/tools/build_finetune.py"
        )


def test_the_splits_are_the_training_documents_disjoint_and_stratified(
    examples: dict[str, list[dict[str, Any]]], labels: list[dict[str, Any]]
) -> None:
    policy = PolicyLibrary(load_graph(load_project(EXAMPLE))).get("pii-default")
    train_docs = {
        policy.check((EXAMPLE / "corpus" / row["doc"]).read_text(encoding="utf-8"), "input").text: row
        for row in labels
        if row["split"] == "train"
    }
    seen: dict[str, str] = {}
    for relative, lines in examples.items():
        for line in lines:
            user = line["messages"][1]["content"]
            document = user.removeprefix("<document>\n").removesuffix("\n</document>\nCategory:\n")
            assert document in train_docs, f"{relative}: an example that is not a training document"
            assert document not in seen, f"{relative}: a document also in {seen.get(document)}"
            seen[document] = relative
            assert line["messages"][2]["content"] == train_docs[document]["category"]
    assert len(seen) == len(train_docs) == 36
    validation = [line["messages"][2]["content"] for line in examples[GENERATED[1]]]
    assert sorted(validation) == sorted({row["category"] for row in labels}), "one of each category"


def test_no_eval_document_text_is_in_the_data(
    examples: dict[str, list[dict[str, Any]]], labels: list[dict[str, Any]]
) -> None:
    joined = "\n".join(
        _normal(message["content"])
        for lines in examples.values()
        for line in lines
        for message in line["messages"]
    )
    for row in labels:
        if row["split"] == "eval":
            text = (EXAMPLE / "corpus" / row["doc"]).read_text(encoding="utf-8")
            assert _normal(text) not in joined, row["doc"]
            number = row["fields"]["document_number"]  # INV-2024-0193, not a change order's "2"
            if number and len(number) >= 6:
                assert f" {_normal(number)} " not in f" {joined} ", f"{row['doc']}: {number}"


def test_the_examples_are_the_prompts_messages_after_its_input_guardrails(
    examples: dict[str, list[dict[str, Any]]],
) -> None:
    graph = load_graph(load_project(EXAMPLE))
    prompt = graph.get("Prompt", "doc-classifier")
    assert prompt is not None and prompt.spec["guardrails"] == ["pii-default"]
    policy = PolicyLibrary(graph).get("pii-default")
    system, user = (message["content"] for message in prompt.spec["messages"])
    rendered_system = sandbox().from_string(system).render(examples=prompt.spec["examples"])
    redacted = 0
    for line in examples[GENERATED[0]] + examples[GENERATED[1]]:
        assert line["messages"][0] == {"role": "system", "content": rendered_system}
        sent = line["messages"][1]["content"]
        assert not policy.check(sent, "input").findings, "the policy would still change the text"
        redacted += sent.count("[EMAIL_ADDRESS]") + sent.count("[IBAN_CODE]")
    raw = [
        sandbox().from_string(user).render(document=row["text"])
        for row in _jsonl(EXAMPLE / "data" / "train" / "classification.jsonl")
    ]
    assert sorted(policy.check(text, "input").text for text in raw) == sorted(
        line["messages"][1]["content"] for lines in examples.values() for line in lines
    )
    assert redacted >= 14  # the 11 e-mail addresses and 3 IBANs of the training documents
