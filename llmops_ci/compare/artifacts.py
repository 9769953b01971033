"""Which fields of which artifacts changed between two git refs: ``llmops-ci diff --artifacts BASE HEAD``.

Each ref's YAML files are read straight from git (``git ls-tree`` + ``git cat-file --batch``: no
checkout, the working tree is not touched) into a temporary directory and loaded with the project's own
loader, so discovery (llmops.yaml's include/exclude globs, the ``apiVersion: llmops-ci/`` marker) is the
same as ``lint``'s. Artifacts are matched by (kind, name), so a moved file is a move, not a removal and an
addition. Their parsed data is compared with deepdiff; lists of mappings that all carry a distinct
``id`` (guardrail checks, suite cases) are compared by id rather than by position.

Reported per changed artifact: the fields that changed (path, base and head values), the prompt's
template text as a unified diff (and any other multi-line text), model and params changes, inputs added
or removed, guardrail checks added, removed or changed; plus the artifacts added and removed.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from llmops_ci.compare import DiffInputError
from llmops_ci.errors import ProjectConfigError

_VALUE_CHARS = 120
_YAML_SUFFIXES = (".yaml", ".yml")

Loaded = dict[tuple[str, str], tuple[str, dict[str, Any]]]


def _git(directory: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise DiffInputError("--artifacts needs git on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffInputError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


def _commit(directory: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise DiffInputError(f"--artifacts: {ref!r} is not a git ref")
    try:
        return (
            _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
            .decode()
            .strip()
        )
    except DiffInputError:
        raise DiffInputError(f"--artifacts: unknown git ref {ref!r} in {directory}") from None


def _yaml_blobs(directory: Path, commit: str, prefix: str) -> dict[str, bytes]:
    """Path (relative to ``prefix``) -> content of the YAML files of ``commit`` below ``prefix``."""
    listing = _git(directory, "ls-tree", "-r", "-z", "--full-tree", commit)
    wanted: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode not in ("100644", "100755") or not path.endswith(_YAML_SUFFIXES):
            continue
        if path.startswith(prefix):
            wanted.append((path[len(prefix) :], oid))
    if not wanted:
        return {}
    out = _git(directory, "cat-file", "--batch", stdin="".join(f"{oid}\n" for _, oid in wanted).encode())
    blobs: dict[str, bytes] = {}
    at = 0
    for path, _ in wanted:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        blobs[path] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return blobs


def artifacts_at(directory: Path, ref: str) -> tuple[str, Loaded, list[dict[str, str]]]:
    """(commit, artifacts by (kind, name) with their path and data, unreadable files) at ``ref`` for the
    project in ``directory`` (its llmops.yaml at that ref decides discovery)."""
    from llmops_ci.artifacts.loader import load_graph, load_project

    commit = _commit(directory, ref)
    prefix = _git(directory, "rev-parse", "--show-prefix").decode().strip()
    blobs = _yaml_blobs(directory, commit, prefix)
    artifacts: Loaded = {}
    unreadable: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="llmops-ci-diff-") as temporary:
        root = Path(temporary).resolve()
        for relative, content in blobs.items():
            parts = PurePosixPath(relative).parts
            if not parts or ".." in parts or PurePosixPath(relative).is_absolute():
                continue
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            config = load_project(root)
        except ProjectConfigError as error:
            raise DiffInputError(f"--artifacts {ref}: {error}") from None
        for artifact in load_graph(config).artifacts:
            relative = artifact.path.relative_to(root).as_posix()
            if artifact.kind is None or artifact.name is None or artifact.parsed is None:
                problem = artifact.load_problems[0].message if artifact.load_problems else "not an artifact"
                unreadable.append({"path": relative, "problem": problem})
                continue
            artifacts.setdefault((artifact.kind, artifact.name), (relative, artifact.data))
    return commit, artifacts, unreadable


def diff_artifacts(directory: Path, base_ref: str, head_ref: str) -> dict[str, Any]:
    """The artifact changes from ``base_ref`` to ``head_ref`` (a JSON-able dict) of the project holding
    ``directory`` (the nearest llmops.yaml at or above it in the working tree, else ``directory``)."""
    from llmops_ci.artifacts.loader import find_root

    directory = find_root(directory) or directory
    base_commit, base, base_unreadable = artifacts_at(directory, base_ref)
    head_commit, head, head_unreadable = artifacts_at(directory, head_ref)
    changed: list[dict[str, Any]] = []
    added: list[dict[str, str]] = []
    removed: list[dict[str, str]] = []
    for key in sorted(set(base) | set(head)):
        kind, name = key
        if key not in base:
            added.append({"kind": kind, "name": name, "path": head[key][0]})
        elif key not in head:
            removed.append({"kind": kind, "name": name, "path": base[key][0]})
        else:
            change = _artifact_change(kind, name, base[key], head[key], base_ref, head_ref)
            if change is not None:
                changed.append(change)
    return {
        "base_ref": base_ref,
        "head_ref": head_ref,
        "base_commit": base_commit,
        "head_commit": head_commit,
        "changed": changed,
        "added": added,
        "removed": removed,
        "unreadable": [{**item, "ref": head_ref} for item in head_unreadable]
        + [{**item, "ref": base_ref} for item in base_unreadable if item not in head_unreadable],
    }


def _keyed(value: Any) -> Any:
    """Lists of mappings with distinct ids become mappings keyed ``("#", id)``, recursively."""
    if isinstance(value, dict):
        return {key: _keyed(item) for key, item in value.items()}
    if isinstance(value, list):
        ids = [item.get("id") if isinstance(item, dict) else None for item in value]
        if (
            value
            and all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids)
            and len(set(ids)) == len(ids)
        ):
            return {("#", i): _keyed(item) for i, item in zip(ids, value, strict=True)}
        return [_keyed(item) for item in value]
    return value


def _path_text(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, tuple):
            text += f"[{part[1]}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _short(value: Any) -> str:
    text = json.dumps(_plain(value), ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return (
            [_plain(v) for v in value.values()]
            if all(isinstance(k, tuple) for k in value) and value
            else {str(k): _plain(v) for k, v in value.items()}
        )
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _area(parts: list[Any]) -> str:
    """What a change is about: template, model, params, inputs, checks, cases, metadata, or its key."""
    if not parts:
        return "document"
    if parts[0] != "spec" or len(parts) == 1:
        return str(parts[0])
    key = parts[1]
    if key == "messages":
        return "template"
    if key == "model":
        return "params" if len(parts) > 2 and parts[2] == "params" else "model"
    return str(key)


def _template_text(data: dict[str, Any]) -> list[str]:
    messages = data.get("spec", {}).get("messages")
    lines: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict):
            lines.append(f"[{message.get('role', '?')}]")
            lines.extend(str(message.get("content", "")).splitlines() or [""])
    return lines


def _unified(before: list[str], after: list[str], base_label: str, head_label: str) -> str:
    return "\n".join(difflib.unified_diff(before, after, fromfile=base_label, tofile=head_label, lineterm=""))


def _artifact_change(
    kind: str,
    name: str,
    base: tuple[str, dict[str, Any]],
    head: tuple[str, dict[str, Any]],
    base_ref: str,
    head_ref: str,
) -> dict[str, Any] | None:
    from deepdiff import DeepDiff

    (base_path, base_data), (head_path, head_data) = base, head
    if base_data == head_data and base_path == head_path:
        return None
    change: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "path": head_path,
        "moved_from": base_path if base_path != head_path else None,
        "areas": [],
        "template_diff": None,
        "text_diffs": [],
        "inputs_added": [],
        "inputs_removed": [],
        "checks_added": [],
        "checks_removed": [],
        "checks_changed": [],
        "fields": [],
    }
    areas: set[str] = set()
    if base_data.get("spec", {}).get("messages") != head_data.get("spec", {}).get("messages"):
        areas.add("template")
        change["template_diff"] = _unified(
            _template_text(base_data),
            _template_text(head_data),
            f"{base_ref}:{base_path}",
            f"{head_ref}:{head_path}",
        )
    tree = DeepDiff(_keyed(base_data), _keyed(head_data), view="tree")
    checks_changed: set[str] = set()
    for report, levels in tree.items():
        for level in levels:
            parts = list(level.path(output_format="list"))
            area = _area(parts)
            areas.add(area)
            if area == "template":
                continue
            kind_of = (
                "added"
                if report.endswith("_added")
                else "removed"
                if report.endswith("_removed")
                else "changed"
            )
            before, after = level.t1, level.t2
            if _inputs_key(parts, kind_of):
                change["inputs_added" if kind_of == "added" else "inputs_removed"].append(str(parts[3]))
                continue
            if (
                kind == "GuardrailPolicy"
                and len(parts) >= 3
                and parts[:2] == ["spec", "checks"]
                and isinstance(parts[2], tuple)
            ):
                check_id = str(parts[2][1])
                if len(parts) == 3 and kind_of in ("added", "removed"):
                    change[f"checks_{kind_of}"].append(check_id)
                    continue
                checks_changed.add(check_id)
            if (
                kind_of == "changed"
                and isinstance(before, str)
                and isinstance(after, str)
                and ("\n" in before or "\n" in after)
            ):
                change["text_diffs"].append(
                    {
                        "path": _path_text(parts),
                        "diff": _unified(before.splitlines(), after.splitlines(), base_ref, head_ref),
                    }
                )
                continue
            field: dict[str, Any] = {"path": _path_text(parts), "change": kind_of}
            if kind_of != "added":
                field["base"] = _short(before)
            if kind_of != "removed":
                field["head"] = _short(after)
            change["fields"].append(field)
    if change["moved_from"]:
        areas.add("path")
    change["checks_changed"] = sorted(
        checks_changed - set(change["checks_added"]) - set(change["checks_removed"])
    )
    change["fields"].sort(key=lambda f: f["path"])
    for key in ("inputs_added", "inputs_removed", "checks_added", "checks_removed"):
        change[key] = sorted(change[key])
    change["areas"] = sorted(areas)
    return change


def _inputs_key(parts: list[Any], kind_of: str) -> bool:
    """A template variable declared or dropped: spec.inputs.properties.<name> added or removed."""
    return kind_of != "changed" and len(parts) == 4 and parts[:3] == ["spec", "inputs", "properties"]
