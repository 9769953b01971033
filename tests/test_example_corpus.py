"""The example-repo document-intelligence corpus: labels, QA pairs and case files true to the documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmops_ci.eval.assertion_types import ASSERTION_TYPES, validate_params

EXAMPLE = Path(__file__).resolve().parents[1] / "example-repo"
CORPUS = EXAMPLE / "corpus"
TOOLS = EXAMPLE / "tools"
CASE_FILES = ("classification", "extraction", "clauses", "qa", "summarization")
LITERAL_FIELDS = (
    "document_number",
    "party_issuer",
    "party_recipient",
    "issuer_vat_id",
    "purchase_order_number",
)
DATE_FIELDS = ("document_date", "due_date", "effective_date")
AMOUNT_FIELDS = ("subtotal", "tax_amount", "total_amount")
MONTHS = [dt.date(2000, month, 1).strftime("%B") for month in range(1, 13)]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _yaml(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLE / "data" / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def labels() -> list[dict[str, Any]]:
    return _jsonl(EXAMPLE / "data" / "labels.jsonl")


@pytest.fixture(scope="module")
def texts(labels: list[dict[str, Any]]) -> dict[str, str]:
    return {row["doc"]: (CORPUS / row["doc"]).read_text(encoding="utf-8") for row in labels}


def _visible(text: str) -> str:
    """The text a reader sees: HTML entities decoded (tags are left; values never span tags)."""
    return html.unescape(text)


def _words(text: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", text).split())


def _run(script: str, *args: str) -> None:
    subprocess.run([sys.executable, str(TOOLS / script), *args], check=True, capture_output=True, text=True)


def test_case_files_are_what_build_cases_writes(tmp_path: Path) -> None:
    _run("build_cases.py", "--out", str(tmp_path))
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.jsonl"))
    assert written, "build_cases wrote nothing"
    for relative in written:
        assert (tmp_path / relative).read_text(encoding="utf-8") == (EXAMPLE / relative).read_text(
            encoding="utf-8"
        ), f"{relative} is stale: run python example-repo/tools/build_cases.py"


def test_generated_documents_are_what_make_corpus_writes(
    tmp_path: Path, labels: list[dict[str, Any]]
) -> None:
    _run("make_corpus.py", "--out", str(tmp_path))
    generated = _jsonl(tmp_path / "data" / "labels.jsonl")
    assert generated == [row for row in labels if row["origin"] == "generator"]
    for row in generated:
        fresh = (tmp_path / "corpus" / row["doc"]).read_text(encoding="utf-8")
        assert fresh == (CORPUS / row["doc"]).read_text(encoding="utf-8"), f"{row['doc']} was edited by hand"
    committed_qa = [row for row in _jsonl(EXAMPLE / "data" / "qa.jsonl") if row["origin"] == "generator"]
    assert _jsonl(tmp_path / "data" / "qa.jsonl") == committed_qa


def test_every_corpus_file_is_labelled_once(labels: list[dict[str, Any]]) -> None:
    on_disk = sorted(path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*") if path.is_file())
    assert sorted(row["doc"] for row in labels) == on_disk


def test_label_lines_are_valid(labels: list[dict[str, Any]]) -> None:
    categories, fields, clauses = _yaml("categories.yaml"), _yaml("fields.yaml"), _yaml("clauses.yaml")
    assert len(categories) == 12 and len(fields) == 15 and len(clauses) == 8
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    for row in labels:
        where = row["doc"]
        assert set(row) == {"doc", "split", "category", "layout", "origin", "fields", "clauses", "summary"}, (
            where
        )
        assert row["split"] in ("train", "eval") and row["origin"] in ("generator", "hand"), where
        assert row["category"] in categories, where
        assert list(row["fields"]) == list(fields), where
        values = row["fields"]
        for name in DATE_FIELDS:
            assert values[name] is None or (
                iso.match(values[name]) and dt.date.fromisoformat(values[name])
            ), where
        for name in AMOUNT_FIELDS:
            assert values[name] is None or isinstance(values[name], (int, float)), where
        assert values["currency"] in (None, "EUR", "GBP", "USD"), where
        assert values["payment_terms_days"] is None or isinstance(values["payment_terms_days"], int), where
        if row["clauses"] is not None:
            assert set(row["clauses"]) == set(clauses), where
            assert all(isinstance(flag, bool) for flag in row["clauses"].values()), where
        assert row["summary"] is None or 5 <= len(row["summary"].split()) <= 60, where


def test_contracts_and_only_contracts_carry_clause_labels(labels: list[dict[str, Any]]) -> None:
    contracts = {"master_services_agreement", "statement_of_work", "non_disclosure_agreement",
                 "employment_contract", "lease_agreement", "data_processing_agreement"}  # fmt: skip
    for row in labels:
        assert (row["clauses"] is not None) == (row["category"] in contracts), row["doc"]


def test_names_and_ids_appear_literally(labels: list[dict[str, Any]], texts: dict[str, str]) -> None:
    for row in labels:
        text = _visible(texts[row["doc"]])
        for name in (*LITERAL_FIELDS, "governing_law"):
            value = row["fields"][name]
            assert value is None or value in text, f"{row['doc']}: {name} {value!r} not in the document"
        iban = row["fields"]["iban"]
        assert iban is None or iban in re.sub(r"\s", "", text), f"{row['doc']}: IBAN not in the document"


def _iban_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def test_ibans_pass_the_mod97_check(labels: list[dict[str, Any]]) -> None:
    ibans = [row["fields"]["iban"] for row in labels if row["fields"]["iban"]]
    assert len(ibans) >= 5
    assert all(_iban_ok(iban) for iban in ibans), [iban for iban in ibans if not _iban_ok(iban)]


def _date_forms(value: str) -> set[str]:
    day = dt.date.fromisoformat(value)
    month = MONTHS[day.month - 1]
    written = {f"{day.day}{suffix} {month} {day.year}" for suffix in ("", "st", "nd", "rd", "th", ".")}
    numeric = {value, f"{day:%d.%m.%Y}", f"{day:%d/%m/%Y}", f"{day:%m/%d/%Y}"}
    return written | numeric | {f"{month} {day.day}, {day.year}", f"{day.day} {month[:3]} {day.year}"}


def _amount_forms(value: float) -> set[str]:
    whole, cents = divmod(round(value * 100), 100)
    grouped = f"{whole:,}"
    forms = {
        f"{grouped}.{cents:02d}", grouped.replace(",", ".") + f",{cents:02d}",
        grouped.replace(",", " ") + f",{cents:02d}", f"{whole}.{cents:02d}", f"{whole},{cents:02d}",
    }  # fmt: skip
    if cents == 0:
        forms |= {grouped, grouped.replace(",", "."), grouped.replace(",", " ")}
    return forms


def test_dates_and_amounts_are_recoverable(labels: list[dict[str, Any]], texts: dict[str, str]) -> None:
    for row in labels:
        text, values = _visible(texts[row["doc"]]), row["fields"]
        for name in DATE_FIELDS:
            if values[name]:
                assert any(form in text for form in _date_forms(values[name])), f"{row['doc']}: {name}"
        for name in AMOUNT_FIELDS:
            if values[name]:  # 0 (reverse charge) may be written as "0.00" or only as words
                assert any(form in text for form in _amount_forms(values[name])), f"{row['doc']}: {name}"
        if values["payment_terms_days"]:
            assert str(values["payment_terms_days"]) in text, f"{row['doc']}: payment terms"


def _normalised_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


def test_train_and_eval_are_disjoint(labels: list[dict[str, Any]], texts: dict[str, str]) -> None:
    train = [row["doc"] for row in labels if row["split"] == "train"]
    evals = [row["doc"] for row in labels if row["split"] == "eval"]
    assert not set(train) & set(evals)
    assert not {_normalised_hash(texts[doc]) for doc in train} & {
        _normalised_hash(texts[doc]) for doc in evals
    }
    train_texts = {row["text"] for row in _jsonl(EXAMPLE / "data" / "train" / "classification.jsonl")}
    assert train_texts == {texts[doc] for doc in train}
    for name in CASE_FILES:
        for case in _jsonl(EXAMPLE / "evals" / "cases" / f"{name}.jsonl"):
            assert case["vars"].get("document") not in train_texts, (
                f"{name}: {case['id']} uses a train document"
            )


def test_categories_have_enough_documents_and_layouts(labels: list[dict[str, Any]]) -> None:
    per_category = Counter(row["category"] for row in labels)
    layouts: dict[str, set[str]] = {}
    for row in labels:
        layouts.setdefault(row["category"], set()).add(row["layout"])
    assert set(per_category) == set(_yaml("categories.yaml"))
    assert min(per_category.values()) >= 8, per_category
    assert all(len(found) >= 3 for found in layouts.values()), layouts
    assert Counter(row["category"] for row in labels if row["split"] == "train") == Counter(
        {category: 3 for category in per_category}
    )


def test_documents_are_120_to_700_words(labels: list[dict[str, Any]], texts: dict[str, str]) -> None:
    counts = {doc: _words(text) for doc, text in texts.items()}
    assert all(120 <= count <= 700 for count in counts.values()), {
        doc: count for doc, count in counts.items() if not 120 <= count <= 700
    }


def test_qa_pairs_are_answerable_from_their_documents(
    labels: list[dict[str, Any]], texts: dict[str, str]
) -> None:
    split = {row["doc"]: row["split"] for row in labels}
    pairs = _jsonl(EXAMPLE / "data" / "qa.jsonl")
    assert len(pairs) >= 30
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    assert len({pair["question"] for pair in pairs}) == len(pairs)
    for pair in pairs:
        assert pair["docs"] and all(split.get(doc) == "eval" for doc in pair["docs"]), pair["id"]
        found = [
            must
            for must in pair["must_contain"]
            for doc in pair["docs"]
            if must.lower() in texts[doc].lower()
        ]
        assert found, f"{pair['id']}: no must_contain string occurs in its documents"


def test_case_files_hold_enough_valid_cases() -> None:
    minimum = {"classification": 60, "extraction": 30, "clauses": 20, "qa": 30, "summarization": 15}
    total, ids = 0, set()
    for name in CASE_FILES:
        cases = _jsonl(EXAMPLE / "evals" / "cases" / f"{name}.jsonl")
        assert len(cases) >= minimum[name], name
        total += len(cases)
        for case in cases:
            assert case["id"] not in ids
            ids.add(case["id"])
            for spec in case["assert"]:
                assert spec["type"] in ASSERTION_TYPES and validate_params(spec) == [], (case["id"], spec)
    assert total >= 150


def test_extraction_cases_check_every_field() -> None:
    fields = list(_yaml("fields.yaml"))
    for case in _jsonl(EXAMPLE / "evals" / "cases" / "extraction.jsonl"):
        assert case["assert"][0] == {"type": "is-json"}
        assert [spec["path"] for spec in case["assert"][1:]] == [f"$.{name}" for name in fields], case["id"]
