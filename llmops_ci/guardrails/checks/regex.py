"""## regex
Fires on every match of any of the check's regular expressions: ticket numbers, internal hostnames,
account ids — anything a pattern describes.

## Options
- `patterns` (required): a list of regular expressions in RE2 syntax.
- `case_sensitive` (default `true`).

Entity: `PATTERN_<n>` where `n` is the 1-based index of the pattern that matched.

## Limits
Patterns run on RE2 (google-re2), in time linear in the text: a pattern from a pull request cannot hang
CI with catastrophic backtracking. RE2 has no look-around and no back-references; such patterns are
refused by lint (G003) with RE2's reason. Empty matches are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection
from llmops_ci.guardrails.checks._params import string_list
from llmops_ci.guardrails.checks._safe_regex import SafePattern, compile_safe

ENTITIES: tuple[str, ...] = ()
PARAMS = frozenset({"patterns", "case_sensitive", "mask_keep"})
MODEL_BASED = False


class PatternDetector:
    def __init__(self, patterns: list[tuple[str, SafePattern]]) -> None:
        self.patterns = patterns

    def scan(self, text: str) -> list[Detection]:
        found = []
        for entity, pattern in self.patterns:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    found.append(Detection(entity, match.start(), match.end(), match.group()))
        return found


def build(spec: Mapping[str, Any], context: BuildContext) -> PatternDetector:
    patterns = string_list(spec, "patterns")
    if not patterns:
        raise CheckError("a regex check needs at least one entry in patterns", "patterns")
    case_sensitive = bool(spec.get("case_sensitive", True))
    return PatternDetector(
        [
            (
                f"PATTERN_{index + 1}",
                compile_safe(pattern, ("patterns", index), case_sensitive=case_sensitive),
            )
            for index, pattern in enumerate(patterns)
        ]
    )
