"""Eval cases: inline in the suite, or from JSONL / CSV / YAML files, each with the place it was written."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmops_ci.artifacts.digest import canonical_json, sha256_hex
from llmops_ci.artifacts.model import Artifact
from llmops_ci.errors import LlmopsError
from llmops_ci.findings import Position

CASE_KEYS = {"id", "description", "vars", "assert", "tags", "expected_chunks", "tool_results"}
_EXPECTED_PREFIXES = ("not-contains", "icontains", "contains", "regex", "starts-with", "not-equals", "equals")


class CaseFileError(LlmopsError):
    """A cases file that cannot be read: the message names the file and line."""


@dataclass
class Case:
    id: str
    vars: dict[str, Any]
    assertions: list[dict[str, Any]]
    path: str
    position: Position
    description: str = ""
    tags: list[str] = field(default_factory=list)
    expected_chunks: list[str] = field(default_factory=list)
    #: agent suites: fixture results per tool name (``{result: R}`` or ``{results: [R1, R2, ...]}``)
    tool_results: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.position.line}:{self.position.col}"


def case_id(raw: dict[str, Any]) -> str:
    """The case's own id, else a content hash of its vars: stable across runs, so base and head line up."""
    given = raw.get("id")
    return str(given) if given is not None else "h-" + sha256_hex(canonical_json(raw.get("vars", {})))[:12]


def _case(raw: dict[str, Any], path: str, position: Position) -> Case:
    return Case(
        id=case_id(raw),
        vars=dict(raw.get("vars") or {}),
        assertions=list(raw.get("assert") or []),
        path=path,
        position=position,
        description=str(raw.get("description", "")),
        tags=list(raw.get("tags") or []),
        expected_chunks=[str(chunk) for chunk in raw.get("expected_chunks") or []],
        tool_results=dict(raw.get("tool_results") or {}),
    )


def inline_cases(suite: Artifact) -> Iterator[Case]:
    for index, raw in enumerate(suite.spec.get("cases", [])):
        yield _case(raw, suite.rel, suite.position(("spec", "cases", index)))


def _check_mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: a case must be a mapping with vars (and optionally id, assert)")
    unknown = set(raw) - CASE_KEYS
    if unknown:
        raise CaseFileError(
            f"{where}: unknown case key(s) {', '.join(sorted(unknown))}; allowed: "
            + ", ".join(sorted(CASE_KEYS))
        )
    if "vars" in raw and not isinstance(raw["vars"], dict):
        raise CaseFileError(f"{where}: vars must be a mapping")
    if "assert" in raw and not isinstance(raw["assert"], list):
        raise CaseFileError(f"{where}: assert must be a list")
    return raw


def _jsonl(path: Path, shown: str) -> Iterator[Case]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as error:
                raise CaseFileError(f"{shown}:{number}:{error.colno}: invalid JSON: {error.msg}") from None
            yield _case(_check_mapping(raw, f"{shown}:{number}:1"), shown, Position(number, 1))


def _yaml(path: Path, shown: str) -> Iterator[Case]:
    try:
        nodes = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        raise CaseFileError(f"{where}: invalid YAML: {getattr(error, 'problem', error)}") from None
    if nodes is None:
        return
    if not isinstance(nodes, yaml.SequenceNode):
        raise CaseFileError(f"{shown}:1:1: a YAML cases file holds a list of cases")
    constructor = yaml.SafeLoader("")
    for node in nodes.value:
        position = Position(node.start_mark.line + 1, node.start_mark.column + 1)
        raw = constructor.construct_object(node, deep=True)
        yield _case(_check_mapping(raw, f"{shown}:{position.line}:{position.col}"), shown, position)


def _expected_assertion(text: str) -> dict[str, Any]:
    """promptfoo's ``__expected`` column: ``contains: foo`` style, else equality."""
    for prefix in _EXPECTED_PREFIXES:
        if text.startswith(prefix + ":"):
            kind = "not-equals" if prefix == "not-equals" else prefix
            return {"type": kind, "value": text[len(prefix) + 1 :].strip()}
    return {"type": "equals", "value": text}


def _coerce(value: str, schema: dict[str, Any] | None) -> Any:
    """CSV cells are text: coerce them by the prompt's input schema (ARCHITECTURE contract)."""
    kind = (schema or {}).get("type")
    if kind in ("integer", "number", "boolean", "array", "object", "null"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value  # left as text: input validation then names the case and the field
    return value


def _csv(path: Path, shown: str, inputs: dict[str, Any]) -> Iterator[Case]:
    properties = inputs.get("properties", {}) if isinstance(inputs, dict) else {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            number = reader.line_num
            raw: dict[str, Any] = {"vars": {}}
            assertions = []
            for column, cell in row.items():
                if column is None:
                    raise CaseFileError(f"{shown}:{number}:1: more cells than header columns")
                if column == "id" and cell:
                    raw["id"] = cell
                elif column == "description":
                    raw["description"] = cell or ""
                elif column.startswith("__expected") and cell:
                    assertions.append(_expected_assertion(cell))
                elif not column.startswith("__"):
                    raw["vars"][column] = _coerce(cell or "", properties.get(column))
            raw["assert"] = assertions
            yield _case(raw, shown, Position(number, 1))


def file_cases(suite: Artifact, relative: str, inputs: dict[str, Any]) -> Iterator[Case]:
    path = suite.path.parent / relative
    shown = (Path(suite.rel).parent / relative).as_posix()
    if not path.is_file():
        raise CaseFileError(
            f"{suite.rel}: cases file {relative!r} does not exist (paths are relative to the suite)"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            yield from _jsonl(path, shown)
        elif suffix in (".yaml", ".yml"):
            yield from _yaml(path, shown)
        elif suffix == ".csv":
            yield from _csv(path, shown, inputs)
        else:
            raise CaseFileError(f"{shown}: unsupported cases file type {suffix!r}: use .jsonl, .csv or .yaml")
    except UnicodeDecodeError:
        raise CaseFileError(f"{shown}: not UTF-8 text") from None


def suite_cases(suite: Artifact, inputs: dict[str, Any]) -> list[Case]:
    """Inline cases then file cases, in order; duplicate ids are an error (results must line up)."""
    cases = list(inline_cases(suite))
    files = suite.spec.get("cases_file", [])
    for relative in [files] if isinstance(files, str) else files:
        cases.extend(file_cases(suite, relative, inputs))
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise CaseFileError(
                f"{case.where}: duplicate case id {case.id!r} (first at {seen[case.id].where})"
            )
        seen[case.id] = case
    return cases
