"""Value normalisers of the ``pattern-extractor``: text captured by a pattern -> a canonical JSON value.
Each returns ``None`` when the text is not a value of its type (the extractor then tries the next match).

- ``string``: white space collapsed, surrounding quotes and trailing ``,;:`` removed, and a final ``.``
  unless it ends an abbreviation (``B.V.``, ``Inc.``, ``Co.``).
- ``date`` -> ISO ``YYYY-MM-DD``. Accepted: ``2024-03-15``, ``2024/03/15``, ``15/03/2024``, ``15.03.2024``,
  ``15-03-2024`` (day first by default; ``date_order: MDY`` reads ``03/15/2024``; a first number above 12 is
  always the day), ``15 March 2024``, ``15th of March, 2024``, ``March 15, 2024``, ``Mar. 15th 2024``,
  ``15-Mar-2024``; English, German, French and Spanish month names and three-letter abbreviations; two-digit
  years are 20xx. Impossible dates (``31 February``) are ``None``.
- ``amount`` -> a number. ``1,234.50``, ``1.234,50``, ``1 234.50``, ``1'234.50``, ``EUR 1 234.50``,
  ``$1,234``, ``1234.5``: when both ``.`` and ``,`` occur the last one is the decimal mark; a single kind of
  separator is a thousands separator when it repeats or has exactly three digits after it, else the decimal
  mark. Whole amounts are integers; others are rounded to 2 decimals. A leading ``-`` or parentheses make it
  negative.
- ``integer`` -> an int: digits (``30``, ``1,000``) or English number words up to the thousands
  (``thirty``, ``twenty-four``, ``one hundred and twenty``).
- ``currency`` -> an ISO 4217 code: symbols (``€ $ £ ¥ ₹ CHF``, ``US$``, ``A$``, ``C$``), names
  (``euro``, ``dollars``, ``pounds sterling``, ``Swiss francs``...) and any three-letter code (upper-cased).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january janvier enero januar jan jän janv ene",
        "february februar février fevrier febrero feb fév fev févr",
        "march märz maerz mars marzo mar mär",
        "april avril abril apr avr abr",
        "may mai mayo",
        "june juni juin junio jun",
        "july juli juillet julio jul juil",
        "august août aout agosto aug aoû ago",
        "september septembre septiembre sep sept",
        "october oktober octobre octubre oct okt",
        "november novembre noviembre nov",
        "december dezember décembre decembre diciembre dec dez déc dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH = r"(?P<month_name>[^\W\d_]{3,10})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_DATE_FORMS = [
    re.compile(r"^(?P<year>\d{4})[-/.](?P<a>\d{1,2})[-/.](?P<b>\d{1,2})$"),
    re.compile(r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.]" + _YEAR + "$"),
    re.compile(rf"^{_DAY}\s*(?:of\s+|de\s+|-)?{_MONTH}\s*(?:de\s+|-|,)?\s*{_YEAR}$", re.IGNORECASE),
    re.compile(rf"^{_MONTH}\s+{_DAY},?\s*{_YEAR}$", re.IGNORECASE),
]


def normalize_date(text: str, order: str = "DMY") -> str | None:
    cleaned = " ".join(text.strip().strip(".,;").split())
    for number, form in enumerate(_DATE_FORMS):
        match = form.match(cleaned)
        if match is None:
            continue
        parts = match.groupdict()
        if number == 0:
            month, day = int(parts["a"]), int(parts["b"])
        elif number == 1:
            first, second = int(parts["a"]), int(parts["b"])
            day_first = (order == "DMY" or first > 12) and second <= 12
            day, month = (first, second) if day_first else (second, first)
        else:
            return _iso(parts["year"], _MONTHS.get(parts["month_name"].lower()), int(parts["day"]))
        return _iso(parts["year"], month, day)
    return None


def _iso(year_text: str, month: int | None, day: int) -> str | None:
    if month is None:
        return None
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


_AMOUNT = re.compile(r"(?P<sign>[-(]\s*)?\d+(?:[ .,'\u2019\u00a0\u202f]\d+)*")


def normalize_amount(text: str) -> int | float | None:
    match = _AMOUNT.search(text)
    if match is None:
        return None
    value = _parse_number(re.sub(r"[ '\u2019\u00a0\u202f]", "", match.group(0).lstrip("-( ")))
    if value is None:
        return None
    value = -value if match.group("sign") else value
    return int(value) if value == int(value) else round(value, 2)


def _parse_number(digits: str) -> float | None:
    if not digits or not digits[0].isdigit():
        return None
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        mark = "." if last_dot >= 0 else ","
        after = len(digits) - digits.rfind(mark) - 1
        decimal = "" if digits.count(mark) > 1 or after == 3 else mark
    else:
        decimal = ""
    thousands = {".", ","} - {decimal}
    cleaned = "".join(char for char in digits if char not in thousands).replace(decimal or "\0", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
)
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_UNITS = {word: number for number, word in enumerate(_UNIT_WORDS.split())}
_TENS = {word: 10 * number for number, word in enumerate(_TEN_WORDS.split(), 2)}


def normalize_integer(text: str) -> int | None:
    cleaned = text.strip().lower()
    digits = re.search(r"\d[\d,.'\s]*", cleaned)
    if digits is not None:
        number = re.sub(r"[,.'\s]", "", digits.group(0))
        return int(number) if number.isdigit() else None
    return _number_words(cleaned)


def _number_words(text: str) -> int | None:
    total, current, seen = 0, 0, False
    for word in re.findall(r"[a-z]+", text):
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total, current = total + max(current, 1) * 1000, 0
        elif word == "and" and seen:
            continue
        else:
            if seen:
                break
            continue
        seen = True
    return total + current if seen else None


_CURRENCY_NAMES = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR",
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "us dollars": "USD",
    "u.s. dollars": "USD", "united states dollars": "USD",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "pounds sterling": "GBP", "sterling": "GBP",
    "¥": "JPY", "yen": "JPY", "₹": "INR", "rupees": "INR", "chf": "CHF", "fr.": "CHF", "swiss francs": "CHF",
    "swiss franc": "CHF", "a$": "AUD", "australian dollars": "AUD", "c$": "CAD", "canadian dollars": "CAD",
    "kr": "SEK", "swedish kronor": "SEK", "zł": "PLN", "zloty": "PLN",
}  # fmt: skip


def normalize_currency(text: str) -> str | None:
    cleaned = " ".join(text.strip().lower().split()).strip(",;:")
    if cleaned in _CURRENCY_NAMES:
        return _CURRENCY_NAMES[cleaned]
    if re.fullmatch(r"[a-z]{3}", cleaned):
        return cleaned.upper()
    for name in sorted(_CURRENCY_NAMES, key=len, reverse=True):  # "EUR 1 234.50" or "1.234 €"
        if re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", cleaned):
            return _CURRENCY_NAMES[name]
    return None


_ABBREVIATED = re.compile(r"(?:\b[A-Za-z]\.|\b(?:Inc|Co|Corp|Ltd|Jr|Sr|St|No)\.)$")


def normalize_string(text: str) -> str | None:
    cleaned = " ".join(text.split()).strip("\"'\u201c\u201d\u2018\u2019 ").rstrip(",;:").strip()
    if cleaned.endswith(".") and not _ABBREVIATED.search(cleaned):
        cleaned = cleaned.rstrip(".").strip()
    return cleaned or None


NORMALIZERS: dict[str, Callable[[str], Any]] = {
    "string": normalize_string,
    "date": normalize_date,
    "amount": normalize_amount,
    "integer": normalize_integer,
    "currency": normalize_currency,
}
