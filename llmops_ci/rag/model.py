"""The values a RAG pipeline passes between its stages: documents, chunks and retrieved chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One document of a corpus. ``id`` is its path relative to the corpus directory (POSIX separators),
    with ``#<record id>`` appended for each record of a JSONL file."""

    id: str
    text: str
    source: str
    digest: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document. ``id`` is ``<document id>#<n>`` (n counts from 0 in document order);
    ``start``/``end`` are character offsets into the document's text (``text == doc.text[start:end]``
    up to whitespace trimming); ``heading`` is the nearest Markdown/HTML heading above it, if any."""

    id: str
    document: str
    text: str
    start: int
    end: int
    heading: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Retrieved:
    """A chunk as a retrieval returned it: 1-based rank and the retriever's score."""

    chunk: Chunk
    rank: int
    score: float
