"""IBAN validation for the ``pii`` check: ISO 13616 structure per country, ISO 7064 MOD 97-10 checksum.

``IBAN_REGISTRY`` is the SWIFT IBAN registry (release 101): for every country its IBAN length and the
structure of its BBAN (the part after the country code and the check digits) in the registry's notation,
``<count>!<kind>`` with ``n`` digits, ``a`` upper-case letters, ``c`` upper-case letters or digits.
Territories that SWIFT files under another country's entry but that carry their own country code in
IBANs (Åland under Finland, the French overseas territories, the Crown dependencies under the United
Kingdom) are listed under their own code with the parent's structure.

``IBAN_NATIONAL`` holds countries whose banks issue IBANs that are not (yet) in the SWIFT registry
(mostly the BCEAO/BEAC zones of West and Central Africa, Algeria, Morocco, Iran...), with the structures
published by their central banks and collected by the IBAN libraries (``schwifty``'s experimental list).
They are checked the same way.
"""

from __future__ import annotations

import re
from functools import cache

IBAN_REGISTRY: dict[str, tuple[int, str]] = {
    "AD": (24, "4!n4!n12!c"),
    "AE": (23, "3!n16!n"),
    "AL": (28, "8!n16!c"),
    "AT": (20, "5!n11!n"),
    "AZ": (28, "4!a20!c"),
    "BA": (20, "3!n3!n8!n2!n"),
    "BE": (16, "3!n7!n2!n"),
    "BG": (22, "4!a4!n2!n8!c"),
    "BH": (22, "4!a14!c"),
    "BI": (27, "5!n5!n11!n2!n"),
    "BR": (29, "8!n5!n10!n1!a1!c"),
    "BY": (28, "4!c4!n16!c"),
    "CH": (21, "5!n12!c"),
    "CR": (22, "4!n14!n"),
    "CY": (28, "3!n5!n16!c"),
    "CZ": (24, "4!n6!n10!n"),
    "DE": (22, "8!n10!n"),
    "DJ": (27, "5!n5!n11!n2!n"),
    "DK": (18, "4!n9!n1!n"),
    "DO": (28, "4!c20!n"),
    "EE": (20, "2!n2!n11!n1!n"),
    "EG": (29, "4!n4!n17!n"),
    "ES": (24, "4!n4!n1!n1!n10!n"),
    "FI": (18, "3!n11!n"),
    "FK": (18, "2!a12!n"),
    "FO": (18, "4!n9!n1!n"),
    "FR": (27, "5!n5!n11!c2!n"),
    "GB": (22, "4!a6!n8!n"),
    "GE": (22, "2!a16!n"),
    "GI": (23, "4!a15!c"),
    "GL": (18, "4!n9!n1!n"),
    "GR": (27, "3!n4!n16!c"),
    "GT": (28, "4!c20!c"),
    "HN": (28, "4!a20!n"),
    "HR": (21, "7!n10!n"),
    "HU": (28, "3!n4!n1!n15!n1!n"),
    "IE": (22, "4!a6!n8!n"),
    "IL": (23, "3!n3!n13!n"),
    "IQ": (23, "4!a3!n12!n"),
    "IS": (26, "4!n2!n6!n10!n"),
    "IT": (27, "1!a5!n5!n12!c"),
    "JO": (30, "4!a4!n18!c"),
    "KW": (30, "4!a22!c"),
    "KZ": (20, "3!n13!c"),
    "LB": (28, "4!n20!c"),
    "LC": (32, "4!a24!c"),
    "LI": (21, "5!n12!c"),
    "LT": (20, "5!n11!n"),
    "LU": (20, "3!n13!c"),
    "LV": (21, "4!a13!c"),
    "LY": (25, "3!n3!n15!n"),
    "MC": (27, "5!n5!n11!c2!n"),
    "MD": (24, "2!c18!c"),
    "ME": (22, "3!n13!n2!n"),
    "MK": (19, "3!n10!c2!n"),
    "MN": (20, "4!n12!n"),
    "MR": (27, "5!n5!n11!n2!n"),
    "MT": (31, "4!a5!n18!c"),
    "MU": (30, "4!a2!n2!n12!n3!n3!a"),
    "NI": (28, "4!a20!n"),
    "NL": (18, "4!a10!n"),
    "NO": (15, "4!n6!n1!n"),
    "OM": (23, "3!n16!c"),
    "PK": (24, "4!a16!c"),
    "PL": (28, "8!n16!n"),
    "PS": (29, "4!a21!c"),
    "PT": (25, "4!n4!n11!n2!n"),
    "QA": (29, "4!a21!c"),
    "RO": (24, "4!a16!c"),
    "RS": (22, "3!n13!n2!n"),
    "RU": (33, "9!n5!n15!c"),
    "SA": (24, "2!n18!c"),
    "SC": (31, "4!a2!n2!n16!n3!a"),
    "SD": (18, "2!n12!n"),
    "SE": (24, "3!n16!n1!n"),
    "SI": (19, "5!n8!n2!n"),
    "SK": (24, "4!n6!n10!n"),
    "SM": (27, "1!a5!n5!n12!c"),
    "SO": (23, "4!n3!n12!n"),
    "ST": (25, "4!n4!n11!n2!n"),
    "SV": (28, "4!a20!n"),
    "TL": (23, "3!n14!n2!n"),
    "TN": (24, "2!n3!n13!n2!n"),
    "TR": (26, "5!n1!n16!c"),
    "UA": (29, "6!n19!c"),
    "VA": (22, "3!n15!n"),
    "VG": (24, "4!a16!n"),
    "XK": (20, "4!n10!n2!n"),
    "YE": (30, "4!a4!n18!c"),
}

# Territories with their own country code and the structure of the registry entry that covers them.
_TERRITORIES = {
    "FI": ("AX",),
    "FR": ("BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "TF", "WF", "YT"),
    "GB": ("GG", "IM", "JE"),
}
for _parent, _codes in _TERRITORIES.items():
    for _code in _codes:
        IBAN_REGISTRY[_code] = IBAN_REGISTRY[_parent]

IBAN_NATIONAL: dict[str, tuple[int, str]] = {
    "AO": (25, "21!n"),
    "BF": (28, "2!c22!n"),
    "BJ": (28, "2!c22!n"),
    "CF": (27, "23!n"),
    "CG": (27, "23!n"),
    "CI": (28, "2!a22!n"),
    "CM": (27, "23!n"),
    "CV": (25, "21!n"),
    "DZ": (26, "22!n"),
    "GA": (27, "23!n"),
    "GQ": (27, "23!n"),
    "GW": (25, "2!c19!n"),
    "IR": (26, "22!n"),
    "KM": (27, "23!n"),
    "MA": (28, "24!n"),
    "MG": (27, "23!n"),
    "ML": (28, "2!c22!n"),
    "MZ": (25, "21!n"),
    "NE": (28, "2!a22!n"),
    "SN": (28, "2!a22!n"),
    "TD": (27, "23!n"),
    "TG": (28, "2!a3!n5!n12!n2!n"),
}

IBAN_FORMATS: dict[str, tuple[int, str]] = {**IBAN_NATIONAL, **IBAN_REGISTRY}
IBAN_LENGTHS: dict[str, int] = {code: length for code, (length, _) in IBAN_FORMATS.items()}
MIN_IBAN_LENGTH = min(IBAN_LENGTHS.values())
MAX_IBAN_LENGTH = max(IBAN_LENGTHS.values())

_KINDS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_SPEC_PART = re.compile(r"(\d+)!?([nac])")


@cache
def _bban_pattern(code: str) -> re.Pattern[str]:
    spec = IBAN_FORMATS[code][1]
    return re.compile("".join(f"{_KINDS[kind]}{{{count}}}" for count, kind in _SPEC_PART.findall(spec)))


def mod97(compact: str) -> int:
    """ISO 7064 MOD 97-10 of an IBAN: the BBAN, then country code and check digits, letters as 10..35."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97


def iban_valid(candidate: str) -> bool:
    """``candidate`` (spaces and dashes ignored) is an IBAN: known country, its length and BBAN structure,
    check digits 02..98 and the MOD 97-10 checksum."""
    compact = candidate.replace(" ", "").replace("-", "")
    code = compact[:2]
    if IBAN_LENGTHS.get(code) != len(compact) or not compact[2:4].isdigit():
        return False
    if not "02" <= compact[2:4] <= "98" or not _bban_pattern(code).fullmatch(compact[4:]):
        return False
    return mod97(compact) == 1
