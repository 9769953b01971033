#!/usr/bin/env python3
"""Generate the synthetic document-intelligence corpus of example-repo, with its labels and QA pairs.

Usage (from anywhere; Python 3.10+, standard library only)::

    python example-repo/tools/make_corpus.py            # rewrite corpus/, data/labels.jsonl, data/qa.jsonl
    python example-repo/tools/make_corpus.py --out DIR  # write the same tree under DIR instead

What it writes
    ``corpus/<period>/<file>``: nine documents for each of the 12 categories in ``data/categories.yaml``
    (Markdown, plain text and HTML; 120-700 words), cycling through three or four layouts per category
    (``corpus_commercial``, ``corpus_contracts``, ``corpus_legal``). Sub-folders are half-years
    (``2024-h1``), never categories.
    ``data/labels.jsonl``: one line per document: ``doc`` (path relative to ``corpus/``), ``split``,
    ``category``, ``layout``, ``origin``, the 15 ``fields`` of ``data/fields.yaml``, the 8 ``clauses`` of
    ``data/clauses.yaml`` (contracts only, else null) and a reference ``summary``.
    ``data/qa.jsonl``: question/answer pairs over eval documents, up to four per category.

Ground truth comes from the same facts that render the text, so labels are right by construction.
The first three documents of each category (three different layouts) are the ``train`` split (the
offline baseline's labelled examples); the rest are ``eval``.

Hand-written documents: lines of ``labels.jsonl`` / ``qa.jsonl`` with ``"origin": "hand"`` and their
files are kept untouched; everything with ``"origin": "generator"`` is replaced on each run (the files
the previous run generated are deleted first). Output is deterministic: seeds are fixed strings.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_commercial
import corpus_contracts
import corpus_legal
from corpus_common import Doc

EXAMPLE_REPO = Path(__file__).resolve().parent.parent
DOCS_PER_CATEGORY = 9
TRAIN_PER_CATEGORY = 3
QA_PER_CATEGORY = 4
LAYOUTS = {**corpus_commercial.LAYOUTS, **corpus_contracts.LAYOUTS, **corpus_legal.LAYOUTS}


def generate() -> list[Doc]:
    """All generated documents, in category order, with unique paths."""
    docs: list[Doc] = []
    seen: set[str] = set()
    for category, layouts in LAYOUTS.items():
        for index in range(DOCS_PER_CATEGORY):
            rng = random.Random(f"llmops-ci-corpus/{category}/{index}")
            doc = layouts[index % len(layouts)](rng, index)
            # File names (without folder and extension) are unique: case ids are built from them.
            stem, dot, ext = doc.path.rpartition(".")
            suffix = 2
            while _stem(doc.path) in seen:
                doc.path = f"{stem}-{suffix}{dot}{ext}"
                suffix += 1
            seen.add(_stem(doc.path))
            docs.append(doc)
    return docs


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def label_line(doc: Doc, split: str) -> dict[str, Any]:
    return {
        "doc": doc.path,
        "split": split,
        "category": doc.category,
        "layout": doc.layout,
        "origin": "generator",
        "fields": doc.fields,
        "clauses": doc.clauses,
        "summary": doc.summary,
    }


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def qa_lines(docs: list[Doc], splits: dict[str, str]) -> list[dict[str, Any]]:
    """Up to QA_PER_CATEGORY questions per category, one per eval document.

    A question asked of two documents (two leases of the same premises) is ambiguous and is dropped.
    """
    asked = Counter(qa["question"] for doc in docs for qa in doc.qa)
    rows: list[dict[str, Any]] = []
    per_category: dict[str, int] = {}
    for doc in docs:
        candidates = [qa for qa in doc.qa if asked[qa["question"]] == 1]
        if (
            splits[doc.path] != "eval"
            or not candidates
            or per_category.get(doc.category, 0) >= QA_PER_CATEGORY
        ):
            continue
        per_category[doc.category] = per_category.get(doc.category, 0) + 1
        pick = candidates[len(rows) % len(candidates)]
        rows.append(
            {
                "id": f"qa-{_stem(doc.path)}",
                "question": pick["question"],
                "answer": pick["answer"],
                "must_contain": pick["must_contain"],
                "docs": [doc.path],
                "origin": "generator",
            }
        )
    return rows


def write(out: Path) -> list[Doc]:
    corpus, data = out / "corpus", out / "data"
    old_labels = _read_jsonl(data / "labels.jsonl")
    for row in old_labels:
        if row.get("origin") == "generator":
            (corpus / row["doc"]).unlink(missing_ok=True)
    docs = generate()
    splits = {}
    per_category: dict[str, int] = {}
    for doc in docs:
        per_category[doc.category] = per_category.get(doc.category, 0) + 1
        splits[doc.path] = "train" if per_category[doc.category] <= TRAIN_PER_CATEGORY else "eval"
    for doc in docs:
        target = corpus / doc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(doc.text, encoding="utf-8")
    hand = [row for row in old_labels if row.get("origin") == "hand"]
    _write_jsonl(data / "labels.jsonl", [label_line(doc, splits[doc.path]) for doc in docs] + hand)
    hand_qa = [row for row in _read_jsonl(data / "qa.jsonl") if row.get("origin") == "hand"]
    _write_jsonl(data / "qa.jsonl", qa_lines(docs, splits) + hand_qa)
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=EXAMPLE_REPO, help="directory holding corpus/ and data/")
    args = parser.parse_args(argv)
    docs = write(args.out)
    print(f"wrote {len(docs)} generated documents under {args.out / 'corpus'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
