"""The pull request's sticky comment: a hidden marker first (how the next run finds it), the report, and
nothing secret, in under GitHub's 65,536 characters.

A monorepo may run the Action once per project (``working-directory``): each project's comment carries a
second marker naming its directory, so the runs update their own comments and not each other's.

Everything posted passes through the guardrails' ``secrets`` check (redact), after the literal values of
secret-looking environment variables (``*_TOKEN``, ``*_API_KEY``, ``*SECRET*``, ...) are replaced, since
results and diffs quote model outputs and artifact text, which a pull request controls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmops_ci.guardrails.policy import Policy

MARKER = "<!-- llmops-ci:pr-comment -->"
_PROJECT_MARKER = "<!-- llmops-ci:project="
#: GitHub's limit on a comment body.
GITHUB_MAX_CHARS = 65_536
#: What we aim for: GitHub's limit less a margin (it may count some characters twice).
MAX_CHARS = 65_000
_MIN_MAIN = 1_000
_CUT_NOTE = "\n\n… (comment cut to fit GitHub's size limit; the step summary has the full report)\n"
REDACTED = "[REDACTED]"
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_KEY|PRIVATE_KEY", re.IGNORECASE
)
#: Environment values shorter than this are not replaced (too likely to be ordinary words).
_MIN_SECRET_CHARS = 8
_SECRETS_POLICY = {"checks": [{"id": "secrets", "type": "secrets", "scopes": {"output": "redact"}}]}


def project_marker(key: str | None) -> str:
    """The second marker line of a project below the repository root ('' for the root)."""
    if not key or key in (".", "./"):
        return ""
    safe = re.sub(r"[^A-Za-z0-9._/-]", "_", key.strip("/")).replace("--", "-_")
    return f"{_PROJECT_MARKER}{safe} -->"


def header(key: str | None = None) -> str:
    second = project_marker(key)
    return MARKER + (f"\n{second}" if second else "")


def matcher(key: str | None = None) -> Callable[[str], bool]:
    """Whether a comment's body is this project's sticky comment: it starts with our marker(s)."""
    expected = header(key)

    def matches(body: str) -> bool:
        text = body.replace("\r\n", "\n")
        if not text.startswith(MARKER):
            return False
        if expected != MARKER:
            return text == expected or text.startswith(expected + "\n")
        return not text[len(MARKER) :].lstrip("\n").startswith(_PROJECT_MARKER)

    return matches


def code_block(text: str, language: str = "text") -> str:
    """``text`` in a fenced block whose fence is longer than any backtick run inside (so it cannot close
    it early); mentions do not notify from inside a code block."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def environment_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables whose names say they are credentials, longest first."""
    env = os.environ if env is None else env
    values = {
        value
        for name, value in env.items()
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_CHARS and len(set(value)) > 2
    }
    return sorted(values, key=len, reverse=True)


@cache
def _secrets_policy() -> Policy:
    from llmops_ci.guardrails.policy import policy_from_spec

    return policy_from_spec("pr-comment", _SECRETS_POLICY)


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with environment credentials and anything the ``secrets`` check finds redacted."""
    for value in environment_secrets(env):
        text = text.replace(value, REDACTED)
    return _secrets_policy().check(text, "output").text


def build(
    render_main: Callable[[int], str],
    sections: Sequence[str] = (),
    *,
    key: str | None = None,
    limit: int = MAX_CHARS,
    env: Mapping[str, str] | None = None,
) -> str:
    """The comment: the marker(s), ``render_main(max_chars)`` (the diff, which shortens its lists to fit),
    then ``sections`` (lint line, notes, footer), redacted, at most ``limit`` characters."""
    top = header(key) + "\n"
    tail = "".join(f"\n{section.rstrip()}\n" for section in sections if section.strip())
    budget = limit - len(top) - len(tail) - 1
    while True:
        text = redact(top + render_main(max(budget, _MIN_MAIN)).rstrip("\n") + "\n" + tail, env)
        if len(text) <= limit or budget <= _MIN_MAIN:
            break
        budget -= len(text) - limit + 200
    if len(text) > limit:
        text = text[: limit - len(_CUT_NOTE)] + _CUT_NOTE
    return text


def inline(text: object, limit: int = 2000) -> str:
    """Text from results or artifacts made safe inline in markdown (one line, no table pipes, HTML,
    @-mentions or code spans): the diff report's own escaping."""
    from llmops_ci.report.diff_markdown import cell

    return cell(text, limit)
