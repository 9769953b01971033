"""What every baseline shares: the input convention, option checking, path resolution and the text units
(sentences and lines) the extractive engines rank.

Input convention: a baseline reads the LAST user message of the chat. Inside it, the text of a
``<document>...</document>``, ``<question>...</question>`` or ``<context>...</context>`` tag is taken when the
tag is present (the last occurrence, so few-shot examples written before the real input are skipped);
otherwise the whole message is the input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.errors import ProjectConfigError
from llmops_ci.rag.text import sentences, words


class BaselineError(ProjectConfigError):
    """A baseline's options or data files are wrong; the message names the file and what to fix."""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last ``user`` message ('' when there is none); list contents keep their text parts."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "\n".join(str(part) for part in parts if part)
    return "" if content is None else str(content)


def tagged(text: str, tag: str) -> str | None:
    """The inner text of the last ``<tag>...</tag>`` in ``text``, stripped; ``None`` when absent."""
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL | re.IGNORECASE)
    return found[-1].strip() if found else None


def untagged(text: str, tags: tuple[str, ...]) -> str:
    """``text`` with every ``<tag>...</tag>`` block of ``tags`` removed, stripped."""
    for tag in tags:
        text = re.sub(rf"<{tag}>.*?</{tag}>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    return text.strip()


def document_text(messages: list[dict[str, Any]]) -> str:
    """The ``<document>`` of the last user message, else the whole message."""
    text = last_user_text(messages)
    inner = tagged(text, "document")
    return text.strip() if inner is None else inner


# --- options ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of a baseline: its type check, default and a one-line description for errors and docs."""

    kind: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    check: Callable[[Any], bool] | None = None
    help: str = ""


def read_options(baseline: str, options: Mapping[str, Any], spec: Mapping[str, Option]) -> dict[str, Any]:
    """``options`` checked against ``spec`` (unknown names, types, value checks) with defaults filled in."""
    unknown = sorted(set(options) - set(spec))
    if unknown:
        raise BaselineError(
            f"{baseline}: unknown option(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(spec))}"
        )
    values: dict[str, Any] = {}
    for name, option in spec.items():
        if name not in options:
            if option.required:
                raise BaselineError(f"{baseline}: option {name!r} is required ({option.help})")
            values[name] = option.default
            continue
        value = options[name]
        wrong_type = not isinstance(value, option.kind) or (
            isinstance(value, bool) and option.kind is not bool
        )
        if wrong_type or (option.check is not None and not option.check(value)):
            raise BaselineError(f"{baseline}: option {name!r} = {value!r} is not valid: {option.help}")
        values[name] = value
    return values


def data_file(baseline: str, option: str, value: str, base_dir: Path) -> Path:
    """``value`` resolved against ``base_dir`` (the project root); an error naming the path when missing."""
    path = Path(value)
    path = path if path.is_absolute() else base_dir / path
    if not path.is_file():
        raise BaselineError(
            f"{baseline}: option {option!r}: file {value} not found (looked at {path}); "
            "create it or fix the path (relative paths start at the directory of llmops.yaml)"
        )
    return path


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` of each non-blank line; an error naming ``path:line`` on bad JSON."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise BaselineError(f"{path}:{number}: not valid JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise BaselineError(f"{path}:{number}: expected a JSON object, found {type(record).__name__}")
            yield number, record


# --- text units ------------------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)]|#+)\s")


def units(text: str) -> list[str]:
    """The sentences of ``text``, with a line break also ending a unit unless the next line visibly
    continues the sentence (starts in lower case and the line before has no final punctuation or colon).

    Business documents are half prose, half form ("Invoice number: INV-7"): a line of a form is a unit of
    its own, while prose wrapped over several lines stays one sentence.
    """
    blocks: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            blocks.append([])
            continue
        previous = blocks[-1] if blocks else []
        if previous and _continues(previous[-1], line):
            previous.append(line)
        else:
            blocks.append([line])
    out: list[str] = []
    for block in blocks:
        if block:
            out.extend(sentence for sentence in sentences(" ".join(block)) if words(sentence))
    return out


def _continues(before: str, line: str) -> bool:
    if _LIST_ITEM.match(line) or before.endswith((".", "!", "?", ":", ";")):
        return False
    return line[:1].islower() or before.endswith((",", "-", "(", "&"))
