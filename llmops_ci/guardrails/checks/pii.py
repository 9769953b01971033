"""## pii
Finds personal data: e-mail addresses, phone numbers, payment card numbers, IBANs, US social security
numbers, IP addresses and URLs, plus entities of your own defined by a regular expression. Each built-in
entity is validated beyond its shape (Luhn, ISO 13616, libphonenumber, the SSA's rules, `ipaddress`), so
order numbers, dates, timestamps, versions and UUIDs are not reported.

## Entities
- `EMAIL_ADDRESS`: `local@domain.tld`; the top-level domain is 2-63 letters or an IDN in punycode
  (`xn--...`). Not recognised: quoted local parts, domains written in Unicode, `name@2x.png` image names.
  The user name and password of a URL (`https://user:secret@example.com`,
  `postgres://app:pa~ss@db.internal`) are credentials, not an address, whatever characters they hold.
- `PHONE_NUMBER`: international numbers written with `+` and the country code, any country
  (`+44 20 7123 4567`, `+1-415-555-0132`), and national numbers of the `regions`
  (`(415) 555-0132`, `415.555.0132`, `1-415-555-0132` for US). Groups may be separated by spaces, `-`,
  `.`, `/` and one pair of parentheses. A number must be valid for libphonenumber (a range in use, the
  right length), not merely possible; dates such as `2023-01-05` are never numbers.
- `CREDIT_CARD`: 13-19 digits, contiguous or in groups of 3-8 digits separated by single spaces or
  single dashes (the same throughout); the Luhn checksum must hold and the issuer prefix must be one
  in use (UATP `1` with 15 digits, Mir `2200-2204`, Mastercard `2221-2720` and `51-55`, Diners, JCB and
  Amex `30`, `34-39`, Visa `4` (the only 13-digit one), other `5` and `6` schemes), so 13-digit
  millisecond timestamps are not cards. Nothing inside a UUID is a number
  (`48032716-9617-4612-b0cf-4c635d697de7`).
- `IBAN_CODE`: country code, check digits and BBAN, contiguous or grouped with single spaces or single
  dashes, in upper case. The country must be in the SWIFT IBAN registry (release 101, with the
  territories that use their own country code) or one of the countries whose banks issue IBANs outside
  the registry (West and Central Africa, Algeria, Morocco, Iran...); the length and the BBAN structure
  (which positions are digits or letters) must be that country's, the check digits 02-98 and the
  ISO 7064 MOD 97-10 checksum right.
- `US_SSN`: `AAA-GG-SSSS` with dashes, spaces or dots (the same separator twice). Rejected: area 000,
  666 and 900-999, group 00, serial 0000, the two numbers voided after publication (078-05-1120,
  219-09-9999) and nine identical digits; `123-45-6789` passes every rule and is reported. Nine digits
  without separators are not reported: most such numbers are other identifiers.
- `IP_ADDRESS`: IPv4 dotted quads (no leading zeros) and IPv6 in every textual form (compressed,
  IPv4-embedded, with a `%zone`), validated with the standard `ipaddress` module; a valid CIDR suffix
  (`/24`, `/64`) is part of the detection. Not reported: dotted sequences of more than four numbers
  (`1.3.6.1.4.1` is an OID, `1.2.3.4.5` a version), the unspecified address `::`, IPv6 forms without a
  decimal digit (`dead::beef`, `A::B` read as code), Python slices such as `[::2]`.
- `URL`: `http://`, `https://` and `ftp://` URLs and `www.` addresses. The host must be a domain name
  with a top-level domain (`http://localhost` is not reported), an IPv4 address or a bracketed IPv6
  address. Trailing punctuation and unbalanced closing brackets are not part of the URL. Bare domains
  (`example.com`) are not reported: a domain names an organisation far more often than a person, and
  file names (`setup.py`, `README.md`) cannot be told apart from domains without context.
- custom entities: every match of their pattern (see `custom_entities`).

## Options
- `entities` (default: every built-in entity): the built-in entities to report. Custom entities are
  always reported; naming them here as well is allowed.
- `custom_entities` (default: none): entity name (`^[A-Z][A-Z0-9_]*$`) to regular expression in RE2
  syntax: linear time on any input, no look-around and no back-references. A custom entity may reuse a
  built-in name to add a pattern to it. Empty matches are ignored.
- `regions` (default `[US]`): ISO 3166 alpha-2 codes (`GB`, not `UK`) whose national phone formats are
  recognised. International numbers (`+CC ...`) are recognised whatever the regions; `[]` recognises
  only those.
- `mask_keep` (default 4): for the `mask` action, how many characters of a detection stay visible.

## Overlapping detections
Of overlapping detections the most specific is kept, in this order: custom entities, `CREDIT_CARD`,
`IBAN_CODE`, `US_SSN`, `EMAIL_ADDRESS`, `IP_ADDRESS`, `PHONE_NUMBER`, `URL`; within an entity the longer.
So a card number is not also a phone number, the domain of an e-mail address is not a URL, and a URL
whose host is an IP address, or which carries an e-mail address, is reported as that address.

## Limits
- Deterministic and context-free: no scores and no context words. An unformatted SSN next to the word
  "SSN" is not reported; a ten-digit order number in a valid US number range is a phone number.
- Names, postal addresses, dates of birth and other free-form personal data need a model, not this check.
- Phone numbers in letters (`1-800-FLOWERS`) and extensions (`x123`) are not recognised; a national
  number is only recognised in the formats of the configured `regions`.
- Speed: one pass of one combined regular expression (Python `re`) over the text, and validation of its
  candidates only: tens of MB/s on prose, about 6 MB/s on digit-heavy logs and JSON (most of it in phone
  validation; a phone candidate is parsed by libphonenumber only after a cheaper necessary check on its
  digits against the same metadata). No built-in pattern has an ambiguous repetition (every repeated
  part is bounded, or starts with a character the part before it cannot match), so a failed match
  attempt costs a bounded number of steps and a scan stays linear on any input; custom patterns run on
  RE2.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection
from llmops_ci.guardrails.checks._pii_iban import IBAN_LENGTHS, iban_valid
from llmops_ci.guardrails.checks._pii_numbers import Emit, luhn_valid, scan_run, ssn_valid
from llmops_ci.guardrails.checks._safe_regex import SafePattern, compile_safe

__all__ = [
    "DEFAULT_REGIONS",
    "ENTITIES",
    "FIND_DEFAULT",
    "MODEL_BASED",
    "PARAMS",
    "PiiDetector",
    "build",
    "find",
    "iban_valid",
    "luhn_valid",
    "resolve_overlaps",
    "ssn_valid",
]

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "URL")
PARAMS = frozenset({"entities", "custom_entities", "regions", "mask_keep"})
MODEL_BASED = False
DEFAULT_REGIONS = ("US",)
# What find() reports when not given entities (lint rule P003 calls it so).
FIND_DEFAULT = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")

# Most specific first: of overlapping detections the first entity here wins; custom entities beat all.
SPECIFICITY = ("CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "URL")
_RANK = {entity: rank for rank, entity in enumerate(SPECIFICITY)}

_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")

# The combined pattern is one character class of triggers followed by the branches for each trigger. The
# class in front lets `re` skip text without a trigger at C speed; look-behinds then tell which trigger
# was met and whether it starts something (a digit inside a number starts nothing, which one look-behind
# settles for all digit branches). No branch has an ambiguous repetition: every repeated part is bounded
# or starts with a character the part before it cannot match, so a failed attempt costs a bounded number
# of steps. A branch reports the start of a candidate; the full candidate is validated in Python.
#
# 6 more digits (7 in all, the shortest phone number) at most 3 separators apart, then the rest of the run
_DIGIT_RUN = r"(?:[ ()./\-]{0,3}[0-9]){6}[0-9 ()./\-]*"
# after the first colon of an IPv6 candidate: a second colon at once ("fe80::1"), or a group and a colon
# followed by a third colon
_V6_SECOND = r"(?::|[0-9A-Fa-f]{1,4}:(?=[0-9A-Fa-f]{0,4}:))"
_BRANCH_PATTERNS = {
    # a digit starting a number: IPv6 ("2001:db8:..."), a run of 7+ digits (cards, SSNs, phones, IPv4
    # addresses) or a shorter dotted IPv4 (the whole dotted sequence, 1.2.3.4.5 being none). An IPv6
    # address has "::" or a third colon: times such as 20:12:33 are not candidates.
    "v6": rf"(?<!:[0-9])(?P<v6>[0-9A-Fa-f]{{0,3}}:{_V6_SECOND})",
    "num": rf"(?P<num>{_DIGIT_RUN})",
    "ip4": r"(?P<ip4>[0-9]{0,2}(?:\.[0-9]{1,3}){3,}(?:/[0-9]{1,2})?)",
    # the first check digit of an IBAN after its country code
    "iban": r"(?<=(?<![A-Za-z0-9])[A-Z]{2}[0-9])(?P<iban>[0-9])",
    # "+" or "(" opening a phone number
    "plus": rf"(?<![\w.+\-/#][+(])(?P<plus>[0-9]{_DIGIT_RUN})",
    # the domain after "local@"
    "email": r"(?<=[A-Za-z0-9._%+\-]@)(?P<email>[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,10})",
    # "://" of a URL; "::" or "hex:" of an IPv6 address starting with a letter or a colon
    "scheme": r"(?P<scheme>//)",
    "colon": rf"(?P<colon>{_V6_SECOND})",
    # "www." not glued to a word, a path or an e-mail address
    "www": r"(?<![\w.@/\-][wW])(?P<www>[wW]{2}\.)",
}
_BRANCH_ENTITIES = {
    "v6": {"IP_ADDRESS"},
    "num": {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS"},
    "ip4": {"IP_ADDRESS"},
    "iban": {"IBAN_CODE"},
    "plus": {"PHONE_NUMBER"},
    "email": {"EMAIL_ADDRESS"},
    "scheme": {"URL"},
    "colon": {"IP_ADDRESS"},
    "www": {"URL"},
}


def _either(*alternatives: str) -> str:
    present = [alternative for alternative in alternatives if alternative]
    return f"(?:{'|'.join(present)})" if present else ""


@cache
def _combined(branches: frozenset[str]) -> re.Pattern[str]:
    def part(name: str) -> str:
        return _BRANCH_PATTERNS[name] if name in branches else ""

    numbers = _either(part("num"), part("ip4"))
    # not after "+", "-", "#" or a single "/" (a path: /items/4155550132), but after "//" (http://10.0.0.1)
    not_after = r"(?<![+\-#][0-9])(?<!(?<!/)/[0-9])"
    starts_number = _either(part("v6"), f"{not_after}{numbers}" if numbers else "")
    digit = _either(rf"(?<![\w.][0-9]){starts_number}" if starts_number else "", part("iban"))
    groups = {
        "0-9": rf"(?<=[0-9]){digit}" if digit else "",
        "+(": rf"(?<=[+(]){part('plus')}" if part("plus") else "",
        "@": rf"(?<=@){part('email')}" if part("email") else "",
        ":": rf"(?<=:){_either(part('scheme'), part('colon'))}" if part("scheme") or part("colon") else "",
        "wW": rf"(?<=[wW]){part('www')}" if part("www") else "",
    }
    triggers = "".join(trigger for trigger, group in groups.items() if group)
    # Most digits of a text are inside numbers (ids, digests, timestamps): one look-behind ends their
    # match attempt before the branches are tried (an IBAN's check digit follows a capital letter).
    guard = r"(?:(?<![\w.][0-9])|(?<=[A-Z][0-9]))" if groups["0-9"] else ""
    return re.compile(f"[{triggers}]{guard}{_either(*groups.values())}")


def _branches_for(entities: frozenset[str]) -> frozenset[str]:
    return frozenset(name for name, serves in _BRANCH_ENTITIES.items() if serves & entities)


# Full candidates, matched from the position the combined pattern found.
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}(?:[ \-]?[A-Z0-9]){11,30}")
_IPV6 = re.compile(
    r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:\.[0-9]{1,3}){0,3}(?:%[0-9A-Za-z._~\-]{1,32})?(?:/[0-9]{1,4})?"
)
_DATE = re.compile(r"[0-9]{4}([-/.])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-/.])[0-9]{1,2}\2[0-9]{4}")
_IPV6_SLICE = re.compile(r"::[0-9]{1,4}")
_UUID = re.compile(r"[0-9]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])")
_URL_REST = re.compile(r"[^\s<>\"'`{}|\\^]{1,2048}")
_AUTHORITY = re.compile(r"[^/?#]*")
_TLD = re.compile(r"[^\W\d_]{2,63}|[Xx][Nn]--[A-Za-z0-9\-]{1,59}")
_LABEL = re.compile(r"[^\W_](?:[\w\-]{0,61}[^\W_])?")
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_USERINFO_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&*+,;=:")
_HEX = frozenset("0123456789abcdefABCDEF")
_IMAGE_SCALE = re.compile(r"[0-9]{1,2}x")
_IMAGE_TYPES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "ico", "tif", "tiff"})
_URL_TRAILING = frozenset(".,;:!?*")
_URL_CLOSERS = {")": "(", "]": "[", "}": "{"}


class PiiDetector:
    """The compiled ``pii`` check: built-in ``entities``, ``custom`` (name, RE2 pattern) pairs and the
    ``regions`` whose national phone formats count."""

    def __init__(
        self,
        entities: Iterable[str] = ENTITIES,
        custom: Sequence[tuple[str, SafePattern]] = (),
        regions: Sequence[str] = DEFAULT_REGIONS,
    ) -> None:
        self.entities = frozenset(entities)
        self.custom = tuple(custom)
        self.regions = tuple(regions)
        branches = _branches_for(self.entities)
        self._pattern = _combined(branches) if branches else None
        self._rank = {**_RANK, **{name: -1 for name, _ in self.custom}}

    def scan(self, text: str) -> list[Detection]:
        """Every detection in ``text``, in text order, overlaps resolved."""
        found = _scan(text, self._pattern, self.entities, self.regions) if self._pattern else []
        for name, pattern in self.custom:
            for match in pattern.finditer(text):
                start, end = match.start(), match.end()
                if end > start:
                    found.append(Detection(name, start, end, text[start:end]))
        return resolve_overlaps(found, self._rank)


def _scan(
    text: str, pattern: re.Pattern[str], entities: frozenset[str], regions: tuple[str, ...]
) -> list[Detection]:
    found: list[Detection] = []

    def emit(entity: str, start: int, end: int) -> None:
        found.append(Detection(entity, start, end, text[start:end]))

    cards = "CREDIT_CARD" in entities
    ssns = "US_SSN" in entities
    ips = "IP_ADDRESS" in entities
    phones = "PHONE_NUMBER" in entities
    search = pattern.search
    position = 0
    url_until = 0  # a "://" inside the previous URL candidate starts no URL of its own
    while (match := search(text, position)) is not None:
        kind = match.lastgroup
        at = match.start()
        if kind == "num" and _DATE.fullmatch(text, at, at + len(match.group().rstrip(" ()./-"))):
            position = match.end()  # a date: the commonest run in prose, and never PII here
        elif kind == "num" and (uuid := _UUID.match(text, at)) is not None:
            position = uuid.end()  # its digit groups may pass Luhn: 48032716-9617-4612-b0cf-...
        elif kind == "num" or kind == "plus":
            scan_run(
                text, at, match.end(), emit, cards=cards, ssns=ssns, ips=ips, phones=phones, regions=regions
            )
            position = match.end()
        elif kind == "ip4":
            scan_run(text, at, match.end(), emit, cards=False, ssns=False, ips=True, phones=False, regions=())
            position = match.end()
        elif kind == "email":
            position = _email(text, at, match.end(), emit) or at + 1
        elif kind == "iban":
            position = _iban(text, at - 2, emit) or at + 2
        elif kind == "v6":
            position = max(_ipv6(text, at, emit), at + 1)
        elif kind == "colon":
            begin = _hex_start(text, at)
            position = max(_ipv6(text, begin, emit), at + 1) if begin >= 0 else at + 1
        else:  # scheme or www: the URL is scanned on for what it contains (an IP host, an e-mail address)
            if at >= url_until:
                url_until = _url(text, at, kind == "www", emit)
            position = at + 1
    return found


def _email(text: str, at: int, domain_end: int, emit: Emit) -> int:
    """Validate the address around the ``@`` at ``at``; return its end, or 0."""
    begin = at
    floor = max(0, at - 64)
    while begin > floor and text[begin - 1] in _LOCAL_CHARS:
        begin -= 1
    if begin == floor and floor > 0 and text[floor - 1] in _LOCAL_CHARS:
        return 0  # a local part of more than 64 characters
    while begin < at and text[begin] == ".":
        begin += 1
    local = text[begin:at]
    if not local or local.endswith(".") or ".." in local:
        return 0
    if _in_url_userinfo(text, at):
        return 0  # https://user:secret@example.com, postgres://u:pa~ss@db: credentials, not an address
    labels = text[at + 1 : domain_end].split(".")
    while len(labels) >= 2 and not _TLD.fullmatch(labels[-1]):
        labels.pop()
    if len(labels) < 2 or any(label[0] == "-" or label[-1] == "-" for label in labels):
        return 0
    if labels[-1].lower() in _IMAGE_TYPES and _IMAGE_SCALE.fullmatch(labels[0]):
        return 0  # icon@2x.png
    end = at + 1 + sum(len(label) + 1 for label in labels) - 1
    if end - at - 1 > 253:
        return 0
    emit("EMAIL_ADDRESS", begin, end)
    return end


def _in_url_userinfo(text: str, at: int) -> bool:
    """The ``@`` at ``at`` ends the user information of a URL: ``://`` followed by characters a user name
    or password may hold (RFC 3986: unreserved, percent-encoded, sub-delimiters, ``:``), so that
    no part of ``postgres://app:s3~cr3t@db.internal`` is read as an e-mail address, whatever the password
    holds."""
    floor = max(0, at - 256)
    begin = at
    while begin > floor and text[begin - 1] in _USERINFO_CHARS:
        begin -= 1
    return begin >= 3 and text.startswith("://", begin - 3)


def _iban(text: str, begin: int, emit: Emit) -> int:
    """Validate the IBAN candidate at ``begin`` (the groups that make up the country's length); return where
    the scan goes on, or 0 when the candidate has no such groups."""
    match = _IBAN.match(text, begin)
    if match is None:
        return 0
    candidate = match.group()
    expected = IBAN_LENGTHS.get(candidate[:2])
    if expected is None:
        return 0
    separator = next((char for char in candidate if char in " -"), "")
    stop = -1
    length = 0
    for index, char in enumerate(candidate):
        if char in " -":
            if char != separator:
                break
            if length == expected:
                stop = index
                break
        else:
            length += 1
            if length > expected:
                break
    else:
        if length == expected and not (match.end() < len(text) and text[match.end()].isalnum()):
            stop = len(candidate)
    if stop < 0:
        return 0
    if iban_valid(candidate[:stop]):
        emit("IBAN_CODE", begin, begin + stop)
    # An IBAN of the right length with a wrong checksum is a mistyped IBAN: nothing inside it is a
    # phone or card number, so the scan goes on after it either way.
    return begin + stop


def _hex_start(text: str, colon: int) -> int:
    """Where an IPv6 candidate whose first ``:`` is at ``colon`` starts, or -1 when it is glued to a word."""
    begin = colon
    while begin > colon - 4 and begin > 0 and text[begin - 1] in _HEX:
        begin -= 1
    if begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "_:."):
        return -1
    return begin


def _ipv6(text: str, begin: int, emit: Emit) -> int:
    """Validate the IPv6 candidate at ``begin``; return the end of the candidate."""
    match = _IPV6.match(text, begin)
    if match is None:
        return begin + 1
    end = match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "_:"):
        return end  # fe80::1text
    address, slash, prefix = match.group().partition("/")
    if address.endswith(":") and not address.endswith("::") and not slash:
        address = address[:-1]  # "... 2001:db8::1: next" ends a sentence
    stop = begin + len(address)
    if not any(char.isdigit() for char in address.partition("%")[0]):
        return end  # "::", "dead::beef": not an address one would write
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return end
    if slash and prefix and int(prefix) <= 128:
        stop = end
    bracketed = begin > 0 and text[begin - 1] == "[" and text[stop : stop + 1] == "]"
    if bracketed and address != "::1" and _IPV6_SLICE.fullmatch(address):
        return end  # a[::2]
    emit("IP_ADDRESS", begin, stop)
    return end


def _url(text: str, at: int, www: bool, emit: Emit) -> int:
    """Validate the URL whose ``://`` (or ``www.``) is at ``at``; return the end of the candidate."""
    if www:
        begin = host_start = at
    else:
        begin = -1
        for scheme in ("https", "http", "ftp"):
            start = at - len(scheme)
            if start >= 0 and text[start:at].lower() == scheme:
                begin = start
                break
        if begin < 0 or (begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "_.+-")):
            return at + 1
        host_start = at + 3
    match = _URL_REST.match(text, host_start)
    if match is None:
        return at + 1
    end = match.end()
    while end > host_start:
        char = text[end - 1]
        unbalanced = char in _URL_CLOSERS and text.count(_URL_CLOSERS[char], begin, end) < text.count(
            char, begin, end
        )
        if not (char in _URL_TRAILING or unbalanced):
            break
        end -= 1
    if end > host_start and _host_valid(text[host_start:end], www):
        emit("URL", begin, end)
    return match.end()


def _host_valid(rest: str, www: bool) -> bool:
    authority = _AUTHORITY.match(rest)
    host_port = authority.group().rpartition("@")[2] if authority else ""
    if host_port.startswith("[") and not www:
        close = host_port.find("]")
        port = host_port[close + 1 :]
        if close < 0 or (port and not (port[0] == ":" and port[1:].isdigit() and len(port) <= 6)):
            return False
        try:
            ipaddress.IPv6Address(host_port[1:close])
        except ValueError:
            return False
        return True
    host, _, port = host_port.partition(":")
    if port and not (port.isdigit() and len(port) <= 5):
        return False
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()  # the root: "example.com."
    if www:
        return len(labels) >= 3 and labels[0].lower() == "www" and _domain_valid(labels)
    if len(labels) == 4 and all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return len(labels) >= 2 and _domain_valid(labels)


def _domain_valid(labels: list[str]) -> bool:
    return bool(_TLD.fullmatch(labels[-1])) and all(_LABEL.fullmatch(label) for label in labels)


def resolve_overlaps(found: list[Detection], rank: Mapping[str, int] | None = None) -> list[Detection]:
    """Of overlapping detections keep the most specific (lowest ``rank``, then the longest), in text order.
    Entities missing from ``rank`` rank first (custom entities)."""
    ranks = _RANK if rank is None else rank
    result: list[Detection] = []
    cluster: list[Detection] = []
    cluster_end = -1
    for detection in sorted(found, key=lambda detection: (detection.start, detection.end)):
        if cluster and detection.start >= cluster_end:
            result.extend(_most_specific(cluster, ranks))
            cluster = []
        cluster.append(detection)
        cluster_end = max(cluster_end, detection.end) if len(cluster) > 1 else detection.end
    if cluster:
        result.extend(_most_specific(cluster, ranks))
    return result


def _most_specific(cluster: list[Detection], ranks: Mapping[str, int]) -> list[Detection]:
    if len(cluster) == 1:
        return cluster
    ordered = sorted(cluster, key=lambda d: (ranks.get(d.entity, -1), d.start - d.end, d.start))
    starts: list[int] = []
    kept: list[Detection] = []
    for detection in ordered:
        index = bisect.bisect_left(starts, detection.start)
        if index > 0 and kept[index - 1].end > detection.start:
            continue
        if index < len(kept) and kept[index].start < detection.end:
            continue
        starts.insert(index, detection.start)
        kept.insert(index, detection)
    return kept


@lru_cache(maxsize=32)
def _detector(entities: frozenset[str]) -> PiiDetector:
    unknown = sorted(entities - set(ENTITIES))
    if unknown:
        raise ValueError(f"pii has no entity {unknown[0]!r}; known: {', '.join(ENTITIES)}")
    return PiiDetector(entities)


def find(text: str, entities: Iterable[str] | None = None) -> list[Detection]:
    """The detections of ``entities`` in ``text`` with the default options (national phone formats of the
    US), overlaps resolved. Without ``entities``: the personal data lint rule P003 looks for in few-shot
    examples (``FIND_DEFAULT``); IP addresses and URLs, common and mostly harmless in prompts, only when
    named."""
    chosen = frozenset(entities) if entities is not None else frozenset()
    return _detector(chosen or frozenset(FIND_DEFAULT)).scan(text)


def build(spec: Mapping[str, Any], context: BuildContext) -> PiiDetector:
    """Compile a ``pii`` check entry; a bad option raises ``CheckError`` at its key."""
    custom = _custom_entities(spec)
    names = {name for name, _ in custom}
    return PiiDetector(_entities(spec, names), custom, _regions(spec))


def _entities(spec: Mapping[str, Any], custom: set[str]) -> list[str]:
    if spec.get("entities") is None:
        return list(ENTITIES)
    values = spec["entities"]
    if not isinstance(values, list):
        raise CheckError("entities must be a list of entity names", "entities")
    chosen = []
    for index, name in enumerate(values):
        if not isinstance(name, str) or (name not in ENTITIES and name not in custom):
            hint = _did_you_mean(str(name), ENTITIES)
            raise CheckError(
                f"pii has no entity {name!r}{hint}; built-in: {', '.join(ENTITIES)}, or define it under "
                "custom_entities",
                ("entities", index),
            )
        if name in ENTITIES:
            chosen.append(name)
    return chosen


def _custom_entities(spec: Mapping[str, Any]) -> list[tuple[str, SafePattern]]:
    values = spec.get("custom_entities")
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise CheckError("custom_entities must map entity names to regular expressions", "custom_entities")
    compiled = []
    for name, pattern in values.items():
        key = ("custom_entities", str(name))
        if not isinstance(name, str) or not _ENTITY_NAME.fullmatch(name):
            raise CheckError(f"custom entity name {name!r} must match ^[A-Z][A-Z0-9_]*$", key)
        if not isinstance(pattern, str) or not pattern:
            raise CheckError(f"custom entity {name} needs a non-empty regular expression", key)
        compiled.append((name, compile_safe(pattern, key)))
    return compiled


def _regions(spec: Mapping[str, Any]) -> tuple[str, ...]:
    if spec.get("regions") is None:
        return DEFAULT_REGIONS
    values = spec["regions"]
    if not isinstance(values, list):
        raise CheckError("regions must be a list of ISO 3166 alpha-2 codes", "regions")
    from llmops_ci.guardrails.checks._pii_phone import supported_regions

    known = supported_regions()
    regions = []
    for index, value in enumerate(values):
        region = value.upper() if isinstance(value, str) else ""
        if region not in known:
            hint = " (did you mean 'GB'?)" if region == "UK" else _did_you_mean(region, sorted(known))
            raise CheckError(
                f"unknown phone region {value!r}{hint}; use ISO 3166 alpha-2 codes", ("regions", index)
            )
        regions.append(region)
    return tuple(dict.fromkeys(regions))


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    """The project's suggestion, imported only on this error path (it brings jsonschema along)."""
    from llmops_ci.artifacts.schemas import did_you_mean

    return did_you_mean(word, choices)
