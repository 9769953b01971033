"""A small client of GitHub's REST API (``GITHUB_API_URL``, GitHub Enterprise Server included): issue
comments, which is what a pull request's sticky comment needs.

- Authentication: ``Authorization: Bearer <token>``; the token is sent only to the API's own origin (a
  pagination ``Link`` pointing elsewhere is not followed) and never appears in a message.
- Retries: 5xx answers, 429, rate-limit 403s and network errors are retried ``retries`` times, waiting
  what ``Retry-After`` (or ``x-ratelimit-reset``) says, else ``backoff`` seconds doubling each time.
  POST is not retried here (a lost answer may hide a created comment): :func:`upsert_comment` retries
  the whole find-then-write instead, so a retried create finds the comment it made.
- Errors: :class:`GitHubApiError` with the status, GitHub's message and a sentence saying what to do
  (403 on a fork's read-only token, 404, 422 validation, 5xx after the retries).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from llmops_ci import __version__
from llmops_ci.errors import LlmopsError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
#: Retries after the first attempt (so 4 requests at most), and the first wait between them (doubling).
RETRIES = 3
BACKOFF_S = 1.0
#: The longest wait a Retry-After or rate-limit reset may ask for before we give up instead.
MAX_WAIT_S = 60.0
TIMEOUT_S = 30.0
PER_PAGE = 100
#: Pages of comments read at most while looking for the sticky one (100 a page).
MAX_PAGES = 100
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')
_MESSAGE_CHARS = 1000


class GitHubApiError(LlmopsError):
    """A request GitHub refused or that never got an answer; ``str()`` explains what to do."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        *,
        documentation_url: str | None = None,
        errors: list[Any] | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.errors = errors or []
        self.attempts = attempts
        self.retry_after = retry_after
        super().__init__(self.explain())

    @property
    def retryable(self) -> bool:
        """A later attempt may succeed: a server error, a rate limit, or no answer at all."""
        if self.status is None or self.status >= 500 or self.status == 429:
            return True
        return self.status == 403 and self.retry_after is not None

    def explain(self) -> str:
        what = f"{self.method} {self.path}"
        said = f": {self.message}" if self.message else ""
        details = "; ".join(_error_text(item) for item in self.errors[:5] if _error_text(item))
        if details:
            said += f" ({details})"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        hint = _HINTS.get(self.status or 0, "")
        if self.status is None:
            text = f"GitHub API unreachable{tries}: {what}{said}"
            hint = "Check GITHUB_API_URL and the runner's network"
        elif self.status >= 500:
            text = f"GitHub API error {self.status}{tries}: {what}{said}"
            hint = "GitHub had a problem; re-run the job later"
        else:
            text = f"GitHub API {self.status}{tries}: {what}{said}"
        if hint:
            text += f". {hint}"
        if self.documentation_url:
            text += f" (see {self.documentation_url})"
        return text


_HINTS = {
    401: "The token was refused: pass a valid token (the Action's `token` input, GITHUB_TOKEN)",
    403: (
        "The token may not write here. A pull request from a fork gets a read-only GITHUB_TOKEN; for "
        "pull requests from the same repository give the job `permissions: pull-requests: write`"
    ),
    404: (
        "Not found, or not visible to this token: check the repository, the pull request number and "
        "GITHUB_API_URL (a token without access to a private repository also gets 404)"
    ),
    410: "Gone: issues (and so pull-request comments) may be disabled for this repository",
    422: "GitHub refused the content (a comment body is limited to 65,536 characters)",
    429: "Rate limited: too many requests; re-run the job later",
}


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        if item.get("message"):
            return str(item["message"])
        return " ".join(str(item[key]) for key in ("field", "code") if item.get(key))
    return ""


@dataclass
class Response:
    status: int
    headers: Message
    data: Any

    def links(self) -> dict[str, str]:
        """The ``Link`` header's URLs by relation (``next``, ``last``, ...)."""
        header = self.headers.get("Link") or ""
        return {rel: url for url, rel in _LINK.findall(header)}


@dataclass
class GitHubClient:
    """Requests to one GitHub API (``api_url``) with one token."""

    token: str | None
    api_url: str = DEFAULT_API_URL
    retries: int = RETRIES
    backoff: float | None = None
    timeout: float = TIMEOUT_S
    sleep: Callable[[float], None] = time.sleep
    #: every request made (method, path): what a run cost in API calls
    log: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise LlmopsError(f"GITHUB_API_URL {self.api_url!r} is not an http(s) URL")
        self._origin = (parsed.scheme, parsed.netloc)

    # --- transport

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = path if "://" in path else self.api_url + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
                {key: value for key, value in params.items() if value is not None}
            )
        return url

    def _same_origin(self, url: str) -> bool:
        parsed = urllib.parse.urlsplit(url)
        return (parsed.scheme, parsed.netloc) == self._origin

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": MEDIA_TYPE,
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"llmops-ci/{__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if has_body:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        retry: bool | None = None,
    ) -> Response:
        """One API call (retried when ``retry``, by default for idempotent methods)."""
        url = self.url(path, params)
        if not self._same_origin(url):
            raise GitHubApiError(method, _shown(url), None, "refusing to send the token to another host")
        retry = method in _IDEMPOTENT if retry is None else retry
        attempts = 1 + (max(0, self.retries) if retry else 0)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        error: GitHubApiError | None = None
        for attempt in range(attempts):
            if attempt:
                assert error is not None
                self.sleep(self.wait_before(attempt, error))
            try:
                return self._send(method, url, data)
            except GitHubApiError as failure:
                failure.attempts = attempt + 1
                error = failure
                if not failure.retryable or (failure.retry_after or 0) > MAX_WAIT_S:
                    break
        assert error is not None
        raise GitHubApiError(
            error.method,
            error.path,
            error.status,
            error.message,
            documentation_url=error.documentation_url,
            errors=error.errors,
            attempts=error.attempts,
            retry_after=error.retry_after,
        )

    def wait_before(self, attempt: int, error: GitHubApiError) -> float:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...) after ``error``."""
        if error.retry_after is not None:
            return min(error.retry_after, MAX_WAIT_S)
        base = BACKOFF_S if self.backoff is None else self.backoff
        return float(min(base * 2 ** (attempt - 1), MAX_WAIT_S))

    def _send(self, method: str, url: str, data: bytes | None) -> Response:
        shown = _shown(url)
        self.log.append((method, shown))
        request = urllib.request.Request(
            url, data=data, method=method, headers=self._headers(data is not None)
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                raw = answer.read()
                return Response(answer.status, answer.headers, _json(raw))
        except urllib.error.HTTPError as failure:
            with failure:
                raw = failure.read()
            payload = _json(raw)
            info = payload if isinstance(payload, dict) else {}
            message = str(info.get("message") or failure.reason or "")
            raise GitHubApiError(
                method,
                shown,
                failure.code,
                message[:_MESSAGE_CHARS],
                documentation_url=_text(info.get("documentation_url")),
                errors=info.get("errors") if isinstance(info.get("errors"), list) else None,
                retry_after=_retry_after(failure.code, failure.headers, message),
            ) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as failure:
            reason = getattr(failure, "reason", failure)
            raise GitHubApiError(method, shown, None, str(reason) or type(failure).__name__) from None

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, page by page (``per_page`` 100), following ``Link: rel="next"``."""
        url: str | None = self.url(path, {"per_page": PER_PAGE, **(params or {})})
        pages = 0
        while url is not None and pages < MAX_PAGES:
            response = self.request("GET", url)
            pages += 1
            if not isinstance(response.data, list):
                raise GitHubApiError("GET", _shown(url), response.status, "expected a JSON list")
            yield from response.data
            url = response.links().get("next")
            if url is not None and not self._same_origin(url):
                raise GitHubApiError("GET", _shown(url), None, "the next page is on another host")

    # --- issue comments (a pull request is an issue)

    def list_issue_comments(self, repository: str, number: int) -> Iterator[dict[str, Any]]:
        yield from self.paginate(f"{_repo_path(repository)}/issues/{int(number)}/comments")

    def create_issue_comment(self, repository: str, number: int, body: str) -> dict[str, Any]:
        path = f"{_repo_path(repository)}/issues/{int(number)}/comments"
        return _object(self.request("POST", path, body={"body": body}))

    def update_issue_comment(self, repository: str, comment_id: int, body: str) -> dict[str, Any]:
        path = f"{_repo_path(repository)}/issues/comments/{int(comment_id)}"
        return _object(self.request("PATCH", path, body={"body": body}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: a redirected request would carry the token to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _repo_path(repository: str) -> str:
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name:
        raise LlmopsError(f"repository {repository!r} is not owner/name")
    return f"/repos/{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"


def _shown(url: str) -> str:
    """The URL's path and query, for messages (never credentials, never the host's userinfo)."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(response: Response) -> dict[str, Any]:
    if not isinstance(response.data, dict):
        raise GitHubApiError("?", "?", response.status, "expected a JSON object in the answer")
    return response.data


def _retry_after(status: int, headers: Message, message: str) -> float | None:
    """Seconds GitHub asks us to wait: ``Retry-After``, or the rate-limit reset; None when it asks nothing
    (a plain 403 is a permission problem, not a rate limit)."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    remaining = headers.get("x-ratelimit-remaining") if headers is not None else None
    if status in (403, 429) and (remaining == "0" or "rate limit" in message.lower()):
        reset = headers.get("x-ratelimit-reset")
        try:
            return max(0.0, float(reset) - time.time()) if reset is not None else BACKOFF_S
        except ValueError:
            return BACKOFF_S
    return None


# --- the sticky comment


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created" or "updated"
    id: int
    html_url: str


def find_comment(
    client: GitHubClient, repository: str, number: int, matches: Callable[[str], bool]
) -> dict[str, Any] | None:
    """The first comment (oldest first) whose body ``matches``."""
    for comment in client.list_issue_comments(repository, number):
        body = comment.get("body") if isinstance(comment, dict) else None
        if isinstance(body, str) and matches(body):
            return comment
    return None


def upsert_comment(
    client: GitHubClient,
    repository: str,
    number: int,
    body: str,
    matches: Callable[[str], bool],
) -> CommentResult:
    """Update the comment that ``matches`` (PATCH), else create it (POST): one comment however often it
    runs. A failed attempt that may succeed later starts over from the search, so a create whose answer
    was lost is found and updated rather than made twice."""
    attempts = 1 + max(0, client.retries)
    for attempt in range(attempts):
        try:
            found = find_comment(client, repository, number, matches)
            if found is not None and isinstance(found.get("id"), int):
                done = client.update_issue_comment(repository, int(found["id"]), body)
                action = "updated"
            else:
                done = client.create_issue_comment(repository, number, body)
                action = "created"
        except GitHubApiError as error:
            # GET and PATCH had their own retries; only a create whose outcome is unknown starts over
            if error.method != "POST" or not error.retryable or attempt + 1 >= attempts:
                raise
            client.sleep(client.wait_before(attempt + 1, error))
            continue
        return CommentResult(action, int(done.get("id") or 0), str(done.get("html_url") or ""))
    raise AssertionError("unreachable")  # pragma: no cover
