#!/usr/bin/env python3
"""Build the eval case files and the baseline's training file from the labelled corpus.

Usage (from anywhere; Python 3.10+, standard library only)::

    python example-repo/tools/build_cases.py            # rewrite the files below inside example-repo
    python example-repo/tools/build_cases.py --out DIR  # write them under DIR instead (tests compare)

Reads ``corpus/``, ``data/labels.jsonl``, ``data/qa.jsonl`` and ``data/fields.yaml`` order (the 15 field
names are fixed below and checked against the labels). Writes, deterministically:

``data/train/classification.jsonl``
    ``{"text", "label"}`` for every ``train`` document: the offline baseline's labelled examples.
``evals/cases/classification.jsonl``
    one case per ``eval`` document: ``equals`` the category.
``evals/cases/extraction.jsonl``
    eval documents of the commercial and contract categories: ``is-json`` then one ``json-path`` per
    field (``$.<field>`` equals the normalised value, or null when the document does not state it).
``evals/cases/clauses.jsonl``
    eval contracts: ``is-json`` then ``$.<clause>`` true/false for the 8 clause types.
``evals/cases/qa.jsonl``
    one case per QA pair: ``vars.question``, ``expected_chunks`` (the documents that answer it, for
    retrieval metrics) and a case-insensitive ``contains-any`` of its ``must_contain`` strings.
``evals/cases/summarization.jsonl``
    the first two generated eval documents of each category and every hand-written one: ``rouge-l``
    against the reference summary
    (threshold 0.2) and ``word-count`` at most 80.

Train documents never appear in a case file, so the baseline is never evaluated on its own examples.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXAMPLE_REPO = Path(__file__).resolve().parent.parent
FIELDS = (
    "document_number", "document_date", "due_date", "effective_date", "party_issuer", "party_recipient",
    "issuer_vat_id", "purchase_order_number", "currency", "subtotal", "tax_amount", "total_amount",
    "payment_terms_days", "iban", "governing_law",
)  # fmt: skip
CLAUSES = (
    "termination", "limitation_of_liability", "confidentiality", "data_protection", "governing_law",
    "indemnification", "force_majeure", "auto_renewal",
)  # fmt: skip
EXTRACTION_CATEGORIES = (
    "invoice", "credit_note", "purchase_order", "receipt", "master_services_agreement", "statement_of_work",
    "non_disclosure_agreement", "employment_contract", "lease_agreement", "data_processing_agreement",
)  # fmt: skip
SUMMARIES_PER_CATEGORY = 2
ROUGE_THRESHOLD = 0.2
SUMMARY_MAX_WORDS = 80


class LabelError(Exception):
    """A label line that does not fit the corpus: the message names file and line."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise LabelError(f"{path}:{number}: invalid JSON: {error.msg}") from None
    return rows


def stem(doc: str) -> str:
    return doc.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def load(repo: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    labels = read_jsonl(repo / "data" / "labels.jsonl")
    qa = read_jsonl(repo / "data" / "qa.jsonl")
    texts: dict[str, str] = {}
    stems: dict[str, str] = {}
    for number, row in enumerate(labels, start=1):
        where = f"{repo / 'data' / 'labels.jsonl'}:{number}"
        path = repo / "corpus" / row["doc"]
        if not path.is_file():
            raise LabelError(f"{where}: document {row['doc']!r} not found under corpus/")
        if set(row["fields"]) != set(FIELDS):
            raise LabelError(f"{where}: fields must be exactly {', '.join(FIELDS)}")
        if stem(row["doc"]) in stems:
            raise LabelError(
                f"{where}: file name {stem(row['doc'])!r} also used by {stems[stem(row['doc'])]}"
            )
        stems[stem(row["doc"])] = row["doc"]
        texts[row["doc"]] = path.read_text(encoding="utf-8")
    return labels, qa, texts


def classification(labels: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"cls-{stem(row['doc'])}",
            "vars": {"document": texts[row["doc"]]},
            "assert": [{"type": "equals", "value": row["category"]}],
            "tags": [row["category"]],
        }
        for row in labels
        if row["split"] == "eval"
    ]


def extraction(labels: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"ext-{stem(row['doc'])}",
            "vars": {"document": texts[row["doc"]]},
            "assert": [
                {"type": "is-json"},
                *[
                    {"type": "json-path", "path": f"$.{name}", "value": row["fields"][name]}
                    for name in FIELDS
                ],
            ],
            "tags": [row["category"]],
        }
        for row in labels
        if row["split"] == "eval" and row["category"] in EXTRACTION_CATEGORIES
    ]


def clauses(labels: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"cla-{stem(row['doc'])}",
            "vars": {"document": texts[row["doc"]]},
            "assert": [
                {"type": "is-json"},
                *[
                    {"type": "json-path", "path": f"$.{name}", "value": row["clauses"][name]}
                    for name in CLAUSES
                ],
            ],
            "tags": [row["category"]],
        }
        for row in labels
        if row["split"] == "eval" and row["clauses"] is not None
    ]


def questions(qa: list[dict[str, Any]], labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    category = {row["doc"]: row["category"] for row in labels}
    return [
        {
            "id": row["id"],
            "vars": {"question": row["question"]},
            "expected_chunks": row["docs"],
            "assert": [{"type": "contains-any", "value": row["must_contain"], "case_sensitive": False}],
            "tags": sorted({category[doc] for doc in row["docs"]}),
        }
        for row in qa
    ]


def summarization(labels: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    taken: dict[str, int] = {}
    cases = []
    for row in labels:
        if row["split"] != "eval" or not row["summary"]:
            continue
        if row["origin"] != "hand":
            if taken.get(row["category"], 0) >= SUMMARIES_PER_CATEGORY:
                continue
            taken[row["category"]] = taken.get(row["category"], 0) + 1
        cases.append(
            {
                "id": f"sum-{stem(row['doc'])}",
                "vars": {"document": texts[row["doc"]]},
                "assert": [
                    {"type": "rouge-l", "value": row["summary"], "threshold": ROUGE_THRESHOLD},
                    {"type": "word-count", "max": SUMMARY_MAX_WORDS},
                ],
                "tags": [row["category"]],
            }
        )
    return cases


def outputs(repo: Path) -> dict[str, list[dict[str, Any]]]:
    """Every file this script writes, relative to example-repo, with its lines."""
    labels, qa, texts = load(repo)
    return {
        "data/train/classification.jsonl": [
            {"text": texts[row["doc"]], "label": row["category"]} for row in labels if row["split"] == "train"
        ],
        "evals/cases/classification.jsonl": classification(labels, texts),
        "evals/cases/extraction.jsonl": extraction(labels, texts),
        "evals/cases/clauses.jsonl": clauses(labels, texts),
        "evals/cases/qa.jsonl": questions(qa, labels),
        "evals/cases/summarization.jsonl": summarization(labels, texts),
    }


def write(repo: Path, out: Path) -> dict[str, int]:
    return write_jsonl(outputs(repo), out)


def write_jsonl(files: dict[str, list[dict[str, Any]]], out: Path) -> dict[str, int]:
    """Each ``relative path -> rows`` as a JSONL file under ``out``; the rows written per file."""
    counts = {}
    for relative, rows in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
        counts[relative] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=EXAMPLE_REPO, help="example-repo (corpus/ and data/)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: --repo)")
    args = parser.parse_args(argv)
    try:
        counts = write(args.repo, args.out or args.repo)
    except (LabelError, KeyError) as error:
        print(f"build_cases: {error}", file=sys.stderr)
        return 1
    for relative, count in counts.items():
        print(f"{count:4d}  {relative}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
