"""Tag names and tag messages.

- Release: ``<prefix>/<name>@<x.y.z>`` (``prompts/invoice-classifier@1.4.0``); prefixes per kind from the
  artifact model (Prompt ``prompts``, GuardrailPolicy ``policies``, RagPipeline ``rag``, EvalSuite
  ``suites``).
- Promotion: ``promotions/<env>/<prefix>/<name>/<seq>`` with a 4-digit sequence
  (``promotions/prod/prompts/invoice-classifier/0007``); immutable, the highest sequence is live.

A message is readable text for people (``git show TAG``, ``git tag -n20``), then a marker line and one
line of JSON that llmops-ci reads back: the data is in the tag object itself, so it travels with
``git push --tags``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llmops_ci.artifacts.model import KIND_PREFIXES
from llmops_ci.errors import UsageError
from llmops_ci.release.git import TagInfo
from llmops_ci.release.versions import Version

#: Kinds that are released (Environment and Project are not).
RELEASE_PREFIXES: dict[str, str] = {
    kind: prefix for kind, prefix in KIND_PREFIXES.items() if kind not in ("Environment", "Project")
}
RELEASE_KINDS = {prefix: kind for kind, prefix in RELEASE_PREFIXES.items()}
#: Kinds eval results can target (records' ``target.kind``): only these can have evidence. A policy or a
#: suite is released and promoted without evidence (its fixtures and cases are checked by lint and eval).
EVAL_TARGET_KINDS = frozenset({"Prompt", "RagPipeline"})
PROMOTIONS = "promotions"
DATA_MARKER = "--- llmops-ci data (read by llmops-ci; do not edit) ---"
DATA_VERSION = 1

_NAME = r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?"
_PREFIX = "|".join(RELEASE_KINDS)
RELEASE_TAG = re.compile(
    rf"^(?P<prefix>{_PREFIX})/(?P<name>{_NAME})@(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$"
)
PROMOTION_TAG = re.compile(
    rf"^{PROMOTIONS}/(?P<env>{_NAME})/(?P<prefix>{_PREFIX})/(?P<name>{_NAME})/(?P<seq>\d{{4,}})$"
)


@dataclass(frozen=True)
class ArtifactKey:
    """A released artifact: kind and name (``prompts/x`` in tags; ``x`` or ``prompts/x`` as an argument)."""

    kind: str
    name: str

    @property
    def prefix(self) -> str:
        return RELEASE_PREFIXES[self.kind]

    def __str__(self) -> str:
        return f"{self.prefix}/{self.name}"

    def release_tag(self, version: Version | str) -> str:
        return f"{self.prefix}/{self.name}@{version}"

    def release_glob(self) -> str:
        return f"{self.prefix}/{self.name}@*"

    def promotion_prefix(self, env: str) -> str:
        return f"{PROMOTIONS}/{env}/{self.prefix}/{self.name}"

    def promotion_tag(self, env: str, sequence: int) -> str:
        return f"{self.promotion_prefix(env)}/{sequence:04d}"

    def env_keys(self) -> tuple[str, ...]:
        """How an Environment's ``releases`` may name it: ``prefix/name``, or the bare name for a prompt."""
        return (self.name, str(self)) if self.kind == "Prompt" else (str(self),)


def parse_artifact(text: str) -> ArtifactKey:
    """``name`` (a prompt) or ``prefix/name``; a kind name is accepted as the prefix too (``Prompt/x``)."""
    prefix, slash, name = text.strip().rpartition("/")
    kind = "Prompt"
    if slash:
        kind = RELEASE_KINDS.get(prefix) or (prefix if prefix in RELEASE_PREFIXES else "")
        if not kind:
            known = ", ".join(f"{p}/" for p in RELEASE_KINDS)
            raise UsageError(f"{text!r}: unknown artifact prefix {prefix!r} (use one of {known})")
    if not re.fullmatch(_NAME, name):
        raise UsageError(f"{text!r}: not an artifact name (lowercase letters, digits and '-')")
    return ArtifactKey(kind, name)


def parse_versioned(text: str) -> tuple[ArtifactKey, Version]:
    """``NAME@X.Y.Z``."""
    name, at, version = text.rpartition("@")
    if not at or not name:
        raise UsageError(f"{text!r}: expected NAME@VERSION, e.g. invoice-classifier@1.4.0")
    try:
        return parse_artifact(name), Version.parse(version)
    except ValueError as error:
        raise UsageError(f"{text!r}: {error}") from None


def message(title: str, lines: list[str], data: dict[str, Any]) -> str:
    body = "\n".join(lines)
    payload = json.dumps({"llmops_ci": DATA_VERSION, **data}, sort_keys=True, ensure_ascii=False)
    return f"{title}\n\n{body}\n\n{DATA_MARKER}\n{payload}\n"


def data_of(tag: TagInfo) -> dict[str, Any] | None:
    """The JSON a llmops-ci tag carries; None for a tag made by hand (or a lightweight tag)."""
    if not tag.annotated:
        return None
    lines = tag.message.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == DATA_MARKER and index + 1 < len(lines):
            try:
                data = json.loads(lines[index + 1])
            except json.JSONDecodeError:
                return None
            if isinstance(data, dict) and isinstance(data.get("llmops_ci"), int):
                return data
    return None
