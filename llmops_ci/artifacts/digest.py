"""Content digests of artifacts (the contract in ARCHITECTURE.md): sha256 of the canonical JSON of the
parsed artifact (sorted keys; comments and formatting ignored), combined with the digests of what it
references (policies, pipeline, answer prompt, case files). Shown as ``sha256:`` + 12 hex."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from llmops_ci.artifacts.model import Artifact, Graph


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_hex(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def short(hex_digest: str) -> str:
    return f"sha256:{hex_digest[:12]}"


def artifact_digest(artifact: Artifact, graph: Graph, _seen: frozenset[int] = frozenset()) -> str:
    """Full hex digest; references are folded in sorted order, cycles cut at the repeated artifact."""
    parts = [sha256_hex(canonical_json(artifact.data))]
    seen = _seen | {id(artifact)}
    for reference in sorted(graph.references_from(artifact), key=lambda r: (r.target_kind, r.target_name)):
        if reference.is_file:
            content = reference.file.read_bytes() if reference.file and reference.file.is_file() else b""
            parts.append(f"file:{reference.target_name}:{sha256_hex(content)}")
        for target in reference.targets:
            if id(target) not in seen:
                parts.append(f"{target.ref}:{artifact_digest(target, graph, seen)}")
    return sha256_hex("\n".join(parts))
