"""Artifacts, the references between them, and the graph every capability reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_ci.artifacts import schemas
from llmops_ci.artifacts.yamlsource import JsonPath, ParsedYaml
from llmops_ci.findings import Finding, Position

#: Kind -> prefix used in git tags and in ``prefix/name`` references.
KIND_PREFIXES: dict[str, str] = {
    "Prompt": "prompts",
    "GuardrailPolicy": "policies",
    "RagPipeline": "rag",
    "EvalSuite": "suites",
    "Environment": "environments",
    "Agent": "agents",
    "FineTune": "finetunes",
}
PREFIX_KINDS = {prefix: kind for kind, prefix in KIND_PREFIXES.items()}


@dataclass(eq=False)
class Artifact:
    """One artifact file; compared and hashed by identity."""

    path: Path
    rel: str
    text: str = ""
    parsed: ParsedYaml | None = None
    kind: str | None = None
    name: str | None = None
    load_problems: list[Finding] = field(default_factory=list)
    _schema_problems: list[Finding] | None = None

    @property
    def problems(self) -> list[Finding]:
        """Load problems, then schema errors. The schema is checked on first use, so a pre-commit run
        over one file validates that file and its neighbours, not the whole repository."""
        if self._schema_problems is None:
            self._schema_problems = []
            if self.kind is not None and self.parsed is not None and not self.load_problems:
                self._schema_problems = [
                    Finding(self.rel, self.position(error.path, key=error.at_key), "S001", error.message)
                    for error in schemas.validate(self.kind, self.data)
                ]
        return self.load_problems + self._schema_problems

    @property
    def valid(self) -> bool:
        """Parsed and schema-valid: rules may trust the shape of ``data``."""
        return self.parsed is not None and not self.problems

    @property
    def data(self) -> dict[str, Any]:
        if self.parsed is None or not isinstance(self.parsed.data, dict):
            return {}
        return self.parsed.data

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.data.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def position(self, path: JsonPath, *, key: bool = False) -> Position:
        if self.parsed is None:
            return Position(1, 1)
        return self.parsed.position_of(path, key=key)

    def position_in_string(self, path: JsonPath, offset: int) -> Position:
        """Where character ``offset`` of the string value at ``path`` is written in the file. Exact for
        plain and block scalars and for quoted strings without escapes; else the nearest line start."""
        scalar = self.parsed.scalar_at(path) if self.parsed is not None else None
        if scalar is None:
            return self.position(path)
        start, style = scalar
        value = self.data_at(path)
        before = value[:offset] if isinstance(value, str) else ""
        line_in_value, col_in_line = before.count("\n"), len(before) - (before.rfind("\n") + 1)
        if style in ("|", ">"):
            line = start.line + 1 + line_in_value
            lines = self.text.splitlines()
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            return Position(line, len(text) - len(text.lstrip()) + 1 + col_in_line)
        if line_in_value:
            return Position(start.line + line_in_value, 1)
        quote = 1 if style in ("'", '"') else 0
        return Position(start.line, start.col + quote + col_in_line)

    def data_at(self, path: JsonPath) -> Any:
        value: Any = self.data
        for part in path:
            value = value[part]
        return value


@dataclass
class Reference:
    """``source`` names ``target_name`` (an artifact of ``target_kind``, or a file) at path ``at``."""

    source: Artifact
    at: JsonPath
    target_kind: str
    target_name: str
    targets: list[Artifact] = field(default_factory=list)
    file: Path | None = None

    @property
    def is_file(self) -> bool:
        return self.target_kind == "file"

    @property
    def resolved(self) -> bool:
        if self.is_file:
            return self.file is not None and self.file.is_file()
        return bool(self.targets)


@dataclass
class Graph:
    root: Path
    project: Artifact | None
    artifacts: list[Artifact]
    references: list[Reference] = field(default_factory=list)
    by_name: dict[tuple[str, str], list[Artifact]] = field(default_factory=lambda: defaultdict(list))
    #: Files whose findings are wanted (None: all). Rules iterate these; the rest is read only when needed.
    scope: set[Path] | None = None

    def in_scope(self, artifact: Artifact) -> bool:
        return self.scope is None or artifact.path in self.scope

    def scoped(self) -> Iterator[Artifact]:
        return (artifact for artifact in self.artifacts if self.in_scope(artifact))

    def of_kind(self, kind: str, *, valid_only: bool = True, everywhere: bool = False) -> Iterator[Artifact]:
        """Artifacts of ``kind`` in scope (``everywhere``: in the whole repository), schema-valid ones only
        unless ``valid_only`` is false."""
        for artifact in self.artifacts:
            if artifact.kind != kind or not (everywhere or self.in_scope(artifact)):
                continue
            if not valid_only or artifact.valid:
                yield artifact

    def get(self, kind: str, name: str) -> Artifact | None:
        found = self.by_name.get((kind, name))
        return found[0] if found else None

    _outgoing: dict[Artifact, list[Reference]] = field(default_factory=lambda: defaultdict(list))
    _incoming: dict[Artifact, list[Artifact]] = field(default_factory=lambda: defaultdict(list))

    def add_reference(self, reference: Reference) -> None:
        self.references.append(reference)
        self._outgoing[reference.source].append(reference)
        for target in reference.targets:
            self._incoming[target].append(reference.source)

    def references_from(self, artifact: Artifact) -> list[Reference]:
        return self._outgoing.get(artifact, [])

    def referrers_of(self, artifact: Artifact) -> list[Artifact]:
        return self._incoming.get(artifact, [])
