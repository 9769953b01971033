"""## What it does
Reports a RAG pipeline whose `corpus.path` (relative to the pipeline file) does not exist, is not a
directory, or holds no supported document (Markdown, text, HTML, JSONL or PDF, hidden files and
directories left out) that the `include` / `exclude` patterns select. Files are listed, not read: a
file that turns out to hold no text is reported by `llmops-ci rag` commands, not here.

## Why is this bad?
Indexing, evaluation and drift checks all start by loading the corpus: a renamed directory, a typo in
the path or a pattern that matches nothing fails every one of them, or, worse, builds an empty index
whose retrieval metrics are all zero.

## Example
```yaml
corpus: {path: docs, include: ["**/*.rst"]}   # no supported file matches
```

## Use instead
```yaml
corpus: {path: docs, include: ["**/*.md"]}
```
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from llmops_ci.artifacts.model import Artifact
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.rag.corpus import SUPPORTED, CorpusError, corpus_files

CODE = "C004"
NAME = "corpus-path"
SEVERITY = Severity.ERROR
SUMMARY = "Corpus directory is missing, not a directory, or holds no supported document"

WHERE = ("spec", "corpus", "path")


def _shown(pipeline: Artifact, written: str) -> str:
    """The corpus path as the reader finds it: next to the pipeline file's own shown path."""
    return Path(os.path.normpath(Path(pipeline.rel).parent / written)).as_posix()


def _selection(include: list[str] | None, exclude: list[str] | None) -> str:
    parts = [
        f"{name} {patterns}" for name, patterns in (("include", include), ("exclude", exclude)) if patterns
    ]
    return f" matching {' and '.join(parts)}" if parts else ""


def _empty_hit(pipeline: Artifact, written: str, directory: Path) -> Hit | None:
    corpus = pipeline.spec["corpus"]
    include, exclude = corpus.get("include"), corpus.get("exclude")
    try:
        if corpus_files(directory, include, exclude):
            return None
    except CorpusError as error:  # the directory went away between the two looks
        return hit(pipeline, WHERE, f"corpus {written!r}: {error}")
    extensions = ", ".join(sorted(SUPPORTED))
    return hit(
        pipeline,
        WHERE,
        f"corpus directory {written!r} holds no supported document{_selection(include, exclude)}",
        f"add documents ({extensions}), or fix corpus.include / corpus.exclude",
    )


def check(context: LintContext) -> Iterator[Hit]:
    for pipeline in context.graph.of_kind("RagPipeline"):
        written = pipeline.spec["corpus"]["path"]
        directory = pipeline.path.parent / written
        if not directory.exists():
            yield hit(
                pipeline,
                WHERE,
                f"corpus directory {written!r} ({_shown(pipeline, written)}) does not exist",
                "create it, or fix corpus.path (relative to this file's directory)",
            )
        elif not directory.is_dir():
            yield hit(
                pipeline,
                WHERE,
                f"corpus path {written!r} is not a directory",
                "point corpus.path at the directory that holds the documents",
            )
        else:
            found = _empty_hit(pipeline, written, directory)
            if found is not None:
                yield found
