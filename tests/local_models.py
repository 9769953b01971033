"""A small in-process model for tests of the local provider: keyword routing over the last user message."""

from __future__ import annotations

from typing import Any

LABELS = ("invoice", "contract", "nda")


class KeywordClassifier:
    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        text = messages[-1]["content"].lower()
        return next((label for label in LABELS if label in text), "unknown")
