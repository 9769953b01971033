"""## What it does
Reports a RAG pipeline whose `embedding.dimensions` cannot come out of its embedding model:

- larger than the model's output size (e.g. 4096 for `openai/text-embedding-3-small`, which returns at
  most 1536), or
- different from the size of a model that always returns its full size (`text-embedding-ada-002`,
  Cohere v3, Titan v1, BGE/GTE).

Models such as OpenAI's `text-embedding-3-*` accept a smaller `dimensions`, so a smaller value is fine
there. Sizes come from litellm's bundled model table (`output_vector_size`, read as a data file; litellm
is not imported) or a small built-in table of OpenAI models. Nothing is reported for a model of
unknown size, nor for Voyage's 3 and 4 families, whose listed size is a default, not their largest.

It also reports an index of type `flat` or `hybrid` in a pipeline without an `embedding` section.

## Why is this bad?
The index is built with vectors of one size and searched with another: the provider rejects the
request, or the vector store refuses the vectors, on the first real run. A dense index without an
embedding model has nothing to search with.

## Example
```yaml
embedding: {model: openai/text-embedding-ada-002, dimensions: 512}
```

## Use instead
```yaml
embedding: {model: openai/text-embedding-3-small, dimensions: 512}
```
or leave `dimensions` out to get the model's full size; for a `flat` or `hybrid` index add an
`embedding` section, or use `index: {type: bm25}`.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.artifacts.model import Artifact
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit
from llmops_ci.providers.catalog import embedding_size

CODE = "C003"
NAME = "embedding-dimensions"
SEVERITY = Severity.ERROR
SUMMARY = "Embedding dimensions the model cannot produce, or a dense index without an embedding model"

DENSE_INDEXES = ("flat", "hybrid")


def _dimensions_hit(pipeline: Artifact) -> Hit | None:
    embedding = pipeline.spec["embedding"]
    dimensions = embedding.get("dimensions")
    known = embedding_size(embedding["model"]) if dimensions is not None else None
    if dimensions is None or known is None:
        return None
    where = ("spec", "embedding", "dimensions")
    model, size = embedding["model"], known.size
    if dimensions > size:
        if known.fixed:
            hint = f"use dimensions: {size}, or leave it out"
        else:
            hint = f"use at most {size} (the model returns fewer dimensions on request), or leave it out"
        return hit(pipeline, where, f"{model} returns at most {size} dimensions, not {dimensions}", hint)
    if known.fixed and dimensions != size:
        return hit(
            pipeline,
            where,
            f"{model} always returns {size} dimensions and cannot return {dimensions}",
            f"use dimensions: {size}, or a model that accepts fewer (e.g. openai/text-embedding-3-small)",
        )
    return None


def check(context: LintContext) -> Iterator[Hit]:
    for pipeline in context.graph.of_kind("RagPipeline"):
        if "embedding" in pipeline.spec:
            found = _dimensions_hit(pipeline)
            if found is not None:
                yield found
            continue
        index_type = pipeline.spec.get("index", {}).get("type")
        if index_type in DENSE_INDEXES:
            yield hit(
                pipeline,
                ("spec", "index", "type"),
                f"a {index_type} index needs dense vectors, but the pipeline has no embedding section",
                "add embedding: {model: ...}, or use index: {type: bm25}",
            )
