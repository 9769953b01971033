"""``pattern-extractor``: field extraction and clause detection with regular expressions.

The classic pipeline's extractor: a fixed schema of fields, each found by hand-written patterns and
normalised to a canonical value. The input document is the ``<document>`` tag of the last user message
(else the whole message); the answer is one JSON object with every configured field, in configuration
order, ``null`` when a field is not found.

Per field, the patterns are tried in order; for each, its matches in document order; the first match whose
captured text normalises to a value wins (so list the most specific pattern first). The captured text is
the named group ``value`` if the pattern has one, else its first group that took part in the match, else
the whole match. Patterns run on RE2 (linear time: a pattern from a pull request cannot hang CI; no
look-around or back-references) and are case-insensitive unless the field says ``case_sensitive: true``.

Field types (normalisers documented in ``llmops_ci.baselines.normalize``): ``string``, ``date`` (ISO),
``amount`` (a number), ``integer``, ``currency`` (ISO 4217 code) and ``presence`` (``true`` when any
pattern matches in a sentence where no ``unless`` pattern matches, else ``false``;
clause detection). A ``map`` of canonical value -> list of spellings turns captured strings into a closed
vocabulary (case-insensitive; a capture matching no spelling is kept as is unless ``closed: true``);
``compact: true`` removes all white space from a string (IBANs, VAT numbers). Within a case-insensitive
pattern, ``(?-i:...)`` makes a part case-sensitive (e.g. an identifier in capitals).

Options: ``fields`` (required): the YAML file of the fields, relative to the project root::

    date_order: DMY              # or MDY: how 03/04/2024 reads (default DMY)
    fields:
      invoice_number:
        type: string
        patterns: ['invoice\\s*(?:no\\.?|number|#)\\s*[:#]?\\s*([A-Z0-9][A-Z0-9/-]+)']
      total_amount: {type: amount, patterns: ['total\\s+(?:amount\\s+)?due\\D{0,8}(\\d[\\d.,\\s]*)']}
      has_termination_clause:
        type: presence
        patterns: ['\\bterminat\\w+\\b.{0,80}\\bnotice\\b']
        unless: ['\\bno right to terminate\\b']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from llmops_ci.artifacts.yamlsource import ParsedYaml, YamlProblem, parse_yaml
from llmops_ci.baselines._common import BaselineError, Option, data_file, document_text, read_options
from llmops_ci.baselines.normalize import NORMALIZERS, normalize_date

NAME = "pattern-extractor"
TYPES = (*NORMALIZERS, "presence")
FIELD_KEYS = (
    "type", "patterns", "unless", "case_sensitive", "map", "closed", "compact", "date_order", "description",
)  # fmt: skip
DATE_ORDERS = ("DMY", "MDY")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")

OPTIONS = {"fields": Option(str, required=True, help="a YAML file of fields, e.g. baseline/extraction.yaml")}


@dataclass
class Field:
    name: str
    type: str
    patterns: list[Any]
    unless: list[Any] = field(default_factory=list)
    spellings: dict[str, str] = field(default_factory=dict)
    closed: bool = False
    compact: bool = False
    date_order: str = "DMY"

    def extract(self, text: str) -> Any:
        if self.type == "presence":
            return self._present(text)
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                value = self._value(_captured(match))
                if value is not None:
                    return value
        return None

    def _present(self, text: str) -> bool:
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                sentence = sentence_around(text, match.start(), match.end())
                if not any(unless.search(sentence) for unless in self.unless):
                    return True
        return False

    def _value(self, captured: str) -> Any:
        if self.type == "date":
            return normalize_date(captured, self.date_order)
        value = NORMALIZERS[self.type](captured)
        if self.compact and isinstance(value, str):
            value = "".join(value.split())
        if self.spellings and isinstance(value, str):
            canonical = self.spellings.get(" ".join(value.lower().split()))
            return canonical if canonical is not None or not self.closed else None
        return value


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line) of ``text`` holding ``text[start:end]``."""
    before = [found.end() for found in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, max(end - 1, start))
    return text[before[-1] if before else 0 : after.end() if after else len(text)]


def _captured(match: Any) -> str:
    named = match.groupdict().get("value") if match.re.groupindex else None
    if named is not None:
        return str(named)
    for group in match.groups():
        if group is not None:
            return str(group)
    return str(match.group(0))


class PatternExtractor:
    def __init__(self, options: Mapping[str, Any], base_dir: Path) -> None:
        values = read_options(NAME, options, OPTIONS)
        self.path = data_file(NAME, "fields", values["fields"], base_dir)
        self.fields = load_fields(self.path)

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return json.dumps(self.extract(document_text(messages)), ensure_ascii=False)

    def extract(self, text: str) -> dict[str, Any]:
        return {item.name: item.extract(text) for item in self.fields}


def load_fields(path: Path) -> list[Field]:
    """The fields of a configuration file; errors name ``path:line:col`` and what to fix."""
    try:
        parsed = parse_yaml(path.read_text(encoding="utf-8"))
    except YamlProblem as problem:
        at = problem.position
        raise BaselineError(f"{path}:{at.line}:{at.col}: {problem.message}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read: {error}") from None
    data = parsed.data
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict) or not fields:
        raise _problem(parsed, path, ("fields",), "needs 'fields': field name -> {type, patterns}")
    order = data.get("date_order", "DMY")
    if order not in DATE_ORDERS:
        raise _problem(parsed, path, ("date_order",), f"date_order must be DMY or MDY, not {order!r}")
    return [_field(parsed, path, str(name), spec, order) for name, spec in fields.items()]


def _field(parsed: ParsedYaml, path: Path, name: str, spec: Any, order: str) -> Field:
    where = ("fields", name)
    if not isinstance(spec, dict):
        raise _problem(parsed, path, where, f"field {name!r} must be a mapping with type and patterns")
    unknown = sorted(set(spec) - set(FIELD_KEYS))
    if unknown:
        raise _problem(parsed, path, (*where, unknown[0]), f"unknown key {unknown[0]!r}; known: {FIELD_KEYS}")
    kind = spec.get("type")
    if kind not in TYPES:
        raise _problem(parsed, path, (*where, "type"), f"type must be one of {', '.join(TYPES)}")
    case_sensitive = spec.get("case_sensitive", False) is True
    patterns = _patterns(parsed, path, (*where, "patterns"), spec.get("patterns"), case_sensitive, True)
    unless = _patterns(parsed, path, (*where, "unless"), spec.get("unless", []), case_sensitive, False)
    field_order = spec.get("date_order", order)
    if field_order not in DATE_ORDERS:
        raise _problem(parsed, path, (*where, "date_order"), "date_order must be DMY or MDY")
    return Field(
        name,
        kind,
        patterns,
        unless,
        _spellings(parsed, path, where, spec.get("map")),
        closed=spec.get("closed") is True,
        compact=spec.get("compact") is True,
        date_order=field_order,
    )


def _patterns(
    parsed: ParsedYaml, path: Path, where: tuple[str, ...], raw: Any, case_sensitive: bool, required: bool
) -> list[Any]:
    if not isinstance(raw, list) or (required and not raw) or not all(isinstance(item, str) for item in raw):
        raise _problem(parsed, path, where, f"'{where[-1]}' must be a list of regular expressions (strings)")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    compiled = []
    for number, pattern in enumerate(raw):
        try:
            compiled.append(re2.compile(pattern, options))
        except re2.error as error:
            reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
            raise _problem(
                parsed,
                path,
                (*where, number),
                f"{pattern!r} is not a valid RE2 expression: {reason} "
                "(RE2 has no look-around or back-references)",
            ) from None
    return compiled


def _spellings(parsed: ParsedYaml, path: Path, where: tuple[str, ...], raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    valid = isinstance(raw, dict) and all(
        isinstance(values, list) and all(isinstance(value, str) for value in values)
        for values in raw.values()
    )
    if not valid:
        raise _problem(parsed, path, (*where, "map"), "map must be canonical value -> list of spellings")
    spellings: dict[str, str] = {}
    for canonical, values in raw.items():
        for value in [str(canonical), *values]:
            spellings[" ".join(value.lower().split())] = str(canonical)
    return spellings


def _problem(parsed: ParsedYaml, path: Path, where: tuple[str | int, ...], message: str) -> BaselineError:
    at = parsed.position_of(where)
    return BaselineError(f"{path}:{at.line}:{at.col}: {message}")
