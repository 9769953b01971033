"""``load_prompt``: which version of a prompt is live in an environment, and its released content.

Sources, in this order:

- ``lock=PATH`` (or ``$LLMOPS_LOCK``, or ``source="lock"``): the lock file (``llmops-ci release lock``);
  without a path, ``llmops.lock`` in the working directory or above it.
- ``source="git"``: the promotion tags of the repository holding the project.
- ``source="auto"`` (default): the tags when the project is in a git repository that has promotion tags;
  else the lock (a deploy image without ``.git``, or a clone without tags).

The tags are the one source of truth: the highest ``promotions/<env>/prompts/<name>/<seq>`` names the
live split, each version's release tag names its commit and digest, and the content served is the
project as of that commit (never the working tree), its digest checked against the release's. Without
``env``, the working tree's version is loaded (``version == "dev"``), for development.

Resolutions are kept for the life of the process (a promotion made meanwhile is picked up with
``reload=True``), so calling ``load_prompt(name, env, key=user_id)`` per request costs a hash.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from llmops_ci.artifacts.loader import find_root, load_project
from llmops_ci.errors import LlmopsError
from llmops_ci.runtime import lockfile, rollout
from llmops_ci.runtime.audit import DEFAULT_DIR as DEFAULT_AUDIT_DIR
from llmops_ci.runtime.audit import DEFAULT_KEEP_DAYS, AuditLog
from llmops_ci.runtime.errors import PromptLoadError
from llmops_ci.runtime.prompt import CallOptions, Prompt, SharedCache
from llmops_ci.runtime.snapshot import Bundle, commit_snapshot, working_tree_bundle

Source = Literal["auto", "git", "lock"]
DEFAULT_CACHE_DIR = ".llmops/cache"


@dataclass
class Resolved:
    """What is live for one prompt in one environment, every version of the split loaded."""

    name: str
    env: str | None
    source: str  # git | lock | working-tree
    promotion: str | None
    split: list[dict[str, object]]
    bundles: dict[str, Bundle]
    base: Path  # where relative defaults (.llmops/cache, .llmops/audit) live: the project, or the lock's dir


_resolved: dict[tuple[str, str, str, str], Resolved] = {}
_locks: dict[Path, tuple[float, lockfile.Lock]] = {}
_caches: dict[Path, SharedCache] = {}
_audits: dict[Path, AuditLog] = {}
_state = threading.RLock()


def clear() -> None:
    """Forget every resolution and lock read so far (the next ``load_prompt`` reads the tags again)."""
    with _state:
        _resolved.clear()
        _locks.clear()


def _prompt_name(name: str) -> str:
    from llmops_ci.release.tags import parse_artifact

    try:
        key = parse_artifact(name)
    except LlmopsError as error:
        raise PromptLoadError(str(error)) from None
    if key.kind != "Prompt":
        raise PromptLoadError(f"{name!r}: load_prompt loads prompts, not a {key.kind}")
    return key.name


def _git_top(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _has_promotions(top: Path) -> bool:
    try:
        done = subprocess.run(
            [
                "git",
                "--no-optional-locks",
                "-C",
                str(top),
                "for-each-ref",
                "--count=1",
                "refs/tags/promotions/",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def _from_git(root: Path, env: str, name: str) -> Resolved:
    from llmops_ci.release.ledger import Repository
    from llmops_ci.release.tags import ArtifactKey
    from llmops_ci.release.versions import Version

    try:
        repo = Repository(root)
        key = ArtifactKey("Prompt", name)
        promotion = repo.live(key, env)
        if promotion is None:
            raise PromptLoadError(
                f"prompt {name!r} is not promoted to {env!r}: no tag {key.promotion_prefix(env)}/<seq> "
                f"in {repo.git.top} (llmops-ci promote {name}@X.Y.Z --to {env})"
            )
        if promotion.data is None:
            raise PromptLoadError(f"{promotion.tag.name} carries no llmops-ci data (made by hand?)")
        split = [part for part in promotion.live if float(part["weight"]) > 0]
        prefix = repo.git.relative(repo.root)
        bundles: dict[str, Bundle] = {}
        for part in split:
            version = str(part["version"])
            release = repo.release(key, Version.parse(version))
            if release is None or not release.digest:
                raise PromptLoadError(
                    f"{promotion.tag.name} makes {version} live, but there is no llmops-ci release tag "
                    f"{key.release_tag(version)} (fetch the tags: git fetch --tags)"
                )
            commit = release.tag.commit
            with commit_snapshot(
                repo.git.top, prefix, commit, f"at {release.tag.name} ({commit[:12]})"
            ) as snapshot:
                bundle = snapshot.bundle("Prompt", name, version, expected_digest=release.digest)
            bundle.commit = commit
            bundle.release_tag = release.tag.name
            bundles[version] = bundle
    except PromptLoadError:
        raise
    except LlmopsError as error:  # not a git repository, a git failure, an unreadable llmops.yaml
        raise PromptLoadError(str(error)) from None
    return Resolved(name, env, "git", promotion.tag.name, split, bundles, repo.root)


def _lock(path: Path) -> lockfile.Lock:
    resolved = path.resolve()
    try:
        mtime = resolved.stat().st_mtime
    except OSError as error:
        raise PromptLoadError(f"{path}: cannot read the lock ({error.strerror})") from None
    with _state:
        known = _locks.get(resolved)
        if known is not None and known[0] == mtime:
            return known[1]
    lock = lockfile.read(resolved)
    with _state:
        _locks[resolved] = (mtime, lock)
    return lock


def _from_lock(path: Path, env: str, name: str) -> Resolved:
    lock = _lock(path)
    ref = f"prompts/{name}"
    entry = lock.entry(env, ref)
    if entry is None:
        locked = sorted(lock.data["environments"][env]["artifacts"])
        raise PromptLoadError(
            f"{lock.path}: prompt {name!r} is not locked in {env} (locked: {', '.join(locked) or 'nothing'})"
        )
    split = [dict(part) for part in entry["live"] if float(part["weight"]) > 0]
    bundles = {str(part["version"]): lock.bundle(env, ref, str(part["version"])) for part in split}
    return Resolved(name, env, "lock", str(entry["promotion"]), split, bundles, lock.path.parent)


def _remember(cache_key: tuple[str, str, str, str], make: Callable[[], Resolved], reload: bool) -> Resolved:
    with _state:
        if not reload and cache_key in _resolved:
            return _resolved[cache_key]
    resolved = make()
    with _state:
        _resolved[cache_key] = resolved
    return resolved


def _resolve(
    name: str, env: str, project: Path | None, lock: Path | None, source: Source, reload: bool
) -> Resolved:
    start = (project or Path.cwd()).resolve()
    lock_path = lock or (Path(os.environ["LLMOPS_LOCK"]) if os.environ.get("LLMOPS_LOCK") else None)
    if source == "auto" and lock_path is None:
        top = _git_top(start)
        if top is not None and (_has_promotions(top) or lockfile.find_lock(start) is None):
            source = "git"
        else:
            source = "lock"
    if source == "git":
        root = find_root(start) or start
        return _remember(("git", str(root), env, name), lambda: _from_git(root, env, name), reload)
    path = lock_path or lockfile.find_lock(start)
    if path is None:
        raise PromptLoadError(
            f"cannot resolve {name!r} in {env!r}: no git repository with promotion tags and no "
            f"{lockfile.LOCK_FILE} in {start} or above (build one with llmops-ci release lock --env {env}, "
            "or set LLMOPS_LOCK)"
        )
    return _remember(("lock", str(path.resolve()), env, name), lambda: _from_lock(path, env, name), reload)


def _shared_cache(directory: Path) -> SharedCache:
    from llmops_ci.eval.cache import ResponseCache

    directory = directory.resolve()
    with _state:
        shared = _caches.get(directory)
        if shared is None:
            shared = _caches[directory] = SharedCache(ResponseCache(directory))
            atexit.register(shared.close)
        return shared


def _audit_log(directory: Path, keep_days: int | None = DEFAULT_KEEP_DAYS) -> AuditLog:
    directory = directory.resolve()
    with _state:
        log = _audits.get(directory)
        if log is None:
            log = _audits[directory] = AuditLog(directory, keep_days=keep_days)
        return log


def _configured_audit(project_spec: dict[str, Any]) -> tuple[str | None, int | None]:
    """llmops.yaml's ``governance.audit`` (``dir``, ``keep_days``), where maturity, cost and monitor look."""
    governance = project_spec.get("governance")
    audit = governance.get("audit") if isinstance(governance, dict) else None
    if not isinstance(audit, dict):
        return None, DEFAULT_KEEP_DAYS
    keep = audit.get("keep_days")
    return audit.get("dir"), int(keep) if isinstance(keep, int) else DEFAULT_KEEP_DAYS


def _options(
    resolved: Resolved,
    bundle: Bundle,
    cache: bool | str | Path,
    audit: bool | str | Path | AuditLog | None,
    timeout: float,
    retries: int,
) -> CallOptions:
    shared = None
    if cache is True:
        spec = bundle.project_spec.get("cache")
        relative = spec.get("dir", DEFAULT_CACHE_DIR) if isinstance(spec, dict) else DEFAULT_CACHE_DIR
        shared = _shared_cache(resolved.base / relative)
    elif cache:
        shared = _shared_cache(Path(cache))
    log: AuditLog | None = None
    if isinstance(audit, AuditLog):
        log = audit
    elif audit is True:
        declared, keep_days = _configured_audit(bundle.project_spec)
        configured = os.environ.get("LLMOPS_AUDIT_DIR")
        directory = Path(configured) if configured else resolved.base / (declared or DEFAULT_AUDIT_DIR)
        log = _audit_log(directory, keep_days)
    elif audit:
        log = _audit_log(Path(audit))
    if retries < 0 or timeout <= 0:
        raise ValueError("retries must be at least 0 and timeout above 0")
    return CallOptions(timeout=timeout, retries=retries, cache=shared, audit=log, base_dir=resolved.base)


def load_prompt(
    name: str,
    env: str | None = None,
    *,
    key: str | None = None,
    project: str | Path | None = None,
    lock: str | Path | None = None,
    source: Source = "auto",
    cache: bool | str | Path = False,
    audit: bool | str | Path | AuditLog | None = True,
    timeout: float = 60.0,
    retries: int = 0,
    reload: bool = False,
) -> Prompt:
    """The prompt ``name`` as live in ``env`` (None: the working tree's version, ``dev``).

    - ``key``: a sticky key (a user or session id) for weighted rollouts: the same key gets the same
      version while the split stands. Without it a version is drawn at random, per call.
    - ``project``: the directory holding llmops.yaml (default: found above the working directory);
      ``lock``, ``source``: where to resolve from (see the module documentation).
    - ``cache``: ``True`` for the project's response cache (``spec.cache.dir``, default ``.llmops/cache``),
      or a directory; repeated identical requests are then answered without a model call.
    - ``audit``: ``True`` (default) for ``$LLMOPS_AUDIT_DIR`` or ``.llmops/audit`` under the project (the
      lock's directory for a lock), a directory, an :class:`AuditLog`, or ``False``.
    - ``timeout`` per request (a model's ``params.timeout`` wins), ``retries`` per model before its
      fallback is tried; ``reload``: read the tags (or the lock) again.
    """
    if source not in ("auto", "git", "lock"):
        raise ValueError(f"source must be auto, git or lock, not {source!r}")
    prompt_name = _prompt_name(name)
    project_path = Path(project) if project is not None else None
    if env is None:
        if lock is not None or source == "lock":
            raise PromptLoadError(
                "a lock pins environments: pass env= (without env, the working tree is loaded)"
            )
        start = (project_path or Path.cwd()).resolve()
        found = find_root(start)
        if found is None and project_path is None:
            raise PromptLoadError(
                f"no llmops.yaml in {start} or above: run inside the repository, or pass project=..."
            )
        root = found or start
        try:
            bundle = working_tree_bundle(load_project(root), "Prompt", prompt_name)
        except PromptLoadError:
            raise
        except LlmopsError as error:
            raise PromptLoadError(str(error)) from None
        split: list[dict[str, object]] = [{"version": "dev", "weight": 100}]
        resolved = Resolved(prompt_name, None, "working-tree", None, split, {"dev": bundle}, root)
    else:
        lock_path = Path(lock) if lock is not None else None
        resolved = _resolve(prompt_name, env, project_path, lock_path, source, reload)
    at = rollout.point(prompt_name, key) if key is not None else None
    version = rollout.choose(resolved.split, at)
    bundle = resolved.bundles[version]
    options = _options(resolved, bundle, cache, audit, timeout, retries)
    return Prompt(
        bundle,
        env=env,
        source=resolved.source,
        promotion=resolved.promotion,
        bucket=int(at) if at is not None else None,
        options=options,
    )
