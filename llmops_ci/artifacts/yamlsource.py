"""Parse one YAML file into plain data while keeping the line:col of every key and value.

PyYAML's C composer (libyaml) builds the node tree; we construct the values ourselves so that we can
record positions, reject duplicate keys and bound alias expansion (a "billion laughs" file must give a
finding, not eat the machine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from llmops_ci.findings import Position

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

JsonPath = tuple[str | int, ...]

MAX_NODES = 100_000
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_scalar_constructor = yaml.constructor.SafeConstructor()


class YamlProblem(Exception):
    """A file that is not a single YAML mapping we can read."""

    def __init__(self, message: str, position: Position, hint: str = "", code: str = "Y001") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint
        self.code = code


@dataclass
class ParsedYaml:
    """The data, and where each key and value is written: 1-based (line, col), plus the scalar style of
    values ('|' or '>' for block scalars, a quote character, or None). Kept as plain tuples: a large
    repository has hundreds of thousands of nodes, and only the few that get a finding need a Position."""

    data: Any
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    value_positions: dict[JsonPath, tuple[int, int, str | None]] = field(default_factory=dict)

    def position_of(self, path: JsonPath, *, key: bool = False) -> Position:
        """Where ``path`` is written; the nearest written ancestor when it is absent."""
        probe = tuple(path)
        while True:
            if key and probe in self.key_positions:
                return Position(*self.key_positions[probe])
            if probe in self.value_positions:
                line, col, _ = self.value_positions[probe]
                return Position(line, col)
            if probe in self.key_positions:
                return Position(*self.key_positions[probe])
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def scalar_at(self, path: JsonPath) -> tuple[Position, str | None] | None:
        """The start and style of the value written at exactly ``path``."""
        found = self.value_positions.get(path)
        return None if found is None else (Position(found[0], found[1]), found[2])


def _mark_position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"'\\t'|\btab\b", re.I), "YAML does not allow tabs for indentation: indent with spaces"),
    (re.compile(r"quoted scalar"), "a quoted string is not closed: add the closing quote"),
    (
        re.compile(r"mapping values are not allowed"),
        "a value contains ': ' or the indentation is off: quote the value or fix the indentation",
    ),
    (
        re.compile(r"expected ':'|expected <block end>|did not find expected key"),
        "the indentation is inconsistent here: align keys of the same mapping",
    ),
    (re.compile(r"found undefined alias"), "define the anchor (&name) before using the alias (*name)"),
]


def _hint_for(problem: str) -> str:
    for pattern, hint in _HINTS:
        if pattern.search(problem):
            return hint
    return "fix the YAML syntax at this position"


def _syntax_problem(error: yaml.YAMLError, text: str) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    position = _mark_position(mark) if mark is not None else Position(1, 1)
    lines = text.splitlines()
    line = lines[position.line - 1] if 0 < position.line <= len(lines) else ""
    if "\t" in line[: position.col]:
        problem = "a tab character where YAML expects spaces"
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return YamlProblem(message, position, _hint_for(f"{problem} {context or ''}"))


class _Builder:
    def __init__(self) -> None:
        self.nodes_seen = 0
        self.parsed = ParsedYaml(data=None)

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.nodes_seen += 1
        if self.nodes_seen > MAX_NODES:
            top = path[:1]
            raise YamlProblem(
                f"YAML aliases expand to more than {MAX_NODES:,} values"
                + (f" under {top[0]}" if top else ""),
                self.parsed.position_of(top, key=True) if top else _mark_position(node.start_mark),
                "aliases that expand this far look like an alias bomb: write the values out plainly",
            )
        mark = node.start_mark
        style = node.style if isinstance(node, yaml.ScalarNode) else None
        self.parsed.value_positions[path] = (mark.line + 1, mark.column + 1, style)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]
        return self._scalar(node)

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        if node.tag in (_TIMESTAMP_TAG, _STR_TAG):
            return node.value
        constructor = _scalar_constructor.yaml_constructors.get(node.tag)
        if constructor is None:
            raise YamlProblem(
                f"unsupported YAML tag {node.tag}",
                _mark_position(node.start_mark),
                "remove the tag: artifacts hold plain strings, numbers, booleans, lists and mappings",
            )
        return constructor(_scalar_constructor, node)

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(
                    "a mapping key must be a plain value",
                    _mark_position(key_node.start_mark),
                    "use a string key",
                )
            key = key_node.value if key_node.tag == _STR_TAG else self._scalar(key_node)
            key = key if isinstance(key, str) else str(key)
            key_mark = key_node.start_mark
            key_position = (key_mark.line + 1, key_mark.column + 1)
            key_path = (*path, key)
            if key in result:
                first_line = self.parsed.key_positions[key_path][0]
                raise YamlProblem(
                    f"duplicate key {key!r} (first at line {first_line})",
                    Position(*key_position),
                    "a key may appear once per mapping: remove or rename one of them",
                )
            self.parsed.key_positions[key_path] = key_position
            result[key] = self.build(value_node, key_path)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: JsonPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path)
            if not isinstance(value, dict):
                raise YamlProblem("a merge key (<<) needs a mapping", _mark_position(source.start_mark))
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged


def _document_start(text: str, content_line: int) -> Position:
    """The ``---`` line that opens the document whose content starts at 0-based ``content_line``."""
    lines = text.splitlines()
    for number in range(min(content_line, len(lines) - 1), -1, -1):
        if lines[number].startswith("---"):
            return Position(number + 1, 1)
    return Position(content_line + 1, 1)


def parse_yaml(text: str) -> ParsedYaml:
    """Parse exactly one YAML document; raise :class:`YamlProblem` for anything else."""
    try:
        documents = yaml.compose_all(text, Loader=_Loader)
        first = next(documents, None)
        second = next(documents, None)
    except yaml.YAMLError as error:
        raise _syntax_problem(error, text) from None
    if first is None:
        raise YamlProblem(
            "the file is empty",
            Position(1, 1),
            "an artifact needs apiVersion, kind, metadata and spec",
            code="Y002",
        )
    if second is not None:
        raise YamlProblem(
            "the file holds more than one YAML document",
            _document_start(text, second.start_mark.line),
            "keep one artifact per file: move each document after '---' into its own file",
            code="Y002",
        )
    builder = _Builder()
    builder.parsed.data = builder.build(first, ())
    return builder.parsed
