"""Released content: the project's files as of a release commit (read from git) or as recorded in a lock,
put in a private temporary directory and loaded by the same loader as the working tree. So the digest is
computed by the same function that computed the one in the release tag, and policies compile exactly as
they did then (``terms_file`` included). The working tree is never read for a released version.

A :class:`Bundle` is one version of one artifact, ready to serve: its parsed data (with positions, for
error messages), its compiled guardrail policies, the project's ``spec`` (default model, local models),
and on request the text of every file its digest depends on (for ``llmops.lock``).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from llmops_ci.artifacts.digest import artifact_digest, short
from llmops_ci.artifacts.loader import PROJECT_FILE, YAML_SUFFIXES, ProjectConfig, load_graph, load_project
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.errors import ProjectConfigError
from llmops_ci.guardrails.library import PolicyLibrary, PolicyLoadError
from llmops_ci.guardrails.policy import Policy
from llmops_ci.runtime.errors import PromptLoadError

Reader = Callable[[Sequence[str]], dict[str, bytes]]


@dataclass
class Bundle:
    """One version of one artifact, ready to serve (``version`` is ``dev`` for the working tree)."""

    kind: str
    name: str
    version: str
    digest: str
    path: str  # relative to the project root, with forward slashes
    artifact: Artifact  # parsed, with positions; its file may be gone (a snapshot's temporary directory)
    policies: tuple[Policy, ...]
    project_spec: dict[str, Any]
    #: project-relative path -> text of every file the digest depends on (plus llmops.yaml); only when asked
    files: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    release_tag: str | None = None

    @property
    def spec(self) -> dict[str, Any]:
        return self.artifact.spec


def closure(graph: Graph, artifact: Artifact) -> tuple[list[Artifact], list[Path]]:
    """The artifact, what it references (transitively), and the files among those references: exactly
    what :func:`~llmops_ci.artifacts.digest.artifact_digest` reads."""
    seen: dict[int, Artifact] = {id(artifact): artifact}
    files: dict[Path, None] = {}
    stack = [artifact]
    while stack:
        current = stack.pop()
        for reference in graph.references_from(current):
            if reference.is_file:
                if reference.file is not None:
                    files[reference.file] = None
                continue
            for target in reference.targets:
                if id(target) not in seen:
                    seen[id(target)] = target
                    stack.append(target)
    return list(seen.values()), list(files)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _located(artifact: Artifact) -> str:
    problem = artifact.problems[0]
    return f"{problem.path}:{problem.line}:{problem.col}: {problem.code} {problem.message}"


def bundle_from_graph(
    graph: Graph,
    config: ProjectConfig,
    kind: str,
    name: str,
    version: str,
    *,
    expected_digest: str | None = None,
    where: str = "",
    with_files: bool = False,
    fetch: Callable[[list[str]], None] | None = None,
) -> Bundle:
    """The bundle of ``kind/name`` in ``graph``. ``expected_digest``: refuse content whose digest differs
    (what a release recorded). ``fetch``: called with the project-relative paths of referenced files not
    on disk yet (a snapshot reads them from git), before the digest is computed."""
    suffix = f" {where}" if where else ""
    artifact = graph.get(kind, name)
    if artifact is None:
        raise PromptLoadError(f"no {kind} named {name!r}{suffix}")
    if not artifact.valid:
        raise PromptLoadError(f"{_located(artifact)} ({kind} {name} {version}{suffix})")
    members, files = closure(graph, artifact)
    root = config.root
    if fetch is not None:
        missing = [rel for file in files if not file.exists() and (rel := _relative(file, root)) is not None]
        if missing:
            fetch(missing)
    digest = short(artifact_digest(artifact, graph))
    if expected_digest is not None and digest != expected_digest:
        raise PromptLoadError(
            f"{kind} {name} {version}: the content{suffix} has digest {digest}, but its release recorded "
            f"{expected_digest}; refusing to serve it"
        )
    policies: tuple[Policy, ...] = ()
    if kind == "Prompt":
        library = PolicyLibrary(graph)
        try:
            policies = tuple(library.get(str(policy)) for policy in artifact.spec.get("guardrails", []))
        except PolicyLoadError as error:
            raise PromptLoadError(f"{error} (guardrails of {kind} {name} {version}{suffix})") from None
    texts: dict[str, str] = {}
    if with_files:
        texts = _texts(config, members, files)
    return Bundle(
        kind=kind,
        name=name,
        version=version,
        digest=digest,
        path=_relative(artifact.path, root) or artifact.rel,
        artifact=artifact,
        policies=policies,
        project_spec=dict(config.spec),
        files=texts,
    )


def _texts(config: ProjectConfig, members: list[Artifact], files: list[Path]) -> dict[str, str]:
    root = config.root
    paths = [root / PROJECT_FILE] if (root / PROJECT_FILE).is_file() else []
    paths += [member.path for member in members]
    paths += [file for file in files if file.is_file()]
    texts: dict[str, str] = {}
    for path in paths:
        relative = _relative(path, root)
        if relative is None:
            raise PromptLoadError(f"{path}: referenced from the project but outside its directory {root}")
        try:
            texts[relative] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise PromptLoadError(f"{relative}: not UTF-8 text; cannot record it in a lock") from None
    return dict(sorted(texts.items()))


def materialize(files: Mapping[str, bytes | str], root: Path) -> None:
    """Write ``files`` (project-relative paths) below ``root``; refuses paths that would leave it."""
    for relative, content in files.items():
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise PromptLoadError(f"refusing to write {relative!r}: not a path inside the project")
        target = root.joinpath(*pure.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


class Snapshot:
    """A project reconstructed in a private temporary directory from ``names`` (its files) and ``read``
    (their content): llmops.yaml first, then the YAML files its globs select; referenced files are read
    when a bundle needs them. Use as a context manager, or :meth:`close` it."""

    def __init__(self, names: Sequence[str], read: Reader, *, origin: str) -> None:
        self.origin = origin
        self._read = read
        self._names = set(names)
        self._directory = tempfile.TemporaryDirectory(prefix="llmops-ci-snapshot-")
        self.root = Path(self._directory.name).resolve()
        try:
            if PROJECT_FILE in self._names:
                materialize(read([PROJECT_FILE]), self.root)
            try:
                self.config = load_project(self.root)
            except ProjectConfigError as error:
                raise PromptLoadError(f"{origin}: {error}") from None
            wanted = [
                name
                for name in sorted(self._names)
                if name != PROJECT_FILE
                and name.endswith(YAML_SUFFIXES)
                and self.config.selects(self.root / name)
            ]
            materialize(read(wanted), self.root)
            self.graph = load_graph(self.config)
        except BaseException:
            self.close()
            raise

    def _fetch(self, paths: list[str]) -> None:
        materialize(self._read([p for p in paths if p in self._names]), self.root)

    def bundle(
        self,
        kind: str,
        name: str,
        version: str,
        *,
        expected_digest: str | None = None,
        with_files: bool = False,
    ) -> Bundle:
        return bundle_from_graph(
            self.graph,
            self.config,
            kind,
            name,
            version,
            expected_digest=expected_digest,
            where=self.origin,
            with_files=with_files,
            fetch=self._fetch,
        )

    def close(self) -> None:
        self._directory.cleanup()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


# --- git: the files of a commit, with two git processes ------------------------------------------------


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def _git(top: Path, args: Sequence[str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(top), *args],
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise PromptLoadError("git is not on PATH (use a lock: llmops-ci release lock)") from None
    if done.returncode != 0:
        raise PromptLoadError(f"git {args[0]}: {_last_line(done.stderr)}")
    return done.stdout


class CommitFiles:
    """The files below ``prefix`` (the project directory, relative to the top of the repository) at
    ``commit``, named relative to the project directory."""

    def __init__(self, top: Path, prefix: str, commit: str) -> None:
        self.top = top
        self.prefix = "" if prefix in ("", ".") else prefix.rstrip("/") + "/"
        self.commit = commit

    def names(self) -> list[str]:
        out = _git(self.top, ["ls-tree", "-r", "-z", "--name-only", self.commit, "--", self.prefix or "."])
        names = []
        for raw in out.split(b"\0"):
            name = raw.decode("utf-8", "surrogateescape")
            if name and name.startswith(self.prefix) and "\n" not in name:
                names.append(name[len(self.prefix) :])
        return names

    def read(self, paths: Sequence[str]) -> dict[str, bytes]:
        """The content of each path that exists at the commit (a blob), in one ``git cat-file --batch``."""
        wanted = [path for path in dict.fromkeys(paths) if "\n" not in path]
        if not wanted:
            return {}
        request = "".join(f"{self.commit}:{self.prefix}{path}\n" for path in wanted)
        out = _git(self.top, ["cat-file", "--batch"], request.encode("utf-8", "surrogateescape"))
        found: dict[str, bytes] = {}
        position = 0
        for path in wanted:
            end = out.find(b"\n", position)
            if end == -1:
                break
            header = out[position:end].split()
            position = end + 1
            if len(header) != 3 or not header[2].isdigit():
                continue  # "<name> missing" (or ambiguous): absent at the commit
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = out[position : position + size]
            position += size + 1
        return found


def commit_snapshot(top: Path, prefix: str, commit: str, origin: str) -> Snapshot:
    files = CommitFiles(top, prefix, commit)
    return Snapshot(files.names(), files.read, origin=origin)


def files_snapshot(files: Mapping[str, str], origin: str) -> Snapshot:
    encoded = {path: text.encode("utf-8") for path, text in files.items()}
    return Snapshot(
        list(encoded), lambda paths: {p: encoded[p] for p in paths if p in encoded}, origin=origin
    )


def working_tree_bundle(config: ProjectConfig, kind: str, name: str) -> Bundle:
    """The working tree's version of an artifact (``dev``), for development."""
    graph = load_graph(config)
    return bundle_from_graph(graph, config, kind, name, "dev", where=f"in {config.root} (working tree)")
