"""The ``pull_request`` event that started a workflow: ``GITHUB_EVENT_PATH`` holds its webhook payload.

Base and head commits come from the payload (``pull_request.base.sha`` / ``pull_request.head.sha``), never
from ``GITHUB_SHA``: for a pull request that is the merge commit of ``refs/pull/N/merge``, which is neither.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_ci.errors import UsageError

#: Events whose payload carries a ``pull_request`` object of the same shape.
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


class EventError(UsageError):
    """No usable pull-request event (exit 2): not in a workflow, another event, or a payload without the
    fields ``ci pr`` needs."""


@dataclass(frozen=True)
class PullRequestEvent:
    number: int
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    #: ``owner/name`` of the repository the pull request targets (where the comment goes)
    repository: str
    #: ``owner/name`` of the repository the head branch lives in (another one for a fork)
    head_repository: str | None
    html_url: str | None = None
    title: str | None = None
    action: str | None = None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repo(self) -> str:
        return self.repository.split("/", 1)[1]

    @property
    def from_fork(self) -> bool:
        """The head branch lives in another repository: GitHub then gives the workflow a read-only token
        (for ``pull_request``), so commenting fails with 403."""
        return self.head_repository is not None and self.head_repository != self.repository


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _at(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def parse_event(
    payload: Any, *, repository: str | None = None, source: str = "the event"
) -> PullRequestEvent:
    """The pull request of a webhook payload; ``repository`` (``GITHUB_REPOSITORY``) is the fallback for a
    payload without ``repository.full_name``."""
    pull = _at(payload, "pull_request")
    if not isinstance(pull, dict):
        raise EventError(
            f"{source} is not a pull_request event (no 'pull_request' object): run `llmops-ci ci pr` "
            "from a workflow triggered by pull_request"
        )
    number = pull.get("number", _at(payload, "number"))
    base_sha, head_sha = _text(_at(pull, "base", "sha")), _text(_at(pull, "head", "sha"))
    full_name = (
        _text(_at(pull, "base", "repo", "full_name"))
        or _text(_at(payload, "repository", "full_name"))
        or repository
    )
    missing = [
        name
        for name, value in (
            (
                "pull_request.number",
                number if isinstance(number, int) and not isinstance(number, bool) else None,
            ),
            ("pull_request.base.sha", base_sha),
            ("pull_request.head.sha", head_sha),
            ("repository.full_name", full_name if full_name and "/" in full_name else None),
        )
        if value is None
    ]
    if missing:
        raise EventError(f"{source}: the pull_request payload has no {', '.join(missing)}")
    assert isinstance(number, int) and base_sha and head_sha and full_name
    return PullRequestEvent(
        number=number,
        base_sha=base_sha,
        head_sha=head_sha,
        base_ref=_text(_at(pull, "base", "ref")) or "",
        head_ref=_text(_at(pull, "head", "ref")) or "",
        repository=full_name,
        head_repository=_text(_at(pull, "head", "repo", "full_name")),
        html_url=_text(pull.get("html_url")),
        title=_text(pull.get("title")),
        action=_text(_at(payload, "action")),
    )


def load_event(path: Path | None = None, env: Mapping[str, str] | None = None) -> PullRequestEvent:
    """The pull request of ``path`` (default ``$GITHUB_EVENT_PATH``)."""
    env = os.environ if env is None else env
    if path is None:
        name = env.get("GITHUB_EVENT_NAME")
        if name and name not in PULL_REQUEST_EVENTS:
            raise EventError(
                f"GITHUB_EVENT_NAME is {name!r}: `llmops-ci ci pr` runs on pull_request events "
                "(on: pull_request in the workflow)"
            )
        location = env.get("GITHUB_EVENT_PATH")
        if not location:
            raise EventError(
                "GITHUB_EVENT_PATH is not set: `llmops-ci ci pr` runs inside a GitHub Actions workflow "
                "(or give --event PAYLOAD.json)"
            )
        path = Path(location)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise EventError(f"cannot read the event payload {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise EventError(f"the event payload {path} is not JSON: {error}") from None
    return parse_event(payload, repository=env.get("GITHUB_REPOSITORY"), source=str(path))
