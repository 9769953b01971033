"""Benchmark chunking: a generated Markdown corpus of about 2.5 M words cut by every strategy and unit.

Goal (issue 5): a 10,000-chunk corpus (~2.5 M words) chunked in a few seconds at most, linear in the text.
The corpus is ``--docs`` documents of ``--words`` words each (headings, paragraphs of several sentences,
lists, fenced code, a long URL now and then), made from a fixed seed. For every strategy x unit the bench
prints the chunks made, the wall and CPU seconds taken and the CPU microseconds per 1,000 words (on a
shared machine CPU time is the steadier figure), which stays flat across
``--docs`` values when the work is linear. The size is chosen per unit so the chunk count is near 10,000:
``--size`` tokens, the same number of characters times 4 and of words times 3/4.

    .venv/bin/python bench/chunk_bench.py [--docs 1000] [--words 2500] [--size 350] [--overlap 10]

Exit status: 0 when every run is under 5 seconds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from llmops_ci.rag.chunking import STRATEGIES, UNITS, ChunkingConfig, chunk_corpus
from llmops_ci.rag.model import Document

LIMIT_SECONDS = 5.0
_WORD_LIST = (
    "invoice contract payment the of a to and customer refund policy within days shipping order account "
    "support retrieval index vector chunk document query answer model prompt evaluation release tag "
    "guardrail latency cost budget team owner approve reject review merge branch commit pipeline"
)
_VOCABULARY = _WORD_LIST.split()


def make_document(rng: random.Random, number: int, words: int) -> Document:
    parts: list[str] = [f"# Document {number}\n"]
    written = 0
    while written < words:
        kind = rng.random()
        if kind < 0.08:
            parts.append(f"\n## Section {written}\n")
        elif kind < 0.15:
            items = [
                " ".join(rng.choices(_VOCABULARY, k=rng.randint(3, 9))) for _ in range(rng.randint(2, 5))
            ]
            parts.append("\n" + "\n".join(f"- {item}" for item in items) + "\n")
            written += sum(len(item.split()) for item in items)
        elif kind < 0.18:
            parts.append("\n```python\n# not a heading\nx = compute(a, b)\n```\n")
            written += 4
        else:
            sentences = []
            for _ in range(rng.randint(2, 7)):
                body = rng.choices(_VOCABULARY, k=rng.randint(5, 30))
                if rng.random() < 0.05:
                    body.append("https://example.com/" + "/".join(rng.choices(_VOCABULARY, k=6)))
                sentences.append(" ".join(body).capitalize() + rng.choice(".!?"))
                written += len(body)
            parts.append("\n" + " ".join(sentences) + "\n")
    text = "".join(parts)
    return Document(f"doc-{number}.md", text, f"doc-{number}.md", "", {"format": "markdown"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=2500)
    parser.add_argument("--size", type=int, default=350, help="chunk size in tokens")
    parser.add_argument("--overlap", type=int, default=10, help="overlap in tokens")
    args = parser.parse_args(argv)
    rng = random.Random(5)
    docs = [make_document(rng, number, args.words) for number in range(args.docs)]
    total_words = sum(len(doc.text.split()) for doc in docs)
    print(f"{len(docs)} documents, {total_words:,} words, {sum(len(d.text) for d in docs):,} characters")
    scale = {"tokens": 1.0, "chars": 4.0, "words": 0.75}
    worst = 0.0
    for strategy in STRATEGIES:
        for unit in UNITS:
            size = int(args.size * scale[unit])
            config = ChunkingConfig(strategy, size, int(args.overlap * scale[unit]), unit)
            started, cpu = time.perf_counter(), time.process_time()
            chunks = chunk_corpus(docs, config)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            worst = max(worst, seconds)
            per = cpu / total_words * 1e9
            print(
                f"{strategy:10} {unit:6} size {size:5}: {len(chunks):6} chunks {seconds:6.2f} s wall "
                f"{cpu:6.2f} s cpu {per:5.0f} us cpu/1k words"
            )
    print(f"slowest {worst:.2f} s (limit {LIMIT_SECONDS} s)")
    return 0 if worst < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
