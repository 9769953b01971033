"""Text checks: equals, contains and friends, starts-with, regex, word-count, length.

Text is compared after Unicode NFC normalisation; ``case_sensitive: false`` compares case-folded text.
"""

from __future__ import annotations

import re
from typing import Any

from llmops_ci.eval.assertions.base import Output, Verdict, verdict
from llmops_ci.eval.assertions.common import case_sensitive, normalize, short, within
from llmops_ci.eval.assertions.json_checks import first_difference, output_json


def check_equals(output: Output, spec: dict[str, Any]) -> Verdict:
    """A string value is compared with the text; any other value with the parsed JSON output."""
    expected = spec["value"]
    if isinstance(expected, str):
        sensitive = case_sensitive(spec)
        if normalize(output.text, sensitive) == normalize(expected, sensitive):
            return verdict(True, "output equals the value")
        return verdict(False, f"output is {short(output.text)}, expected {short(expected)}")
    actual, error = output_json(output)
    if error is not None:
        return verdict(False, f"{error} (expected {short(expected)})")
    difference = first_difference(actual, expected)
    if difference is None:
        return verdict(True, "output JSON equals the value")
    return verdict(False, f"output JSON differs: {difference}")


def check_contains(output: Output, spec: dict[str, Any]) -> Verdict:
    return _contains(output.text, spec["value"], case_sensitive(spec))


def check_icontains(output: Output, spec: dict[str, Any]) -> Verdict:
    return _contains(output.text, spec["value"], False)


def _contains(text: str, needle: str, sensitive: bool) -> Verdict:
    if normalize(needle, sensitive) in normalize(text, sensitive):
        return verdict(True, f"output contains {short(needle)}")
    return verdict(False, f"output does not contain {short(needle)}")


def check_contains_any(output: Output, spec: dict[str, Any]) -> Verdict:
    found, _ = _partition(output.text, spec["value"], case_sensitive(spec))
    if found:
        return verdict(True, f"output contains {short(found[0])}")
    return verdict(False, f"output contains none of {short(spec['value'])}")


def check_contains_all(output: Output, spec: dict[str, Any]) -> Verdict:
    _, missing = _partition(output.text, spec["value"], case_sensitive(spec))
    if missing:
        return verdict(False, f"output does not contain {short(missing)}")
    return verdict(True, f"output contains all of {short(spec['value'])}")


def _partition(text: str, needles: list[str], sensitive: bool) -> tuple[list[str], list[str]]:
    """The needles found in ``text`` and those missing."""
    haystack = normalize(text, sensitive)
    found = [needle for needle in needles if normalize(needle, sensitive) in haystack]
    return found, [needle for needle in needles if needle not in found]


def check_starts_with(output: Output, spec: dict[str, Any]) -> Verdict:
    sensitive = case_sensitive(spec)
    if normalize(output.text, sensitive).startswith(normalize(spec["value"], sensitive)):
        return verdict(True, f"output starts with {short(spec['value'])}")
    return verdict(False, f"output starts with {short(output.text[:40])}, expected {short(spec['value'])}")


def check_regex(output: Output, spec: dict[str, Any]) -> Verdict:
    """``re.search`` anywhere in the text; ``case_sensitive: false`` adds IGNORECASE."""
    flags = 0 if case_sensitive(spec) else re.IGNORECASE
    match = re.search(normalize(spec["value"]), normalize(output.text), flags)
    if match:
        return verdict(True, f"matched {short(match.group(0))} at offset {match.start()}")
    return verdict(False, f"no match for /{spec['value']}/")


def check_word_count(output: Output, spec: dict[str, Any]) -> Verdict:
    """Words are whitespace-separated runs, as ``wc -w`` counts them."""
    return within(len(output.text.split()), spec, "words")


def check_length(output: Output, spec: dict[str, Any]) -> Verdict:
    """Characters are Unicode code points after NFC normalisation."""
    return within(len(normalize(output.text)), spec, "characters")
