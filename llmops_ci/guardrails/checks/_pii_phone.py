"""Phone-number validation for the ``pii`` check, on top of ``phonenumbers`` (Google's libphonenumber
metadata). ``phonenumbers`` is imported on first use: linting a repository without phone-like numbers
does not pay for loading it."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

# E.164 numbers have at most 15 digits; the shortest numbering plans have 7 with the country code.
INTERNATIONAL_DIGITS = range(7, 16)


def _phonenumbers() -> Any:
    import phonenumbers

    return phonenumbers


def supported_regions() -> frozenset[str]:
    """The regions (ISO 3166 alpha-2) whose national formats ``phonenumbers`` knows."""
    return frozenset(_phonenumbers().SUPPORTED_REGIONS)


@cache
def national_digit_counts(region: str) -> frozenset[int]:
    """How many digits a number of ``region`` written without ``+`` can have: its national lengths, with the
    national (trunk) prefix, or with the country code in front (``91-415-555-0132``)."""
    metadata = _phonenumbers().PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return frozenset()
    lengths = set(metadata.general_desc.possible_length or range(4, 16))
    lengths.discard(-1)
    prefix = len(metadata.national_prefix or "")
    country = len(str(metadata.country_code))
    counts = lengths | {length + prefix for length in lengths} | {length + country for length in lengths}
    return frozenset(count for count in counts if count <= 17)


@lru_cache(maxsize=8192)
def is_phone_number(candidate: str, regions: tuple[str, ...]) -> bool:
    """``candidate`` is a valid number: international (``+CC ...``, any country) or national in one of
    ``regions``. Validity is libphonenumber's: a number range in use for the country, right length."""
    phonenumbers = _phonenumbers()
    if candidate.startswith("+"):
        attempts: tuple[str | None, ...] = (None,)
    else:
        digits = sum(char.isdigit() for char in candidate)
        attempts = tuple(region for region in regions if digits in national_digit_counts(region))
    for region in attempts:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False
