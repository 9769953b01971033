"""The ``pii`` guardrail check: each entity with positives and hard negatives, build() options and errors,
custom entities, regions, overlap resolution, adversarial inputs (linear time), and the accuracy
measurement of bench/pii_accuracy.py on the oracle corpora (skipped when ``../shared/oracles`` is absent,
as in CI, which clones this repository alone)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmops_ci.guardrails.checks import (
    BuildContext,
    CheckError,
    Detection,
    _pii_numbers,
    build_detector,
    load_check,
)
from llmops_ci.guardrails.checks._pii_iban import IBAN_FORMATS, IBAN_REGISTRY, iban_valid
from llmops_ci.guardrails.checks._pii_numbers import card_prefix_valid, luhn_valid, phone_possible, ssn_valid
from llmops_ci.guardrails.checks._pii_phone import is_phone_number
from llmops_ci.guardrails.checks.pii import (
    ENTITIES,
    FIND_DEFAULT,
    MODEL_BASED,
    PARAMS,
    PiiDetector,
    build,
    find,
    resolve_overlaps,
)

REPO = Path(__file__).resolve().parent.parent
ORACLES = REPO.parent / "shared" / "oracles"


def found(text: str, **options: Any) -> list[tuple[str, str]]:
    """(entity, matched text) of every detection, with build() options."""
    detector = build({"id": "p", "type": "pii", "scopes": {"output": "block"}, **options}, BuildContext())
    return [(d.entity, d.text) for d in detector.scan(text)]


def of(entity: str, text: str, **options: Any) -> list[str]:
    return [value for name, value in found(text, **options) if name == entity]


# --------------------------------------------------------------------------------------------------
# module interface


def test_module_interface() -> None:
    module = load_check("pii")
    assert frozenset({"entities", "custom_entities", "regions", "mask_keep"}) == PARAMS
    assert MODEL_BASED is False
    assert ENTITIES == (
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "IP_ADDRESS",
        "URL",
    )
    doc = module.__doc__ or ""
    for word in (*ENTITIES, "entities", "custom_entities", "regions", "mask_keep", "Limits"):
        assert word in doc, word


def test_build_detector_from_the_registry() -> None:
    detector = build_detector({"id": "p", "type": "pii", "scopes": {"input": "redact"}})
    assert [(d.entity, d.start, d.end) for d in detector.scan("mail jane@example.com")] == [
        ("EMAIL_ADDRESS", 5, 21)
    ]


def test_find_keeps_the_lint_interface() -> None:
    text = "Contact jane.doe@acme-corp.com about card 4111 1111 1111 1111"
    detections = find(text)
    assert [d.entity for d in detections] == ["EMAIL_ADDRESS", "CREDIT_CARD"]
    assert all(isinstance(d, Detection) and text[d.start : d.end] == d.text for d in detections)
    assert [d.entity for d in find(text, ["CREDIT_CARD"])] == ["CREDIT_CARD"]
    assert [d.entity for d in find(text, [])] == ["EMAIL_ADDRESS", "CREDIT_CARD"]
    with pytest.raises(ValueError, match="EMAIL"):
        find(text, ["EMAIL"])
    # without entities, find() keeps to the personal data lint rule P003 reports: no IPs or URLs
    assert FIND_DEFAULT == ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")
    docs = "docs at https://docs.example.com/guide, server 10.0.0.1, mail jane@example.com"
    assert [d.entity for d in find(docs)] == ["EMAIL_ADDRESS"]
    assert [d.entity for d in find(docs, ENTITIES)] == ["URL", "IP_ADDRESS", "EMAIL_ADDRESS"]


def test_phonenumbers_is_imported_only_for_phone_candidates() -> None:
    code = (
        "import sys; from llmops_ci.guardrails.checks import pii; "
        "pii.find('jane@example.com on 2024-03-15, card 4111 1111 1111 1111, 10.0.0.1'); "
        "print('phonenumbers' in sys.modules); pii.find('call (415) 555-0132'); "
        "print('phonenumbers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.split() == ["False", "True"]


# --------------------------------------------------------------------------------------------------
# EMAIL_ADDRESS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe@example.com.", "jane.doe@example.com"),
        ("<user+tag@mail.example.co.uk>", "user+tag@mail.example.co.uk"),
        ("a@xn--d1acufc.xn--p1ai", "a@xn--d1acufc.xn--p1ai"),
        ("mailto:o_brien-99@sub.example.museum?subject=hi", "o_brien-99@sub.example.museum"),
        ("(JANE@EXAMPLE.COM)", "JANE@EXAMPLE.COM"),
    ],
)
def test_email_addresses(text: str, expected: str) -> None:
    assert of("EMAIL_ADDRESS", text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "my email is info@presidio.",
        "ping @handle on the forum",
        "user@localhost",
        "see icon@2x.png and logo@3x.jpg",
        "x@y.z",
        "a..b@example.com",
        "name@-example.com",
    ],
)
def test_email_hard_negatives(text: str) -> None:
    assert of("EMAIL_ADDRESS", text) == []


@pytest.mark.parametrize(
    "text",
    [
        # the user information of a URL holds credentials, whatever characters the password has
        "DATABASE_URL=postgres://u:pa~ss@db.internal:5432/app",
        "mysql://admin:7k~g_dVG7YLI6aUZxeHhoG.5@db.internal:5432/app",
        "connecting to mongodb://admin:~UH6EaU_Cz0urqt01@db.internal:5432/app",
        "redis://:p!ss$w0rd*x@cache.example.com:6379/0",
        "amqp://svc:a%40b,c;d=e@mq.example.org",
        "https://user@example.com/",
    ],
)
def test_no_email_address_in_url_credentials(text: str) -> None:
    assert of("EMAIL_ADDRESS", text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mailto:jane@example.com", "jane@example.com"),
        ("https://example.com/contact?to=jane@example.com", "jane@example.com"),
        ('{"url":"https://a.example.com","email":"jane@example.com"}', "jane@example.com"),
        ("postgres://db.internal/app owner jane@example.com", "jane@example.com"),
    ],
)
def test_email_address_near_a_url(text: str, expected: str) -> None:
    assert of("EMAIL_ADDRESS", text) == [expected]


def test_email_local_part_over_64_characters_is_not_an_address() -> None:
    assert of("EMAIL_ADDRESS", "a" * 65 + "@example.com") == []
    assert of("EMAIL_ADDRESS", "a" * 64 + "@example.com") == ["a" * 64 + "@example.com"]


# --------------------------------------------------------------------------------------------------
# PHONE_NUMBER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (415) 555-0132 now", "(415) 555-0132"),
        ("call (415)555-0132", "(415)555-0132"),
        ("US: 415-555-0132", "415-555-0132"),
        ("415.555.0132", "415.555.0132"),
        ("1-415-555-0132", "1-415-555-0132"),
        ("+1 415 555 0132", "+1 415 555 0132"),
        ("+1-415-555-0132.", "+1-415-555-0132"),
        ("London +44 20 7123 4567", "+44 20 7123 4567"),
        ("+44 (20) 7123 4567", "+44 (20) 7123 4567"),
        ("Paris +33 1 42 68 53 00", "+33 1 42 68 53 00"),
        ("Berlin +49 30 1234567", "+49 30 1234567"),
        ("São Paulo +55 11 98456 5666", "+55 11 98456 5666"),
        ("Phone:+14155550132", "+14155550132"),
    ],
)
def test_phone_numbers(text: str, expected: str) -> None:
    assert of("PHONE_NUMBER", text) == [expected]


def test_two_numbers_side_by_side() -> None:
    assert of("PHONE_NUMBER", "415-555-0132 415-555-0199") == ["415-555-0132", "415-555-0199"]
    assert of("PHONE_NUMBER", "+1 415 555 0132 1234") == ["+1 415 555 0132"]


@pytest.mark.parametrize(
    "text",
    [
        "call 555-0132",  # no area code
        "id 1234567890",  # no area code starts with 1
        "on 2023-01-05 and 12/03/2024",
        "at 10:30:00 or 2024-03-15T10:30:00Z",
        "epoch 1700000000 and 1700000000000 ms",
        "price $4,155.50 or 4155.50 EUR",
        "version 1.2.3 build 10.0.19041.1",
        "order 550e8400-e29b-41d4-a716-446655440000",
        "order #4155550132",
        "ISBN 978-3-16-148410-0 and 0-306-40615-2",
        "is415-555-0132",  # glued to a word
        "415-555-0132abc",
        "020 7123 4567",  # a London number, but GB is not among the default regions
        "call 415-555-0132-44",  # part of a longer number
    ],
)
def test_phone_hard_negatives(text: str) -> None:
    assert of("PHONE_NUMBER", text) == []


def test_regions_select_national_formats() -> None:
    assert of("PHONE_NUMBER", "020 7123 4567", regions=["GB"]) == ["020 7123 4567"]
    assert of("PHONE_NUMBER", "090-1234-5678", regions=["JP"]) == ["090-1234-5678"]
    assert of("PHONE_NUMBER", "My Israeli number is 09-7625400", regions=["il"]) == ["09-7625400"]
    both = found("(415) 555-0132 or 020 7123 4567", regions=["US", "GB"])
    assert both == [("PHONE_NUMBER", "(415) 555-0132"), ("PHONE_NUMBER", "020 7123 4567")]
    # international numbers always count; [] recognises nothing else
    assert of("PHONE_NUMBER", "(415) 555-0132 or +44 20 7123 4567", regions=[]) == ["+44 20 7123 4567"]
    assert of("PHONE_NUMBER", "415-555-0132", regions=["GB"]) == []


def test_phone_possible_is_a_necessary_condition() -> None:
    """phone_possible() rules out a candidate only when libphonenumber would reject it too."""
    import random

    import phonenumbers

    rng = random.Random(7)
    candidates = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            candidates.append(
                phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            )
            candidates.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL))
    for _ in range(1500):
        digits = "".join(rng.choices("0123456789", k=rng.randint(7, 17)))
        candidates += [digits, "+" + digits, "1" + digits[1:], "011" + digits[3:], "0" + digits[1:]]
    regions_list = [("US",), ("GB",), ("DE", "FR"), ("AR",), ("BR",), ("BS",), ("JP",), ("IT",), ("IN",)]
    ruled_out = 0
    for candidate in candidates:
        digits = "".join(char for char in candidate if char.isdigit())
        for regions in regions_list:
            if not phone_possible(digits, candidate.startswith("+"), regions):
                ruled_out += 1
                assert not is_phone_number(candidate, regions), (candidate, regions)
    assert ruled_out > len(candidates)  # and it does rule out most random digit strings


def test_timestamps_and_single_digit_groups_skip_phone_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []

    def spy(candidate: str, regions: tuple[str, ...]) -> bool:
        parsed.append(candidate)
        return is_phone_number(candidate, regions)

    monkeypatch.setattr(_pii_numbers, "is_phone_number", spy)
    text = '{"created_at": 1713976012, "updated": 1700000000} ' + "1 " * 5_000 + "(12) " * 2_000
    assert of("PHONE_NUMBER", text) == []
    assert parsed == []
    assert of("PHONE_NUMBER", "call 415-555-0132") == ["415-555-0132"]
    assert parsed == ["415-555-0132"]


def test_dates_are_not_numbers_in_any_region() -> None:
    assert of("PHONE_NUMBER", "from 2023-01-05 to 05.01.2023", regions=["DE", "US"]) == []


# --------------------------------------------------------------------------------------------------
# CREDIT_CARD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111111111111111.", "4111111111111111"),
        ("4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("Amex 3782 822463 10005", "3782 822463 10005"),
        ("Diners 36227206271667", "36227206271667"),
        ("Mastercard 2223 0031 2200 3222", "2223 0031 2200 3222"),
        ("UnionPay 6205 5000 0000 0000 004", "6205 5000 0000 0000 004"),
        ("UATP 122000000000003", "122000000000003"),
        ("Visa-13 4222222222222", "4222222222222"),
    ],
)
def test_cards(text: str, expected: str) -> None:
    assert of("CREDIT_CARD", text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "4012-8888-8888-1882",
        "1748503543012",  # Luhn-valid, 13 digits starting with 1: a millisecond timestamp
        "1700000000000 ms",
        "7000000000000005",  # Luhn-valid, no issuer uses 7
        "5000000000005",  # Luhn-valid, only Visa has 13 digits
        "4111-1111 1111-1111",  # mixed separators
        "41 11 11 11 11 11 11 11",  # groups of two
        "order 4111111111111111abc",
        "TENANT_ID=48032716-9617-4612-b0cf-4c635d697de7",  # the digit groups of a UUID pass Luhn
        "id 48032716-9617-4612-9b0c-4c635d697de7",
    ],
)
def test_card_hard_negatives(text: str) -> None:
    assert of("CREDIT_CARD", text) == []


def test_card_helpers() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert card_prefix_valid("4111111111111") and not card_prefix_valid("5111111111111")
    assert card_prefix_valid("2221000000000009") and not card_prefix_valid("2100000000000000")
    assert card_prefix_valid("371449635398431") and not card_prefix_valid("3714496353984310")


def test_cards_side_by_side() -> None:
    text = "4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881"
    assert of("CREDIT_CARD", text) == ["4012888888881881", "4012-8888-8888-1881", "4012 8888 8888 1881"]


# --------------------------------------------------------------------------------------------------
# IBAN_CODE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pay to DE89 3704 0044 0532 0130 00, thanks", "DE89 3704 0044 0532 0130 00"),
        ("IBAN: GB82WEST12345698765432.", "GB82WEST12345698765432"),
        ("AL47-2121-1009-0000-0002-3569-8741", "AL47-2121-1009-0000-0002-3569-8741"),
        ("account NO93 8601 1117 947 ok", "NO93 8601 1117 947"),  # shortest, 15 characters
        ("LC55 HEMM 0001 0001 0012 0012 0002 3015", "LC55 HEMM 0001 0001 0012 0012 0002 3015"),
        ("VG96 VPVG 0000 0123 4567 8901 X", "VG96 VPVG 0000 0123 4567 8901"),
        ("Algeria DZ58 0002 1000 0111 3000 0005 70", "DZ58 0002 1000 0111 3000 0005 70"),
    ],
)
def test_ibans(text: str, expected: str) -> None:
    assert of("IBAN_CODE", text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # checksum
        "DE89 3704 0044 0532 0130",  # too short for DE
        "DE89 3704 0044 0532 0130 0000",  # too long for DE
        "XX89 3704 0044 0532 0130 00",  # no such country
        "de89 3704 0044 0532 0130 00",  # lower case
        "GB12 BARC 2020 1530 093A 59",  # checksum right, but GB accounts are digits
        "GB01 BARC 2071 4583 6083 87",  # check digits 01 never occur
        "AL47/2121/1009/0000/0002/3569/8741",
        "AL47 2121-1009 0000 0002 3569 8741",  # mixed separators
        "DE89370400440532013000123",  # glued digits
    ],
)
def test_iban_hard_negatives(text: str) -> None:
    assert of("IBAN_CODE", text) == []


def test_nothing_is_reported_inside_a_mistyped_iban() -> None:
    assert found("IE29 AIBK 9311 5212 3456 79") == []  # its tail would be a valid US number


def test_iban_registry_table() -> None:
    for code, (length, spec) in IBAN_FORMATS.items():
        assert sum(int(count) for count in re.findall(r"(\d+)![nac]", spec)) == length - 4, code
    for code in (
        "DE",
        "FR",
        "GB",
        "BR",
        "RU",
        "YE",
        "SO",
        "SD",
        "OM",
        "NI",
        "MN",
        "LY",
        "HN",
        "FK",
        "EG",
        "IQ",
    ):
        assert code in IBAN_REGISTRY
    assert IBAN_FORMATS["DE"] == (22, "8!n10!n") and IBAN_FORMATS["GF"] == IBAN_FORMATS["FR"]
    assert iban_valid("GB29 NWBK 6016 1331 9268 19") and not iban_valid("GB29 NWBK 6016 1331 9268 18")


# --------------------------------------------------------------------------------------------------
# US_SSN


@pytest.mark.parametrize("text", ["078-05-1123", "SSN 078 05 1123.", "078.05.1123", "123-45-6789"])
def test_ssns(text: str) -> None:
    assert of("US_SSN", text) == [text.removeprefix("SSN ").rstrip(".")]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "999-12-3456",
        "078-00-1123",
        "078-05-0000",
        "078-05-1120",  # the Woolworth wallet card
        "219-09-9999",
        "111-11-1111",
        "078051123",  # not formatted
        "078-051123",
        "078-05.1123",  # mixed separators
        "1-078-05-1123",
        "078-05-1123-45",
    ],
)
def test_ssn_hard_negatives(text: str) -> None:
    assert of("US_SSN", text) == []


def test_ssn_rules() -> None:
    assert ssn_valid("078", "05", "1123")
    assert not ssn_valid("666", "05", "1123") and not ssn_valid("934", "05", "1123")


# --------------------------------------------------------------------------------------------------
# IP_ADDRESS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server 192.168.0.1.", "192.168.0.1"),
        ("(10.0.0.1)", "10.0.0.1"),
        ("route 10.0.0.0/8 and", "10.0.0.0/8"),
        ("192.168.1.1:8080", "192.168.1.1"),
        ("10.0.0.0/123", "10.0.0.0"),
        ("2001:db8::1", "2001:db8::1"),
        ("Gateway fe80::1%eth0 up", "fe80::1%eth0"),
        ("2001:db8::/32.", "2001:db8::/32"),
        ("[::ffff:192.168.1.1]:80", "::ffff:192.168.1.1"),
        ("0:0:0:0:0:FFFF:129.144.52.38", "0:0:0:0:0:FFFF:129.144.52.38"),
        ("684D:1111:222:3333:4444:5555:6:77", "684D:1111:222:3333:4444:5555:6:77"),
        ("loopback ::1", "::1"),
        ("http://[2001:db8::1]/path", "2001:db8::1"),
        ("ssh user@2001:db8::1", "2001:db8::1"),
    ],
)
def test_ip_addresses(text: str, expected: str) -> None:
    assert of("IP_ADDRESS", text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # IPv6 candidates need "::" or a third colon (times have two): the short forms still pass
        ("route 1:: default", "1::"),
        ("prefix fd00:: here", "fd00::"),
        ("host 1:2::3 up", "1:2::3"),
        ("host ab:cd::1 up", "ab:cd::1"),
        ("at 2024-03-26T20:12:33.123Z from fe80::1", "fe80::1"),
    ],
)
def test_short_ipv6_forms(text: str, expected: str) -> None:
    assert of("IP_ADDRESS", text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "999.1.1.1",
        "256.256.256.256",
        "192.168.01.1",  # leading zero
        "my ip: 192.168.0",
        "1.2.3.4.5",
        "Version 1.2.3",
        "v1.2.3.4",
        "IP192.168.1.1text",
        "Time 12:34:56",
        "2024-03-26T20:12:33.123Z and 12:34:56:78",
        "MAC aa:bb:cc:dd:ee:ff",
        "std::cout and MyClass::toString",
        "A::B and dead::beef",
        "x = a[::2]",
        "unspecified ::",
        "684D:1111:222:3333:4444:5555:77",
        "2001::db8::1",
        "12345:db8::1",
        "fe80::1text",
        "::ffff:256.0.0.1",
        ":::",
    ],
)
def test_ip_hard_negatives(text: str) -> None:
    assert of("IP_ADDRESS", text) == []


# --------------------------------------------------------------------------------------------------
# URL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/path?q=1&b=2.", "https://example.com/path?q=1&b=2"),
        ("http://www.example.org", "http://www.example.org"),
        ("ftp://files.example.com/pub/x.tar.gz", "ftp://files.example.com/pub/x.tar.gz"),
        ("visit www.example.com, now", "www.example.com"),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ('"https://presidio.dataprivacystack.org/"', "https://presidio.dataprivacystack.org/"),
        ("HTTPS://EXAMPLE.COM:8443/x", "HTTPS://EXAMPLE.COM:8443/x"),
        ("https://user:secret@example.com/", "https://user:secret@example.com/"),
    ],
)
def test_urls(text: str, expected: str) -> None:
    assert of("URL", text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "example.com and google.co.il",  # bare domains: not reported
        "run setup.py and read README.md",
        "http://localhost:8080/",
        "http://microsoft",
        "www.microsoft",
        "file:///etc/passwd",
        "s3://bucket/key",
        "xhttp://example.com",
    ],
)
def test_url_hard_negatives(text: str) -> None:
    assert of("URL", text) == []


# --------------------------------------------------------------------------------------------------
# overlaps


def test_overlap_keeps_the_most_specific() -> None:
    # a card is not also a phone number
    assert found("4111 1111 1111 1111", regions=["US", "DE", "GB"]) == [
        ("CREDIT_CARD", "4111 1111 1111 1111")
    ]
    # the domain of an e-mail address is not a URL
    assert found("john@www.example.com") == [("EMAIL_ADDRESS", "john@www.example.com")]
    # a URL whose host is an address, or which carries an e-mail address, is reported as that address
    assert found("http://192.168.1.1/admin") == [("IP_ADDRESS", "192.168.1.1")]
    assert found("https://example.com/?to=jane@example.org") == [("EMAIL_ADDRESS", "jane@example.org")]
    # without the more specific entity, the URL stays
    assert found("http://192.168.1.1/admin", entities=["URL"]) == [("URL", "http://192.168.1.1/admin")]


def test_resolve_overlaps() -> None:
    def d(entity: str, start: int, end: int) -> Detection:
        return Detection(entity, start, end, "x" * (end - start))

    resolved = resolve_overlaps([d("URL", 0, 30), d("EMAIL_ADDRESS", 10, 20), d("PHONE_NUMBER", 40, 50)])
    assert [(x.entity, x.start) for x in resolved] == [("EMAIL_ADDRESS", 10), ("PHONE_NUMBER", 40)]
    chain = resolve_overlaps([d("PHONE_NUMBER", 0, 10), d("CREDIT_CARD", 5, 15), d("PHONE_NUMBER", 12, 20)])
    assert [(x.entity, x.start) for x in chain] == [("CREDIT_CARD", 5)]
    longer = resolve_overlaps([d("URL", 0, 5), d("URL", 3, 20)])
    assert [(x.start, x.end) for x in longer] == [(3, 20)]
    assert [x.entity for x in resolve_overlaps([d("MY_ID", 0, 4), d("CREDIT_CARD", 0, 16)])] == ["MY_ID"]


# --------------------------------------------------------------------------------------------------
# build(): options and errors


def test_entities_option_restricts_the_built_ins() -> None:
    text = "jane@example.com 4111 1111 1111 1111 192.168.0.1"
    assert found(text, entities=["IP_ADDRESS", "EMAIL_ADDRESS"]) == [
        ("EMAIL_ADDRESS", "jane@example.com"),
        ("IP_ADDRESS", "192.168.0.1"),
    ]
    assert found(text, entities=[]) == []


def test_custom_entities() -> None:
    options = {"custom_entities": {"EMPLOYEE_ID": r"EMP-\d{6}", "TICKET": r"(?i)ticket #\d+"}}
    text = "EMP-123456 opened Ticket #42 from jane@example.com"
    assert found(text, **options) == [
        ("EMPLOYEE_ID", "EMP-123456"),
        ("TICKET", "Ticket #42"),
        ("EMAIL_ADDRESS", "jane@example.com"),
    ]
    # custom entities are reported whatever `entities` says, and may be listed there
    assert found(text, entities=["EMPLOYEE_ID"], **options) == [
        ("EMPLOYEE_ID", "EMP-123456"),
        ("TICKET", "Ticket #42"),
    ]
    # a custom entity beats the built-in it overlaps; empty matches are ignored
    assert found("4111111111111111", custom_entities={"ACCOUNT": r"\d{16}", "EMPTY": r"x*"}) == [
        ("ACCOUNT", "4111111111111111")
    ]
    # a built-in name gets an extra pattern
    assert found(
        "reach me at jane(at)example.com", custom_entities={"EMAIL_ADDRESS": r"\w+\(at\)[\w.]+"}
    ) == [("EMAIL_ADDRESS", "jane(at)example.com")]


def test_custom_entities_handle_unicode_offsets() -> None:
    text = "héllo wörld EMP-123456"
    detections = build({"type": "pii", "custom_entities": {"EMP": r"EMP-\d+"}}, BuildContext()).scan(text)
    assert [(d.entity, text[d.start : d.end]) for d in detections] == [("EMP", "EMP-123456")]


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"entities": ["EMAIL_ADDRESS", "EMAIL"]}, ("entities", 1), "did you mean 'EMAIL_ADDRESS'"),
        ({"entities": "EMAIL_ADDRESS"}, ("entities",), "list"),
        ({"entities": [42]}, ("entities", 0), "no entity"),
        ({"custom_entities": {"ORDER": "(?=x)ab"}}, ("custom_entities", "ORDER"), "RE2"),
        ({"custom_entities": {"ORDER": r"(a)\1"}}, ("custom_entities", "ORDER"), "RE2"),
        ({"custom_entities": {"ORDER": ""}}, ("custom_entities", "ORDER"), "non-empty"),
        ({"custom_entities": {"order": "x"}}, ("custom_entities", "order"), "must match"),
        ({"custom_entities": ["x"]}, ("custom_entities",), "map"),
        ({"regions": ["US", "UK"]}, ("regions", 1), "did you mean 'GB'"),
        ({"regions": ["XX"]}, ("regions", 0), "unknown phone region"),
        ({"regions": [None]}, ("regions", 0), "unknown phone region"),
        ({"regions": "US"}, ("regions",), "list"),
    ],
)
def test_build_errors(options: dict[str, Any], key: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(CheckError) as error:
        build({"id": "p", "type": "pii", "scopes": {"output": "block"}, **options}, BuildContext())
    assert error.value.key == key
    assert message in error.value.message


def test_build_defaults() -> None:
    detector = build({"id": "p", "type": "pii", "scopes": {"output": "mask"}, "mask_keep": 2}, BuildContext())
    assert isinstance(detector, PiiDetector)
    assert detector.entities == frozenset(ENTITIES)
    assert detector.regions == ("US",)
    assert detector.custom == ()


# --------------------------------------------------------------------------------------------------
# adversarial input: every scan is linear (no catastrophic backtracking) and still finds what it should

ADVERSARIAL: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "100k digits": ("1" * 100_000 + " 415-555-0132", [("PHONE_NUMBER", "415-555-0132")]),
    "a@ x 50k": ("a@" * 50_000 + " jane@example.com", [("EMAIL_ADDRESS", "jane@example.com")]),
    "1. x 50k": ("1." * 50_000 + " 192.168.0.1", [("IP_ADDRESS", "192.168.0.1")]),
    "1 x 50k": ("1 " * 50_000 + "x 078-05-1123", [("US_SSN", "078-05-1123")]),
    "12 x 33k": ("12 " * 33_000 + "x 4111111111111111", [("CREDIT_CARD", "4111111111111111")]),
    "1- x 200k": ("1-" * 200_000 + " x", []),
    "long line": ("x" * 1_000_000 + " https://example.com/a", [("URL", "https://example.com/a")]),
    "long token of hex": ("ab" * 200_000 + " fe80::1", [("IP_ADDRESS", "fe80::1")]),
    ":: x 50k": ("::" * 50_000 + " ::1", [("IP_ADDRESS", "::1")]),
    "1: x 50k": ("1:" * 50_000 + " 2001:db8::1", [("IP_ADDRESS", "2001:db8::1")]),
    "DE89 x 25k": ("DE89" * 25_000 + " GB82WEST12345698765432", [("IBAN_CODE", "GB82WEST12345698765432")]),
    "http:// x 20k": ("http://" * 20_000, []),
    "www. x 50k": ("www. " * 50_000, []),
    "( x 100k": ("(" * 100_000 + " (415) 555-0132", [("PHONE_NUMBER", "(415) 555-0132")]),
    "a@b. x 25k": ("a@b." * 25_000, []),
    "+1 x 50k": ("+1 " * 50_000, []),
    "closing brackets": ("https://example.com/" + ")" * 5_000, [("URL", "https://example.com/")]),
    "long local part": ("a" * 100_000 + "@example.com", []),
    "dotted digits": (".".join(["123"] * 30_000), []),
    "1- x 50k then a number": ("1-" * 50_000 + " 415-555-0132", [("PHONE_NUMBER", "415-555-0132")]),
    "(12) x 20k": ("(12) " * 20_000 + "(415) 555-0132", [("PHONE_NUMBER", "(415) 555-0132")]),
    "1 x 50k then 42": ("1 " * 50_000 + "42 415 555 0132", [("PHONE_NUMBER", "415 555 0132")]),
    "timestamps": ("2024-03-26T20:12:33.123Z " * 20_000, []),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_inputs_finish_and_find(name: str) -> None:
    text, expected = ADVERSARIAL[name]
    assert [(d.entity, d.text) for d in PiiDetector().scan(text)] == expected


@pytest.mark.timeout(20)
def test_many_detections_resolve_quickly() -> None:
    text = "4111111111111111 jane@example.com 192.168.0.1 " * 5_000
    assert len(PiiDetector().scan(text)) == 15_000


# --------------------------------------------------------------------------------------------------
# accuracy on the oracle corpora (bench/pii_accuracy.py)


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("pii_accuracy", REPO / "bench" / "pii_accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pii_accuracy", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not ORACLES.is_dir(), reason=f"oracle corpora not present at {ORACLES} (CI clones alone)")
def test_accuracy_on_oracle_corpora() -> None:
    bench = _bench_module()
    report = bench.measure(ORACLES)
    below = {
        entity: (round(tally.precision, 3), round(tally.recall, 3))
        for entity, tally in report.entities.items()
        if tally.precision < 0.95 or tally.recall < 0.95
    }
    assert below == {}, report.misses
    assert set(report.entities) == set(ENTITIES)
    for entity, tally in report.entities.items():
        assert tally.tp >= 4, entity  # the measurement is not vacuous
