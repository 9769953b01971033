"""The offline baselines (llmops_ci.baselines): hand-checked outputs on small inputs, option and data-file
errors, and the input convention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.baselines._common import (
    BaselineError,
    document_text,
    last_user_text,
    plain_text,
    tagged,
    units,
)
from llmops_ci.baselines._tfidf import TfidfIndex
from llmops_ci.baselines.knn import KnnClassifier, majority, vote
from llmops_ci.baselines.normalize import (
    normalize_amount,
    normalize_currency,
    normalize_date,
    normalize_integer,
    normalize_string,
)
from llmops_ci.baselines.patterns import PatternExtractor
from llmops_ci.baselines.qa import ExtractiveQA, Passage, answer_type, passages
from llmops_ci.baselines.summarize import ExtractiveSummarizer


def user(text: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "<document>not this one</document>"},
        {"role": "user", "content": text},
    ]


# --- input convention ------------------------------------------------------------------------------------


def test_the_last_user_message_and_its_last_tag_are_read() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "<document>a</document> <document> b </document>"}],
        },
    ]
    assert last_user_text(messages).startswith("<document>a")
    assert document_text(messages) == "b"
    assert document_text(user("  plain text  ")) == "plain text"
    assert tagged("<Question>why?</Question>", "question") == "why?"
    assert tagged("no tags", "question") is None
    assert last_user_text([{"role": "system", "content": "x"}]) == ""


def test_units_split_form_lines_and_keep_wrapped_prose_together() -> None:
    text = (
        "INVOICE\nInvoice number: INV-7\nDate: 3 March 2024\n\nThe services were delivered\nin full. Thanks."
    )
    assert units(text) == [
        "INVOICE",
        "Invoice number: INV-7",
        "Date: 3 March 2024",
        "The services were delivered in full.",
        "Thanks.",
    ]
    assert units("- one item\n- two items") == ["- one item", "- two items"]


def test_html_documents_become_text_and_markdown_loses_emphasis() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Invoice 7</title><style>p {color: red}</style></head><body>"
        "<h1>Acme &amp; Co</h1><p>Memo no. <b>L-7</b> &middot; 2024</p>"
        "<dl><dt>Number</dt><dd>V-56</dd><dt>Issued</dt><dd>2024-12-20</dd></dl>"
        "<table><tr><th>Item</th><th>Total</th></tr><tr><td>Chairs</td><td>9,50 €</td></tr></table>"
        "<p>Line one<br>line two</p></body></html>"
    )
    assert plain_text(html) == (
        "Acme & Co\n\nMemo no. L-7 · 2024\n\nNumber: V-56\n\nIssued: 2024-12-20\n\n"
        "Item | Total\n\nChairs | 9,50 €\n\nLine one\nline two"
    )
    assert plain_text("**Buyer:** Acme  \nVAT: 1") == "Buyer: Acme\nVAT: 1"
    assert plain_text("a < b and c > d") == "a < b and c > d"  # not HTML: kept as written
    assert document_text(user(f"<document>{html}</document>")).startswith("Acme & Co")


# --- TF-IDF -----------------------------------------------------------------------------------------------


def test_tfidf_cosine_by_hand() -> None:
    index = TfidfIndex([["a", "b"], ["b", "c"], ["c"]])
    # df: a=1, b=2, c=2 over n=3 -> idf a = ln(4/2)+1 = 1.693..., b = c = ln(4/3)+1 = 1.2877
    idf_a, idf_b = 1.6931471805599454, 1.2876820724517808
    assert index.idf["a"] == pytest.approx(idf_a) and index.idf["b"] == pytest.approx(idf_b)
    scores = index.scores(["a"])
    assert scores[0] == pytest.approx(idf_a / (idf_a**2 + idf_b**2) ** 0.5)
    assert scores[1] == 0 and scores[2] == 0
    assert list(index.scores(["c"]))[2] == pytest.approx(1.0)
    assert not index.scores(["unknown"]).any()


# --- knn-classifier ---------------------------------------------------------------------------------------

TRAIN = [
    {"text": "Invoice number 17: total amount due, payment within 30 days", "label": "invoice"},
    {"text": "Invoice for consulting services, amount due 1,200 EUR", "label": "invoice"},
    {"text": "This agreement between the parties may be terminated with notice", "label": "contract"},
    {"text": "Mutual non-disclosure: confidential information shall not be disclosed", "label": "nda"},
    {"text": "Purchase order: please deliver 40 units, order number PO-1", "label": "purchase-order"},
]


def write_train(tmp_path: Path, records: list[dict[str, Any]] = TRAIN) -> Path:
    path = tmp_path / "data" / "train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("similarity", ["tfidf", "bm25"])
def test_knn_classifies_by_nearest_labelled_examples(tmp_path: Path, similarity: str) -> None:
    write_train(tmp_path)
    model = KnnClassifier({"train": "data/train.jsonl", "k": 3, "similarity": similarity}, tmp_path)
    assert (
        model.complete(user("<document>Please pay the amount due on this invoice.</document>"), {})
        == "invoice"
    )
    assert model.classify("The parties agree that either may terminate this agreement.") == "contract"
    assert model.classify("Keep all confidential information secret.") == "nda"
    assert model.classify("Deliver the units listed on this purchase order.") == "purchase-order"


def test_knn_with_nothing_in_common_answers_the_majority_label(tmp_path: Path) -> None:
    write_train(tmp_path)
    model = KnnClassifier({"train": "data/train.jsonl"}, tmp_path)
    assert model.classify("zebra xylophone") == "invoice"
    assert majority(["b", "a", "a", "b", "c"]) == "b"  # equal counts: first seen wins


def test_knn_vote_weights_and_tie_breaks() -> None:
    order = {"a": 0, "b": 1, "c": 2}
    assert vote([("b", 0.9), ("a", 0.5), ("a", 0.5)], order) == "a"  # 1.0 beats 0.9
    assert vote([("b", 0.5), ("a", 0.25), ("a", 0.25)], order) == "b"  # equal totals: the nearest wins
    assert vote([("c", 0.4)], order) == "c"


def test_knn_fits_once(tmp_path: Path) -> None:
    path = write_train(tmp_path)
    model = KnnClassifier({"train": str(path)}, tmp_path / "elsewhere")  # absolute paths stay as they are
    assert model.classify("invoice amount") == "invoice"
    path.write_text("", encoding="utf-8")
    assert model.classify("confidential information") == "nda"  # still the fitted examples


def test_knn_option_and_training_file_errors(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"option 'train' is required"):
        KnnClassifier({}, tmp_path)
    with pytest.raises(
        BaselineError, match=r"file data/none.jsonl not found \(looked at .*data/none.jsonl\)"
    ):
        KnnClassifier({"train": "data/none.jsonl"}, tmp_path)
    write_train(tmp_path)
    with pytest.raises(BaselineError, match=r"unknown option\(s\) 'kk'; known: k, label_field"):
        KnnClassifier({"train": "data/train.jsonl", "kk": 3}, tmp_path)
    with pytest.raises(BaselineError, match=r"option 'k' = 0 is not valid: an integer >= 1"):
        KnnClassifier({"train": "data/train.jsonl", "k": 0}, tmp_path)
    with pytest.raises(BaselineError, match=r"option 'k' = True is not valid"):
        KnnClassifier({"train": "data/train.jsonl", "k": True}, tmp_path)
    with pytest.raises(BaselineError, match=r"'similarity' = 'cosine' is not valid: tfidf or bm25"):
        KnnClassifier({"train": "data/train.jsonl", "similarity": "cosine"}, tmp_path)
    bad = tmp_path / "data" / "train.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\n\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(BaselineError, match=r"train.jsonl:3: not valid JSON"):
        KnnClassifier({"train": "data/train.jsonl"}, tmp_path).classify("a")
    bad.write_text('{"text": "a"}\n', encoding="utf-8")
    with pytest.raises(
        BaselineError, match=r"train.jsonl:1: a training record needs string 'text' and 'label'"
    ):
        KnnClassifier({"train": "data/train.jsonl"}, tmp_path).classify("a")
    bad.write_text("\n", encoding="utf-8")
    with pytest.raises(BaselineError, match=r"no training records"):
        KnnClassifier({"train": "data/train.jsonl"}, tmp_path).classify("a")


def test_knn_reads_other_field_names(tmp_path: Path) -> None:
    write_train(
        tmp_path, [{"body": "alpha beta", "category": "greek"}, {"body": "uno dos", "category": "es"}]
    )
    model = KnnClassifier(
        {"train": "data/train.jsonl", "text_field": "body", "label_field": "category"}, tmp_path
    )
    assert model.classify("dos tres") == "es"


# --- normalisers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dmy", "mdy"),
    [
        ("2024-03-15", "2024-03-15", "2024-03-15"),
        ("2024/3/5", "2024-03-05", "2024-03-05"),
        ("15/03/2024", "2024-03-15", "2024-03-15"),
        ("03/04/2024", "2024-04-03", "2024-03-04"),
        ("15.03.24", "2024-03-15", "2024-03-15"),
        ("15 March 2024", "2024-03-15", "2024-03-15"),
        ("15th of March, 2024", "2024-03-15", "2024-03-15"),
        ("March 15, 2024", "2024-03-15", "2024-03-15"),
        ("Mar. 1st 2024", "2024-03-01", "2024-03-01"),
        ("15-Mar-2024", "2024-03-15", "2024-03-15"),
        ("1er mars 2024", "2024-03-01", "2024-03-01"),
        ("5. Dezember 2023", "2023-12-05", "2023-12-05"),
        ("31 February 2024", None, None),
        ("Smarch 3, 2024", None, None),
        ("soon", None, None),
    ],
)
def test_dates_become_iso(text: str, dmy: str | None, mdy: str | None) -> None:
    assert normalize_date(text) == dmy
    assert normalize_date(text, "MDY") == mdy


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("EUR 1 234.50", 1234.5),
        ("$1,234", 1234),
        ("1'234.50 CHF", 1234.5),
        ("1.234", 1234),
        ("12,5", 12.5),
        ("1.234.567", 1234567),
        ("0.333", 333),  # three digits after a lone separator read as thousands (documented)
        ("12.345,678", 12345.68),
        ("(1,000.00)", -1000),
        ("-12.50", -12.5),
        ("Total: 9,80\n2024", 9.8),
        ("no digits", None),
    ],
)
def test_amounts_become_numbers(text: str, value: float | None) -> None:
    assert normalize_amount(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("30", 30), ("1,000", 1000), ("thirty", 30), ("twenty-four", 24), ("one hundred and twenty", 120),
     ("two thousand five hundred", 2500), ("sixty (60) days", 60), ("none", None)],
)  # fmt: skip
def test_integers_from_digits_or_words(text: str, value: int | None) -> None:
    assert normalize_integer(text) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [("€", "EUR"), ("EUR 1 234.50", "EUR"), ("US$", "USD"), ("dollars", "USD"), ("1.234 €", "EUR"),
     ("pounds sterling", "GBP"), ("chf", "CHF"), ("sek", "SEK"), ("Swiss francs", "CHF"), ("money", None)],
)  # fmt: skip
def test_currencies_become_iso_codes(text: str, code: str | None) -> None:
    assert normalize_currency(text) == code


def test_strings_are_trimmed() -> None:
    assert normalize_string('  "Acme   Group."  ') == "Acme Group"
    assert normalize_string("Maresco Foods B.V.") == "Maresco Foods B.V."
    assert normalize_string("Greyfield Biotech Inc.,") == "Greyfield Biotech Inc."
    assert normalize_string(" .; ") is None


# --- pattern-extractor ------------------------------------------------------------------------------------

FIELDS = r"""
fields:
  invoice_number:
    type: string
    patterns: ['invoice\s*(?:no\.?|number|#)\s*[:#]?\s*([A-Z0-9][A-Z0-9/-]+)']
  issue_date:
    type: date
    patterns: ['(?:invoice|issue)\s+date\s*:?\s*(?P<value>[^\n]+)']
  total_amount:
    type: amount
    patterns: ['total\s+(?:amount\s+)?due\D{0,8}(\d[\d.,\s]*\d)', 'total\D{0,8}(\d[\d.,\s]*\d)']
  currency:
    type: currency
    patterns: ['total[^\n]*?(EUR|USD|GBP|€|\$|£)']
  payment_terms_days:
    type: integer
    patterns: ['within\s+(\w+(?:\s*\(\d+\))?)\s+days']
  iban:
    type: string
    compact: true
    patterns: ['IBAN:?\s*(?-i:([A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4})+))']
  governing_law:
    type: string
    patterns: ['governed by the laws? of (?:the )?([A-Za-z ]+?)[.,\n]']
    map: {England and Wales: [england, english law], Germany: [federal republic of germany]}
    closed: true
  has_termination_clause:
    type: presence
    patterns: ['\bterminat\w*\b']
    unless: ['\bmay not (?:be )?terminat']
"""

INVOICE = """\
INVOICE
Invoice No: INV-2024/017
Invoice date: 5 March 2024
Subtotal: 1.000,00 EUR
Total due: 1.190,00 EUR
Payment within thirty (30) days. This contract is governed by the laws of England.
Pay to iban GB82 WEST 1234 5698 7654 32 please.
"""


def extractor(tmp_path: Path, fields: str = FIELDS) -> PatternExtractor:
    (tmp_path / "baseline").mkdir(exist_ok=True)
    (tmp_path / "baseline" / "fields.yaml").write_text(fields, encoding="utf-8")
    return PatternExtractor({"fields": "baseline/fields.yaml"}, tmp_path)


def test_pattern_extractor_outputs_every_field_normalised(tmp_path: Path) -> None:
    model = extractor(tmp_path)
    answer = model.complete(user(f"Extract.\n<document>\n{INVOICE}</document>"), {})
    assert json.loads(answer) == {
        "invoice_number": "INV-2024/017",
        "issue_date": "2024-03-05",
        "total_amount": 1190,
        "currency": "EUR",
        "payment_terms_days": 30,
        "iban": "GB82WEST12345698765432",
        "governing_law": "England and Wales",
        "has_termination_clause": False,
    }
    assert list(json.loads(answer)) == [  # configuration order
        "invoice_number", "issue_date", "total_amount", "currency", "payment_terms_days", "iban",
        "governing_law", "has_termination_clause",
    ]  # fmt: skip


def test_pattern_extractor_nulls_fallbacks_and_presence(tmp_path: Path) -> None:
    model = extractor(tmp_path)
    found = model.extract(
        "Total 250.00 USD. Governed by the law of Mars. Either party may terminate on notice.\n"
        "Issue date: someday\nIssue date: 2024-01-02"
    )
    assert found["total_amount"] == 250 and found["currency"] == "USD"  # the second pattern
    assert found["issue_date"] == "2024-01-02"  # a match that does not normalise is skipped
    assert found["governing_law"] is None  # closed vocabulary
    assert found["invoice_number"] is None and found["payment_terms_days"] is None
    assert found["has_termination_clause"] is True
    assert model.extract("This agreement may not be terminated.")["has_termination_clause"] is False
    # `unless` looks only at the sentence of the match
    assert model.extract("It may not be terminated early. Later, either may terminate.")[
        "has_termination_clause"
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "fields: {a: {type: text, patterns: ['x']}}",
            r"fields.yaml:1:\d+: type must be one of string, date",
        ),
        (
            "fields:\n  a:\n    type: string\n    patterns: ['(?=x)']",
            r"fields.yaml:4:\d+: '\(\?=x\)' is not a valid RE2",
        ),
        ("fields: {a: {type: string, patterns: []}}", r"'patterns' must be a list of regular expressions"),
        ("fields: {a: {type: string, patterns: ['x'], colour: red}}", r"unknown key 'colour'"),
        ("fields: {a: {type: string, patterns: ['x'], map: [x]}}", r"map must be canonical value -> list"),
        ("fields: {a: {type: date, patterns: ['x'], date_order: YMD}}", r"date_order must be DMY or MDY"),
        (
            "date_order: YMD\nfields: {a: {type: date, patterns: ['x']}}",
            r"fields.yaml:1:\d+: date_order must be",
        ),
        ("fields: [a]", r"needs 'fields'"),
        ("fields: {a: 3}", r"field 'a' must be a mapping"),
        ("fields: {a: [unclosed", r"fields.yaml:\d+:\d+: "),
    ],
)
def test_pattern_file_errors_name_the_line(tmp_path: Path, fields: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        extractor(tmp_path, fields)


def test_pattern_extractor_needs_its_file(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"option 'fields': file x.yaml not found"):
        PatternExtractor({"fields": "x.yaml"}, tmp_path)


# --- extractive-qa ----------------------------------------------------------------------------------------

CONTEXT = """\
[msa.md#0] This Master Services Agreement is made between Acme Corp and Beta GmbH.
The agreement starts on 1 March 2024.

[msa.md#1] Either party may terminate this agreement with ninety days written notice.
Fees are payable within 30 days of the invoice date.

[price.md#0] Price list
[see note] Hourly rate: 120 EUR."""


def test_passages_are_split_at_chunk_markers() -> None:
    found = passages(CONTEXT)
    assert [passage.id for passage in found] == ["msa.md#0", "msa.md#1", "price.md#0"]
    assert found[2].text == "Price list\n[see note] Hourly rate: 120 EUR."  # a marker only after a blank line
    assert passages("[a] x\n\n[see note] y") == [Passage("a", "x\n\n[see note] y")]  # ids have no spaces
    assert passages("no markers\n\nat all") == [Passage(None, "no markers\n\nat all")]
    assert passages("intro\n\n[a] x") == [Passage(None, "intro"), Passage("a", "x")]


def test_qa_answers_with_the_best_sentence_and_cites_its_chunk() -> None:
    qa = ExtractiveQA({"short_words": 0})
    assert qa.answer("How much notice is needed to terminate?", CONTEXT) == (
        "Either party may terminate this agreement with ninety days written notice. [msa.md#1]"
    )
    assert qa.answer("When are fees payable?", CONTEXT) == (
        "Fees are payable within 30 days of the invoice date. [msa.md#1]"
    )
    assert qa.answer("What is the hourly rate?", CONTEXT) == "[see note] Hourly rate: 120 EUR. [price.md#0]"
    assert (
        qa.answer("What colour is the sky?", CONTEXT) == "I cannot answer that from the provided documents."
    )
    assert qa.answer("", CONTEXT) == "I cannot answer that from the provided documents."


def test_qa_adds_a_second_sentence_when_the_best_is_short() -> None:
    qa = ExtractiveQA({"answer_types": False})
    # "The agreement starts on 1 March 2024." has 7 words (< 12): the runner-up follows, cited once per chunk
    assert qa.answer("When does the agreement start?", CONTEXT) == (
        "The agreement starts on 1 March 2024. "
        "This Master Services Agreement is made between Acme Corp and Beta GmbH. [msa.md#0]"
    )
    assert ExtractiveQA({"cite": False}).answer("hourly rate", CONTEXT) == "[see note] Hourly rate: 120 EUR."


def test_qa_prefers_sentences_holding_the_expected_answer_type() -> None:
    context = (
        "[a] Notice must be sent to the notice address by post. "
        "Either party may end it on ninety days notice."
    )
    question = "How long is the notice period?"
    assert ExtractiveQA({"answer_types": False, "short_words": 0}).answer(question, context) == (
        "Notice must be sent to the notice address by post. [a]"  # "notice" twice: the higher BM25
    )
    assert ExtractiveQA({"short_words": 0}).answer(question, context) == (
        "Either party may end it on ninety days notice. [a]"
    )
    # a date question: only sentences holding a date compete, so no runner-up is added
    assert ExtractiveQA().answer("When does the agreement start?", CONTEXT) == (
        "The agreement starts on 1 March 2024. [msa.md#0]"
    )
    assert answer_type("How much is the rent?") is not None and answer_type("Who signed it?") is None


def test_qa_reads_tags_and_falls_back_to_the_document() -> None:
    qa = ExtractiveQA({"no_answer": "No idea."})
    message = f"<question>What is the hourly rate?</question>\n<context>\n{CONTEXT}\n</context>"
    assert qa.complete(user(message), {}).endswith("[price.md#0]")
    document = "The rent is 900 EUR per month. The tenant keeps a cat."
    assert qa.complete(user(f"What is the rent?\n<document>{document}</document>"), {}) == (
        "The rent is 900 EUR per month."
    )
    assert qa.complete(user("<question>What is the rent?</question>"), {}) == "No idea."
    with pytest.raises(BaselineError, match=r"option 'no_answer' = ' ' is not valid"):
        ExtractiveQA({"no_answer": " "})


# --- extractive-summarizer --------------------------------------------------------------------------------

AGREEMENT = """\
SERVICES AGREEMENT

This services agreement is made between Acme Corp and Beta Ltd for software development services.
Beta will provide software development services to Acme under statements of work.
Acme shall pay Beta the fees set out in each statement of work within 30 days.
The weather in the region is usually mild in spring.
Either party may terminate the services agreement with ninety days notice."""


def test_summarizer_picks_central_sentences_in_document_order() -> None:
    # centrality (cosine to the centroid), by hand from the TF-IDF vectors: made-between 0.657, provide 0.696,
    # pay 0.564, weather 0.361, terminate 0.494. First pick: "provide". Gains after it (0.5 x cosine to it):
    # made-between 0.657 - 0.5 x 0.50 = 0.407, pay 0.564 - 0.5 x 0.35 = 0.389,
    # terminate 0.494 - 0.5 x 0.08 = 0.454
    summary = ExtractiveSummarizer({"lead": 0}).complete(user(f"<document>{AGREEMENT}</document>"), {})
    assert summary == (
        "Beta will provide software development services to Acme under statements of work. "
        "Either party may terminate the services agreement with ninety days notice."
    )
    no_lead = {"lead": 0, "redundancy": 0}
    assert ExtractiveSummarizer(no_lead).summarize(AGREEMENT).startswith("This services agreement")
    assert "weather" not in ExtractiveSummarizer({"sentences": 4, "lead": 0}).summarize(AGREEMENT)
    assert "SERVICES AGREEMENT" not in ExtractiveSummarizer({"sentences": 5}).summarize(AGREEMENT)


def test_summarizer_lead_prefers_early_sentences() -> None:
    # lead 0.3: bonus 0.3 x (1 - i/5) = 0.3, 0.24, 0.18, 0.12, 0.06 -> made-between 0.957, provide 0.936,
    # pay 0.744, weather 0.481, terminate 0.554; after made-between (redundancy 0.5 x cosine to it):
    # provide 0.936 - 0.25 = 0.686, pay 0.744 - 0.06 = 0.684, terminate 0.554 - 0.10 = 0.454
    assert ExtractiveSummarizer().summarize(AGREEMENT) == (
        "This services agreement is made between Acme Corp and Beta Ltd for software development services. "
        "Beta will provide software development services to Acme under statements of work."
    )


def test_summarizer_redundancy_and_word_limit() -> None:
    text = (
        "Cats chase mice in the barn. Cats chase mice in the barn at night. Dogs guard the farm house well. "
        "The barn cats sleep all day long."
    )
    # centralities 0.816, 0.796, 0.386, 0.591; cosine(first, second) = 0.82, cosine(first, last) = 0.29
    assert ExtractiveSummarizer({"redundancy": 0, "lead": 0}).summarize(text) == (
        "Cats chase mice in the barn. Cats chase mice in the barn at night."
    )
    # redundancy 1: second 0.796 - 0.82 < 0, dogs 0.386 - 0, last 0.591 - 0.291 = 0.300
    assert ExtractiveSummarizer({"redundancy": 1, "lead": 0}).summarize(text) == (
        "Cats chase mice in the barn. Dogs guard the farm house well."
    )
    assert ExtractiveSummarizer({"max_words": 8}).summarize(text) == "Cats chase mice in the barn."
    assert ExtractiveSummarizer({"max_words": 3}).summarize(text) == "Cats chase mice ..."
    assert ExtractiveSummarizer().summarize("Short. Text.") == "Short. Text."
    assert ExtractiveSummarizer().summarize("") == ""
    with pytest.raises(BaselineError, match=r"option 'redundancy' = 2 is not valid: a number in 0..1"):
        ExtractiveSummarizer({"redundancy": 2})
