"""Find, read, parse and validate every artifact of a repository into a :class:`Graph`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from llmops_ci.artifacts import schemas
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.references import link
from llmops_ci.artifacts.root import PROJECT_FILE as PROJECT_FILE
from llmops_ci.artifacts.root import find_root as find_root
from llmops_ci.artifacts.yamlsource import YamlProblem, parse_yaml
from llmops_ci.errors import ProjectConfigError
from llmops_ci.findings import Finding, Position

DEFAULT_INCLUDE = ("**/*.yaml", "**/*.yml")
DEFAULT_EXCLUDE = (
    ".git/**",
    ".llmops/**",
    "node_modules/**",
    ".venv/**",
    "venv/**",
    ".tox/**",
    ".nox/**",
    "**/__pycache__/**",
    "build/**",
    "dist/**",
)
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
_ARTIFACT_MARKER = re.compile(rb"^apiVersion:[ \t]*[\"']?llmops-ci/", re.M)


@dataclass
class ProjectConfig:
    root: Path
    artifact: Artifact | None = None
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def lint(self) -> dict[str, Any]:
        lint = self.spec.get("lint")
        return lint if isinstance(lint, dict) else {}

    @property
    def defaults(self) -> dict[str, Any]:
        defaults = self.spec.get("defaults")
        return defaults if isinstance(defaults, dict) else {}

    @property
    def declares_paths(self) -> bool:
        """llmops.yaml names its artifact paths: every YAML file there must then be an artifact."""
        return self.include != DEFAULT_INCLUDE

    @cached_property
    def _include(self) -> re.Pattern[str]:
        return _matcher(self.include)

    @cached_property
    def _exclude(self) -> re.Pattern[str]:
        return _matcher(self.exclude)

    def selects(self, path: Path) -> bool:
        """Whether the include globs select ``path`` and the exclude globs do not."""
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        return bool(self._include.match(relative)) and not self._exclude.match(relative)

    def excludes_directory(self, relative_dir: str) -> bool:
        return bool(self._exclude.match(f"{relative_dir}/x"))


def display_path(path: Path, root: Path) -> str:
    """Paths are shown relative to the working directory when below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()


def load_project(root: Path) -> ProjectConfig:
    config = ProjectConfig(root=root.resolve())
    path = config.root / PROJECT_FILE
    if not path.is_file():
        return config
    artifact = load_file(path, config.root, must_be_artifact=True, max_bytes=DEFAULT_MAX_FILE_BYTES)
    if artifact is not None and artifact.kind not in (None, "Project"):
        artifact.load_problems.insert(
            0,
            Finding(
                artifact.rel,
                artifact.position(("kind",)),
                "S001",
                f"{PROJECT_FILE} must be kind Project, found {artifact.kind!r}",
                hint="set kind: Project",
            ),
        )
    if artifact is None or artifact.problems:
        problems = artifact.problems if artifact is not None else []
        lines = [
            f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" + (f" ({p.hint})" if p.hint else "")
            for p in problems
        ] or [f"{path}: not a Project artifact"]
        raise ProjectConfigError(f"cannot read {PROJECT_FILE}:\n" + "\n".join(lines))
    config.artifact = artifact
    config.spec = artifact.spec
    paths = config.spec.get("paths", {})
    config.include = tuple(paths.get("include", DEFAULT_INCLUDE))
    config.exclude = DEFAULT_EXCLUDE + tuple(paths.get("exclude", ()))
    config.max_file_bytes = int(config.lint.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES))
    return config


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def _matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{_glob_regex(p.rstrip('/')).pattern})" for p in patterns))


def walk(config: ProjectConfig) -> Iterator[tuple[Path, list[str]]]:
    """Every directory under the root that the exclude globs leave in, with its file names (sorted)."""
    for directory, dirnames, filenames in os.walk(config.root):
        rel_dir = Path(directory).relative_to(config.root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not config.excludes_directory(prefix + d))
        yield Path(directory), sorted(filenames)


def discover(config: ProjectConfig) -> Iterator[Path]:
    """YAML files under the root that the Project's include globs select and exclude globs do not."""
    for directory, filenames in walk(config):
        for filename in filenames:
            path = directory / filename
            if path.suffix in YAML_SUFFIXES and config.selects(path):
                yield path


def _problem(artifact: Artifact, code: str, message: str, position: Position, hint: str = "") -> Artifact:
    artifact.load_problems.append(Finding(artifact.rel, position, code, message, hint=hint))
    return artifact


def _decode(artifact: Artifact, raw: bytes) -> str | None:
    if b"\x00" in raw:
        _problem(
            artifact,
            "Y002",
            "the file is binary, not YAML text",
            Position(1, 1),
            "artifacts are UTF-8 YAML text files",
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        _problem(
            artifact,
            "Y002",
            f"the file is not UTF-8 (byte 0x{raw[error.start]:02x})",
            Position(line, col),
            "save the file as UTF-8",
        )
        return None


def load_file(path: Path, root: Path, *, must_be_artifact: bool, max_bytes: int) -> Artifact | None:
    """One artifact with its load problems; ``None`` for a YAML file that is not an artifact.

    A file is an artifact when it starts a line with ``apiVersion: llmops-ci/``. Where llmops.yaml
    declares its artifact paths (``must_be_artifact``), every file there is held to be one, so an empty,
    binary or half-written file is reported instead of skipped.
    """
    artifact = Artifact(path=path.resolve(), rel=display_path(path, root))
    try:
        raw = path.read_bytes()
    except OSError as error:
        return _problem(artifact, "Y002", f"cannot read the file: {error.strerror}", Position(1, 1))
    if not must_be_artifact and not _ARTIFACT_MARKER.search(raw):
        return None
    if len(raw) > max_bytes:
        return _problem(
            artifact,
            "Y002",
            f"the file is {len(raw) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit",
            Position(1, 1),
            "keep large data in a cases_file or corpus; or raise lint.max_file_bytes",
        )
    text = _decode(artifact, raw)
    if text is None:
        return artifact
    artifact.text = text
    try:
        artifact.parsed = parse_yaml(text)
    except YamlProblem as problem:
        return _problem(artifact, problem.code, problem.message, problem.position, problem.hint)
    _check_envelope(artifact)
    return artifact


def _check_envelope(artifact: Artifact) -> None:
    data = artifact.parsed.data if artifact.parsed else None
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else "a single value"
        _problem(
            artifact,
            "Y002",
            f"the document is {found}, not a mapping",
            Position(1, 1),
            "an artifact is a mapping with apiVersion, kind, metadata and spec",
        )
        return
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if "apiVersion" not in data or "kind" not in data:
        missing = [key for key in ("apiVersion", "kind") if key not in data]
        _problem(
            artifact,
            "S001",
            f"missing required key {missing[0]!r}",
            Position(1, 1),
            f"start the file with apiVersion: {schemas.API_VERSION} and kind: one of "
            + ", ".join(schemas.KIND_SCHEMAS),
        )
        return
    if api_version != schemas.API_VERSION:
        _problem(
            artifact,
            "S001",
            f"unsupported apiVersion {api_version!r}",
            artifact.position(("apiVersion",)),
            f"this llmops-ci reads apiVersion: {schemas.API_VERSION}",
        )
    if kind not in schemas.KIND_SCHEMAS:
        hint = schemas.did_you_mean(str(kind), schemas.KIND_SCHEMAS)
        _problem(
            artifact,
            "S001",
            f"unknown kind {kind!r}{hint}",
            artifact.position(("kind",)),
            "kinds: " + ", ".join(schemas.KIND_SCHEMAS),
        )
        return
    artifact.kind = kind
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
        artifact.name = metadata["name"]


def load_graph(config: ProjectConfig, extra_files: Iterable[Path] = ()) -> Graph:
    """Every artifact of the project, plus ``extra_files`` (named on the command line) that lie outside
    its root; named files inside the root count only where the include/exclude globs select them."""
    seen: dict[Path, Artifact | None] = {}
    if config.artifact is not None:
        seen[config.artifact.path] = config.artifact
    for path in extra_files:
        resolved = path.resolve()
        if resolved not in seen and not _is_below(resolved, config.root):
            seen[resolved] = load_file(
                path, config.root, must_be_artifact=False, max_bytes=config.max_file_bytes
            )
    for path in discover(config):
        resolved = path.resolve()
        if resolved not in seen:
            seen[resolved] = load_file(
                path, config.root, must_be_artifact=config.declares_paths, max_bytes=config.max_file_bytes
            )
    artifacts = [artifact for artifact in seen.values() if artifact is not None]
    project = next((a for a in artifacts if a.path == (config.root / PROJECT_FILE).resolve()), None)
    graph = Graph(root=config.root, project=project, artifacts=artifacts)
    for artifact in artifacts:
        if artifact.kind and artifact.name:
            graph.by_name[(artifact.kind, artifact.name)].append(artifact)
    link(graph)
    return graph


def _is_below(path: Path, root: Path) -> bool:
    return root == path or root in path.parents
