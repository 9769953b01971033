"""What the runtime raises. Every exception is an :class:`~llmops_ci.errors.LlmopsError` (one message,
no traceback needed to understand it); guardrail blocks and failed model calls carry the audit record's
id, because an audit record is written for them too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmops_ci.errors import EXIT_USAGE, LlmopsError

if TYPE_CHECKING:
    from llmops_ci.guardrails.policy import Verdict


class PromptLoadError(LlmopsError):
    """The prompt cannot be resolved or loaded: never promoted to that environment, no git and no lock,
    a digest that does not match what the release recorded, an invalid artifact or policy."""

    exit_code = EXIT_USAGE


class PromptInputError(LlmopsError, ValueError):
    """The inputs do not match the prompt's ``inputs`` schema, or a template failed to render."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class GuardrailBlocked(LlmopsError):
    """A guardrail policy blocked the input (before any model call) or the output (after it).

    ``verdict`` is the first blocking verdict (``.findings`` say which check fired on which span);
    ``verdicts`` are those of every policy at that scope; ``audit_id`` names the audit record."""

    def __init__(self, scope: str, verdicts: Sequence[Verdict], audit_id: str | None = None) -> None:
        blocking = [verdict for verdict in verdicts if verdict.blocked]
        self.scope = scope
        self.verdicts = list(verdicts)
        self.verdict: Verdict = blocking[0] if blocking else verdicts[0]
        self.audit_id = audit_id
        fired = sorted(
            {
                f"{finding.policy}/{finding.check} ({finding.entity})"
                for verdict in blocking
                for finding in verdict.findings
                if finding.action == "block"
            }
        )
        super().__init__(f"{scope} blocked by guardrail " + (", ".join(fired) or "policy"))


class ModelCallError(LlmopsError):
    """Every model (the prompt's model, then each fallback) failed. ``errors``: one dict per attempt,
    ``{model, kind, message}``, in order."""

    def __init__(self, errors: Sequence[dict[str, Any]], audit_id: str | None = None) -> None:
        self.errors = list(errors)
        self.audit_id = audit_id
        last = self.errors[-1] if self.errors else {"model": "?", "kind": "provider", "message": "no model"}
        tried = ", ".join(dict.fromkeys(str(error["model"]) for error in self.errors))
        super().__init__(
            f"the model call failed on every model ({tried}); last error: {last['kind']}: {last['message']}"
        )
