"""Releases and promotions as git tags (ARCHITECTURE: "Results (as evidence) -> release/promote -> git tags").

- ``versions``: semantic versions.
- ``git``: every git call (subprocess, explicit argument lists), atomic ref transactions.
- ``tags``: tag names and the messages that carry the release and promotion data.
- ``bump``: the semantic diff of two versions of an artifact and the semver bump it calls for.
- ``evidence``: eval results for an exact content digest, and the gates they meet.
- ``environments``: Environment artifacts (gate, approvers, requires) and the textual edit of their file.
- ``releasing``: ``release plan`` and ``release tag``.
- ``promotion``: ``promote``, ``rollback``, ``history`` and what is live where.

Everything lives in git: no state outside the repository except the eval results, which are summarised
into the tag messages (they travel with ``git push --tags``; git notes do not by default).
"""

from __future__ import annotations

from llmops_ci.errors import LlmopsError


class ReleaseError(LlmopsError):
    """A refused release or promotion (exit 1), with the reason."""
