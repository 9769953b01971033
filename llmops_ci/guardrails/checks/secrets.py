"""Secret detection: cloud and SaaS API keys, tokens, private key blocks and JWTs. Each pattern is
anchored on a fixed prefix, so scanning stays linear."""

from __future__ import annotations

import re
from collections.abc import Iterable

from llmops_ci.guardrails.checks import Detection

PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS_ACCESS_KEY": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    "GITHUB_TOKEN": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b"),
    "SLACK_TOKEN": re.compile(r"\bxox[abposr]-(?:\d+-)+[A-Za-z0-9-]{10,}"),
    "STRIPE_KEY": re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,99}\b"),
    "ANTHROPIC_KEY": re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}"),
    "OPENAI_KEY": re.compile(
        r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,200}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})\b"
    ),
    "GOOGLE_API_KEY": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "PRIVATE_KEY": re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"),
    "NPM_TOKEN": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "PYPI_TOKEN": re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
}
ENTITIES = tuple(PATTERNS)
_ANY = re.compile("|".join(f"(?P<{entity}>{pattern.pattern})" for entity, pattern in PATTERNS.items()))


def find(text: str, entities: Iterable[str] | None = None) -> list[Detection]:
    """Every secret in ``text``: one pass of a combined pattern, restricted to ``entities`` if given."""
    wanted = set(entities) if entities is not None else None
    found = []
    for match in _ANY.finditer(text):
        entity = match.lastgroup or ""
        if wanted is None or entity in wanted:
            found.append(Detection(entity, match.start(), match.end(), match.group()))
    return found
