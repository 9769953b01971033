"""Weighted rollouts with a sticky key: a stable hash of (prompt name, key) puts each key at a point of
[0, 100), and the split's versions own consecutive ranges in the order the promotion lists them (the
stable version first, the canary last). So a key keeps its version for as long as the split stands, and
raising the canary's weight only moves keys from the stable version to the canary, never back.

``bucket`` is the point's whole part (0..99); the point itself has a resolution of 0.01, so fractional
weights (``--weight 2.5``) are honoured too. Without a key the choice is random, per load.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

Split = Sequence[dict[str, Any]]  # [{version, weight}]


def point(name: str, key: str) -> float:
    """Where ``key`` falls in [0, 100) for prompt ``name``: stable across processes, machines and
    Python versions (sha256, not ``hash()``)."""
    digest = hashlib.sha256(f"{name}\x00{key}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") % 10_000) / 100


def bucket(name: str, key: str) -> int:
    """The key's bucket, 0..99 (a key in bucket b gets the canary at weight w when b >= 100 - w)."""
    return int(point(name, key))


def choose(split: Split, at: float | None = None) -> str:
    """The version of ``split`` that owns point ``at`` (None: a random point)."""
    live = [part for part in split if float(part["weight"]) > 0]
    if not live:
        raise ValueError("the split has no version with a weight above 0")
    where = random.uniform(0, 100) if at is None else at
    total = sum(float(part["weight"]) for part in live)
    scaled = where * total / 100  # weights sum to 100 when written by promote; tolerate rounding
    cumulative = 0.0
    for part in live:
        cumulative += float(part["weight"])
        if scaled < cumulative:
            return str(part["version"])
    return str(live[-1]["version"])
