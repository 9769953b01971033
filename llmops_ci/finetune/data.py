"""Chat JSONL training data: one ``{"messages": [...]}`` object per line, as OpenAI's fine-tuning API and
most trainers (TRL, Axolotl's ``chat_template``) take it.

A line is a valid example when it is a JSON object with a ``messages`` list (and optionally ``tools``,
``parallel_tool_calls``, ``weight``-free extras under ``x-``); each message has a ``role`` among system,
user, assistant and tool and a string ``content`` (an assistant message may instead carry
``tool_calls``); at least one assistant message is present, and the example ends with one (what the
model learns to produce). Blank lines are skipped.

Token counts are the offline estimate of :func:`llmops_ci.rag.text.count_tokens` (within ~15% of
cl100k on English prose) plus 4 tokens per message for the chat format's framing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.rag.text import count_tokens

ROLES = ("system", "user", "assistant", "tool")
EXAMPLE_KEYS = {"messages", "tools", "parallel_tool_calls"}
MESSAGE_KEYS = {"role", "content", "name", "tool_calls", "tool_call_id", "weight"}
PER_MESSAGE_TOKENS = 4


@dataclass
class Example:
    """One valid line of a data file."""

    file: str
    line: int
    messages: list[dict[str, Any]]
    tokens: int

    @property
    def key(self) -> str:
        """What two duplicate examples share: their messages, canonically."""
        return json.dumps(self.messages, sort_keys=True, ensure_ascii=False)

    def texts(self) -> Iterator[tuple[int, str, str]]:
        """(message index, role, text) of every message with text content."""
        for index, message in enumerate(self.messages):
            if isinstance(message.get("content"), str):
                yield index, message["role"], message["content"]


@dataclass
class Problem:
    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


def _message_problem(index: int, message: Any) -> str | None:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        return f"{where} is not an object"
    unknown = sorted(key for key in message if key not in MESSAGE_KEYS and not str(key).startswith("x-"))
    if unknown:
        return f"{where} has unknown key(s) {', '.join(map(repr, unknown))}"
    role = message.get("role")
    if role not in ROLES:
        return f"{where}.role is {role!r}, not one of {', '.join(ROLES)}"
    content = message.get("content")
    if role == "assistant" and content is None and message.get("tool_calls"):
        return None
    if not isinstance(content, str):
        return f"{where}.content must be a string (got {type(content).__name__})"
    if not content.strip() and role != "system":
        return f"{where}.content is empty"
    return None


def example_problem(value: Any) -> str | None:
    """Why a parsed line is not a chat example; None when it is one."""
    if not isinstance(value, dict):
        return "a line must be a JSON object with a 'messages' list"
    unknown = sorted(key for key in value if key not in EXAMPLE_KEYS and not str(key).startswith("x-"))
    if unknown:
        return f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(EXAMPLE_KEYS))}"
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    for index, message in enumerate(messages):
        problem = _message_problem(index, message)
        if problem is not None:
            return problem
    roles = [message["role"] for message in messages]
    if "assistant" not in roles:
        return "no assistant message: nothing to learn"
    if roles[-1] != "assistant":
        return f"the example ends with a {roles[-1]} message; it should end with the assistant's answer"
    return None


def example_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        total += PER_MESSAGE_TOKENS + count_tokens(str(message.get("content") or ""))
        if message.get("tool_calls"):
            total += count_tokens(json.dumps(message["tool_calls"]))
    return total


def read_examples(path: Path, shown: str) -> tuple[list[Example], list[Problem]]:
    """Every valid example of a chat JSONL file, and a problem per line that is not one."""
    examples: list[Example] = []
    problems: list[Problem] = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        return [], [Problem(shown, 1, f"cannot read the file: {error.strerror}")]
    number = 0
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    problems.append(Problem(shown, number, f"not JSON: {error.msg} (column {error.colno})"))
                    continue
                problem = example_problem(value)
                if problem is not None:
                    problems.append(Problem(shown, number, problem))
                    continue
                messages = value["messages"]
                examples.append(Example(shown, number, messages, example_tokens(messages)))
        except UnicodeDecodeError:
            problems.append(Problem(shown, number + 1, "the file is not UTF-8 text from this line on"))
    return examples, problems
