"""Guardrail policies as code: a deterministic, offline engine used at eval time, at runtime and on the
command line.

    from llmops_ci.guardrails import load_policy
    policy = load_policy("pii-default")
    verdict = policy.check_input(user_text)      # .verdict pass|warn|block, .text redacted, .findings
"""

from llmops_ci.guardrails.library import PolicyLibrary, PolicyLoadError, load_policy
from llmops_ci.guardrails.policy import Finding, Policy, PolicyError, Verdict, policy_from_spec

__all__ = [
    "Finding",
    "Policy",
    "PolicyError",
    "PolicyLibrary",
    "PolicyLoadError",
    "Verdict",
    "load_policy",
    "policy_from_spec",
]
