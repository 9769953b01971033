"""User-supplied regular expressions run on RE2 (google-re2): linear time on any input, so a policy's
pattern cannot hang a scan (no catastrophic backtracking). RE2 has no look-around or back-references;
patterns using them are refused with RE2's reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import re2

from llmops_ci.guardrails.checks import CheckError


class SafePattern(Protocol):
    def finditer(self, text: str) -> Iterator[Any]: ...

    def search(self, text: str) -> Any: ...


def compile_safe(
    pattern: str, key: str | int | tuple[str | int, ...], *, case_sensitive: bool = True
) -> SafePattern:
    """Compile ``pattern`` with RE2; ``key`` locates it in the check entry for the error message."""
    options = re2.Options()
    options.log_errors = False  # RE2 otherwise prints its own copy of the error on stderr
    options.case_sensitive = case_sensitive
    try:
        return re2.compile(pattern, options)  # type: ignore[no-any-return]
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise CheckError(
            f"pattern {pattern!r} is not a valid RE2 expression: {reason} "
            "(RE2 runs in linear time and has no look-around or back-references)",
            key,
        ) from None
