"""Benchmark the RAG index: build and query throughput on a 10,000-chunk corpus, and an incremental rebuild
after one document changed (issue 5).

A synthetic corpus of ``--docs`` Markdown documents (default 1,000), each of ``--sections`` sections
(default 10) of about 80 words drawn from a Zipf-like vocabulary, chunked by Markdown sections of at most 256
tokens: one chunk per section, 10,000 chunks. Measured in one run, on the offline BM25 index:

- ``full build``: parse, chunk, analyse and index every document (a fresh index directory);
- ``load``: the next ``build`` when nothing changed (the index is loaded, no document is read);
- ``incremental``: one document edited, then ``build``: only that document is parsed and chunked again
  (``files_parsed`` is printed), the BM25 matrices are re-assembled from the stored terms;
- ``query``: ``--queries`` questions (default 2,000) of 3-8 corpus words, top_k 5, one at a time.
Ratios printed: incremental / full build, load / full build.

    .venv/bin/python bench/rag_bench.py [--docs 1000] [--sections 10] [--queries 2000]

Exit status 0 when the incremental rebuild parsed exactly one document and took less than half of the full
build.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from llmops_ci.rag.chunking import ChunkingConfig  # noqa: E402
from llmops_ci.rag.index import IndexStore  # noqa: E402
from llmops_ci.rag.pipeline import PipelineConfig  # noqa: E402
from llmops_ci.rag.retrieve import Retriever  # noqa: E402


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)}
    return sorted(words)


def write_corpus(directory: Path, docs: int, sections: int, rng: random.Random, words: list[str]) -> None:
    weights = [1 / (rank + 1) for rank in range(len(words))]
    for number in range(docs):
        parts = []
        for section in range(sections):
            body = " ".join(rng.choices(words, weights, k=80))
            parts.append(f"## Section {section}\n\n{body.capitalize()}.\n")
        (directory / f"doc-{number:05d}.md").write_text("\n".join(parts), encoding="utf-8")


def config_for(corpus: Path) -> PipelineConfig:
    return PipelineConfig(
        name="bench",
        rel="rag/bench.yaml",
        corpus_dir=corpus,
        include=(),
        exclude=(),
        chunking=ChunkingConfig(strategy="markdown", size=256, overlap=0, unit="tokens"),
        index_type="bm25",
        metric="cosine",
        top_k=5,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--sections", type=int, default=10)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = vocabulary(rng)
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as scratch:
        corpus = Path(scratch) / "corpus"
        corpus.mkdir()
        write_corpus(corpus, args.docs, args.sections, rng, words)
        config = config_for(corpus)
        store = IndexStore(Path(scratch) / "index", config)

        started = time.perf_counter()
        index, stats = store.build()
        full = time.perf_counter() - started
        print(
            f"full build   {full:8.3f} s  {stats.files} files, {stats.chunks} chunks, "
            f"parsed {stats.files_parsed}"
        )

        started = time.perf_counter()
        _, again = store.build()
        load = time.perf_counter() - started
        print(f"load         {load:8.3f} s  rebuilt={again.rebuilt}, parsed {again.files_parsed}")

        edited = corpus / "doc-00042.md"
        edited.write_text(
            edited.read_text(encoding="utf-8") + "\nAn added closing sentence.\n", encoding="utf-8"
        )
        started = time.perf_counter()
        index, changed = store.build()
        incremental = time.perf_counter() - started
        print(f"incremental  {incremental:8.3f} s  rebuilt={changed.rebuilt}, parsed {changed.files_parsed}")

        retriever = Retriever(config, index)
        questions = [" ".join(rng.choices(words[:5000], k=rng.randint(3, 8))) for _ in range(args.queries)]
        started = time.perf_counter()
        returned = sum(len(retriever.search(question)) for question in questions)
        querying = time.perf_counter() - started
        print(
            f"query        {querying:8.3f} s  {args.queries / querying:,.0f} questions/s "
            f"over {len(index.chunks)} chunks ({returned / args.queries:.1f} chunks returned per question)"
        )
    print(f"ratio incremental / full build: {incremental / full:.3f}")
    print(f"ratio load / full build:        {load / full:.3f}")
    ok = changed.files_parsed == 1 and incremental < full / 2
    print(
        "OK" if ok else "NOT MET: the incremental rebuild should parse one document and take < half the build"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
