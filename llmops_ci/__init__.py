"""llmops-ci: prompts, guardrails, RAG configs and eval suites treated as code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from llmops_ci.runtime import load_prompt

__all__ = ["__version__", "load_prompt"]


def __getattr__(name: str) -> Any:
    """``load_prompt`` is imported on first use, so ``import llmops_ci`` (and the lint path) stays cheap."""
    if name == "load_prompt":
        from llmops_ci.runtime import load_prompt

        return load_prompt
    raise AttributeError(f"module 'llmops_ci' has no attribute {name!r}")
