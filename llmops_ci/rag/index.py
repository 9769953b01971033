"""The persistent index of a pipeline, under ``.llmops/index/<pipeline>/``, rebuilt only when the corpus or
the configuration changed, and then only for the documents that changed.

Layout:
- ``files/<entry>.json``: one corpus file parsed, chunked and analysed (its chunks and their terms); the
  entry key is the digest of the file's bytes, its path, the chunking settings and the analyser version, so
  an unchanged file is never parsed or chunked again.
- ``vectors/<entry>-<embedding>.npy``: the chunk vectors of an entry for one embedding model/dimensions.
- ``builds/<index key>/``: the assembled index (chunks, BM25 matrices saved by bm25s, vectors), and
  ``CURRENT`` naming the build in use. The index key digests every entry key and the search settings: when
  it matches, a query loads the build and nothing else.
- ``manifest.json``: each file's size, mtime and digest, so an unchanged file is not even read again (as
  git's index does: an edit that keeps both size and mtime goes unseen; ``rag build --force`` re-reads all).
- ``embeddings/``: the cache of embedded texts (:mod:`llmops_ci.rag.embeddings`).
Writes are atomic (a temporary file renamed into place), and a build goes to its own directory before
``CURRENT`` points at it, so a reader sees the old index or the new one, never a half-built one.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.atomic import write_atomically
from llmops_ci.rag.corpus import corpus_files, file_digest, load_file
from llmops_ci.rag.model import Chunk
from llmops_ci.rag.pipeline import PipelineConfig
from llmops_ci.rag.text import terms

if TYPE_CHECKING:
    from llmops_ci.rag.embeddings import Embedder

#: bump when text.terms, the chunkers or the entry layout change: every entry is rebuilt
ANALYZER_VERSION = "1"


@dataclass
class BuildStats:
    files: int = 0
    files_parsed: int = 0
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Entry:
    key: str
    rel: str
    chunks: list[Chunk]
    terms: list[list[str]]
    documents: int
    vectors: np.ndarray | None = None


@dataclass
class Index:
    """A loaded index: the chunks in a fixed order, BM25 over their terms, and their vectors."""

    config: PipelineConfig
    key: str
    chunks: list[Chunk]
    bm25: Any = None
    vectors: np.ndarray | None = None
    by_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {chunk.id: position for position, chunk in enumerate(self.chunks)}


def index_dir(project_root: Path, config: PipelineConfig) -> Path:
    from llmops_ci.rag.pipeline import INDEX_DIR

    return project_root / INDEX_DIR / config.name


def _entry_key(rel: str, digest: str, config: PipelineConfig) -> str:
    return sha256_hex(
        canonical_json(
            {"file": rel, "digest": digest, "chunking": config.chunking.digest(), "v": ANALYZER_VERSION}
        )
    )[:32]


def _index_key(entry_keys: list[str], config: PipelineConfig) -> str:
    settings = {"entries": entry_keys, "embedding": config.embedding_key(), "type": config.index_type}
    return sha256_hex(canonical_json(settings))[:32]


class IndexStore:
    """Builds and loads the index of one pipeline under ``directory``."""

    def __init__(self, directory: Path, config: PipelineConfig) -> None:
        self.directory = directory
        self.config = config

    # -- the corpus as it is now ------
    def _fingerprints(self) -> list[tuple[str, Path, str]]:
        """(relative path, path, byte digest) of every corpus file; digests reused from the manifest when
        size and mtime are unchanged."""
        manifest = self._read_json(self.directory / "manifest.json") or {}
        known: dict[str, list[Any]] = (
            manifest.get("files", {}) if manifest.get("v") == ANALYZER_VERSION else {}
        )
        found = []
        for rel, path in corpus_files(
            self.config.corpus_dir, list(self.config.include) or None, list(self.config.exclude) or None
        ):
            stat = path.stat()
            previous = known.get(rel)
            if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
                digest = str(previous[2])
            else:
                digest = file_digest(path)
            found.append((rel, path, digest))
        return found

    def _write_manifest(self, files: list[tuple[str, Path, str]]) -> None:
        entries = {}
        for rel, path, digest in files:
            stat = path.stat()
            entries[rel] = [stat.st_size, stat.st_mtime_ns, digest]
        write_atomically(
            self.directory / "manifest.json", json.dumps({"v": ANALYZER_VERSION, "files": entries})
        )

    # -- build ------
    def build(self, embedder: Embedder | None = None, *, force: bool = False) -> tuple[Index, BuildStats]:
        started = time.perf_counter()
        stats = BuildStats()
        files = self._fingerprints()
        if not files:
            from llmops_ci.rag.pipeline import PipelineError

            filters = f" matching include {list(self.config.include)}" if self.config.include else ""
            raise PipelineError(
                f"{self.config.rel}: no documents under {self.config.corpus_dir}{filters} "
                "(Markdown, text, HTML, JSONL or PDF): check corpus.path"
            )
        stats.files = len(files)
        keys = [_entry_key(rel, digest, self.config) for rel, _, digest in files]
        index_key = _index_key(keys, self.config)
        if not force:
            loaded = self.load(index_key)
            if loaded is not None:
                stats.chunks = len(loaded.chunks)
                stats.seconds = time.perf_counter() - started
                return loaded, stats
        for sub in ("files", "vectors", "builds"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        previous = {} if force else self._previous_entries()
        entries = []
        for (rel, path, _), key in zip(files, keys, strict=True):
            entry = None if force else (previous.get(key) or self._read_entry(key, rel))
            if entry is None:
                entry = self._parse(key, rel, path)
                stats.files_parsed += 1
            entries.append(entry)
        if self.config.dense:
            if embedder is None:
                from llmops_ci.rag.embeddings import EmbeddingError

                raise EmbeddingError(f"{self.config.rel}: dense index {self.config.name} needs an embedder")
            stats.embedded = self._embed(entries, embedder)
        index = self._assemble(index_key, entries)
        self._save(index, entries)
        self._write_manifest(files)
        self._collect(keys, index_key)
        stats.documents = sum(entry.documents for entry in entries)
        stats.chunks = len(index.chunks)
        stats.rebuilt = True
        stats.seconds = time.perf_counter() - started
        return index, stats

    def _parse(self, key: str, rel: str, path: Path) -> _Entry:
        from llmops_ci.rag.chunking import chunk_document

        documents = load_file(path, rel)
        chunks = [chunk for document in documents for chunk in chunk_document(document, self.config.chunking)]
        entry = _Entry(key, rel, chunks, [terms(chunk.text) for chunk in chunks], len(documents))
        payload = {
            "rel": rel,
            "documents": len(documents),
            "chunks": [_chunk_dict(chunk) for chunk in chunks],
            "terms": entry.terms,
        }
        write_atomically(self.directory / "files" / f"{key}.json", json.dumps(payload, ensure_ascii=False))
        return entry

    def _read_entry(self, key: str, rel: str) -> _Entry | None:
        payload = self._read_json(self.directory / "files" / f"{key}.json")
        if payload is None or payload.get("rel") != rel:
            return None
        chunks = [_chunk_from(raw) for raw in payload["chunks"]]
        return _Entry(key, rel, chunks, payload["terms"], int(payload.get("documents", 0)))

    def _previous_entries(self) -> dict[str, _Entry]:
        """The entries of the build in use, read in one go (cheaper than one file per document)."""
        try:
            build = (
                self.directory / "builds" / (self.directory / "CURRENT").read_text(encoding="utf-8").strip()
            )
        except OSError:
            return {}
        listed, raw, all_terms = (
            self._read_json(build / name) for name in ("entries.json", "chunks.json", "terms.json")
        )
        if not (isinstance(listed, list) and isinstance(raw, list) and isinstance(all_terms, list)):
            return {}
        if len(raw) != len(all_terms) or sum(item[3] for item in listed) != len(raw):
            return {}
        vectors = None
        if self.config.dense and listed and listed[0][4] == self.config.embedding_key():
            vectors = _load_vectors(build / "vectors.npy")
        entries, start = {}, 0
        for key, rel, documents, count, _ in listed:
            end = start + count
            chunks = [_chunk_from(item) for item in raw[start:end]]
            entry = _Entry(key, rel, chunks, all_terms[start:end], documents)
            if vectors is not None and len(vectors) == len(raw):
                entry.vectors = vectors[start:end]
            entries[key] = entry
            start = end
        return entries

    def _embed(self, entries: list[_Entry], embedder: Embedder) -> int:
        """Vectors for every entry: from the previous build or the entry's vector file, else embedded, all
        missing chunks of the corpus in one embedder call (which batches them by ``batch_size``)."""
        suffix = self.config.embedding_key()
        missing = []
        for entry in entries:
            if entry.vectors is not None and len(entry.vectors) == len(entry.chunks):
                continue  # from the previous build
            entry.vectors = _load_vectors(self.directory / "vectors" / f"{entry.key}-{suffix}.npy")
            if entry.chunks and (entry.vectors is None or len(entry.vectors) != len(entry.chunks)):
                missing.append(entry)
        texts = [chunk.text for entry in missing for chunk in entry.chunks]
        if not texts:
            return 0
        from llmops_ci.rag.embeddings import _npy_bytes

        vectors = embedder(texts)
        start = 0
        for entry in missing:
            entry.vectors = vectors[start : start + len(entry.chunks)]
            start += len(entry.chunks)
            write_atomically(
                self.directory / "vectors" / f"{entry.key}-{suffix}.npy", _npy_bytes(entry.vectors)
            )
        return len(texts)

    def _assemble(self, index_key: str, entries: list[_Entry]) -> Index:
        chunks = [chunk for entry in entries for chunk in entry.chunks]
        bm25 = None
        if self.config.sparse and chunks:
            import bm25s

            bm25 = bm25s.BM25()
            bm25.index([t for entry in entries for t in entry.terms], show_progress=False)
        vectors = None
        if self.config.dense:
            parts = [entry.vectors for entry in entries if entry.vectors is not None and len(entry.vectors)]
            vectors = _normalised(np.vstack(parts), self.config.metric) if parts else None
        return Index(self.config, index_key, chunks, bm25, vectors)

    def _save(self, index: Index, entries: list[_Entry]) -> None:
        build = self.directory / "builds" / index.key
        partial = build.with_name(f".{index.key}.{time.time_ns()}")
        partial.mkdir(parents=True)
        (partial / "chunks.json").write_text(
            json.dumps([_chunk_dict(chunk) for chunk in index.chunks], ensure_ascii=False), encoding="utf-8"
        )
        (partial / "terms.json").write_text(
            json.dumps([terms for entry in entries for terms in entry.terms], ensure_ascii=False),
            encoding="utf-8",
        )
        embedding = self.config.embedding_key()
        listed = [[e.key, e.rel, e.documents, len(e.chunks), embedding] for e in entries]
        (partial / "entries.json").write_text(json.dumps(listed), encoding="utf-8")
        if index.bm25 is not None:
            index.bm25.save(str(partial / "bm25"))
        if index.vectors is not None:
            np.save(partial / "vectors.npy", index.vectors, allow_pickle=False)
        if build.exists() and self.load(index.key) is None:
            shutil.rmtree(build, ignore_errors=True)  # a damaged build of the same key: replaced
        if build.exists():
            shutil.rmtree(partial, ignore_errors=True)  # another process built the same index meanwhile
        else:
            try:
                partial.rename(build)
            except OSError:
                shutil.rmtree(partial, ignore_errors=True)
        write_atomically(self.directory / "CURRENT", index.key)

    def _collect(self, keys: list[str], index_key: str) -> None:
        """Drop entries, vectors and builds the current corpus no longer uses."""
        wanted = set(keys)
        for path in (self.directory / "files").glob("*.json"):
            if path.stem not in wanted:
                path.unlink(missing_ok=True)
        for path in (self.directory / "vectors").glob("*.npy"):
            if path.stem.split("-")[0] not in wanted:
                path.unlink(missing_ok=True)
        for path in (self.directory / "builds").iterdir():
            if path.name != index_key and not path.name.startswith("."):
                shutil.rmtree(path, ignore_errors=True)

    # -- load ------
    def load(self, index_key: str | None = None) -> Index | None:
        """The build named ``index_key`` (default: CURRENT), or None when it is not there."""
        if index_key is None:
            try:
                index_key = (self.directory / "CURRENT").read_text(encoding="utf-8").strip()
            except OSError:
                return None
        build = self.directory / "builds" / index_key
        raw = self._read_json(build / "chunks.json")
        if raw is None:
            return None
        bm25 = None
        if self.config.sparse and (build / "bm25").is_dir():
            import bm25s

            try:
                bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=False)
            except Exception:  # damaged or half-copied files of a library format: rebuilt, never fatal
                bm25 = None
        vectors = _load_vectors(build / "vectors.npy")
        if (self.config.sparse and raw and bm25 is None) or (self.config.dense and raw and vectors is None):
            return None
        try:
            return Index(self.config, index_key, [_chunk_from(item) for item in raw], bm25, vectors)
        except (KeyError, TypeError):
            return None

    @staticmethod
    def _read_json(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def _load_vectors(path: Path) -> np.ndarray | None:
    """Stored vectors, or None when missing or unreadable (an empty or cut file is embedded again)."""
    if not path.is_file():
        return None
    try:
        vectors: np.ndarray = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return vectors


def _normalised(vectors: np.ndarray, metric: str) -> np.ndarray:
    vectors = vectors.astype(np.float32)
    if metric != "cosine":
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _chunk_dict(chunk: Chunk) -> dict[str, Any]:
    return {
        "id": chunk.id,
        "document": chunk.document,
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "heading": chunk.heading,
        "metadata": chunk.metadata,
    }


def _chunk_from(raw: dict[str, Any]) -> Chunk:
    return Chunk(
        raw["id"],
        raw["document"],
        raw["text"],
        raw["start"],
        raw["end"],
        raw.get("heading"),
        raw.get("metadata") or {},
    )
