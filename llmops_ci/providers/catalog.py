"""Facts about models (context window, prices, embedding size) without importing litellm.

litellm ships its model table as a JSON data file; we read that file directly (``import litellm`` costs
seconds and may reach the network). Without litellm, a small built-in table covers common families and
every answer is marked approximate.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LITELLM_TABLE = "model_prices_and_context_window_backup.json"

# Context windows of common model families (prefix after the provider), for when litellm is absent.
BUILTIN_CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("gemini-1.5-pro", 2_097_152),
    ("gemini", 1_048_576),
    ("mistral-large", 128_000),
    ("mistral", 32_000),
    ("llama-3", 8_192),
    ("llama3", 8_192),
    ("command-r", 128_000),
)
_PINNED = re.compile(
    r"(?:\d{4}-\d{2}-\d{2}|(?<!\d)20\d{6}(?!\d)|[-@]\d{4}(?:$|[-:])|-\d{3}$|:\d+$|-v\d+:\d+|@\d{8})"
)


@dataclass(frozen=True)
class ModelInfo:
    model: str
    context_window: int | None
    max_output_tokens: int | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    approximate: bool = False


def is_local(model: str) -> bool:
    return model.startswith("local/")


def is_pinned(model: str) -> bool:
    """A dated snapshot (``-2024-07-18``, ``-20241022``, ``-0125``, ``@20240620``, ``-001``, ``:2``)."""
    return is_local(model) or (bool(_PINNED.search(model)) and "latest" not in model)


def litellm_table_path() -> Path | None:
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / LITELLM_TABLE
        if candidate.is_file():
            return candidate
    return None


@cache
def _litellm_table() -> dict[str, Any] | None:
    path = litellm_table_path()
    if path is None:
        return None
    with path.open(encoding="utf-8") as handle:
        table: dict[str, Any] = json.load(handle)
    return table


def _entry(table: dict[str, Any], model: str) -> dict[str, Any] | None:
    candidates = [model]
    if "/" in model:
        candidates.append(model.split("/", 1)[1])
    for candidate in candidates:
        entry = table.get(candidate)
        if isinstance(entry, dict):
            return entry
    return None


def _window(entry: dict[str, Any]) -> int | None:
    for key in ("max_input_tokens", "max_tokens"):
        value = entry.get(key)
        if isinstance(value, int):
            return value
    return None


def model_info(model: str) -> ModelInfo:
    if is_local(model):
        return ModelInfo(model, None, None, 0.0, 0.0)  # in-process: no window to speak of, and free
    table = _litellm_table()
    if table is not None:
        entry = _entry(table, model)
        if entry is not None:
            output = entry.get("max_output_tokens")
            return ModelInfo(
                model,
                _window(entry),
                output if isinstance(output, int) else None,
                entry.get("input_cost_per_token"),
                entry.get("output_cost_per_token"),
            )
    bare = model.split("/", 1)[-1]
    for prefix, window in BUILTIN_CONTEXT_WINDOWS:
        if bare.startswith(prefix):
            return ModelInfo(model, window, approximate=True)
    return ModelInfo(model, None, approximate=True)


# Embedding output sizes of common models, for when litellm is absent.
BUILTIN_EMBEDDING_SIZES: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
# Embedding families that always return their full size (no `dimensions` parameter, or it is ignored).
_FIXED_EMBEDDING_FAMILIES = (
    "text-embedding-ada-002",
    "titan-embed-text-v1",
    "titan-embed-g1",
    "embed-english-",
    "embed-multilingual-",
    "cohere-embed-v3",
    "bge-",
    "gte-",
)
# Families whose table size is their default, not their largest (Voyage's output_dimension goes to 2048).
_DEFAULT_NOT_LARGEST = (
    "voyage-3",
    "voyage-4",
    "voyage-code-3",
    "voyage-code-4",
    "voyage-context",
    "voyage-multimodal-3.5",
)


@dataclass(frozen=True)
class EmbeddingSize:
    """An embedding model's full output size; ``fixed`` when it cannot return fewer dimensions."""

    model: str
    size: int
    fixed: bool


def embedding_size(model: str) -> EmbeddingSize | None:
    """The output size of an embedding model from litellm's ``output_vector_size`` (else a built-in
    table of OpenAI models), or None when unknown. Models accept a smaller ``dimensions`` unless their
    family is known to be fixed-size; families whose listed size is not their largest give None."""
    bare = model.split("/", 1)[-1].lower()
    if is_local(model) or any(family in bare for family in _DEFAULT_NOT_LARGEST):
        return None
    fixed = any(family in bare for family in _FIXED_EMBEDDING_FAMILIES)
    table = _litellm_table()
    entry = _entry(table, model) if table is not None else None
    size = entry.get("output_vector_size") if entry is not None else None
    if isinstance(size, (int, float)) and size == int(size) and size > 0:
        return EmbeddingSize(model, int(size), fixed)
    if bare in BUILTIN_EMBEDDING_SIZES:
        return EmbeddingSize(model, BUILTIN_EMBEDDING_SIZES[bare], fixed)
    return None


def cost_from_usage(
    prices: tuple[float | None, float | None], input_tokens: int | None, output_tokens: int | None
) -> float | None:
    """Input and output tokens at (input, output) prices per token; None when either is unknown."""
    input_price, output_price = prices
    if input_price is None or output_price is None or input_tokens is None or output_tokens is None:
        return None
    return input_tokens * input_price + output_tokens * output_price


def _bundled_encoding(cache_dir: Path) -> Any:
    """tiktoken's cl100k_base from litellm's bundled copy; the cache directory is set for this call only,
    so a user's own TIKTOKEN_CACHE_DIR (which may lack the file) never leads to a download."""
    import tiktoken

    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        return tiktoken.get_encoding("cl100k_base")
    finally:
        if previous is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def count_tokens(text: str) -> tuple[int, bool]:
    """(tokens, approximate). Exact with tiktoken's cl100k_base when litellm's bundled copy is on disk,
    else len/4. Never downloads an encoding."""
    table = litellm_table_path()
    try:
        if table is None:
            raise ImportError
        cache_dir = table.parent / "litellm_core_utils" / "tokenizers"
        if not (cache_dir / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").is_file():
            raise ImportError
        encoding = _bundled_encoding(cache_dir)
    except Exception:
        return (len(text) + 3) // 4, True
    return len(encoding.encode(text, disallowed_special=())), False
