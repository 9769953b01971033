"""## What it does
Reports a RAG pipeline whose `chunking.overlap` is not smaller than `chunking.size`.

## Why is this bad?
Each chunk would start at or before the previous one: chunking never advances (an endless loop) or
produces nothing but duplicates, inflating the index and the retrieved context.

## Example
```yaml
chunking: {strategy: fixed, size: 200, overlap: 200, unit: tokens}
```

## Use instead
```yaml
chunking: {strategy: fixed, size: 200, overlap: 40, unit: tokens}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "C001"
NAME = "chunk-overlap"
SEVERITY = Severity.ERROR
SUMMARY = "Chunk overlap is not smaller than the chunk size"


def check(context: LintContext) -> Iterator[Hit]:
    for pipeline in context.graph.of_kind("RagPipeline"):
        chunking = pipeline.spec["chunking"]
        size, overlap = chunking["size"], chunking.get("overlap", 0)
        if overlap >= size:
            yield hit(
                pipeline,
                ("spec", "chunking", "overlap"),
                f"chunk overlap {overlap} is not smaller than the chunk size {size}",
                f"use an overlap of about 10-20% of the size, e.g. {max(size // 5, 0)}",
            )
