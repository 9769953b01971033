"""The guardrail engine: a GuardrailPolicy compiled into detectors, applied to text per scope.

A check fires when its detector finds something in the text; what happens then is the action the check
declares for the scope: ``block`` (verdict block), ``warn`` (verdict warn), ``redact`` (the span becomes
``[ENTITY]``), ``mask`` (all but the last ``mask_keep`` characters, default 4 and at most half, become
``*``) or ``log`` (recorded only). The verdict is the strongest of the actions that fired:
block > warn > pass. Redaction and masking change the returned text and leave the verdict at pass.

Deterministic: no network, no model. Model-based checks (``MODEL_BASED`` modules) are compiled but not
run here; they are listed in ``Policy.model_checks`` for the eval engine, which runs them with a grader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from llmops_ci.guardrails.checks import (
    CHECKS,
    BuildContext,
    CheckError,
    Detection,
    Detector,
    load_check,
)

Scope = Literal["input", "output", "retrieval"]
SCOPES: tuple[Scope, ...] = ("input", "output", "retrieval")
ACTIONS = ("block", "redact", "mask", "warn", "log")
VERDICTS = ("pass", "warn", "block")
DEFAULT_MASK_KEEP = 4
_ACTION_VERDICT = {"block": "block", "warn": "warn", "redact": "pass", "mask": "pass", "log": "pass"}
_COMMON_KEYS = frozenset({"id", "type", "description", "scopes", "mask_keep"})


class PolicyError(ValueError):
    """A policy that cannot be compiled; ``check_index`` and ``key`` locate the problem in the file."""

    def __init__(
        self, policy: str, message: str, check_index: int | None = None, key: tuple[str | int, ...] = ()
    ):
        super().__init__(f"policy {policy!r}: {message}")
        self.policy = policy
        self.message = message
        self.check_index = check_index
        self.key = key


@dataclass(frozen=True)
class Finding:
    """A detection of one check, with the action its scope prescribes."""

    policy: str
    check: str
    check_type: str
    scope: str
    action: str
    entity: str
    start: int
    end: int
    text: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "policy": self.policy,
            "check": self.check,
            "type": self.check_type,
            "scope": self.scope,
            "action": self.action,
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
        }
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True)
class Verdict:
    """The result of a policy on one text: ``verdict`` (pass / warn / block), the transformed ``text``
    (redactions and masks applied) and every ``finding``."""

    scope: str
    verdict: str
    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.verdict == "block"

    @property
    def triggered(self) -> bool:
        return bool(self.findings)

    @property
    def modified(self) -> bool:
        return any(finding.action in ("redact", "mask") for finding in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "verdict": self.verdict,
            "modified": self.modified,
            "findings": [finding.to_dict() for finding in self.findings],
        }


@dataclass(frozen=True)
class CompiledCheck:
    policy: str
    id: str
    type: str
    scopes: Mapping[str, str]
    detector: Detector | None  # None for model-based checks
    mask_keep: int = DEFAULT_MASK_KEEP
    spec: Mapping[str, Any] = field(default_factory=dict)

    @property
    def model_based(self) -> bool:
        return self.detector is None


@dataclass(frozen=True)
class Policy:
    """A compiled policy; ``checks`` includes those inherited through ``extends`` (a check of the same id
    declared here replaces the inherited one)."""

    name: str
    checks: tuple[CompiledCheck, ...]

    @property
    def model_checks(self) -> tuple[CompiledCheck, ...]:
        return tuple(check for check in self.checks if check.model_based)

    def applies_to(self, scope: str) -> bool:
        return any(scope in check.scopes for check in self.checks)

    def check(self, text: str, scope: Scope = "input", *, only: str | None = None) -> Verdict:
        """Run every deterministic check that declares ``scope`` (or just check ``only``) on ``text``."""
        findings: list[Finding] = []
        scanned = _encodable(text)
        for compiled in self.checks:
            action = compiled.scopes.get(scope)
            if action is None or compiled.detector is None or (only is not None and compiled.id != only):
                continue
            findings.extend(
                _finding(compiled, scope, action, detection) for detection in compiled.detector.scan(scanned)
            )
        return self.verdict(text, scope, findings)

    def verdict(self, text: str, scope: str, findings: Iterable[Finding]) -> Verdict:
        """The verdict and transformed text that ``findings`` (of this policy's checks) make of ``text``;
        the eval engine calls it again after adding the findings of model-based checks."""
        ordered = sorted(findings, key=lambda finding: (finding.start, finding.end))
        verdict = max((_ACTION_VERDICT[f.action] for f in ordered), key=VERDICTS.index, default="pass")
        masks = {compiled.id: compiled.mask_keep for compiled in self.checks}
        return Verdict(scope, verdict, apply_actions(text, ordered, masks), tuple(ordered))

    def check_input(self, text: str) -> Verdict:
        return self.check(text, "input")

    def check_output(self, text: str) -> Verdict:
        return self.check(text, "output")

    def check_retrieval(self, chunks: Sequence[str]) -> list[Verdict]:
        """One verdict per retrieved chunk; a blocked chunk should be dropped before it reaches a prompt."""
        return [self.check(chunk, "retrieval") for chunk in chunks]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    """``text`` with lone surrogates (which no UTF-8 engine accepts, and which decoders of broken JSON
    or bytes let through) replaced by U+FFFD, one for one, so that spans still index the original."""
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def _finding(compiled: CompiledCheck, scope: str, action: str, detection: Detection) -> Finding:
    return Finding(
        policy=compiled.policy,
        check=compiled.id,
        check_type=compiled.type,
        scope=scope,
        action=action,
        entity=detection.entity,
        start=detection.start,
        end=detection.end,
        text=detection.text,
        detail=detection.detail,
    )


def mask(value: str, keep: int) -> str:
    """``value`` with all but its last ``keep`` characters replaced by ``*``; at most half of a short
    value is kept, so masking always hides something."""
    kept = min(keep, len(value) // 2)
    return "*" * (len(value) - kept) + (value[len(value) - kept :] if kept else "")


def apply_actions(text: str, findings: Iterable[Finding], mask_keep: Mapping[str, int]) -> str:
    """Apply redactions and masks; of overlapping spans the one starting first (then the longest) wins."""
    edits: list[Finding] = []
    for finding in sorted(
        (f for f in findings if f.action in ("redact", "mask")), key=lambda f: (f.start, -f.end)
    ):
        if not edits or finding.start >= edits[-1].end:
            edits.append(finding)
    pieces: list[str] = []
    position = 0
    for edit in edits:
        pieces.append(text[position : edit.start])
        span = text[edit.start : edit.end]
        pieces.append(
            f"[{edit.entity}]" if edit.action == "redact" else mask(span, mask_keep.get(edit.check, 4))
        )
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def compile_check(
    policy: str, spec: Mapping[str, Any], context: BuildContext, index: int | None = None
) -> CompiledCheck:
    """Compile one check entry; raises PolicyError for an unknown type or a bad configuration."""
    check_type = str(spec.get("type", ""))
    if check_type not in CHECKS:
        raise PolicyError(policy, f"check {spec.get('id')!r}: unknown type {check_type!r}", index, ("type",))
    module = load_check(check_type)
    try:
        built = module.build(spec, context)  # model-based modules only validate and return None
    except CheckError as exc:
        raise PolicyError(policy, f"check {spec.get('id')!r}: {exc.message}", index, exc.key) from None
    detector = None if getattr(module, "MODEL_BASED", False) else built
    return CompiledCheck(
        policy=policy,
        id=str(spec["id"]),
        type=check_type,
        scopes=dict(spec.get("scopes", {})),
        detector=detector,
        mask_keep=int(spec.get("mask_keep", DEFAULT_MASK_KEEP)),
        spec=spec,
    )


def unused_keys(spec: Mapping[str, Any]) -> list[str]:
    """Keys of a check entry that its type does not read (they would silently do nothing)."""
    check_type = spec.get("type")
    if check_type not in CHECKS:
        return []
    params: frozenset[str] = getattr(load_check(str(check_type)), "PARAMS", frozenset())
    return [key for key in spec if key not in _COMMON_KEYS | params and not key.startswith("x-")]


def policy_from_spec(
    name: str,
    spec: Mapping[str, Any],
    *,
    root: Path | None = None,
    parents: Sequence[Policy] = (),
) -> Policy:
    """Compile a policy from its ``spec`` mapping; ``parents`` are the compiled policies it extends."""
    context = BuildContext(root or Path.cwd())
    own = [compile_check(name, check, context, index) for index, check in enumerate(spec.get("checks", []))]
    own_ids = {check.id for check in own}
    inherited = [check for parent in parents for check in parent.checks if check.id not in own_ids]
    return Policy(name, tuple(_unique(inherited) + own))


def _unique(checks: list[CompiledCheck]) -> list[CompiledCheck]:
    seen: set[str] = set()
    kept = []
    for check in checks:
        if check.id not in seen:
            seen.add(check.id)
            kept.append(check)
    return kept
