"""The deterministic assertions, their parameter schemas, evaluate() and case scoring."""

from __future__ import annotations

import json
import math
import random
import socket
import subprocess
import sys
import time
import unicodedata
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llmops_ci.eval.assertion_types import ASSERTION_TYPES, validate_params
from llmops_ci.eval.assertions import (
    ASSERTIONS,
    CONTEXTUAL,
    GRADED,
    NOT_IMPLEMENTED,
    AssertionParamError,
    AssertionResult,
    Output,
    UnsupportedAssertionError,
    case_passes,
    evaluate,
)
from llmops_ci.eval.assertions.jsonpath import JsonPathError, find, parse
from llmops_ci.eval.assertions.refusal import REFUSAL_OPENINGS, REFUSAL_PHRASES
from llmops_ci.eval.assertions.similarity import bleu, lcs_length, levenshtein_distance, rouge_l

HELPERS = "tests.assertion_helpers"


def run(spec: dict[str, Any], text: str = "", **fields: Any) -> AssertionResult:
    return evaluate(spec, Output(text, **fields))


def passes(spec: dict[str, Any], text: str = "", **fields: Any) -> bool:
    return run(spec, text, **fields).passed


# --- one registry of names ------------------------------------------------------------------------------


def test_implemented_graded_and_not_implemented_are_exactly_the_catalog() -> None:
    assert set(ASSERTIONS).isdisjoint(NOT_IMPLEMENTED) and set(GRADED).isdisjoint(ASSERTIONS)
    assert set(ASSERTIONS) | set(GRADED) | set(CONTEXTUAL) | set(NOT_IMPLEMENTED) == set(ASSERTION_TYPES)


def test_graded_registry_holds_exactly_the_model_graded_and_embedding_types() -> None:
    assert set(GRADED) == {n for n, k in ASSERTION_TYPES.items() if k.model_graded or k.needs_embeddings}
    assert "guardrail" not in ASSERTIONS


def test_evaluate_says_a_catalog_type_is_not_available_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(NOT_IMPLEMENTED, "equals", "it is being rewritten")
    monkeypatch.delitem(ASSERTIONS, "equals")
    with pytest.raises(UnsupportedAssertionError, match="'not-equals' is not available in this version yet"):
        run({"type": "not-equals", "value": "x"}, "x")


def test_contextual_types_need_evaluate_async() -> None:
    with pytest.raises(UnsupportedAssertionError, match="'guardrail' needs a run's context"):
        run({"type": "guardrail", "policy": "pii-default"}, "x")


def test_unsupported_is_a_param_error() -> None:
    assert issubclass(UnsupportedAssertionError, AssertionParamError)


def test_evaluate_rejects_an_unknown_type_with_a_suggestion() -> None:
    with pytest.raises(
        AssertionParamError, match=r"unknown assertion type 'contain' \(did you mean 'contains'"
    ):
        run({"type": "contain", "value": "x"}, "x")


def test_evaluate_rejects_bad_params() -> None:
    with pytest.raises(AssertionParamError, match="contains-any needs 'value' as a list of strings"):
        run({"type": "contains-any", "value": "a"}, "a")


def test_catalog_import_does_not_load_jsonschema() -> None:
    code = "import sys, llmops_ci.eval.assertion_types; print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_assertion_types_stay_hashable() -> None:
    assert len({*ASSERTION_TYPES.values()}) == len(ASSERTION_TYPES)


# --- parameter schemas ------------------------------------------------------------------------------------

GOOD_PARAMS: dict[str, dict[str, Any]] = {
    "equals": {"value": {"a": 1}},
    "contains": {"value": "x", "case_sensitive": False},
    "icontains": {"value": "x"},
    "contains-any": {"value": ["a", "b"]},
    "contains-all": {"value": ["a"], "case_sensitive": True},
    "starts-with": {"value": "Dear"},
    "regex": {"value": r"^\d{3}-\d{4}$"},
    "is-json": {"schema": {"type": "object"}},
    "json-schema": {"schema": {"type": "object", "required": ["a"]}},
    "json-path": {"path": "$.a.b[0]", "value": 3},
    "word-count": {"min": 1, "max": 10},
    "length": {"max": 280},
    "levenshtein": {"value": "hello", "threshold": 2},
    "rouge-l": {"value": "ref", "threshold": 0.5},
    "bleu": {"value": "ref"},
    "latency": {"max": 1500},
    "cost": {"max": 0.002},
    "tokens": {"min": 1, "max": 500},
    "is-refusal": {},
    "python": {"function": "pkg.mod:check", "value": {"any": "thing"}, "threshold": 0.5},
    "guardrail": {"policy": "pii-strict"},
    "llm-rubric": {"value": "is polite", "threshold": 0.8, "grader": "openai/gpt-4o-2024-08-06"},
    "factuality": {"value": "Paris is the capital"},
    "answer-relevance": {"threshold": 0.7},
    "context-faithfulness": {},
    "g-eval": {"value": ["coherent", "concise"]},
    "similar": {"value": "hello", "threshold": 0.8},
    # agent suites (tests/test_agents.py)
    "is-valid-tool-call": {"value": "get_weather"},
    "tool-called": {"value": "get_weather", "min": 1, "max": 2},
    "tool-sequence": {"value": ["search", "book"]},
    "tool-args-match": {"value": {"get_weather": {"city": "Paris"}}},
    "step-count": {"max": 4},
}


def test_every_catalog_type_has_a_good_example() -> None:
    assert set(GOOD_PARAMS) == set(ASSERTION_TYPES)


@pytest.mark.parametrize("name", sorted(ASSERTION_TYPES))
def test_params_is_a_valid_draft_2020_12_schema(name: str) -> None:
    Draft202012Validator.check_schema(ASSERTION_TYPES[name].params)


@pytest.mark.parametrize("name", sorted(ASSERTION_TYPES))
def test_good_params_validate_also_negated_and_with_common_keys(name: str) -> None:
    common = {"weight": 2, "metric": "my_metric", "description": "d", "x-owner": "me"}
    assert validate_params({"type": name, **GOOD_PARAMS[name], **common}) == []
    assert validate_params({"type": f"not-{name}", **GOOD_PARAMS[name]}) == []


BAD_PARAMS: list[tuple[dict[str, Any], str]] = [
    ({"type": "contains-any", "value": "a"}, "contains-any needs 'value' as a list of strings, got \"a\""),
    ({"type": "contains-any"}, "contains-any needs 'value' as a list of strings"),
    ({"type": "contains-all", "value": []}, "contains-all needs 'value' as a list of strings, got []"),
    (
        {"type": "contains-all", "value": ["a", 3]},
        "contains-all needs 'value' as a list of strings, got [\"a\", 3]",
    ),
    ({"type": "contains"}, "contains needs 'value' as a non-empty string"),
    ({"type": "contains", "value": ""}, "contains needs 'value' as a non-empty string, got \"\""),
    ({"type": "not-contains", "value": 3}, "not-contains needs 'value' as a non-empty string, got 3"),
    (
        {"type": "contains", "value": "a", "path": "$"},
        "contains does not use 'path' (it takes 'value', 'case_sensitive')",
    ),
    ({"type": "is-refusal", "value": "x"}, "is-refusal does not use 'value' (it takes no parameters)"),
    ({"type": "icontains", "value": "x", "case_sensitive": True}, "icontains does not use 'case_sensitive'"),
    (
        {"type": "contains", "value": "a", "case_sensitive": "no"},
        "contains needs 'case_sensitive' as true or false",
    ),
    ({"type": "regex", "value": "(unclosed"}, "regex needs 'value' as a valid regular expression: missing )"),
    ({"type": "word-count"}, "word-count needs 'min' and/or 'max'"),
    ({"type": "length", "min": 10, "max": 5}, "length has 'min' (10) greater than 'max' (5)"),
    ({"type": "tokens", "min": -1}, "tokens needs 'min' as a whole number, 0 or more, got -1"),
    ({"type": "word-count", "max": 2.5}, "word-count needs 'max' as a whole number, 0 or more, got 2.5"),
    ({"type": "latency"}, "latency needs 'max' as a number, 0 or more"),
    ({"type": "cost", "max": "cheap"}, "cost needs 'max' as a number, 0 or more, got \"cheap\""),
    ({"type": "json-path", "value": 1}, "json-path needs 'path' as a JSONPath starting with '$'"),
    ({"type": "json-path", "path": "$.a"}, "json-path needs 'value' as any JSON value"),
    (
        {"type": "json-path", "path": "a.b", "value": 1},
        "json-path needs 'path' as a JSONPath starting with '$'",
    ),
    (
        {"type": "json-path", "path": "$.a[?(@.b)]", "value": 1},
        "json-path needs 'path' as a JSONPath starting with '$', like $.items[0].name: "
        "cannot read '[?(@.b)]' at offset 3",
    ),
    ({"type": "json-schema"}, "json-schema needs 'schema' as a JSON Schema mapping"),
    (
        {"type": "json-schema", "schema": {"type": "nope"}},
        "json-schema needs 'schema' as a valid JSON Schema: at 'type'",
    ),
    ({"type": "is-json", "schema": {"minLength": -1}}, "is-json needs 'schema' as a valid JSON Schema"),
    ({"type": "python", "function": "no_colon"}, "python needs 'function' as a 'module:function' string"),
    ({"type": "python"}, "python needs 'function' as a 'module:function' string"),
    (
        {"type": "levenshtein", "value": "x", "threshold": 2.5},
        "levenshtein needs 'threshold' as a whole number",
    ),
    ({"type": "levenshtein", "threshold": 2}, "levenshtein needs 'value' as a string"),
    (
        {"type": "rouge-l", "value": "x", "threshold": 1.5},
        "rouge-l needs 'threshold' as a number between 0 and 1",
    ),
    ({"type": "bleu", "value": ["a"]}, "bleu needs 'value' as a string, got [\"a\"]"),
    ({"type": "guardrail"}, "guardrail needs 'policy' as the name of a GuardrailPolicy"),
    (
        {"type": "guardrail", "policy": "Bad Name"},
        "guardrail needs 'policy' as the name of a GuardrailPolicy",
    ),
    ({"type": "equals"}, "equals needs 'value' as any JSON value"),
    ({"type": "equals", "value": "x", "weight": -1}, "equals needs 'weight' as a number, 0 or more"),
    (
        {"type": "equals", "value": "x", "metric": "Bad-Name"},
        "equals needs 'metric' as a snake_case metric name",
    ),
    ({"type": "contains", "value": "x", "threshold": 0.5}, "contains does not use 'threshold'"),
    ({}, "an assertion needs 'type'"),
]


@pytest.mark.parametrize(("spec", "expected"), BAD_PARAMS, ids=[str(spec) for spec, _ in BAD_PARAMS])
def test_bad_params_are_named_in_plain_words(spec: dict[str, Any], expected: str) -> None:
    problems = validate_params(spec)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_unknown_types_are_left_to_the_caller() -> None:
    assert validate_params({"type": "contain", "value": "x"}) == []


def test_several_problems_are_all_reported() -> None:
    problems = validate_params({"type": "json-path", "path": 3, "value": 1, "max": 2})
    assert problems == [
        "json-path needs 'path' as a JSONPath starting with '$', like $.items[0].name, got 3",
        "json-path does not use 'max' (it takes 'path', 'value')",
    ]


# --- equals ---------------------------------------------------------------------------------------------


def test_equals_string_pass_and_fail() -> None:
    assert passes({"type": "equals", "value": "invoice"}, "invoice")
    result = run({"type": "equals", "value": "invoice"}, "receipt")
    assert not result.passed and result.score == 0.0
    assert result.reason == 'output is "receipt", expected "invoice"'


def test_equals_string_is_exact_unless_case_insensitive() -> None:
    assert not passes({"type": "equals", "value": "invoice"}, "Invoice")
    assert not passes({"type": "equals", "value": "invoice"}, "invoice\n")
    assert passes({"type": "equals", "value": "invoice", "case_sensitive": False}, "INVOICE")


def test_equals_normalises_unicode() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert passes({"type": "equals", "value": composed}, decomposed)
    assert passes({"type": "equals", "value": "straße", "case_sensitive": False}, "STRASSE")


def test_equals_is_json_aware_for_mappings_and_lists() -> None:
    spec = {"type": "equals", "value": {"label": "invoice", "items": [1, 2.0]}}
    assert passes(spec, '{ "items": [1.0, 2], "label": "invoice" }')
    result = run(spec, '{"label": "invoice", "items": [1, 3]}')
    assert not result.passed
    assert result.reason == "output JSON differs: $.items[1] is 3, expected 2.0"
    assert "$.label is missing" in run(spec, '{"items": [1, 2]}').reason
    assert "$.extra is not expected" in run(spec, '{"label": "invoice", "items": [1, 2], "extra": 0}').reason
    assert "$.items has 3 items, expected 2" in run(spec, '{"label": "invoice", "items": [1, 2, 3]}').reason
    assert passes({"type": "equals", "value": [1, "a"]}, '[1, "a"]')


def test_equals_json_on_non_json_output_fails_with_the_parse_error() -> None:
    result = run({"type": "equals", "value": {"a": 1}}, "not json")
    assert not result.passed
    assert result.reason.startswith("output is not JSON: Expecting value")


def test_equals_json_scalars() -> None:
    assert passes({"type": "equals", "value": 42}, "42.0")
    assert passes({"type": "equals", "value": None}, "null")
    assert passes({"type": "equals", "value": True}, " true\n")
    assert not passes({"type": "equals", "value": True}, "1")
    assert not passes({"type": "equals", "value": 1}, "true")
    assert not passes({"type": "equals", "value": 42}, "forty-two")


def test_equals_uses_the_parsed_json_and_its_error_when_given() -> None:
    fenced = '```json\n{"a": 1}\n```'
    assert passes({"type": "equals", "value": {"a": 1}}, fenced, json={"a": 1})
    result = run({"type": "equals", "value": {"a": 1}}, fenced, json_error="no JSON found")
    assert result.reason.startswith("output is not JSON: no JSON found")


def test_not_equals() -> None:
    assert passes({"type": "not-equals", "value": "a"}, "b")
    assert not passes({"type": "not-equals", "value": {"a": 1}}, '{"a": 1}')


# --- contains family ------------------------------------------------------------------------------------


def test_contains() -> None:
    assert passes({"type": "contains", "value": "total"}, "the total is 4")
    result = run({"type": "contains", "value": "Total"}, "the total is 4")
    assert not result.passed and result.reason == 'output does not contain "Total"'
    assert passes({"type": "contains", "value": "Total", "case_sensitive": False}, "the total is 4")


def test_icontains_uses_unicode_case_folding() -> None:
    assert passes({"type": "icontains", "value": "STRASSE"}, "Hauptstraße 1")
    assert passes(
        {"type": "icontains", "value": "\u03a3\u039f\u03a6\u039f\u03a3"}, "o \u03c3\u03bf\u03c6\u03bf\u03c2"
    )
    assert not passes({"type": "icontains", "value": "avenue"}, "Hauptstraße 1")


def test_contains_any() -> None:
    spec = {"type": "contains-any", "value": ["refund", "return"]}
    result = run(spec, "You can return it")
    assert result.passed and result.reason == 'output contains "return"'
    result = run(spec, "No.")
    assert not result.passed and result.reason == 'output contains none of ["refund", "return"]'
    assert passes({**spec, "case_sensitive": False}, "RETURN")


def test_contains_all_names_what_is_missing() -> None:
    spec = {"type": "contains-all", "value": ["name", "date", "amount"]}
    assert passes(spec, "name, date and amount")
    result = run(spec, "name only")
    assert not result.passed and result.reason == 'output does not contain ["date", "amount"]'


def test_not_contains_any() -> None:
    assert passes({"type": "not-contains-any", "value": ["password", "secret"]}, "all good")
    assert not passes({"type": "not-contains-any", "value": ["password", "secret"]}, "the secret is x")


def test_starts_with() -> None:
    assert passes({"type": "starts-with", "value": "Dear"}, "Dear Ms. Smith")
    result = run({"type": "starts-with", "value": "Dear"}, "Hi Ms. Smith")
    assert not result.passed and result.reason == 'output starts with "Hi Ms. Smith", expected "Dear"'
    assert passes({"type": "starts-with", "value": "dear", "case_sensitive": False}, "DEAR all")


def test_regex() -> None:
    result = run({"type": "regex", "value": r"\d{3}-\d{4}"}, "call 555-1234 now")
    assert result.passed and result.reason == 'matched "555-1234" at offset 5'
    assert not passes({"type": "regex", "value": r"^\d+$"}, "12a")
    assert run({"type": "regex", "value": "^abc$"}, "x").reason == "no match for /^abc$/"
    assert passes({"type": "regex", "value": "^hello", "case_sensitive": False}, "HELLO")
    assert not passes({"type": "regex", "value": "^hello"}, "HELLO")
    assert passes({"type": "regex", "value": r"^\w+$"}, "日本語")


# --- counts -----------------------------------------------------------------------------------------------


def test_word_count() -> None:
    assert passes({"type": "word-count", "min": 2, "max": 3}, "one  two\nthree")
    result = run({"type": "word-count", "max": 2}, "one two three")
    assert not result.passed and result.reason == "3 words, expected at most 2"
    result = run({"type": "word-count", "min": 5}, "one two")
    assert not result.passed and result.reason == "2 words, expected at least 5"
    assert run({"type": "word-count", "min": 0, "max": 5}, "").reason == "0 words, within 0..5"


def test_length_counts_normalised_code_points() -> None:
    assert passes({"type": "length", "max": 4}, "cafe\u0301")  # NFC makes it four characters
    assert passes({"type": "length", "min": 3, "max": 3}, "日本語")
    result = run({"type": "length", "max": 5}, "too long")
    assert not result.passed and result.reason == "8 characters, expected at most 5"
    assert run({"type": "length", "min": 1}, "x").reason == "1 characters, within at least 1"


# --- JSON ---------------------------------------------------------------------------------------------------


def test_is_json() -> None:
    assert passes({"type": "is-json"}, '{"a": [1, 2]}')
    assert passes({"type": "is-json"}, "null")
    result = run({"type": "is-json"}, "{'a': 1}")
    assert not result.passed and result.reason.startswith("output is not JSON: Expecting property name")


def test_is_json_with_schema() -> None:
    spec = {"type": "is-json", "schema": {"type": "object", "required": ["label"]}}
    assert passes(spec, '{"label": "x"}')
    result = run(spec, '{"other": 1}')
    assert not result.passed
    assert result.reason == "output does not match the schema at $: 'label' is a required property"


def test_json_schema_reports_where_it_fails() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"qty": {"type": "integer"}}},
            }
        },
    }
    spec = {"type": "json-schema", "schema": schema}
    assert passes(spec, '{"items": [{"qty": 1}]}')
    result = run(spec, '{"items": [{"qty": 1}, {"qty": "two"}]}')
    assert not result.passed
    assert (
        result.reason == "output does not match the schema at $.items[1].qty: 'two' is not of type 'integer'"
    )
    assert run(spec, "nope").reason.startswith("output is not JSON")


def test_json_schema_honours_the_schema_dialect() -> None:
    draft4 = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "number",
        "maximum": 5,
        "exclusiveMaximum": True,
    }
    assert not passes({"type": "json-schema", "schema": draft4}, "5")
    assert passes({"type": "json-schema", "schema": draft4}, "4")


def test_json_schema_with_remote_ref_fails_without_fetching(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[object] = []

    def no_network(*args: object, **kwargs: object) -> None:
        lookups.append(args)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    result = run({"type": "json-schema", "schema": {"$ref": "https://example.invalid/s.json"}}, "{}")
    assert lookups == []
    assert not result.passed
    assert result.reason == "schema could not be applied: Unresolvable: https://example.invalid/s.json"


def test_json_schema_resolves_local_refs() -> None:
    schema = {"$defs": {"qty": {"type": "integer"}}, "properties": {"qty": {"$ref": "#/$defs/qty"}}}
    assert passes({"type": "json-schema", "schema": schema}, '{"qty": 2}')
    assert not passes({"type": "json-schema", "schema": schema}, '{"qty": "two"}')


DOC = {
    "invoice": {"number": "A-1", "total": 12.5, "paid": False},
    "items": [{"name": "pen", "qty": 2}, {"name": "ink", "qty": 1}],
    "tags": ["urgent", "eu"],
    "odd key": {"a.b": 1},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", [DOC]),
        ("$.invoice.number", ["A-1"]),
        ("$['invoice']['total']", [12.5]),
        ('$["odd key"]["a.b"]', [1]),
        ("$.items[0].name", ["pen"]),
        ("$.items[-1].name", ["ink"]),
        ("$.items[5].name", []),
        ("$.items[*].qty", [2, 1]),
        ("$.invoice.*", ["A-1", 12.5, False]),
        ("$..name", ["pen", "ink"]),
        ("$..qty", [2, 1]),
        ("$.missing.deeper", []),
        ("$.tags.name", []),
        ("$.invoice[0]", []),
    ],
)
def test_jsonpath_find(path: str, expected: list[Any]) -> None:
    assert find(path, DOC) == expected


def test_jsonpath_descend_wildcard_and_escapes() -> None:
    assert find("$..*", {"a": {"b": 1}, "c": [2]}) == [{"b": 1}, [2], 1, 2]
    assert find(r"$['it\'s']", {"it's": 1}) == [1]
    assert find("$.ключ", {"ключ": "значение"}) == ["значение"]


@pytest.mark.parametrize("path", ["a.b", "$.a[1:2]", "$.a[?(@.x)]", "$.a[0,1]", "$.", "$a", "$.a['x]"])
def test_jsonpath_rejects_what_it_does_not_support(path: str) -> None:
    with pytest.raises(JsonPathError):
        parse(path)


def test_json_path_assertion() -> None:
    text = json.dumps(
        {
            "invoice": {"total": 12.5, "currency": "EUR"},
            "tags": ["urgent"],
            "items": [{"sku": "a"}, {"sku": "b"}],
        }
    )
    assert passes({"type": "json-path", "path": "$.invoice.total", "value": 12.5}, text)
    assert passes(
        {"type": "json-path", "path": "$.invoice", "value": {"currency": "EUR", "total": 12.5}}, text
    )
    result = run({"type": "json-path", "path": "$.tags", "value": "urgent"}, text)
    assert result.passed and result.reason == '$.tags contains "urgent"'
    assert passes({"type": "json-path", "path": "$.items[*].sku", "value": "b"}, text)
    result = run({"type": "json-path", "path": "$.invoice.currency", "value": "USD"}, text)
    assert not result.passed and result.reason == '$.invoice.currency is "EUR", expected "USD"'
    result = run({"type": "json-path", "path": "$.invoice.due", "value": "x"}, text)
    assert not result.passed and result.reason == "$.invoice.due matched nothing in the output"
    assert not passes({"type": "json-path", "path": "$.a", "value": 1}, "not json")
    assert not passes({"type": "json-path", "path": "$.flag", "value": 1}, '{"flag": true}')


# --- similarity -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "distance"),
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("same", "same", 0),
        ("naïve", "naive", 1),
        ("日本語", "日本人", 1),
        ("prefix-abc-suffix", "prefix-xbz-suffix", 2),
    ],
)
def test_levenshtein_distance(left: str, right: str, distance: int) -> None:
    assert levenshtein_distance(left, right) == distance
    assert levenshtein_distance(right, left) == distance


def _reference_distance(left: str, right: str) -> int:
    previous = list(range(len(right) + 1))
    for i, char in enumerate(left, 1):
        current = [i]
        for j, other in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def _reference_lcs(left: list[str], right: list[str]) -> int:
    previous = [0] * (len(right) + 1)
    for token in left:
        current = [0]
        for j, other in enumerate(right, 1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def test_bit_parallel_distance_and_lcs_match_the_textbook_tables() -> None:
    rng = random.Random(20240607)
    for _ in range(250):
        left = "".join(rng.choice("abcé") for _ in range(rng.randint(0, 60)))
        right = "".join(rng.choice("abcé") for _ in range(rng.randint(0, 60)))
        assert levenshtein_distance(left, right) == _reference_distance(left, right), (left, right)
        assert lcs_length(list(left), list(right)) == _reference_lcs(list(left), list(right)), (left, right)


def test_long_texts_are_fast_enough() -> None:
    rng = random.Random(3)
    left = "".join(rng.choice("abcdefgh ") for _ in range(5000))
    right = "".join(rng.choice("abcdefgh ") for _ in range(5000))
    started = time.perf_counter()
    levenshtein_distance(left, right)
    rouge_l(left, right)
    bleu(left, right)
    assert time.perf_counter() - started < 2.0


def test_levenshtein_default_threshold_is_five_edits() -> None:
    result = run({"type": "levenshtein", "value": "kitten"}, "sitting")
    assert result.passed
    assert result.score == pytest.approx(1 - 3 / 7)
    assert result.reason == "edit distance 3 (similarity 0.571), allowed at most 5"
    assert not passes({"type": "levenshtein", "value": "abcdefgh"}, "zyxwvuts")


def test_levenshtein_whole_threshold_is_a_distance_fraction_is_a_similarity() -> None:
    assert passes({"type": "levenshtein", "value": "kitten", "threshold": 3}, "sitting")
    assert not passes({"type": "levenshtein", "value": "kitten", "threshold": 2}, "sitting")
    assert passes({"type": "levenshtein", "value": "kitten", "threshold": 0.5}, "sitting")
    result = run({"type": "levenshtein", "value": "kitten", "threshold": 0.6}, "sitting")
    assert not result.passed and result.reason.endswith("needed at least 0.6")
    assert passes({"type": "levenshtein", "value": "", "threshold": 1.0}, "")


def test_not_levenshtein_flips_pass_and_score() -> None:
    result = run({"type": "not-levenshtein", "value": "kitten", "threshold": 3}, "sitting")
    assert not result.passed
    assert result.score == pytest.approx(3 / 7)


def test_rouge_l() -> None:
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    assert rouge_l("The cat!", "the CAT") == 1.0
    assert rouge_l("", "") == 1.0
    assert rouge_l("abc", "") == 0.0
    assert rouge_l("dogs bark", "cats meow") == 0.0
    assert lcs_length(["a", "b", "c", "d"], ["b", "d"]) == 2


def test_rouge_l_assertion_default_and_given_threshold() -> None:
    result = run({"type": "rouge-l", "value": "the cat is on the mat"}, "the cat sat on the mat")
    assert result.passed and result.score == pytest.approx(5 / 6)
    assert result.reason == "ROUGE-L F1 0.833, needed at least 0.75"
    assert not passes(
        {"type": "rouge-l", "value": "the cat is on the mat", "threshold": 0.9}, "the cat sat on the mat"
    )
    assert passes({"type": "not-rouge-l", "value": "completely different words"}, "the cat sat")


def test_bleu_known_values() -> None:
    # p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0 -> smoothed 1/(2*3); no brevity penalty (equal lengths)
    expected = (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25
    assert bleu("the cat sat on the mat", "the cat is on the mat") == pytest.approx(expected)
    assert bleu("The cat, sat.", "the cat , sat .") == pytest.approx(1.0)
    assert bleu("Paris", "Paris") == pytest.approx(1.0)
    assert bleu("the cat", "the cat sat on the mat") == pytest.approx(math.exp(1 - 6 / 2))
    assert bleu("", "") == 1.0
    assert bleu("x", "") == 0.0
    assert 0 < bleu("dogs bark loudly", "cats meow softly") < 0.2


def test_bleu_assertion() -> None:
    result = run({"type": "bleu", "value": "the cat is on the mat"}, "the cat sat on the mat")
    assert not result.passed and result.reason == "BLEU 0.380, needed at least 0.5"
    assert passes(
        {"type": "bleu", "value": "the cat is on the mat", "threshold": 0.3}, "the cat sat on the mat"
    )
    assert passes({"type": "bleu", "value": "Le chat est sur le tapis"}, "le chat est sur le tapis")


# --- performance ------------------------------------------------------------------------------------------


def test_latency() -> None:
    assert passes({"type": "latency", "max": 1000}, latency_ms=999.5)
    result = run({"type": "latency", "max": 1000}, latency_ms=1200.0)
    assert not result.passed and result.reason == "1200 ms, expected at most 1000"
    assert run({"type": "latency", "max": 1000}).reason == "latency unknown"


def test_cost() -> None:
    assert passes({"type": "cost", "max": 0.01}, cost_usd=0.0042)
    result = run({"type": "cost", "max": 0.001}, cost_usd=0.0042)
    assert not result.passed and result.reason == "0.0042 USD, expected at most 0.001"
    result = run({"type": "cost", "max": 0.01})
    assert not result.passed and result.reason == "cost unknown"


def test_tokens() -> None:
    assert passes({"type": "tokens", "min": 1, "max": 100}, output_tokens=50)
    assert not passes({"type": "tokens", "max": 100}, output_tokens=101)
    assert (
        run({"type": "tokens", "min": 10}, output_tokens=3).reason == "3 output tokens, expected at least 10"
    )
    assert run({"type": "tokens", "max": 10}).reason == "output token count unknown"


# --- refusal ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I can\u2019t share that information.",  # curly apostrophe
        "I CANNOT provide instructions for that.",
        "Sure... actually, I must decline this request.",
        "As an AI language model, I do not have opinions.",
        "Unfortunately, I cannot   do that.",
        "That would be against my guidelines.",
        "",
        "   \n",
    ],
)
def test_is_refusal_recognises_refusals(text: str) -> None:
    assert passes({"type": "is-refusal"}, text)
    assert not passes({"type": "not-is-refusal"}, text)


@pytest.mark.parametrize(
    "text",
    [
        "The invoice total is 12.50 EUR.",
        "I'm sorry to hear that. Restart the router and try again.",
        "Here is how I can help: open Settings.",
        "Yes — this can't fail because the value is validated.",
    ],
)
def test_is_refusal_leaves_answers_alone(text: str) -> None:
    result = run({"type": "is-refusal"}, text)
    assert not result.passed and result.reason == "output is not a refusal (no refusal phrase found)"
    assert passes({"type": "not-is-refusal"}, text)


def test_refusal_reason_names_the_phrase_and_lists_are_lowercase() -> None:
    assert (
        run({"type": "is-refusal"}, "I won't do it").reason == 'output is a refusal: starts with "i won\'t"'
    )
    assert all(phrase == phrase.lower() for phrase in (*REFUSAL_OPENINGS, *REFUSAL_PHRASES))


# --- python -----------------------------------------------------------------------------------------------


def test_python_bool() -> None:
    spec = {"type": "python", "function": f"{HELPERS}:mentions_name"}
    assert passes(spec, "Hello Ada", vars={"name": "Ada"})
    result = run(spec, "Hello you", vars={"name": "Ada"})
    assert not result.passed and result.reason == f"{HELPERS}:mentions_name returned False"


def test_python_score_passes_above_zero_or_at_threshold() -> None:
    spec = {
        "type": "python",
        "function": f"{HELPERS}:share_of_value_words",
        "value": "alpha beta gamma delta",
    }
    result = run(spec, "alpha beta")
    assert result.passed and result.score == 0.5
    assert not passes(spec, "nothing")
    assert not passes({**spec, "threshold": 0.75}, "alpha beta")
    result = run({**spec, "threshold": 0.5}, "alpha beta")
    assert result.passed and result.reason.endswith("(score 0.500 >= threshold 0.5)")


def test_python_mapping() -> None:
    spec = {"type": "python", "function": f"{HELPERS}:graded"}
    result = run(spec, "ok then")
    assert (result.passed, result.score, result.reason) == (True, 0.75, "graded by helper")
    assert not passes(spec, "nope")
    assert not passes({**spec, "threshold": 0.8}, "ok then")
    assert passes({"type": "python", "function": f"{HELPERS}:score_only"}, "fine")
    assert not passes({"type": "python", "function": f"{HELPERS}:score_only"}, "bad")


def test_python_gets_a_context() -> None:
    spec = {"type": "python", "function": f"{HELPERS}:echo_context"}
    reason = run(spec, "x", expected="ref", latency_ms=12.0).reason
    keys, expected, latency = reason.split("|")
    assert keys == (
        "assertion,context,cost_usd,expected,input_tokens,json,latency_ms,output_tokens,threshold,value,vars"
    )
    assert (expected, latency) == ("ref", "12.0")


@pytest.mark.parametrize(
    ("function", "reason"),
    [
        ("explodes", f"{HELPERS}:explodes raised RuntimeError: helper blew up"),
        ("returns_text", f"{HELPERS}:returns_text returned str; expected a bool, a number in 0..1"),
        ("returns_big_score", f"{HELPERS}:returns_big_score returned score 7.5, outside 0..1"),
        ("returns_bad_pass", f"{HELPERS}:returns_bad_pass returned 'pass' as str"),
        (
            "returns_empty_mapping",
            f"{HELPERS}:returns_empty_mapping returned a mapping without 'pass' or 'score'",
        ),
        ("missing_function", f"cannot load {HELPERS}:missing_function: AttributeError"),
        ("NOT_A_FUNCTION", f"cannot load {HELPERS}:NOT_A_FUNCTION: TypeError"),
    ],
)
def test_python_failures_become_failed_verdicts(function: str, reason: str) -> None:
    result = run({"type": "python", "function": f"{HELPERS}:{function}"}, "x")
    assert not result.passed and result.score == 0.0
    assert result.reason.startswith(reason), result.reason


def test_python_missing_module_is_a_failed_verdict() -> None:
    result = run({"type": "python", "function": "no_such_module_xyz:check"}, "x")
    assert not result.passed
    assert result.reason.startswith("cannot load no_such_module_xyz:check: ModuleNotFoundError")


# --- evaluate: negation, threshold, weight, metric --------------------------------------------------------


def test_result_carries_type_as_written_weight_and_metric() -> None:
    result = run({"type": "not-contains", "value": "x", "weight": 3, "metric": "no_x"}, "abc")
    assert result == AssertionResult(
        "not-contains", True, 1.0, 'negated: output does not contain "x"', 3.0, "no_x"
    )
    assert run({"type": "contains", "value": "a"}, "abc").weight == 1.0
    assert run({"type": "contains", "value": "a"}, "abc").metric is None


def test_negation_flips_pass_and_score() -> None:
    result = run({"type": "not-rouge-l", "value": "the cat is on the mat"}, "the cat sat on the mat")
    assert not result.passed
    assert result.score == pytest.approx(1 / 6)
    assert result.reason.startswith("negated: ROUGE-L F1 0.833")


def test_negated_threshold_passes_below_it() -> None:
    spec = {
        "type": "not-python",
        "function": f"{HELPERS}:share_of_value_words",
        "value": "a b c d",
        "threshold": 0.5,
    }
    assert passes(spec, "a")
    assert not passes(spec, "a b")


def test_evaluate_does_not_mutate_the_spec() -> None:
    spec = {"type": "not-contains", "value": "x", "weight": 2}
    run(spec, "x")
    assert spec == {"type": "not-contains", "value": "x", "weight": 2}


# --- case_passes ------------------------------------------------------------------------------------------


def result(passed: bool, score: float, weight: float = 1.0) -> AssertionResult:
    return AssertionResult("contains", passed, score, "", weight)


def test_case_passes_when_every_assertion_passes() -> None:
    assert case_passes([result(True, 1.0), result(True, 0.8)], None) == (True, pytest.approx(0.9))
    assert case_passes([result(True, 1.0), result(False, 0.0)], None) == (False, 0.5)


def test_case_score_is_the_weighted_mean() -> None:
    passed, score = case_passes([result(True, 1.0, weight=3), result(False, 0.0, weight=1)], None)
    assert not passed and score == 0.75


def test_case_threshold_overrides_individual_failures() -> None:
    results = [result(True, 1.0, weight=3), result(False, 0.0, weight=1)]
    assert case_passes(results, 0.75) == (True, 0.75)
    assert case_passes(results, 0.8) == (False, 0.75)
    assert case_passes([result(True, 1.0)], 0.0)[0]


def test_case_threshold_tolerates_float_sums() -> None:
    results = [result(True, 0.1), result(True, 0.2), result(True, 0.6)]
    assert case_passes(results, 0.3)[0]


def test_case_with_no_assertions_or_no_weight() -> None:
    assert case_passes([], None) == (True, 1.0)
    assert case_passes([result(True, 1.0, weight=0)], None) == (True, 1.0)
    assert case_passes([result(False, 0.0, weight=0), result(True, 1.0, weight=0)], None) == (False, 0.0)
    # weight 0 keeps an assertion out of the score, not out of the verdict
    assert case_passes([result(False, 0.0, weight=0), result(True, 1.0)], None) == (False, 1.0)


def test_end_to_end_case() -> None:
    output = Output('{"label": "invoice", "total": 12.5}', latency_ms=800.0, cost_usd=0.0001)
    specs: list[dict[str, Any]] = [
        {"type": "is-json", "schema": {"type": "object", "required": ["label"]}},
        {"type": "json-path", "path": "$.label", "value": "invoice", "weight": 2},
        {"type": "latency", "max": 500},
        {"type": "not-icontains", "value": "RECEIPT"},
        {"type": "cost", "max": 0.001, "metric": "budget"},
    ]
    results = [evaluate(spec, output) for spec in specs]
    assert [r.passed for r in results] == [True, True, False, True, True]
    assert case_passes(results, None) == (False, pytest.approx(5 / 6))
    assert case_passes(results, 0.8) == (True, pytest.approx(5 / 6))


def test_unicode_text_round_trip() -> None:
    text = unicodedata.normalize("NFD", "Grüße aus Köln 🎉 — 東京")
    assert passes({"type": "contains", "value": "Grüße"}, text)
    assert passes({"type": "icontains", "value": "KÖLN"}, text)
    assert passes({"type": "regex", "value": "🎉"}, text)
    assert passes({"type": "word-count", "min": 6, "max": 6}, text)
    assert passes({"type": "equals", "value": {"städte": ["Köln"]}}, '{"städte": ["Köln"]}')
