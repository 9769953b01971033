"""What every baseline shares: the input convention, option checking, path resolution and the text units
(sentences and lines) the extractive engines rank.

Input convention: a baseline reads the LAST user message of the chat. Inside it, the text of a
``<document>...</document>``, ``<question>...</question>`` or ``<context>...</context>`` tag is taken when the
tag is present (the last occurrence, so few-shot examples written before the real input are skipped);
otherwise the whole message is the input.

Markup: the classic pipeline reads text, so a document that is HTML (it has block tags such as ``<p>``,
``<td>``, ``<br>``) is first turned into text: block elements end lines, ``<br>`` breaks one, table cells
are separated by `` | ``, a definition list's ``<dt>term</dt><dd>value</dd>`` becomes ``term: value``,
``<head>``, ``<script>`` and ``<style>`` are dropped and entities decoded. Markdown emphasis markers
(``**``, ``__``) and trailing hard-break spaces are removed; the rest of Markdown is kept as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
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
    """The ``<document>`` of the last user message, else the whole message, as plain text."""
    text = last_user_text(messages)
    inner = tagged(text, "document")
    return plain_text(text.strip() if inner is None else inner)


_HTML = re.compile(r"<(?:html|body|p|div|br|table|tr|td|th|h[1-6]|dl|dt|dd|li|ul|ol|section)\b[^>]*>", re.I)
_BLOCK_TAGS = "address article aside blockquote div dl footer h1 h2 h3 h4 h5 h6 header hr li ol p pre section"
_BLOCKS = frozenset((*_BLOCK_TAGS.split(), "table", "tr", "ul", "title"))
_SKIPPED = frozenset(("head", "script", "style"))


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS or tag in ("br", "dt"):
            self.parts.append("\n")
            self.cells = 0
        elif tag in ("td", "th"):
            self.parts.append(" | " if self.cells else "")
            self.cells += 1
        elif tag == "dd":
            self.parts.append(": ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS or tag == "dd":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def plain_text(text: str) -> str:
    """``text`` without markup (see the module docs); text that is not HTML keeps its lines."""
    if _HTML.search(text):
        parser = _TextParser()
        parser.feed(text)
        parser.close()
        lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
        text = "\n".join(line.strip(" |") if line.strip(" |") else "" for line in lines)
        text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.replace("**", "").replace("__", "")
    return re.sub(r"[ \t]+\n", "\n", text).strip()


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
