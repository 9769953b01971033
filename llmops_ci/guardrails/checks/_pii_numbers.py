"""Validators of the ``pii`` check for runs of digits: payment cards, US social security numbers, IPv4
addresses and phone numbers.

A *run* is what the combined pattern of ``pii`` reports for numbers: at least seven digits with the
separators `` ()./-`` between them, possibly opened by ``+`` or ``(``. It may hold several numbers side by
side (``4012888888881881 4012-8888-8888-1881``), so each validator looks at windows of consecutive digit
groups of the run, longest first. Windows are bounded (at most eight groups), so a run costs time linear
in its length whatever it holds.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from llmops_ci.guardrails.checks._pii_phone import (
    INTERNATIONAL_DIGITS,
    _phonenumbers,
    is_phone_number,
    national_digit_counts,
)

_SPLIT = re.compile(r"([0-9]+)")
_PHONE_SEPARATOR = re.compile(r" ?[-./]? ?|\) ?[-.]?|[ -]?\(")
_TIGHT = frozenset({"-", ".", "/"})
_MAX_WINDOW = 8  # digit groups in one card or phone number

Emit = Callable[[str, int, int], None]

# Numbers that fit the SSN rules but were voided after being published: the sample card sold in
# Woolworth wallets, and one printed in a 1940 Social Security Board pamphlet.
_VOID_SSNS = frozenset({"078051120", "219099999"})


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a string of digits holds."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_prefix_valid(digits: str) -> bool:
    """The issuer prefix and length fit a card scheme in use: UATP (1, 15 digits), Mir (2200-2204),
    Mastercard (2221-2720, 51-55), Diners/JCB/Amex (30, 34-39), Visa (4, the only one with 13 digits),
    Maestro/Discover/UnionPay/RuPay and other 5 and 6 prefixes."""
    length = len(digits)
    first = digits[0]
    if first == "4":
        return True
    if length == 13:
        return False
    if first == "1":
        return length == 15
    if first == "2":
        prefix = int(digits[:4])
        return (2200 <= prefix <= 2204 and length >= 16) or (2221 <= prefix <= 2720 and length == 16)
    if first == "3":
        second = digits[1]
        if second in "47":
            return length == 15
        return second in "05689"
    return first in "56"


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN rules of the SSA: no area 000, 666 or 900-999, no group 00, no serial 0000."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    number = area + group + serial
    return number not in _VOID_SSNS and number != number[0] * 9


def _looks_like_date(lengths: list[int], values: list[int]) -> bool:
    """Three groups that read as a date: year-month-day or day/month/year (either order of day and month)."""
    if lengths[0] == 4 and lengths[1] <= 2 and lengths[2] <= 2:
        return 1 <= values[1] <= 12 and 1 <= values[2] <= 31
    if lengths[2] == 4 and lengths[0] <= 2 and lengths[1] <= 2:
        return 1 <= values[0] <= 31 and 1 <= values[1] <= 31 and min(values[0], values[1]) <= 12
    return False


@lru_cache(maxsize=64)
def _national_counts(regions: tuple[str, ...]) -> frozenset[int]:
    return frozenset().union(*(national_digit_counts(region) for region in regions))


class _Run(NamedTuple):
    """The digit groups of a run, the separators between them and where each group starts in the text."""

    text: str
    groups: list[str]
    seps: list[str]
    starts: list[int]
    lengths: list[int]
    digits_before: list[int]  # digits in the groups before each group (and in all of them, at the end)

    def end(self, index: int) -> int:
        return self.starts[index] + self.lengths[index]

    def digits(self, first: int, last: int) -> int:
        return self.digits_before[last + 1] - self.digits_before[first]


def scan_run(
    text: str,
    start: int,
    end: int,
    emit: Emit,
    *,
    cards: bool,
    ssns: bool,
    ips: bool,
    phones: bool,
    regions: tuple[str, ...],
) -> None:
    """Report the cards, SSNs, IPv4 addresses and phone numbers in ``text[start:end]`` through ``emit``."""
    parts = _SPLIT.split(text[start:end])  # lead, group, separator, group, ..., group, tail
    end -= len(parts[-1])  # separators after the last digit are not part of the run
    groups = parts[1::2]
    lengths = list(map(len, groups))
    starts = list(accumulate(map(len, parts), initial=start))[1:-1:2]
    run = _Run(text, groups, parts[2:-1:2], starts, lengths, list(accumulate(lengths, initial=0)))
    # A run glued to a letter ("10th", "4111...1111abc") loses its last group.
    last = len(groups) - 1
    if end < len(text) and (text[end].isalnum() or text[end] == "_"):
        last -= 1
    if last < 0:
        return
    digits = run.digits(0, last)
    taken = [False] * len(groups)  # groups of a card, SSN or IP address: not also part of a phone number
    # Each validator first asks, in C, whether the run can hold its entity at all: long runs of one- or
    # two-digit groups ("1 1 1 ...", "1-1-1-...") are adversarial, and most runs hold one entity.
    if ips and last >= 3 and "." in run.seps:
        _ipv4(run, last, emit, taken)
    if ssns and last >= 2 and digits >= 9 and 4 in lengths:
        _ssns(run, last, emit, taken)
    if cards and digits >= 13 and max(lengths) >= 3:
        _cards(run, last, emit, taken)
    if phones and digits >= 7:
        _phones(run, start, last, regions, emit, taken)


def _ipv4(run: _Run, last: int, emit: Emit, taken: list[bool]) -> None:
    groups, seps = run.groups, run.seps
    count = len(groups)
    index = 0
    while index + 3 <= last:
        if (
            seps[index] == seps[index + 1] == seps[index + 2] == "."
            and (index == 0 or seps[index - 1] != ".")
            and (index + 3 == count - 1 or seps[index + 3] != ".")
            and max(len(group) for group in groups[index : index + 4]) <= 3
        ):
            try:
                ipaddress.IPv4Address(".".join(groups[index : index + 4]))
            except ValueError:
                index += 1
                continue
            stop = run.end(index + 3)
            after = index + 4
            if (
                after <= last
                and seps[index + 3] == "/"
                and int(groups[after]) <= 32
                and len(groups[after]) <= 2
                and (after == count - 1 or seps[after][0] not in "./")
            ):
                stop = run.end(after)
            emit("IP_ADDRESS", run.starts[index], stop)
            taken[index : index + 4] = [True] * 4
            index += 4
            continue
        index += 1


def _ssns(run: _Run, last: int, emit: Emit, taken: list[bool]) -> None:
    groups, seps = run.groups, run.seps
    count = len(groups)
    for index in range(last - 1):
        if len(groups[index]) != 3 or len(groups[index + 1]) != 2 or len(groups[index + 2]) != 4:
            continue
        sep = seps[index]
        if sep != seps[index + 1] or sep not in ("-", " ", "."):
            continue
        if (index > 0 and seps[index - 1] in _TIGHT) or (index + 2 < count - 1 and seps[index + 2] in _TIGHT):
            continue  # part of a longer number: 1-078-05-1123, 078-05-1123-45
        if ssn_valid(groups[index], groups[index + 1], groups[index + 2]):
            emit("US_SSN", run.starts[index], run.end(index + 2))
            taken[index : index + 3] = [True] * 3


def _cards(run: _Run, last: int, emit: Emit, taken: list[bool]) -> None:
    groups, seps, lengths = run.groups, run.seps, run.lengths
    index = 0
    while index <= last:
        if lengths[index] < 3:  # a card is one group of 13-19 digits or groups of 3-8
            index += 1
            continue
        top = index
        if index < last and seps[index] in (" ", "-") and 3 <= lengths[index] <= 8:
            sep = seps[index]
            top = index + 1
            while top < last and top - index < _MAX_WINDOW - 1 and seps[top] == sep:
                top += 1
        for stop in range(top, index - 1, -1):
            if not 13 <= run.digits(index, stop) <= 19:
                continue
            if stop > index and not all(3 <= length <= 8 for length in lengths[index : stop + 1]):
                continue
            digits = "".join(groups[index : stop + 1])
            if card_prefix_valid(digits) and luhn_valid(digits):
                emit("CREDIT_CARD", run.starts[index], run.end(stop))
                taken[index : stop + 1] = [True] * (stop + 1 - index)
                index = stop + 1
                break
        else:
            index += 1


def _phones(
    run: _Run, start: int, last: int, regions: tuple[str, ...], emit: Emit, taken: list[bool]
) -> None:
    text, groups, seps = run.text, run.groups, run.seps
    count = len(groups)
    national: frozenset[int] | None = None  # looked up at the first national candidate
    separator_ok: dict[str, bool] = {}
    ones = [group for group, length in enumerate(run.lengths) if length == 1]
    shape = "".join(["1" if length == 1 else "n" for length in run.lengths])
    index = 0
    while index <= last:
        # A number starts the run or follows white space: not the tail of "1.2.3.4567890".
        if taken[index] or (index > 0 and " " not in seps[index - 1]):
            index += 1
            continue
        if index > 0 and shape.startswith("111", index):
            # three one-digit groups: no number starts at any of them but the last two ("1 1 1 ... 1 42")
            following = shape.find("n", index)
            index = (len(shape) if following < 0 else following) - 2
            continue
        if index == 0:
            begin = start  # the run may open with "+" or "("
        else:
            begin = run.starts[index] - 1 if seps[index - 1].endswith("(") else run.starts[index]
        international = text[begin] == "+"
        top = min(last, index + _MAX_WINDOW - 1)
        # at most two one-digit groups (+33 1 42 68 53 00), not counting a country code: the window ends
        # before the third
        third = bisect_left(ones, index + 1 if international else index) + 2
        if third < len(ones):
            top = min(top, ones[third] - 1)
        if top < index or run.digits(index, top) < 7:
            index += 1
            continue
        for group in range(index, top):
            sep = seps[group]
            ok = separator_ok.get(sep)
            if ok is None:
                ok = separator_ok[sep] = _PHONE_SEPARATOR.fullmatch(sep) is not None
            if not ok or taken[group + 1]:
                top = group
                break
        if run.digits(index, top) < 7:
            index += 1
            continue
        for stop in range(top, index - 1, -1):
            if stop < count - 1 and " " not in seps[stop]:
                continue  # would end inside a longer number
            digits = run.digits(index, stop)
            if digits < 7:
                continue
            if international:
                if digits not in INTERNATIONAL_DIGITS:
                    continue
            else:
                if national is None:
                    national = _national_counts(regions)
                if digits not in national:
                    continue
            window = run.lengths[index : stop + 1]
            candidate = text[begin : run.end(stop)]
            opened, closed = candidate.count("("), candidate.count(")")
            if opened != closed or opened > 1 or (opened and candidate.index("(") > candidate.index(")")):
                continue
            if (
                len(window) == 3
                and seps[index] == seps[index + 1]
                and seps[index] in _TIGHT
                and _looks_like_date(window, [int(group) for group in groups[index : stop + 1]])
            ):
                continue
            if phone_possible("".join(groups[index : stop + 1]), international, regions) and is_phone_number(
                candidate, regions
            ):
                emit("PHONE_NUMBER", begin, run.end(stop))
                index = stop + 1
                break
        else:
            index += 1


# --------------------------------------------------------------------------------------------------
# A necessary condition for a valid phone number, from phonenumbers' metadata, without a parse.
#
# phonenumbers.parse() turns the digits into a country code and a national significant number (NSN):
# after "+", the first one to three digits that form a country code, then the national prefix of that
# country stripped or not; written nationally in region R, the international (IDD) prefix of R and a
# country code, or R's own country code stripped or not, then R's (or the country's main region's)
# national prefix stripped or not. is_valid_number() then needs the NSN to match the general pattern of
# one of the regions of that country code. phone_possible() tries every such way of stripping (a
# superset of the one parse() picks) against those general patterns; a national prefix that rewrites the
# number (a transform rule, such as Argentina's) or an IDD prefix leaves the decision to the parse.

_MAYBE = object()


class _NationalPrefix(NamedTuple):
    pattern: re.Pattern[str]
    transforms: bool


class _Country(NamedTuple):
    code: str
    valid: re.Pattern[str] | None  # the general patterns of its regions; None: no region accepts any NSN
    prefixes: tuple[_NationalPrefix, ...]


def _national_prefix(metadata: Any) -> tuple[_NationalPrefix, ...]:
    source = getattr(metadata, "national_prefix_for_parsing", None)
    if not source:
        return ()
    return (_NationalPrefix(re.compile(source), bool(metadata.national_prefix_transform_rule)),)


@cache
def _country(code: int) -> _Country | None:
    phonenumbers = _phonenumbers()
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return None
    patterns = []
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        pattern = metadata.general_desc.national_number_pattern if metadata is not None else None
        if pattern:
            patterns.append(f"(?:{pattern})")
    main = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code)
    )
    valid = re.compile("|".join(patterns)) if patterns else None
    return _Country(str(code), valid, _national_prefix(main))


@cache
def _region(region: str) -> tuple[_Country, re.Pattern[str] | None, tuple[_NationalPrefix, ...]] | None:
    """The country of ``region``, its IDD prefix, and the national prefixes parse() may strip."""
    metadata = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    country = _country(metadata.country_code) if metadata is not None else None
    if metadata is None or country is None:
        return None
    idd = re.compile(metadata.international_prefix) if metadata.international_prefix else None
    return country, idd, tuple(dict.fromkeys(_national_prefix(metadata) + country.prefixes))


def _strip(numbers: set[str], prefixes: tuple[_NationalPrefix, ...]) -> object:
    """Add to ``numbers`` each with a national prefix stripped; _MAYBE when a prefix would rewrite one."""
    for number in list(numbers):
        for prefix in prefixes:
            match = prefix.pattern.match(number)
            if match is None:
                continue
            groups = match.groups()
            if prefix.transforms and groups and groups[-1] is not None:
                return _MAYBE
            numbers.add(number[match.end() :])
    return None


def _admits(country: _Country, numbers: set[str], prefixes: tuple[_NationalPrefix, ...]) -> bool:
    for _ in range(2):  # parse() strips a national prefix twice at most (after R's country code)
        if _strip(numbers, prefixes) is _MAYBE:
            return True
    valid = country.valid
    return valid is not None and any(valid.fullmatch(number) for number in numbers)


def phone_possible(digits: str, international: bool, regions: tuple[str, ...]) -> bool:
    """False only when ``is_phone_number`` is certainly false for a candidate with these ``digits``
    (written after "+" when ``international``, else nationally in one of ``regions``)."""
    if international:
        if digits[:1] == "0":
            return False  # no country code starts with 0
        for size in range(1, min(3, len(digits)) + 1):
            country = _country(int(digits[:size]))
            if country is not None:
                return _admits(country, {digits[size:]}, country.prefixes)
        return False
    for region in regions:
        plan = _region(region)
        if plan is None:
            continue
        country, idd, prefixes = plan
        if idd is not None and idd.match(digits):
            return True  # dialled with the international prefix: any country
        numbers = {digits}
        if digits.startswith(country.code):
            numbers.add(digits[len(country.code) :])
        if _admits(country, numbers, prefixes):
            return True
    return False
