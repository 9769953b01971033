"""Load promoted prompts in applications, and call them with their guardrails, fallbacks, cache and audit.

    from llmops_ci import load_prompt

    prompt = load_prompt("invoice-classifier", env="prod", key=user_id)   # sticky in a weighted rollout
    prompt.version, prompt.digest                                        # "1.4.0", "sha256:..."
    messages = prompt.render(document=text)                              # chat messages
    result = prompt.complete(document=text)                              # or: await prompt.acomplete(...)
    result.text, result.model, result.cost_usd

- ``loader``: ``load_prompt``; what is live comes from the promotion tags, or from ``llmops.lock``.
- ``snapshot``: the released content (the project at the release commit, or as locked), digest-checked.
- ``lockfile``: build and read ``llmops.lock`` (``llmops-ci release lock``).
- ``rollout``: the sticky bucket of a key in a weighted split.
- ``prompt``: rendering and calling (guardrails, fallbacks, cache).
- ``audit``: the JSONL audit log (redacted, rotated, retained).
"""

from __future__ import annotations

from llmops_ci.runtime.audit import AuditLog
from llmops_ci.runtime.errors import GuardrailBlocked, ModelCallError, PromptInputError, PromptLoadError
from llmops_ci.runtime.loader import clear, load_prompt
from llmops_ci.runtime.prompt import Prompt, Result

__all__ = [
    "AuditLog",
    "GuardrailBlocked",
    "ModelCallError",
    "Prompt",
    "PromptInputError",
    "PromptLoadError",
    "Result",
    "clear",
    "load_prompt",
]
