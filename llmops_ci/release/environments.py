"""Environment artifacts: the gate a promotion must meet, who may promote (``approvers``), which
environments a version must be live in first (``requires``), and the textual edit of the file's
``releases`` for pull-request based GitOps (comments and layout elsewhere in the file are kept)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmops_ci.artifacts import schemas
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.yamlsource import YamlProblem, parse_yaml
from llmops_ci.errors import ProjectConfigError, UsageError
from llmops_ci.eval.metrics import METRICS
from llmops_ci.release import ReleaseError
from llmops_ci.release.git import Identity
from llmops_ci.release.tags import ArtifactKey

Split = list[dict[str, Any]]  # [{version, weight}], weights summing to 100


@dataclass
class Environment:
    artifact: Artifact

    @property
    def name(self) -> str:
        return str(self.artifact.name)

    @property
    def gate(self) -> dict[str, dict[str, float]]:
        gate = self.artifact.spec.get("gate")
        return gate if isinstance(gate, dict) else {}

    @property
    def approvers(self) -> list[str]:
        return [str(a) for a in self.artifact.spec.get("approvers", [])]

    @property
    def requires(self) -> list[str]:
        return [str(r) for r in self.artifact.spec.get("requires", [])]

    def approves(self, who: Identity, github_actor: str | None = None) -> bool:
        """No approvers: anyone. Else the git e-mail (any case), or ``@login`` for the GitHub actor."""
        if not self.approvers:
            return True
        allowed = {a.strip().lower() for a in self.approvers}
        if who.email.strip().lower() in allowed:
            return True
        return github_actor is not None and f"@{github_actor.lower()}" in allowed

    def declared(self, key: ArtifactKey) -> Split | None:
        """What the file's ``releases`` says for the artifact (a mirror of the tags, for GitOps)."""
        releases = self.artifact.spec.get("releases")
        if not isinstance(releases, dict):
            return None
        for name in key.env_keys():
            entry = releases.get(name)
            if isinstance(entry, dict):
                if "version" in entry:
                    return [{"version": str(entry["version"]), "weight": 100}]
                if isinstance(entry.get("rollout"), list):
                    return [{"version": str(r["version"]), "weight": r["weight"]} for r in entry["rollout"]]
        return None


def environment(graph: Graph, name: str) -> Environment:
    found = graph.get("Environment", name)
    if found is None:
        known = sorted(
            a.name for a in graph.of_kind("Environment", valid_only=False, everywhere=True) if a.name
        )
        raise UsageError(
            f"no Environment named {name!r}{schemas.did_you_mean(name, known)}"
            + (
                f" (known: {', '.join(known)})"
                if known
                else " (add environments/<name>.yaml, kind: Environment)"
            )
        )
    if found.problems:
        first = found.problems[0]
        raise ProjectConfigError(
            f"{first.path}:{first.line}:{first.col}: {first.code} {first.message} (fix the Environment first)"
        )
    env = Environment(found)
    for metric in env.gate:
        if metric not in METRICS:
            raise ProjectConfigError(
                f"{found.rel}: gate names unknown metric {metric!r}{schemas.did_you_mean(metric, METRICS)} "
                "(llmops-ci metrics lists them)"
            )
    return env


# --- the env file's releases -------------------------------------------------------------------------------


def entry_text(split: Split) -> str:
    """The flow-style YAML value of a releases entry."""
    if len(split) == 1:
        return f"{{version: {split[0]['version']}}}"
    items = ", ".join(f"{{version: {part['version']}, weight: {_number(part['weight'])}}}" for part in split)
    return f"{{rollout: [{items}]}}"


def entry_value(split: Split) -> dict[str, Any]:
    if len(split) == 1:
        return {"version": split[0]["version"]}
    return {"rollout": [{"version": p["version"], "weight": p["weight"]} for p in split]}


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_end(lines: list[str], start: int, parent_indent: int) -> int:
    """Index after the last line of the block that follows line ``start`` and is indented deeper than
    ``parent_indent`` (trailing blank and comment lines stay outside)."""
    end = start + 1
    last = start
    while end < len(lines):
        line = lines[end]
        if _is_content(line):
            if _indent(line) <= parent_indent:
                break
            last = end
        end += 1
    return last + 1


def _trailing_comment(line: str) -> str:
    match = re.search(r"\s+#[^'\"]*$", line)
    return match.group(0) if match else ""


def update_releases(text: str, key: ArtifactKey, split: Split) -> str:
    """``text`` (an Environment file) with ``spec.releases`` naming ``split`` for the artifact: the entry's
    lines are replaced (or one line added); the rest of the file is kept as written. The result is parsed
    again and must equal the intended data and be schema-valid."""
    try:
        parsed = parse_yaml(text)
    except YamlProblem as problem:
        raise ReleaseError(f"cannot edit the environment file: {problem.message}") from None
    data = parsed.data if isinstance(parsed.data, dict) else {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else None
    if spec is None:
        raise ReleaseError("cannot edit the environment file: it has no spec mapping")
    releases = spec.get("releases")
    existing = next((k for k in key.env_keys() if isinstance(releases, dict) and k in releases), None)
    entry_key = existing or key.env_keys()[0]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    value = entry_text(split)
    if existing is not None and ("spec", "releases", existing) in parsed.key_positions:
        line_no, col = parsed.key_positions[("spec", "releases", existing)]
        index = line_no - 1
        end = _block_end(lines, index, col - 1)
        head = lines[index][: col - 1]
        comment = _trailing_comment(lines[index]) if end == index + 1 else ""
        key_text = lines[index][col - 1 :].split(":", 1)[0]
        lines[index:end] = [f"{head}{key_text}: {value}{comment}\n"]
    elif isinstance(releases, dict) and ("spec", "releases") in parsed.key_positions:
        line_no, col = parsed.key_positions[("spec", "releases")]
        index = line_no - 1
        after_key = lines[index][col - 1 :].split(":", 1)[1] if ":" in lines[index][col - 1 :] else ""
        inline = after_key.split("#", 1)[0].strip()
        if inline and inline != "{}":  # a flow mapping with entries on the key's line: rewrite it whole
            merged = {**releases, entry_key: entry_value(split)}
            rendered = ", ".join(f"{k}: {_flow(v)}" for k, v in merged.items())
            lines[index] = (
                f"{lines[index][: col - 1]}releases: {{{rendered}}}{_trailing_comment(lines[index])}\n"
            )
        else:
            end = _block_end(lines, index, col - 1)
            children = [i for i in range(index + 1, end) if _is_content(lines[i])]
            indent = _indent(lines[children[0]]) if children else col - 1 + 2
            if inline == "{}":
                lines[index] = f"{lines[index][: col - 1]}releases:{_trailing_comment(lines[index])}\n"
            lines.insert(end, f"{' ' * indent}{entry_key}: {value}\n")
    elif ("spec",) in parsed.key_positions and "releases" not in spec:
        line_no, col = parsed.key_positions[("spec",)]
        index = line_no - 1
        after_key = lines[index][col - 1 :].split(":", 1)[1].split("#", 1)[0].strip()
        if after_key:
            raise ReleaseError("cannot edit the environment file: write its spec as a block mapping")
        end = _block_end(lines, index, col - 1)
        children = [i for i in range(index + 1, end) if _is_content(lines[i])]
        indent = _indent(lines[children[0]]) if children else col - 1 + 2
        lines.insert(end, f"{' ' * indent}releases:\n{' ' * (indent + 2)}{entry_key}: {value}\n")
    else:
        raise ReleaseError("cannot edit the environment file: spec.releases is not a mapping")
    result = "".join(lines)
    _verify(result, data, entry_key, entry_value(split))
    return result


def _flow(value: dict[str, Any]) -> str:
    if "version" in value:
        return f"{{version: {value['version']}}}"
    return entry_text(
        [{"version": str(r["version"]), "weight": r["weight"]} for r in value.get("rollout", [])]
    )


def _verify(result: str, before: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    try:
        after = parse_yaml(result).data
    except YamlProblem as problem:  # pragma: no cover - the edit keeps YAML valid
        raise ReleaseError(
            f"editing the environment file would break it ({problem.message}); edit it by hand"
        ) from None
    expected = {
        **before,
        "spec": {**before["spec"], "releases": {**(before["spec"].get("releases") or {}), key: value}},
    }
    if after != expected:
        raise ReleaseError(
            "cannot edit the environment file safely (unusual layout): update spec.releases by hand"
        )
    errors = list(schemas.validate("Environment", after))
    if errors:
        raise ReleaseError(f"the edited environment file would not be valid: {errors[0].message}")
