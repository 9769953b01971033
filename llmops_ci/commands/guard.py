"""``llmops-ci guard check`` (a policy on stdin or files) and ``llmops-ci guard checks`` (the check docs)."""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from llmops_ci.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from llmops_ci.guardrails.checks import CHECKS, load_check
from llmops_ci.guardrails.library import load_policy
from llmops_ci.guardrails.policy import SCOPES, Finding, Policy, Verdict, mask


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _describe(source: str, text: str, finding: Finding) -> str:
    line, col = _line_col(text, finding.start)
    shown = finding.detail or repr(mask(finding.text, 4))
    return f"{source}:{line}:{col}: {finding.action} {finding.check} {finding.entity} {shown}"


def _read(paths: Sequence[Path]) -> list[tuple[str, str]]:
    if not paths or [str(p) for p in paths] == ["-"]:
        return [("<stdin>", sys.stdin.read())]
    sources = []
    for path in paths:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UsageError(f"{path}: cannot read: {reason}") from None
    return sources


def _report(policy: Policy, scope: str, results: list[tuple[str, str, Verdict]], output_format: str) -> None:
    piped = results and results[0][0] == "<stdin>"
    if output_format == "json":
        document: dict[str, Any] = {
            "policy": policy.name,
            "scope": scope,
            "results": [
                {"source": source, **verdict.to_dict(), **({"text": verdict.text} if piped else {})}
                for source, _, verdict in results
            ],
        }
        click.echo(json.dumps(document, indent=2))
        return
    for source, text, verdict in results:
        for finding in verdict.findings:
            click.echo(_describe(source, text, finding), err=True)
        if piped and not verdict.blocked:
            click.echo(verdict.text, nl=False)
    skipped = [check.id for check in policy.model_checks if scope in check.scopes]
    if skipped:
        click.echo(f"note: model-based checks run only in eval, skipped here: {', '.join(skipped)}", err=True)
    worst = max((v.verdict for _, _, v in results), key=("pass", "warn", "block").index, default="pass")
    click.echo(f"{policy.name} ({scope}): {worst}", err=True)


def check(
    paths: Sequence[Path],
    *,
    policy_name: str,
    scope: str,
    project: Path | None,
    strict: bool,
    output_format: str,
) -> int:
    if scope not in SCOPES:
        raise UsageError(f"--scope must be one of {', '.join(SCOPES)}")
    policy = load_policy(policy_name, project)
    if not policy.applies_to(scope):
        raise UsageError(f"policy {policy_name!r} has no check for the {scope} scope")
    results = [(source, text, policy.check(text, scope)) for source, text in _read(paths)]
    _report(policy, scope, results, output_format)
    failing = {"block", "warn"} if strict else {"block"}
    return EXIT_FINDINGS if any(verdict.verdict in failing for _, _, verdict in results) else EXIT_OK


def checks(check_type: str | None) -> int:
    if check_type is None:
        for name in CHECKS:
            module = load_check(name)
            kind = "model-based" if getattr(module, "MODEL_BASED", False) else "deterministic"
            entities = ", ".join(getattr(module, "ENTITIES", ())) or "-"
            click.echo(f"{name:18} {kind:14} {entities}")
        return EXIT_OK
    if check_type not in CHECKS:
        from llmops_ci.artifacts.schemas import did_you_mean

        raise UsageError(f"unknown check type {check_type!r}{did_you_mean(check_type, CHECKS)}")
    click.echo(inspect.cleandoc(load_check(check_type).__doc__ or ""))
    return EXIT_OK
