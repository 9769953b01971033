"""Replay of an unchanged run: when nothing a run depends on has changed since the last run that the cache
answered whole, its results are written again (with this run's id and git sha) instead of being made again.

A run served entirely from the response cache is a pure function of the project's files, the cache's
entries, the invocation and the installed software: the same requests find the same responses and
deterministic checks give the same verdicts. Such a run leaves a memo (``.llmops/memo/<key>.jsonl``): its
records and summary plus a manifest of what they came from, so the next identical invocation checks the
manifest (lists a few directories, digests a few files) instead of loading the graph, planning and checking
every case again.

The key covers the invocation (project root, suites, ``--model``, ``--shard``, ``--cache-dir``), this
llmops-ci (version; size and mtime of every file of the package and of its JSON Schemas, so an edited
checkout never replays an older build's verdicts), Python, every installed distribution (the names of the
``*.dist-info`` directories and their RECORD's size and mtime: an upgrade or a reinstall is a miss) and
where litellm's price table is. It is computed once per invocation, before the run. The manifest,
taken *before* the run reads each input and checked again when it ends (an input edited meanwhile leaves
no memo), covers:

- every directory the loader walks, by what it holds (a new subdirectory or YAML file there is a miss;
  other new files are not), and by content digest every YAML file there (an unreadable one as unreadable),
  ``llmops.yaml``, every suite's cases files, every guardrail ``terms_file``, the files local models'
  options name and litellm's price table. A checkout that rewrites a file with the same bytes still hits;
  no mtime of an input is trusted;
- the corpus of every RagPipeline a suite targets: every directory and file under it that is not hidden
  (what the corpus reader reads), files by content;
- the response cache: the listing of the cache's top directory and, by size and digest, every pack of the
  suites run (``--record``, a merge, a pack written by a concurrent run or a cleared cache are misses).

Never memoized: runs that made a model call or met a miss, interrupted or incomplete runs, runs over
budget, suites whose RagPipeline searches vectors (dense or hybrid: the vectors come from an embedding
cache) or that run ``python`` assertions, projects whose ``providers.local`` name their own Python classes
(user code), and ``--no-cache``/``--record``/``--dry-run`` invocations.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

MEMO_FORMAT = 2
MEMO_DIR = Path(".llmops") / "memo"
KEEP_MEMOS = 8  # the newest memos kept per project (one per distinct invocation)
YAML_SUFFIXES = (".yaml", ".yml")
#: directories the loader never walks (its default excludes): at the root, and anywhere
_EXCLUDED_AT_ROOT = frozenset(
    {".git", ".llmops", "node_modules", ".venv", "venv", ".tox", ".nox", "build", "dist"}
)
_EXCLUDED_ANYWHERE = frozenset({"__pycache__"})
#: record fragments that differ between two runs of the same calls; stored with these placeholders
_RUN_ID_HOLE = b'"run_id": "@@llmops-ci:run_id@@"'
_GIT_SHA_HOLE = b'"git_sha": "@@llmops-ci:git_sha@@"'
#: summary fields that describe the run, not its results
RUN_FACTS = ("run_id", "started_at", "finished_at", "git_sha", "results_dir", "toolkit_version")


@dataclass(frozen=True)
class Invocation:
    """What, besides the files, decides a run's records."""

    root: Path
    suites: Sequence[str]
    model: str | None
    shard: tuple[int, int] | None
    cache_dir: Path | None

    def key(self) -> str:
        """Computed once: the key a lookup used is the key a store uses, whatever was installed meanwhile."""
        return self._key

    @cached_property
    def _key(self) -> str:
        from llmops_ci import __version__
        from llmops_ci.providers.catalog import litellm_table_path

        payload = {
            "format": MEMO_FORMAT,
            "toolkit": __version__,
            "package": _package_stamp(),
            "libraries": _distributions(),
            "python": sys.version,
            "price_table": str(litellm_table_path()),
            "root": str(self.root),
            "suites": list(self.suites),
            "model": self.model,
            "shard": list(self.shard) if self.shard else None,
            "cache_dir": str(self.cache_dir.resolve()) if self.cache_dir else None,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def memo_path(root: Path, key: str) -> Path:
    return root / MEMO_DIR / f"{key}.jsonl"


def _stamped_dirs() -> tuple[Path, ...]:
    """This llmops-ci's package, and the JSON Schemas beside it in a source checkout (a wheel ships them
    inside the package; see ``llmops_ci.artifacts.schemas.schema_dir``)."""
    package = Path(__file__).resolve().parent.parent
    return (package,) if (package / "schemas").is_dir() else (package, package.parent / "schemas")


def _package_stamp() -> str:
    """Size and mtime of every file of this llmops-ci and of its schemas (a stat each, no reads)."""
    digest = hashlib.sha256()
    for top in _stamped_dirs():
        for directory, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                try:
                    stat = os.stat(os.path.join(directory, name))
                except OSError:
                    continue
                digest.update(f"{directory}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _distributions() -> list[str]:
    """The installed distributions with their versions (``name-1.2.dist-info``) and the size and mtime of
    each one's RECORD (a reinstall at the same version rewrites it), per site-packages directory on the
    path."""
    found: list[str] = []
    for entry in sys.path:
        if os.path.basename(entry) not in ("site-packages", "dist-packages"):
            continue
        try:
            names = [name for name in os.listdir(entry) if name.endswith(".dist-info")]
        except OSError:
            continue
        for name in names:
            try:
                stat = os.stat(os.path.join(entry, name, "RECORD"))
                found.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                found.append(name)
    return sorted(found)


# --- the manifest -----------------------------------------------------------------------------------


def file_entries(paths: Iterable[Path]) -> list[list[Any]]:
    """Each file by path, size and content digest (both None when it cannot be read)."""
    return [_file_entry(path) for path in paths]


def _file_entry(path: Path) -> list[Any]:
    try:
        data = path.read_bytes()
    except OSError:
        return [str(path), None, None]
    return [str(path), len(data), hashlib.sha256(data).hexdigest()]


def files_hold(entries: list[list[Any]]) -> bool:
    for path, size, digest in entries:
        try:
            if size is None:
                Path(path).read_bytes()
                return False  # readable now: its content was never seen
            if os.stat(path).st_size != size:
                return False
            if hashlib.sha256(Path(path).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            if size is not None:
                return False
    return True


#: how a directory's entries are compared: the project's root and its other walked directories (their
#: subdirectories and YAML files), or a RAG corpus directory (every entry not hidden)
_ROOT, _TREE, _CORPUS = "root", "tree", "corpus"


def _relevant_names(directory: Path, mode: str) -> list[str] | None:
    """What in a directory could change what a run reads (see the modes above); the loader never walks
    its default excludes, the corpus reader skips hidden entries."""
    skipped = _EXCLUDED_AT_ROOT | _EXCLUDED_ANYWHERE if mode == _ROOT else _EXCLUDED_ANYWHERE
    try:
        with os.scandir(directory) as entries:
            if mode == _CORPUS:
                return sorted(entry.name for entry in entries if not entry.name.startswith("."))
            return sorted(
                entry.name
                for entry in entries
                if entry.name not in skipped
                and (entry.name.endswith(YAML_SUFFIXES) or entry.is_dir(follow_symlinks=True))
            )
    except OSError:
        return None


def _listing(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


@dataclass
class Snapshot:
    """The project's walked directories (what each holds) and YAML files (their content), taken before a
    run loads them. Compared by listing and by content, never by mtime: a file rewritten within the
    filesystem's timestamp granularity must not pass for unchanged."""

    dirs: list[list[Any]]
    files: list[list[Any]]

    def holds(self) -> bool:
        return _dirs_hold(self.dirs) and files_hold(self.files)


def snapshot(walked: Iterable[tuple[Path, list[str]]], root: Path) -> Snapshot:
    """``walked``: the loader's walk of the project (directory, file names)."""
    dirs: list[list[Any]] = []
    files: list[list[Any]] = []
    for directory, filenames in walked:
        mode = _ROOT if directory == root else _TREE
        dirs.append([str(directory), mode, _relevant_names(directory, mode)])
        files += file_entries(directory / name for name in filenames if name.endswith(YAML_SUFFIXES))
    return Snapshot(dirs, files)


def corpus_snapshot(directory: Path) -> Snapshot:
    """A RAG corpus as its reader sees it (``llmops_ci.rag.corpus.corpus_files``): every directory and file
    not hidden under ``directory``, files by content."""
    dirs: list[list[Any]] = []
    files: list[list[Any]] = []
    for folder, subfolders, names in os.walk(directory):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        dirs.append([folder, _CORPUS, _relevant_names(Path(folder), _CORPUS)])
        files += file_entries(Path(folder) / name for name in sorted(names) if not name.startswith("."))
    if not dirs:  # missing: it must still be missing
        dirs.append([str(directory), _CORPUS, None])
    return Snapshot(dirs, files)


def _dirs_hold(dirs: list[list[Any]]) -> bool:
    return all(_relevant_names(Path(path), mode) == names for path, mode, names in dirs)


def cache_state(cache_dir: Path, groups: Iterable[str]) -> list[list[Any]]:
    """The cache as a run of these suites reads it: the top directory's listing and, by size and digest,
    every file of each suite's pack directory (an open pack grows; a finished one is never rewritten, but
    a hand edit must not go unseen)."""
    from llmops_ci.eval.cache import PACKS_DIR, group_dir_name

    cache_dir = cache_dir.resolve()
    state: list[list[Any]] = [[str(cache_dir), _listing(cache_dir)]]
    for group in sorted(set(groups)):
        directory = cache_dir / PACKS_DIR / group_dir_name(group)
        state.append([str(directory), file_entries(directory / name for name in _listing(directory))])
    return state


def _cache_holds(state: list[list[Any]]) -> bool:
    if not state:
        return False
    top, packs = state[0], state[1:]
    if _listing(Path(top[0])) != top[1]:
        return False
    for directory, entries in packs:
        names = [Path(entry[0]).name for entry in entries]
        if _listing(Path(directory)) != names or not files_hold(entries):
            return False
    return True


@dataclass
class Inputs:
    """Everything a run read, as it was before it read it (see the module docstring)."""

    project: Snapshot
    files: list[list[Any]]  # llmops.yaml, cases files, terms files, the price table
    cache: list[list[Any]]

    def hold(self) -> bool:
        return self.project.holds() and files_hold(self.files) and _cache_holds(self.cache)


# --- storing and replaying ----------------------------------------------------------------------------


@dataclass
class Memo:
    handle: BinaryIO  # open from the lookup on, so the records replayed are those of the manifest checked
    source_run: str
    default_runs_dir: str
    summary: dict[str, Any]
    count: int

    def close(self) -> None:
        self.handle.close()


_CHUNK = 1 << 22  # records are copied in blocks of whole lines: memory stays flat at 100,000 cases


def _copy_lines(source: BinaryIO, target: BinaryIO, pairs: Sequence[tuple[bytes, bytes]]) -> int | None:
    """Copy ``source`` to ``target`` line by line (in blocks of whole lines), replacing each ``(old, new)``
    of ``pairs``; the number of lines, or None when a line does not hold exactly one of each ``old`` or the
    last line is unfinished (then the target is garbage)."""
    lines, rest = 0, b""
    while True:
        block = source.read(_CHUNK)
        data = rest + block
        if not block:
            return None if data else lines
        end = data.rfind(b"\n") + 1
        whole, rest = data[:end], data[end:]
        count = whole.count(b"\n")
        for old, new in pairs:
            if whole.count(old) != count:
                return None
            whole = whole.replace(old, new)
        target.write(whole)
        lines += count


def _fragments(run_id: str, git_sha: str | None) -> tuple[bytes, bytes]:
    """How a record (``RecordWriter``'s JSON) spells its run id and git sha: unique to those keys, since a
    quote inside any JSON string is escaped."""
    return b'"run_id": ' + json.dumps(run_id).encode(), b'"git_sha": ' + json.dumps(git_sha).encode()


def store(
    *,
    root: Path,
    key: str,
    inputs: Inputs,
    default_runs_dir: Path,
    results_dir: Path,
    summary: dict[str, Any],
    count: int,
) -> bool:
    """Memoize a finished run (its records read back from ``results_dir``). False, and nothing written,
    when an input changed while it ran or its records do not read back as expected."""
    import tempfile

    from llmops_ci.eval.results import RECORDS_FILE

    if not inputs.hold():
        return False  # edited during the run: its results may not match the inputs
    manifest = {
        "format": MEMO_FORMAT,
        "key": key,
        "run_id": summary.get("run_id"),
        "default_runs_dir": str(default_runs_dir),
        "count": count,
        "dirs": inputs.project.dirs,
        "files": inputs.project.files + inputs.files,
        "cache": inputs.cache,
    }
    run_fragment, sha_fragment = _fragments(str(summary.get("run_id")), summary.get("git_sha"))
    path = memo_path(root, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".memo-", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as target, open(results_dir / RECORDS_FILE, "rb") as source:
            target.write(json.dumps(manifest, ensure_ascii=False).encode() + b"\n")
            target.write(json.dumps(summary, ensure_ascii=False).encode() + b"\n")
            holes = [(run_fragment, _RUN_ID_HOLE), (sha_fragment, _GIT_SHA_HOLE)]
            copied = _copy_lines(source, target, holes)
        if copied != count:
            raise ValueError("the records do not read back as written")
        os.replace(temporary, path)
    except (OSError, ValueError):
        Path(temporary).unlink(missing_ok=True)
        return False
    _prune(path.parent)
    return True


def _prune(directory: Path) -> None:
    try:
        memos = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in memos[KEEP_MEMOS:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def lookup(root: Path, key: str) -> Memo | None:
    """The memo of this invocation, open, when everything it depends on is as it was; else None. Its
    records are not read here (see :func:`replay`)."""
    try:
        handle = open(memo_path(root, key), "rb")  # noqa: SIM115  # kept open for replay
    except OSError:
        return None
    try:
        found = _checked(handle, key)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        found = None  # a damaged memo is only a miss
    if found is None:
        handle.close()
    return found


def _checked(handle: BinaryIO, key: str) -> Memo | None:
    manifest = json.loads(handle.readline())
    summary = json.loads(handle.readline())
    if not isinstance(manifest, dict) or manifest.get("format") != MEMO_FORMAT or manifest.get("key") != key:
        return None
    if not _a_summary(summary):
        return None
    unchanged = _dirs_hold(manifest["dirs"]) and files_hold(manifest["files"])
    if not unchanged or not _cache_holds(manifest["cache"]):
        return None
    return Memo(
        handle, str(manifest["run_id"]), str(manifest["default_runs_dir"]), summary, int(manifest["count"])
    )


def _a_summary(summary: Any) -> bool:
    return (
        isinstance(summary, dict)
        and isinstance(summary.get("suites"), list)
        and all(isinstance(suite, dict) for suite in summary["suites"])
        and isinstance(summary.get("passed"), bool)
        and summary.get("complete") is True
    )


def replay(memo: Memo, directory: Path, run_facts: dict[str, Any]) -> dict[str, Any] | None:
    """Write the memo's records into ``directory`` for this run and return its summary; None, with
    nothing left behind, when the memo's records turn out damaged. Closes the memo."""
    from llmops_ci.eval.results import RECORDS_FILE, write_summary

    run_fragment, sha_fragment = _fragments(str(run_facts["run_id"]), run_facts.get("git_sha"))
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    records = directory / RECORDS_FILE
    try:
        with open(records, "xb") as target:
            holes = [(_RUN_ID_HOLE, run_fragment), (_GIT_SHA_HOLE, sha_fragment)]
            copied = _copy_lines(memo.handle, target, holes)
    finally:
        memo.close()
    if copied != memo.count:
        records.unlink(missing_ok=True)
        if created:
            directory.rmdir()
        return None
    summary = dict(memo.summary)  # in the order a run writes it, with this run's facts
    summary.update({name: run_facts[name] for name in RUN_FACTS if name in run_facts})
    write_summary(directory, summary)
    return summary
