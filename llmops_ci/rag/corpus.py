"""The documents of a RAG corpus: which files a pipeline reads, and the text each one holds.

A ``RagPipeline`` names a directory (``corpus.path``) and optional ``include`` / ``exclude`` glob patterns.
Every file under the directory with a supported extension is read, except hidden files and anything inside
hidden directories (names starting with ``.``, such as ``.git``). Patterns are relative to the corpus
directory and use ``/`` on every platform: ``*`` and ``?`` stay within one path segment, ``**`` spans any
number of segments (``**/*.md`` is every Markdown file at any depth, ``*.md`` only those at the top), and a
pattern that names a directory covers everything below it (``exclude: [drafts]``). A file is read when it
matches some ``include`` pattern (all files when there is none) and no ``exclude`` pattern.

Formats (by extension, case-insensitive); text is decoded as UTF-8 (a byte-order mark is dropped, CRLF and
CR line ends become LF):

- ``.md``, ``.markdown``, ``.txt``: the text as it is.
- ``.html``, ``.htm``: the visible text. ``<script>``, ``<style>``, ``<head>`` and similar are dropped,
  block elements (paragraphs, list items, table rows, ``<br>``...) become line breaks, list items start
  with ``- ``, ``<h1>``..``<h6>`` become Markdown heading lines (``## Title``) so chunks know their section,
  ``<pre>`` keeps its spacing, other runs of white space (non-breaking spaces too) become one space and
  entities are decoded. The ``<title>`` goes to the metadata.
- ``.jsonl``: one document per non-empty line, each a JSON object whose text is its ``text`` field (else
  ``content``) and whose id is its ``id`` field (else the line number); the document id is
  ``<file>#<id>``; line ends inside the text are normalised as in files. Its other scalar fields
  (strings, numbers, booleans, null) become metadata.
- ``.pdf``: the text of every page, pages separated by a blank line; metadata ``pages``. Needs the
  ``pdf`` extra (``pip install 'llmops-ci[pdf]'``). Encrypted PDFs are read only when they open
  without a password.

Every document carries metadata ``format`` (``markdown``, ``text``, ``html``, ``jsonl`` or ``pdf``), its
``source`` (the file's path relative to the corpus directory) and a ``digest`` (sha256 of its text and
metadata). Files or records without any text are skipped. A file that cannot be read (invalid UTF-8, a bad
JSONL line, a broken PDF) stops the load with a message naming the file and the line or byte.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.errors import LlmopsError
from llmops_ci.rag.model import Document

SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".jsonl", ".pdf"}

_FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".pdf": "pdf",
}


class CorpusError(LlmopsError):
    """A corpus that cannot be read: a missing directory, no documents, or a file that does not parse."""


# -- which files ------------------------------------------------------------------------------------------


def corpus_files(
    directory: Path, include: list[str] | None = None, exclude: list[str] | None = None
) -> list[tuple[str, Path]]:
    """``(relative POSIX path, absolute path)`` of every supported, non-hidden file under ``directory`` that
    the patterns select, sorted by relative path."""
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise CorpusError(f"corpus directory {_display(directory)} {what}: check corpus.path")
    root = directory.absolute()
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        base = Path(folder)
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED:
                continue
            path = base / name
            rel = path.relative_to(root).as_posix()
            if _selected(rel, include, exclude) and path.is_file():
                found.append((rel, path))
    return sorted(found)


def _selected(rel: str, include: list[str] | None, exclude: list[str] | None) -> bool:
    if include and not any(_matches(pattern, rel) for pattern in include):
        return False
    return not (exclude and any(_matches(pattern, rel) for pattern in exclude))


def _matches(pattern: str, rel: str) -> bool:
    """The pattern matches the path itself or one of the directories it lies in."""
    regex = _glob_regex(pattern)
    if regex.fullmatch(rel):
        return True
    parts = rel.split("/")
    return any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts)))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob (``*``, ``?``, ``[...]``, ``**``) as a regular expression over POSIX relative paths; the same
    meaning as ``PurePosixPath.full_match`` of Python 3.13, which 3.10 lacks."""
    pattern = pattern.strip().replace("\\", "/").removeprefix("./").rstrip("/")
    out = []
    segments = pattern.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        out.append(_segment_regex(segment))
        if not last:
            out.append("/")
    return re.compile("".join(out), re.DOTALL)


def _segment_regex(segment: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (close := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : close]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append(f"[{'^/' if negate else ''}{re.escape(body).replace(chr(92) + '-', '-')}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


# -- what they hold ---------------------------------------------------------------------------------------


def load_corpus(
    directory: Path, include: list[str] | None = None, exclude: list[str] | None = None
) -> list[Document]:
    """Every document of the corpus, sorted by id."""
    files = corpus_files(directory, include, exclude)
    documents = [document for rel, path in files for document in load_file(path, rel)]
    if not documents:
        selection = _describe_selection(include, exclude)
        detail = f"{len(files)} matching file(s) hold no text" if files else "no supported file"
        raise CorpusError(
            f"no documents under {_display(directory)}{selection}: {detail}; supported extensions are "
            f"{', '.join(sorted(SUPPORTED))}"
        )
    documents.sort(key=lambda document: document.id)
    _refuse_duplicates(documents)
    return documents


def _describe_selection(include: list[str] | None, exclude: list[str] | None) -> str:
    parts = []
    if include:
        parts.append(f"include {include}")
    if exclude:
        parts.append(f"exclude {exclude}")
    return f" matching {' and '.join(parts)}" if parts else ""


def _refuse_duplicates(documents: list[Document]) -> None:
    for previous, document in itertools.pairwise(documents):
        if previous.id == document.id:
            raise CorpusError(f"two documents have the id {document.id!r}: rename one of the files")


def load_file(path: Path, rel: str) -> list[Document]:
    """The documents of one corpus file: one, none (no text) or, for JSONL, one per record."""
    suffix = Path(rel).suffix.lower()
    if suffix not in _FORMATS:
        raise CorpusError(f"{_display(path)}: unsupported file type {suffix or '(none)'}")
    fmt = _FORMATS[suffix]
    if fmt == "pdf":
        text, metadata = _read_pdf(path)
        return _documents([(rel, text, {**metadata, "format": fmt})], rel)
    text = _read_text(path)
    if fmt == "jsonl":
        return _documents(_jsonl_records(text, path, rel), rel)
    if fmt == "html":
        text, metadata = html_text(text)
        return _documents([(rel, text, {**metadata, "format": fmt})], rel)
    return _documents([(rel, text, {"format": fmt})], rel)


def file_digest(path: Path) -> str:
    """sha256 hex of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _documents(items: Iterable[tuple[str, str, dict[str, Any]]], rel: str) -> list[Document]:
    out = []
    for doc_id, text, metadata in items:
        if text.strip():
            digest = sha256_hex(canonical_json({"text": text, "metadata": metadata}))
            out.append(Document(id=doc_id, text=text, source=rel, digest=digest, metadata=metadata))
    return out


def _read_text(path: Path) -> str:
    data = _read_bytes(path)
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = bom + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise CorpusError(
            f"{_display(path)}:{line}: not valid UTF-8 (byte offset {offset}): save the file as UTF-8 or "
            "exclude it from the corpus"
        ) from None
    return _normalise_line_ends(text)


def _normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CorpusError(f"{_display(path)}: cannot be read: {error.strerror or error}") from None


def _jsonl_records(text: str, path: Path, rel: str) -> list[tuple[str, str, dict[str, Any]]]:
    records = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{_display(path)}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{where}: each line must be a JSON object with a 'text' field")
        body = record["text"] if "text" in record else record.get("content")
        if not isinstance(body, str):
            raise CorpusError(f"{where}: the record needs a string 'text' (or 'content') field")
        record_id = _record_id(record, number, where)
        if record_id in seen:
            raise CorpusError(f"{where}: id {record_id!r} was already used on line {seen[record_id]}")
        seen[record_id] = number
        metadata = {
            key: value
            for key, value in record.items()
            if key not in ("text", "content", "id") and _is_scalar(value)
        }
        text = _normalise_line_ends(body)  # "\r\n" escaped inside the JSON string
        records.append((f"{rel}#{record_id}", text, {**metadata, "format": "jsonl"}))
    return records


def _record_id(record: dict[str, Any], number: int, where: str) -> str:
    if "id" not in record:
        return str(number)
    value = record["id"]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise CorpusError(f"{where}: 'id' must be a non-empty string or a whole number")
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _read_pdf(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        import pypdf
    except ImportError:
        raise CorpusError(
            f"{_display(path)}: reading PDF files needs pypdf: pip install 'llmops-ci[pdf]' "
            "(or exclude '**/*.pdf' from the corpus)"
        ) from None
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError(
                f"{_display(path)}: the PDF is encrypted with a password: decrypt it (e.g. qpdf --decrypt) "
                "or exclude it from the corpus"
            )
        pages = [_normalise_page(page.extract_text() or "") for page in reader.pages]
    except CorpusError:
        raise
    except Exception as error:  # pypdf raises assorted exception types on malformed input
        raise CorpusError(
            f"{_display(path)}: cannot read the PDF ({type(error).__name__}: {error}): repair it or "
            "exclude it"
        ) from None
    return "\n\n".join(page for page in pages if page), {"pages": len(pages)}


def _normalise_page(text: str) -> str:
    return _normalise_line_ends(text).strip()


def _display(path: Path) -> str:
    """The path relative to the working directory when it lies below it (shorter messages), else as is."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


# -- HTML -------------------------------------------------------------------------------------------------

_SKIPPED = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "svg", "math", "iframe", "object"}
)
_BLOCK_NAMES = """address article aside blockquote body br caption dd details dialog div dl dt fieldset
figcaption figure footer form header hgroup hr html li main nav ol p pre section summary table tbody tfoot
thead tr ul"""
_BLOCKS = frozenset(_BLOCK_NAMES.split())
_PARAGRAPHS = frozenset({"p", "blockquote", "pre", "table", "ul", "ol", "dl", "figure", "section", "article"})
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _VisibleText(HTMLParser):
    """Collects the visible text as lines; see the module docs for the rules."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.in_head = False
        self.pre = 0
        self.title: list[str] | None = None
        self.title_text = ""
        self.fresh = True  # at the start of a line or right after a heading/list marker

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False  # tolerate a missing </head>
        if tag == "title":
            self.title = []
        if tag in _SKIPPED and tag != "head":
            self.skipping += 1
        if self.hidden:
            return
        self._open(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.hidden and tag in ("br", "hr"):
            self._open(tag)

    def _open(self, tag: str) -> None:
        if tag == "br":
            self.parts.append("\n")
            self.fresh = True
        elif tag in _HEADINGS:
            self._mark("\n\n" + "#" * _HEADINGS[tag] + " ")
        elif tag == "li":
            self._mark("\n- ")
        elif tag in _PARAGRAPHS:
            self._mark("\n\n")
        elif tag in _BLOCKS:
            self._mark("\n")
        elif tag in ("td", "th") and not self.fresh:
            self.parts.append(" ")
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        if tag == "title" and self.title is not None:
            self.title_text = " ".join("".join(self.title).split())
            self.title = None
        if tag in _SKIPPED and tag != "head" and self.skipping:
            self.skipping -= 1
            return
        if self.hidden:
            return
        if tag in _HEADINGS or tag in _PARAGRAPHS:
            self._mark("\n\n")
        elif tag in _BLOCKS and tag != "li":  # the next item or the list's end breaks the line
            self._mark("\n")
        if tag == "pre" and self.pre:
            self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
        if self.hidden:
            return
        if self.pre:
            self.parts.append(data)
            self.fresh = False
            return
        data = re.sub(r"\s+", " ", data)
        if self.fresh or (self.parts and self.parts[-1].endswith(" ")):
            data = data.lstrip(" ")
        if data:
            self.parts.append(data)
            self.fresh = False

    def _mark(self, marker: str) -> None:
        if self.parts and not self.pre:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        wanted = len(marker) - len(marker.lstrip("\n"))
        tail = next((part for part in reversed(self.parts) if part), "")
        have = len(tail) - len(tail.rstrip("\n"))
        self.parts.append("\n" * max(0, wanted - have) + marker[wanted:])
        self.fresh = True

    @property
    def hidden(self) -> bool:
        return self.skipping > 0 or self.in_head


def html_text(html: str) -> tuple[str, dict[str, Any]]:
    """The visible text of an HTML page (see the module docs) and its metadata (``title`` when it has
    one)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.rstrip() for line in "".join(parser.parts).split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text, ({"title": parser.title_text} if parser.title_text else {})
