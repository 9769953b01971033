"""Dense embeddings for a pipeline through litellm (``embedding.model``), in batches of
``embedding.batch_size``, with a content-addressed on-disk cache of every text embedded (under the
pipeline's index directory), so a rebuild or a rerun of the same queries makes no request at all."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.atomic import write_atomically
from llmops_ci.errors import LlmopsError
from llmops_ci.rag.pipeline import PipelineConfig

#: requests per batch before giving up (rate limits and server errors are retried with backoff)
_ATTEMPTS = 4

Embedder = Callable[[Sequence[str]], "np.ndarray"]


class EmbeddingError(LlmopsError):
    pass


class CachedEmbedder:
    """Embeds texts with the pipeline's model; every vector is kept under ``cache_dir`` by the digest of
    (model, dimensions, text). ``requests`` counts calls made to the provider."""

    def __init__(self, config: PipelineConfig, cache_dir: Path, *, replay: bool = False) -> None:
        if config.embedding_model is None:
            raise EmbeddingError(f"{config.rel}: pipeline {config.name!r} has no embedding model")
        self.config = config
        self.cache_dir = cache_dir
        self.replay = replay
        self.requests = 0

    def _key(self, text: str) -> str:
        request = {"model": self.config.embedding_model, "dimensions": self.config.dimensions, "text": text}
        return sha256_hex(canonical_json(request))

    def _path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.npy"

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        for key in set(keys):
            path = self._path(key)
            if path.is_file():
                try:
                    found[key] = np.load(path, allow_pickle=False)
                except (OSError, ValueError, EOFError):
                    path.unlink(missing_ok=True)  # a damaged entry: embedded again
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        if missing and self.replay:
            raise EmbeddingError(f"--replay: {len(missing)} embedding(s) of {self.config.name} not cached")
        by_key = dict(zip(keys, texts, strict=True))
        size = max(1, self.config.batch_size)
        for start in range(0, len(missing), size):
            batch = missing[start : start + size]
            vectors = self._request([by_key[key] for key in batch])
            for key, vector in zip(batch, vectors, strict=True):
                path = self._path(key)
                path.parent.mkdir(parents=True, exist_ok=True)
                buffer = _npy_bytes(vector)
                write_atomically(path, buffer)
                found[key] = vector
        if not keys:
            return np.zeros((0, self.config.dimensions or 0), dtype=np.float32)
        return np.vstack([found[key] for key in keys]).astype(np.float32)

    def _dimensions(self) -> int | None:
        """``dimensions`` to send: only to models that can shorten their vectors, and only to shorten them
        (a fixed-size model such as ada-002 rejects the parameter even at its own size)."""
        from llmops_ci.providers.catalog import embedding_size

        wanted = self.config.dimensions
        known = embedding_size(str(self.config.embedding_model))
        if wanted is None or (known is not None and (known.fixed or known.size == wanted)):
            return None
        return wanted

    def _request(self, texts: list[str]) -> list[np.ndarray]:
        import asyncio

        from llmops_ci.providers.litellm_provider import ProviderError, embed

        model = str(self.config.embedding_model)
        call = embed(model, texts, api_base=self.config.embedding_api_base, dimensions=self._dimensions())
        for attempt in range(_ATTEMPTS):
            self.requests += 1
            try:
                result = asyncio.run(call)
                break
            except ProviderError as error:
                if not error.retryable or attempt == _ATTEMPTS - 1:
                    raise EmbeddingError(f"{self.config.rel}: embedding model {model}: {error}") from None
                time.sleep(min(30.0, error.retry_after or 0.5 * 2**attempt))
                call = embed(
                    model, texts, api_base=self.config.embedding_api_base, dimensions=self._dimensions()
                )
        vectors = [np.asarray(vector, dtype=np.float32) for vector in result.vectors]
        if self.config.dimensions and vectors and len(vectors[0]) != self.config.dimensions:
            raise EmbeddingError(
                f"{self.config.rel}: embedding model {model} returned {len(vectors[0])} dimensions, "
                f"the pipeline declares {self.config.dimensions}"
            )
        return vectors


def _npy_bytes(vector: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, vector, allow_pickle=False)
    return buffer.getvalue()
