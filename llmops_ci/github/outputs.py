"""The files GitHub Actions gives a step: ``$GITHUB_OUTPUT`` (step outputs) and ``$GITHUB_STEP_SUMMARY``
(markdown shown on the run's summary page), plus workflow-command annotations on the log.

Outputs are ``name=value`` lines; a value holding a newline is written in the heredoc form
``name<<DELIMITER`` ... ``DELIMITER`` with a random delimiter that the value does not contain, so no value
can end its own block early and inject another output.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from llmops_ci.report.lint_github import escape_data, escape_property

#: GitHub refuses a step summary over 1 MiB; keep a margin for what other steps append.
SUMMARY_MAX_BYTES = 1_000_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_outputs(values: Mapping[str, str]) -> str:
    """The text to append to ``$GITHUB_OUTPUT`` for ``values``."""
    lines: list[str] = []
    for name, value in values.items():
        if not _NAME.match(name):
            raise ValueError(f"output name {name!r} is not a valid identifier")
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines += [f"{name}<<{delimiter}", value, delimiter]
        else:
            lines.append(f"{name}={value}")
    return "".join(line + "\n" for line in lines)


def set_outputs(values: Mapping[str, str], env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``values`` to ``$GITHUB_OUTPUT``; None (nothing written) outside Actions."""
    target = (os.environ if env is None else env).get("GITHUB_OUTPUT")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(format_outputs(values))
    return path


def append_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` (cut to stay under its size limit); None outside
    Actions."""
    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    used = path.stat().st_size if path.is_file() else 0
    room = max(0, SUMMARY_MAX_BYTES - used)
    data = markdown.encode("utf-8")
    if len(data) > room:
        note = "\n\n… (cut: the step summary is limited to 1 MiB)\n".encode()
        data = data[: max(0, room - len(note))].decode("utf-8", "ignore").encode("utf-8") + note
    with path.open("ab") as handle:
        handle.write(data if data.endswith(b"\n") else data + b"\n")
    return path


def annotate(
    level: str, message: str, *, title: str = "llmops-ci", env: Mapping[str, str] | None = None
) -> None:
    """A workflow-command annotation (``::warning title=...::message``) inside Actions; on a terminal, a
    plain ``llmops-ci: message`` line on stderr."""
    if (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true":
        sys.stdout.write(f"::{level} title={escape_property(title)}::{escape_data(message)}\n")
        sys.stdout.flush()
    else:
        sys.stderr.write(f"llmops-ci: {message}\n")
