"""Corpus loading: which files are read (patterns, hidden files, extensions), the text of each format
(Markdown, text, HTML, JSONL, PDF), document ids, metadata and digests, and every error a user can meet."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import pytest

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.errors import LlmopsError
from llmops_ci.rag.corpus import (
    SUPPORTED,
    CorpusError,
    corpus_files,
    file_digest,
    html_text,
    load_corpus,
    load_file,
)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one Helvetica text line per page, cross-reference offsets computed."""
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for index, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            + f"/Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(["Secret text"]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- which files ------------------------------------------------------------------------------------------

TREE: dict[str, str | bytes] = {
    "a.md": "A",
    "b.txt": "B",
    "notes.MD": "upper-case extension",
    "image.png": b"\x89PNG",
    "data.csv": "x,y",
    ".hidden.md": "hidden file",
    ".git/config.md": "hidden directory",
    "guides/intro.md": "intro",
    "guides/deep/page.html": "<p>page</p>",
    "guides/deep/records.jsonl": '{"text": "r"}\n',
    "drafts/wip.md": "draft",
    "drafts/secret-plan.txt": "secret",
    "c.txt": "C",
}


NESTED_REST = ("guides/deep/records.jsonl", "guides/intro.md", "notes.MD")


def rels(root: Path, include: list[str] | None = None, exclude: list[str] | None = None) -> list[str]:
    return [rel for rel, _ in corpus_files(root, include, exclude)]


def test_every_supported_visible_file_sorted(tmp_path: Path) -> None:
    root = write(tmp_path, TREE)
    found = corpus_files(root)
    assert [rel for rel, _ in found] == [
        "a.md",
        "b.txt",
        "c.txt",
        "drafts/secret-plan.txt",
        "drafts/wip.md",
        "guides/deep/page.html",
        "guides/deep/records.jsonl",
        "guides/intro.md",
        "notes.MD",
    ]
    assert all(path.is_absolute() and path == root / rel for rel, path in found)
    assert {".md", ".markdown", ".txt", ".html", ".htm", ".jsonl", ".pdf"} == SUPPORTED


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["*.md"], None, ["a.md"]),
        (["**/*.md"], None, ["a.md", "drafts/wip.md", "guides/intro.md"]),
        (["guides"], None, ["guides/deep/page.html", "guides/deep/records.jsonl", "guides/intro.md"]),
        (["guides/**"], ["**/*.jsonl"], ["guides/deep/page.html", "guides/intro.md"]),
        (["guides/*/*.html"], None, ["guides/deep/page.html"]),
        (["[ab].*"], None, ["a.md", "b.txt"]),
        (["[!ab].txt"], None, ["c.txt"]),
        (["?.txt"], None, ["b.txt", "c.txt"]),
        (["./guides/"], None, ["guides/deep/page.html", "guides/deep/records.jsonl", "guides/intro.md"]),
        (
            None,
            ["drafts", "**/*.jsonl", "guides/**/*.html"],
            ["a.md", "b.txt", "c.txt", "guides/intro.md", "notes.MD"],
        ),
        (
            None,
            ["**/secret-*"],
            [*("a.md", "b.txt", "c.txt", "drafts/wip.md", "guides/deep/page.html"), *NESTED_REST],
        ),
    ],
)
def test_include_and_exclude_patterns(
    tmp_path: Path, include: list[str] | None, exclude: list[str] | None, expected: list[str]
) -> None:
    assert rels(write(tmp_path, TREE), include, exclude) == expected


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"does not exist: check corpus\.path"):
        corpus_files(tmp_path / "nowhere")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(CorpusError, match="is not a directory"):
        load_corpus(tmp_path / "file.md")
    assert issubclass(CorpusError, LlmopsError)


# -- formats ----------------------------------------------------------------------------------------------


def test_markdown_and_text_are_read_as_they_are(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"guide.md": b"\xef\xbb\xbf# Title\r\nline one\r\nline two\rend\n", "t.txt": "plain"}
    )
    [document] = load_file(root / "guide.md", "guide.md")
    assert document.text == "# Title\nline one\nline two\nend\n"
    assert (document.id, document.source, document.metadata) == (
        "guide.md",
        "guide.md",
        {"format": "markdown"},
    )
    expected = sha256_hex(canonical_json({"text": document.text, "metadata": {"format": "markdown"}}))
    assert document.digest == expected
    assert load_file(root / "t.txt", "t.txt")[0].metadata == {"format": "text"}


def test_html_keeps_the_visible_text_with_headings_as_markdown(tmp_path: Path) -> None:
    page = """<!doctype html><html><head><title>Refund  policy</title><style>p {color: red}</style>
    <script>var hidden = "no";</script></head><body>
    <nav>Home</nav><h1>Refunds &amp; returns</h1>
    <p>Customers may ask for a refund
       within <b>30&nbsp;days</b>.<br>Keep the receipt.</p>
    <h2>Exceptions</h2><ul><li>Gift cards</li><li> Sale items </li></ul>
    <pre>  code   stays
    as is</pre><table><tr><th>Plan</th><th>Days</th></tr><tr><td>Basic</td><td>30</td></tr></table>
    <noscript>enable js</noscript></body></html>"""
    [document] = load_file(write(tmp_path, {"p.html": page}) / "p.html", "p.html")
    assert document.text == (
        "Home\n\n# Refunds & returns\n\nCustomers may ask for a refund within 30 days.\nKeep the receipt."
        "\n\n## Exceptions\n\n- Gift cards\n- Sale items\n\n  code   stays\n    as is\n\nPlan Days\nBasic 30"
    )
    assert document.metadata == {"title": "Refund policy", "format": "html"}


def test_html_without_a_closing_head_still_shows_the_body() -> None:
    assert html_text("<head><title>t</title><body><p>visible</p>") == ("visible", {"title": "t"})
    assert html_text("<title>T</title><p>body</p>") == ("body", {"title": "T"})


def test_jsonl_records_become_documents(tmp_path: Path) -> None:
    lines = [
        '{"id": "faq-1", "text": "How do refunds work?", "lang": "en", "score": 0.5, "tags": ["x"]}',
        "",
        '{"content": "Content field used", "draft": false}',
        '{"id": 7, "text": "   "}',
        '{"id": 8, "text": "numeric\\r\\nid", "meta": {"nested": true}, "note": null}',
    ]
    root = write(tmp_path, {"kb/faq.jsonl": "\n".join(lines) + "\n"})
    documents = load_file(root / "kb/faq.jsonl", "kb/faq.jsonl")
    assert [(d.id, d.text, d.metadata) for d in documents] == [
        ("kb/faq.jsonl#faq-1", "How do refunds work?", {"lang": "en", "score": 0.5, "format": "jsonl"}),
        ("kb/faq.jsonl#3", "Content field used", {"draft": False, "format": "jsonl"}),
        ("kb/faq.jsonl#8", "numeric\nid", {"note": None, "format": "jsonl"}),
    ]
    assert {d.source for d in documents} == {"kb/faq.jsonl"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "ok"}\n{"text": "missing quote}\n', "kb/bad.jsonl:2: not valid JSON"),
        ('\n\n{"text": "ok"}\n[1, 2]\n', "kb/bad.jsonl:4: each line must be a JSON object"),
        ('{"title": "no text"}\n', "kb/bad.jsonl:1: the record needs a string 'text' (or 'content') field"),
        ('{"text": 42}\n', "kb/bad.jsonl:1: the record needs a string 'text'"),
        (
            '{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n',
            "kb/bad.jsonl:2: id 'a' was already used on line 1",
        ),
        ('{"id": true, "text": "x"}\n', "kb/bad.jsonl:1: 'id' must be a non-empty string or a whole number"),
    ],
)
def test_bad_jsonl_lines_are_named(tmp_path: Path, content: str, message: str) -> None:
    root = write(tmp_path, {"kb/bad.jsonl": content})
    with pytest.raises(CorpusError) as caught:
        load_corpus(root)
    assert message in str(caught.value)


def test_text_that_is_not_utf8_names_line_and_byte(tmp_path: Path) -> None:
    root = write(tmp_path, {"docs/latin1.txt": "first line\ncaf\u00e9\n".encode("latin-1")})
    with pytest.raises(CorpusError) as caught:
        load_corpus(root)
    message = str(caught.value)
    assert "docs/latin1.txt:2: not valid UTF-8 (byte offset 14)" in message
    assert "save the file as UTF-8" in message


def test_pdf_pages_are_extracted(tmp_path: Path) -> None:
    root = write(tmp_path, {"manual.pdf": minimal_pdf(["Hello PDF world", "Second page text"])})
    [document] = load_file(root / "manual.pdf", "manual.pdf")
    assert document.text == "Hello PDF world\n\nSecond page text"
    assert document.metadata == {"pages": 2, "format": "pdf"}
    assert document.id == "manual.pdf"


def test_a_pdf_that_opens_without_a_password_is_read(tmp_path: Path) -> None:
    root = write(tmp_path, {"open.pdf": encrypted_pdf("")})
    assert load_file(root / "open.pdf", "open.pdf")[0].text == "Secret text"


def test_a_password_protected_pdf_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"locked.pdf": encrypted_pdf("secret")})
    with pytest.raises(CorpusError, match=r"locked\.pdf: the PDF is encrypted with a password"):
        load_file(root / "locked.pdf", "locked.pdf")


def test_a_broken_pdf_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"broken.pdf": b"%PDF-1.4\nthis is not a pdf body\n"})
    with pytest.raises(CorpusError, match=r"broken\.pdf: cannot read the PDF .*repair it or exclude it"):
        load_file(root / "broken.pdf", "broken.pdf")


def test_without_pypdf_the_message_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` raise ImportError
    root = write(tmp_path, {"manual.pdf": minimal_pdf(["x"])})
    with pytest.raises(
        CorpusError, match=r"manual\.pdf: reading PDF files needs pypdf: pip install 'llmops-ci\[pdf\]'"
    ):
        load_file(root / "manual.pdf", "manual.pdf")


# -- the corpus -------------------------------------------------------------------------------------------


def test_load_corpus_sorts_by_id_and_skips_empty_documents(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "z.md": "last",
            "a/b.md": "first",
            "empty.txt": " \n\t\n",
            "blank.html": "<html><head><title>only a title</title></head><body> </body></html>",
            "kb.jsonl": '{"id": "2", "text": "two"}\n{"id": "10", "text": "ten"}\n',
        },
    )
    documents = load_corpus(root)
    assert [d.id for d in documents] == ["a/b.md", "kb.jsonl#10", "kb.jsonl#2", "z.md"]
    assert [d.id for d in load_corpus(root, include=["**/*.md"], exclude=["z.md"])] == ["a/b.md"]


def test_an_empty_corpus_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"notes.csv": "a,b", "blank.md": "  \n"})
    with pytest.raises(CorpusError) as caught:
        load_corpus(root)
    assert "no documents under" in str(caught.value) and "1 matching file(s) hold no text" in str(
        caught.value
    )
    with pytest.raises(CorpusError) as caught:
        load_corpus(root, include=["docs/**"], exclude=["*.tmp"])
    message = str(caught.value)
    assert "matching include ['docs/**'] and exclude ['*.tmp']: no supported file" in message
    assert ".md" in message


def test_file_digest_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    content = b"some bytes\x00\xff" * 100_000
    path = tmp_path / "big.txt"
    path.write_bytes(content)
    assert file_digest(path) == hashlib.sha256(content).hexdigest()


def test_document_digest_follows_text_and_metadata(tmp_path: Path) -> None:
    root = write(tmp_path, {"a.md": "same", "b.txt": "same", "c.md": "other"})
    digests = {d.id: d.digest for d in load_corpus(root)}
    assert digests["a.md"] != digests["b.txt"]  # format differs
    assert digests["a.md"] != digests["c.md"]
    (root / "a2.md").write_text("same")
    assert load_file(root / "a2.md", "a2.md")[0].digest == digests["a.md"]
