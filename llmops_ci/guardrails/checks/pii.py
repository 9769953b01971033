"""PII detection: e-mail addresses, phone numbers, payment cards (Luhn), IBANs (mod-97 and length per
country) and US social security numbers (invalid ranges rejected). Patterns are written without nested
quantifiers so that they stay linear on adversarial input."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from llmops_ci.guardrails.checks import Detection

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w-])"
)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"(?<!\d)(\d{3})[- ]?(\d{2})[- ]?(\d{4})(?!\d)")

# Lengths of IBANs per country (ISO 13616 registry), for the countries most seen in practice.
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TR": 26,
    "UA": 29,
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    return not (area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000")


def _emails(text: str) -> Iterable[Detection]:
    for match in _EMAIL.finditer(text):
        yield Detection("EMAIL_ADDRESS", match.start(), match.end(), match.group())


def _phones(text: str) -> Iterable[Detection]:
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 7 <= len(digits) <= 15:
            yield Detection("PHONE_NUMBER", match.start(), match.end(), match.group())


def _cards(text: str) -> Iterable[Detection]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            yield Detection("CREDIT_CARD", match.start(), match.end(), match.group())


def _ibans(text: str) -> Iterable[Detection]:
    for match in _IBAN.finditer(text):
        if iban_valid(match.group()):
            yield Detection("IBAN_CODE", match.start(), match.end(), match.group())


def _ssns(text: str) -> Iterable[Detection]:
    for match in _SSN.finditer(text):
        separators = match.group()[3:4] + match.group()[-5:-4]
        if separators in ("--", "  ") and ssn_valid(*match.groups()):
            yield Detection("US_SSN", match.start(), match.end(), match.group())


_FINDERS: dict[str, Callable[[str], Iterable[Detection]]] = {
    "EMAIL_ADDRESS": _emails,
    "PHONE_NUMBER": _phones,
    "CREDIT_CARD": _cards,
    "IBAN_CODE": _ibans,
    "US_SSN": _ssns,
}


def find(text: str, entities: Iterable[str] | None = None) -> list[Detection]:
    """Every PII detection in ``text``; of overlapping ones the most specific is kept."""
    found: list[Detection] = []
    for entity in entities or ENTITIES:
        found.extend(_FINDERS[entity](text))
    priority = {
        name: rank for rank, name in enumerate(("CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS"))
    }
    found.sort(key=lambda d: (priority.get(d.entity, 9), d.start))
    kept: list[Detection] = []
    for detection in found:
        if all(detection.end <= other.start or detection.start >= other.end for other in kept):
            kept.append(detection)
    return sorted(kept, key=lambda d: d.start)
