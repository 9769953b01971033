"""## What it does
Runs a policy's `fixtures` — texts that must trigger a check or must pass — through the guardrail engine
and reports each one whose outcome differs from its `expect` (or, with `expect_text`, whose redacted or
masked text differs). A fixture naming a `check` judges that check alone; without one, the whole policy
at that scope. Fixtures of model-based checks (toxicity, llm_judge) run only in eval and are skipped.

## Why is this bad?
A policy that misses its own example is a policy that does not do what it says: the e-mail address it
promises to redact reaches the model. Fixtures make a guardrail change reviewable like code with tests.

## Example
```yaml
checks:
  - {id: cards, type: pii, entities: [CREDIT_CARD], scopes: {output: block}}
fixtures:
  - {check: cards, scope: output, text: "card 4111-1111-1111-1112", expect: block}   # fails Luhn
```

## Use instead
```yaml
fixtures:
  - {check: cards, scope: output, text: "card 4111-1111-1111-1111", expect: block}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_ci.guardrails.library import PolicyLibrary, PolicyLoadError
from llmops_ci.guardrails.policy import Policy, Verdict, mask
from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "G002"
NAME = "fixture-mismatch"
SEVERITY = Severity.ERROR
SUMMARY = "Guardrail policy fixture does not behave as its expect says"


def check(context: LintContext) -> Iterator[Hit]:
    policies = [a for a in context.graph.of_kind("GuardrailPolicy") if a.spec.get("fixtures")]
    if not policies:
        return
    library = PolicyLibrary(context.graph)
    for artifact in policies:
        try:
            policy = library.get(str(artifact.name))
        except PolicyLoadError:
            continue  # G003 / R001 / R003 report why it does not compile
        for index, fixture in enumerate(artifact.spec["fixtures"]):
            problem = _mismatch(policy, fixture)
            if problem:
                yield hit(artifact, ("spec", "fixtures", index), *problem)


def _mismatch(policy: Policy, fixture: dict[str, Any]) -> tuple[str, str] | None:
    check_id, scope, expect = fixture.get("check"), fixture["scope"], fixture["expect"]
    if check_id is not None:
        compiled = next((c for c in policy.checks if c.id == check_id), None)
        if compiled is None:
            known = ", ".join(c.id for c in policy.checks)
            return f"fixture names no check {check_id!r} of policy {policy.name!r}", f"checks: {known}"
        if compiled.model_based:
            return None
        if scope not in compiled.scopes:
            return (
                f"check {check_id!r} has no action for the {scope} scope",
                "add the scope or fix the fixture",
            )
    verdict = policy.check(fixture["text"], scope, only=check_id)
    outcome = _outcome(verdict, expect)
    if outcome != expect:
        return (
            f"expected {expect}, got {outcome}{_why(verdict)}",
            "fix the check, or the fixture if it is wrong",
        )
    expected_text = fixture.get("expect_text")
    if expected_text is not None and verdict.text != expected_text:
        return f"expected text {expected_text!r}, got {verdict.text!r}", "fix the check's action or mask_keep"
    return None


def _outcome(verdict: Verdict, expect: str) -> str:
    """``expect`` itself when a finding carries that action (or nothing fired for ``pass``), else the
    strongest action that fired."""
    actions = [finding.action for finding in verdict.findings]
    if not actions:
        return "pass"
    if expect in actions:
        return expect
    return max(actions, key=("log", "mask", "redact", "warn", "block").index)


def _why(verdict: Verdict) -> str:
    if not verdict.findings:
        return " (no check fired)"
    found = verdict.findings[0]
    return f" ({found.check} found {found.entity} {found.detail or repr(mask(found.text, 4))})"
