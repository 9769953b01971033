"""## length
Fires when a text is shorter than `min` or longer than `max`: runaway outputs, empty answers, inputs
stuffed to push the instructions out of the context window.

## Options
- `min`, `max`: bounds (at least one), inclusive.
- `unit`: `chars` (default), `words` (runs of non-space characters) or `tokens` (tiktoken's cl100k_base
  when litellm's bundled copy is installed, else characters / 4 — the detail says which).

Entities: `TOO_SHORT`, `TOO_LONG`. The detection spans the whole text, so `redact` replaces all of it;
`mask` keeps its last `mask_keep` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection

ENTITIES = ("TOO_SHORT", "TOO_LONG")
PARAMS = frozenset({"min", "max", "unit", "mask_keep"})
MODEL_BASED = False


class LengthDetector:
    def __init__(self, minimum: int | None, maximum: int | None, unit: str) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit

    def measure(self, text: str) -> tuple[int, str]:
        if self.unit == "words":
            return len(text.split()), ""
        if self.unit == "tokens":
            from llmops_ci.providers.catalog import count_tokens

            count, approximate = count_tokens(text)
            return count, " (approximate: characters / 4)" if approximate else ""
        return len(text), ""

    def scan(self, text: str) -> list[Detection]:
        size, note = self.measure(text)
        if self.minimum is not None and size < self.minimum:
            return [
                Detection("TOO_SHORT", 0, len(text), text, f"{size} {self.unit} < min {self.minimum}{note}")
            ]
        if self.maximum is not None and size > self.maximum:
            return [
                Detection("TOO_LONG", 0, len(text), text, f"{size} {self.unit} > max {self.maximum}{note}")
            ]
        return []


def build(spec: Mapping[str, Any], context: BuildContext) -> LengthDetector:
    minimum, maximum = spec.get("min"), spec.get("max")
    if minimum is None and maximum is None:
        raise CheckError("a length check needs min, max or both", "type")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise CheckError(f"min {minimum} is greater than max {maximum}", "min")
    return LengthDetector(minimum, maximum, str(spec.get("unit", "chars")))
