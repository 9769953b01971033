"""``llmops.lock``: what is live in some environments, with the released content, for deploy images
without ``.git``.

JSON (one format to parse, no YAML ambiguity; built in a fixed order, so a rebuild from the same tags
is byte-identical), validated by ``schemas/lock.schema.json``::

    {"lock_version": 1, "generated_by": "llmops-ci 0.1.0",
     "environments": {"prod": {"artifacts": {"prompts/invoice-classifier": {
         "kind": "Prompt", "name": "invoice-classifier",
         "promotion": "promotions/prod/prompts/invoice-classifier/0003", "sequence": 3,
         "live": [{"version": "1.4.0", "weight": 90}, {"version": "1.5.0", "weight": 10}],
         "versions": {"1.4.0": {"release_tag": "prompts/invoice-classifier@1.4.0", "commit": "<sha>",
                                "digest": "sha256:<12 hex>", "path": "prompts/invoice-classifier.yaml",
                                "files": {"llmops.yaml": "<sha256>", "prompts/...yaml": "<sha256>",
                                          "guardrails/pii-default.yaml": "<sha256>"}}}}}}},
     "blobs": {"<sha256 of the UTF-8 text>": "<the file's text>"}}

Each version lists every file its content digest depends on (the artifact, the policies and pipelines it
references, their ``terms_file``s, and llmops.yaml for the project defaults), by the sha256 of the text
kept once in ``blobs``. Reading a lock checks the schema, each blob against its sha256, and each served
version's content digest against the digest its release recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_ci.artifacts.digest import sha256_hex
from llmops_ci.runtime.errors import PromptLoadError
from llmops_ci.runtime.snapshot import Bundle, files_snapshot

if TYPE_CHECKING:
    from llmops_ci.release.ledger import Repository

LOCK_FILE = "llmops.lock"
LOCK_VERSION = 1
SCHEMA_FILE = "lock.schema.json"


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"  # built in a fixed order


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two locks that pin the same things (``generated_by`` aside)."""
    keys = ("lock_version", "environments", "blobs")
    return all(a.get(key) == b.get(key) for key in keys)


# --- building (needs git: the promotion tags and the release commits) -------------------------------------


def build(repo: Repository, envs: Sequence[str]) -> dict[str, Any]:
    """The lock of ``envs``: for each artifact promoted there, its live split and, per version with a
    weight above 0, the release's content. Raises ReleaseError when something cannot be pinned."""
    from llmops_ci import __version__
    from llmops_ci.release import ReleaseError
    from llmops_ci.release.environments import environment
    from llmops_ci.release.ledger import Promotion
    from llmops_ci.release.tags import PROMOTION_TAG, RELEASE_KINDS, ArtifactKey, data_of
    from llmops_ci.runtime.snapshot import Snapshot, commit_snapshot

    wanted = list(dict.fromkeys(envs))
    for env in wanted:
        environment(repo.graph, env)  # an unknown environment is misuse (exit 2)
    releases = {(release.key, str(release.version)): release for release in repo.releases()}
    latest: dict[tuple[str, ArtifactKey], Promotion] = {}
    for tag in repo.git.tags(*(f"promotions/{env}/" for env in wanted)):
        match = PROMOTION_TAG.match(tag.name)
        if match is None or match["env"] not in wanted:
            continue
        key = ArtifactKey(RELEASE_KINDS[match["prefix"]], match["name"])
        promotion = Promotion(key, match["env"], int(match["seq"]), tag, data_of(tag))
        current = latest.get((promotion.env, key))
        if current is None or promotion.sequence > current.sequence:
            latest[(promotion.env, key)] = promotion
    prefix = repo.git.relative(repo.root)
    snapshots: dict[str, Snapshot] = {}
    blobs: dict[str, str] = {}
    environments: dict[str, Any] = {}
    try:
        for env in wanted:
            artifacts: dict[str, Any] = {}
            for (env_name, key), promotion in sorted(latest.items(), key=lambda item: str(item[0][1])):
                if env_name != env:
                    continue
                if promotion.data is None:
                    raise ReleaseError(f"{promotion.tag.name} carries no llmops-ci data (made by hand?)")
                versions: dict[str, Any] = {}
                for part in promotion.live:
                    version = str(part["version"])
                    if float(part["weight"]) <= 0:
                        continue
                    release = releases.get((key, version))
                    if release is None or not release.digest:
                        raise ReleaseError(
                            f"{promotion.tag.name} makes {key}@{version} live, but there is no llmops-ci "
                            f"release tag {key.release_tag(version)} in this repository (fetch the tags)"
                        )
                    commit = release.tag.commit
                    try:
                        snapshot = snapshots.get(commit)
                        if snapshot is None:
                            snapshot = snapshots[commit] = commit_snapshot(
                                repo.git.top, prefix, commit, f"at commit {commit[:12]}"
                            )
                        bundle = snapshot.bundle(
                            key.kind, key.name, version, expected_digest=release.digest, with_files=True
                        )
                    except PromptLoadError as error:
                        raise ReleaseError(str(error)) from None
                    files = {}
                    for path, text in bundle.files.items():
                        digest = sha256_hex(text.encode("utf-8"))
                        blobs[digest] = text
                        files[path] = digest
                    versions[version] = {
                        "release_tag": release.tag.name,
                        "commit": commit,
                        "digest": bundle.digest,
                        "path": bundle.path,
                        "files": files,
                    }
                artifacts[str(key)] = {
                    "kind": key.kind,
                    "name": key.name,
                    "promotion": promotion.tag.name,
                    "sequence": promotion.sequence,
                    "live": promotion.live,
                    "versions": versions,
                }
            if not artifacts:
                raise ReleaseError(
                    f"nothing is promoted to {env} yet (llmops-ci promote NAME@X.Y.Z --to {env})"
                )
            environments[env] = {"artifacts": artifacts}
    finally:
        for snapshot in snapshots.values():
            snapshot.close()
    return {
        "lock_version": LOCK_VERSION,
        "generated_by": f"llmops-ci {__version__}",
        "environments": environments,
        "blobs": dict(sorted(blobs.items())),
    }


# --- reading (no git) --------------------------------------------------------------------------------


def find_lock(start: Path) -> Path | None:
    """``llmops.lock`` in ``start`` or the nearest directory above it."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / LOCK_FILE).is_file():
            return directory / LOCK_FILE
    return None


def _schema_errors(data: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    from llmops_ci.artifacts.schemas import load_schema_file

    validator = Draft202012Validator(load_schema_file(SCHEMA_FILE))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}" for error in errors[:5]]


@dataclass
class Lock:
    path: Path
    data: dict[str, Any]
    _bundles: dict[tuple[str, str, str], Bundle] = field(default_factory=dict, repr=False)

    @property
    def environments(self) -> list[str]:
        return sorted(self.data["environments"])

    def entry(self, env: str, ref: str) -> dict[str, Any] | None:
        """The locked artifact ``ref`` (``prompts/name``) in ``env``; raises when the env is not locked."""
        environments = self.data["environments"]
        if env not in environments:
            known = ", ".join(sorted(environments)) or "none"
            raise PromptLoadError(
                f"{self.path} does not lock environment {env!r} (it locks: {known}); "
                f"rebuild it with llmops-ci release lock --env {env}"
            )
        found = environments[env]["artifacts"].get(ref)
        return found if isinstance(found, dict) else None

    def bundle(self, env: str, ref: str, version: str) -> Bundle:
        """The locked content of ``ref`` at ``version`` in ``env``, its digest verified."""
        cache_key = (env, ref, version)
        if cache_key in self._bundles:
            return self._bundles[cache_key]
        entry = self.entry(env, ref)
        locked = entry["versions"].get(version) if entry else None
        if entry is None or locked is None:
            raise PromptLoadError(f"{self.path} holds no content for {ref}@{version} in {env}")
        blobs = self.data["blobs"]
        missing = [path for path, digest in locked["files"].items() if digest not in blobs]
        if missing:
            raise PromptLoadError(f"{self.path}: {ref}@{version}: no blob for {missing[0]} (a damaged lock)")
        files = {path: blobs[digest] for path, digest in locked["files"].items()}
        with files_snapshot(files, f"in {self.path} ({env})") as snapshot:
            bundle = snapshot.bundle(
                str(entry["kind"]), str(entry["name"]), version, expected_digest=str(locked["digest"])
            )
        bundle.commit = str(locked["commit"])
        bundle.release_tag = str(locked["release_tag"])
        self._bundles[cache_key] = bundle
        return bundle


def read(path: Path) -> Lock:
    """Parse and check a lock: JSON, its version, the schema, and every blob against its sha256."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PromptLoadError(f"{path}: cannot read the lock ({error.strerror})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise PromptLoadError(f"{path}: not a JSON lock file ({error})") from None
    if not isinstance(data, dict):
        raise PromptLoadError(f"{path}: not a lock file (a JSON object is expected)")
    version = data.get("lock_version")
    if isinstance(version, int) and version > LOCK_VERSION:
        raise PromptLoadError(
            f"{path}: lock_version {version} was written by a newer llmops-ci (this one reads "
            f"{LOCK_VERSION}): upgrade llmops-ci"
        )
    problems = _schema_errors(data)
    if problems:
        raise PromptLoadError(f"{path}: not a valid lock: " + "; ".join(problems))
    for digest, text in data["blobs"].items():
        if sha256_hex(text.encode("utf-8")) != digest:
            raise PromptLoadError(f"{path}: blob {digest[:12]} does not match its sha256 (edited by hand?)")
    return Lock(path, data)
