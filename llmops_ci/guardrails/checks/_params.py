"""Small readers of check options shared by several check modules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError


def string_list(spec: Mapping[str, Any], key: str) -> list[str]:
    values = spec.get(key) or []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise CheckError(f"{key} holds an empty or non-text entry", (key, index))
    return list(values)


def terms_from_file(spec: Mapping[str, Any], context: BuildContext) -> list[str]:
    """One term per line; blank lines and lines starting with ``#`` are skipped."""
    name = spec.get("terms_file")
    if not name:
        return []
    path = Path(name) if Path(name).is_absolute() else context.root / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CheckError(f"cannot read terms_file {name!r}: {reason}", "terms_file") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
