"""A local fake of GitHub's REST API for pull-request comments (standard library + jsonschema).

It serves issue comments the way api.github.com does, records every request, and checks each one against
the REST API description (``../shared/oracles/github-rest-openapi-subset``, the octokit OpenAPI document
cut to the endpoints llmops-ci uses)::

    with GitHubServer(token="t0k3n") as github:      # or the ``github`` fixture of a test module
        client = GitHubClient("t0k3n", github.url)   # GITHUB_API_URL=github.url
        github.add_comment("octo/repo", 2, "hello")  # comments that were there before
        github.fail_next(500)                        # the next request gets a 500 (then success)
        github.fail_next(403, method="POST")         # the next POST gets a 403
        ...
        assert github.comments("octo/repo", 2) == [...]
        assert [r.method for r in github.requests] == ["GET", "POST"]
        assert not github.errors                     # requests GitHub would have refused

Endpoints (method and path templates taken from the description when it is there): list issue comments
(``per_page`` (max 100) / ``page``, a ``Link`` header with ``next``/``last``/``first``/``prev``), create,
get, update and delete a comment. Anything else answers 404 and is recorded as an error.

Checks, each recorded in :attr:`GitHubServer.errors` when it fails (the ``github`` fixtures fail the test):
an ``Authorization: Bearer|token <token>`` header (else 401, GitHub's answer), a ``User-Agent`` (GitHub
refuses requests without one with 403), an ``Accept`` of JSON, ``X-GitHub-Api-Version: 2022-11-28`` when
given, path parameters of the declared type (integers), only declared query parameters with declared
types, and a JSON request body (``Content-Type: application/json``) valid against the operation's
``requestBody`` schema (else 422, as GitHub answers). A body over 65,536 characters gets GitHub's 422
(that one is GitHub's rule, not a client error, so it is not recorded as one).

Faults (:meth:`GitHubServer.fail_next`) answer the next matching request with an error status and
GitHub's error body (``message``, ``documentation_url``; ``errors`` for 422), optionally ``Retry-After``.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import threading
import traceback
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from jsonschema import Draft7Validator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORACLES = PROJECT_ROOT.parent / "shared" / "oracles"
OPENAPI_PATH = ORACLES / "github-rest-openapi-subset" / "api.github.com.subset.json"
API_VERSION = "2022-11-28"
BODY_LIMIT = 65_536
DOCS = "https://docs.github.com/rest"
Json = dict[str, Any]

#: Used when the OpenAPI description is not there: the operations this fake serves, as it declares them.
_BUILTIN_OPERATIONS: dict[tuple[str, str], Json] = {
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): {
        "operationId": "issues/list-comments",
        "parameters": [
            {"name": "owner", "in": "path", "schema": {"type": "string"}},
            {"name": "repo", "in": "path", "schema": {"type": "string"}},
            {"name": "issue_number", "in": "path", "schema": {"type": "integer"}},
            {"name": "since", "in": "query", "schema": {"type": "string"}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer"}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}},
        ],
    },
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): {
        "operationId": "issues/create-comment",
        "parameters": [
            {"name": "owner", "in": "path", "schema": {"type": "string"}},
            {"name": "repo", "in": "path", "schema": {"type": "string"}},
            {"name": "issue_number", "in": "path", "schema": {"type": "integer"}},
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"body": {"type": "string"}},
                        "required": ["body"],
                    }
                }
            },
        },
    },
}
_COMMENT_PARAMETERS = [
    {"name": "owner", "in": "path", "schema": {"type": "string"}},
    {"name": "repo", "in": "path", "schema": {"type": "string"}},
    {"name": "comment_id", "in": "path", "schema": {"type": "integer"}},
]
_COMMENT_PATH = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
_BUILTIN_OPERATIONS[("get", _COMMENT_PATH)] = {
    "operationId": "issues/get-comment",
    "parameters": _COMMENT_PARAMETERS,
}
_BUILTIN_OPERATIONS[("patch", _COMMENT_PATH)] = {
    "operationId": "issues/update-comment",
    "parameters": _COMMENT_PARAMETERS,
    "requestBody": _BUILTIN_OPERATIONS[("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments")][
        "requestBody"
    ],
}
_BUILTIN_OPERATIONS[("delete", _COMMENT_PATH)] = {
    "operationId": "issues/delete-comment",
    "parameters": _COMMENT_PARAMETERS,
}


# --- the API description ----------------------------------------------------------------------------


def openapi_nullable(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes a ``null`` type (or alternative)."""
    if isinstance(schema, list):
        return [openapi_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: openapi_nullable(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@dataclass
class ApiDescription:
    """Operations by (method, path template), and validators for the schemas they name."""

    operations: dict[tuple[str, str], Json]
    components: Json = field(default_factory=dict)
    source: str = "built-in"

    @classmethod
    def load(cls, path: Path = OPENAPI_PATH) -> ApiDescription:
        if not path.is_file():
            return cls(dict(_BUILTIN_OPERATIONS))
        document = json.loads(path.read_text(encoding="utf-8"))
        operations = {
            (method, template): operation
            for template, item in document["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation
        }
        return cls(operations, openapi_nullable(document.get("components", {})), str(path))

    def _resolve(self, node: Json) -> Json:
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/"):
            target: Any = self.components
            for part in reference[len("#/components/") :].split("/"):
                target = target[part]
            return dict(target)
        return node

    def parameters(self, operation: Json) -> list[Json]:
        return [self._resolve(parameter) for parameter in operation.get("parameters", [])]

    def validator(self, schema: Json) -> Draft7Validator:
        return Draft7Validator({**openapi_nullable(schema), "components": self.components})

    def request_schema(self, operation: Json) -> Json | None:
        content = (operation.get("requestBody") or {}).get("content", {})
        schema = (content.get("application/json") or {}).get("schema")
        return schema if isinstance(schema, dict) else None

    def response_schema(self, operation: Json, status: int) -> Json | None:
        response = self._resolve((operation.get("responses") or {}).get(str(status)) or {})
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        return schema if isinstance(schema, dict) else None

    def route(self, method: str, path: str) -> tuple[str, Json, dict[str, str]] | None:
        for (op_method, template), operation in self.operations.items():
            if op_method != method.lower():
                continue
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            match = re.match(pattern, path)
            if match:
                return template, operation, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        return None


# --- recorded requests and faults ----------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0
    operation: str | None = None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class Fault:
    status: int
    method: str | None = None
    path: str | None = None  # a regex searched in the request path
    message: str | None = None
    retry_after: float | None = None
    errors: list[Json] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    410: "Gone",
    422: "Validation Failed",
    429: "API rate limit exceeded",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def simple_user(login: str, user_id: int, kind: str = "User") -> Json:
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": base64.b64encode(f"04:User{user_id}".encode()).decode(),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "site_admin": False,
    }


BOT = simple_user("github-actions[bot]", 41898282, "Bot")


# --- the server ------------------------------------------------------------------------------------------


class GitHubServer:
    """The fake API on 127.0.0.1 (port 0: any free one), served from a background thread.

    ``token``: the token requests must carry (``None``: any, but one must be there). ``repositories``:
    when set, the only ``owner/name`` that exist (others 404). ``poster``: who new comments are by.
    """

    def __init__(
        self,
        token: str | None = "test-token",
        *,
        repositories: set[str] | None = None,
        description: ApiDescription | None = None,
    ) -> None:
        self.token = token
        self.repositories = repositories
        self.description = description or ApiDescription.load()
        self.poster = BOT
        self.server_url = "https://github.com"
        self._lock = threading.Lock()
        self._ids = itertools.count(1_000_001)
        self._comments: dict[int, Json] = {}
        self._issue_of: dict[int, tuple[str, int]] = {}
        self._faults: deque[Fault] = deque()
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle

    def start(self) -> GitHubServer:
        if self._httpd is None:
            self._httpd = _HTTPServer(("127.0.0.1", 0), self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="fake-github", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API root, as GITHUB_API_URL."""
        if self._httpd is None:
            raise RuntimeError("the fake GitHub server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # --- test helpers

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        errors: list[Json] | None = None,
    ) -> None:
        """The next ``count`` requests matching ``method`` / ``path`` (a regex) get ``status``."""
        with self._lock:
            for _ in range(count):
                self._faults.append(Fault(status, method, path, message, retry_after, errors))

    def add_comment(self, repository: str, number: int, body: str, user: Json | None = None) -> Json:
        with self._lock:
            return dict(self._create(repository, number, body, user or simple_user("octocat", 583231)))

    def comments(self, repository: str, number: int) -> list[Json]:
        """The comments of an issue, oldest first (copies)."""
        with self._lock:
            return [
                dict(comment)
                for comment_id, comment in sorted(self._comments.items())
                if self._issue_of[comment_id] == (repository, number)
            ]

    def bodies(self, repository: str, number: int) -> list[str]:
        return [str(comment["body"]) for comment in self.comments(repository, number)]

    def calls(self) -> list[str]:
        """``METHOD path`` of every request, in order."""
        return [f"{request.method} {request.path}" for request in self.requests]

    # --- state (callers hold the lock)

    def _create(self, repository: str, number: int, body: str, user: Json) -> Json:
        comment_id = next(self._ids)
        now = _now()
        api = f"{self.url}/repos/{repository}"
        comment = {
            "id": comment_id,
            "node_id": "IC_" + base64.b64encode(f"comment{comment_id}".encode()).decode().rstrip("="),
            "url": f"{api}/issues/comments/{comment_id}",
            "html_url": f"{self.server_url}/{repository}/pull/{number}#issuecomment-{comment_id}",
            "body": body,
            "user": user,
            "created_at": now,
            "updated_at": now,
            "issue_url": f"{api}/issues/{number}",
            "author_association": "NONE" if user.get("type") == "Bot" else "OWNER",
            "performed_via_github_app": None,
            "reactions": {
                "url": f"{api}/issues/comments/{comment_id}/reactions",
                "total_count": 0,
                **{key: 0 for key in ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")},
            },
            "pin": None,
            "minimized": None,
        }
        self._comments[comment_id] = comment
        self._issue_of[comment_id] = (repository, number)
        return comment

    # --- request handling (called by the handler thread)

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = raw_body.decode("utf-8", "replace")
        record = RecordedRequest(method, parsed.path, query, headers, body)
        with self._lock:
            self.requests.append(record)
        status, extra, payload = self._answer(record, raw_body)
        record.status = status
        return status, extra, payload

    def _violation(self, record: RecordedRequest, problem: str) -> None:
        with self._lock:
            self.errors.append(f"{record.method} {record.path}: {problem}")

    def _answer(self, record: RecordedRequest, raw_body: bytes) -> tuple[int, dict[str, str], Any]:
        headers = record.headers
        if not headers.get("user-agent"):
            self._violation(record, "no User-Agent header (GitHub answers 403)")
            return _error(
                403,
                "Request forbidden by administrative rules. "
                "Please make sure your request has a User-Agent header",
            )
        accept = headers.get("accept", "")
        if accept and "json" not in accept and "*/*" not in accept:
            self._violation(record, f"Accept {accept!r} is not JSON")
        version = headers.get("x-github-api-version")
        if version is not None and version != API_VERSION:
            self._violation(record, f"X-GitHub-Api-Version {version!r} (expected {API_VERSION})")
        authorization = headers.get("authorization")
        if not authorization:
            return _error(401, "Requires authentication")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token") or (self.token is not None and credential != self.token):
            return _error(401, "Bad credentials")
        routed = self.description.route(record.method, record.path)
        if routed is None:
            self._violation(record, "no such operation in the REST API description")
            return _error(404, "Not Found")
        _, operation, params = routed
        record.operation = str(operation.get("operationId"))
        problem = self._check_parameters(operation, params, record.query)
        if problem:
            self._violation(record, problem)
            return _error(
                404 if problem.startswith("path") else 422,
                "Not Found" if problem.startswith("path") else "Validation Failed",
            )
        if record.method in ("POST", "PATCH", "PUT"):
            problem = self._check_body(operation, record, raw_body)
            if problem:
                self._violation(record, problem)
                return _error(
                    422,
                    "Invalid request.",
                    errors=[{"resource": "IssueComment", "code": "invalid", "message": problem}],
                )
        with self._lock:
            fault = next((f for f in self._faults if f.matches(record.method, record.path)), None)
            if fault is not None:
                self._faults.remove(fault)
        if fault is not None:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            status, _, payload = _error(
                fault.status, fault.message or _MESSAGES.get(fault.status, "Error"), errors=fault.errors
            )
            return status, extra, payload
        repository = f"{params['owner']}/{params['repo']}"
        if self.repositories is not None and repository not in self.repositories:
            return _error(404, "Not Found")
        return self._operate(record, operation, params, repository)

    def _check_parameters(
        self, operation: Json, params: dict[str, str], query: dict[str, list[str]]
    ) -> str | None:
        declared = {p["name"]: p for p in self.description.parameters(operation)}
        for name, value in params.items():
            kind = (declared.get(name, {}).get("schema") or {}).get("type")
            if kind == "integer" and not re.fullmatch(r"[0-9]+", value):
                return f"path parameter {name}={value!r} is not an integer"
        for name, values in query.items():
            parameter = declared.get(name)
            if parameter is None or parameter.get("in") != "query":
                return f"query parameter {name!r} is not declared by {operation.get('operationId')}"
            kind = (parameter.get("schema") or {}).get("type")
            if kind == "integer" and not all(re.fullmatch(r"[0-9]+", value) for value in values):
                return f"query parameter {name}={values!r} is not an integer"
        return None

    def _check_body(self, operation: Json, record: RecordedRequest, raw_body: bytes) -> str | None:
        schema = self.description.request_schema(operation)
        if schema is None:
            return None
        content_type = record.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            return f"Content-Type {content_type!r}: the body must be JSON"
        if not isinstance(record.body, dict):
            return "the body is not a JSON object"
        errors = sorted(self.description.validator(schema).iter_errors(record.body), key=str)
        if errors:
            return f"the body does not match the {operation.get('operationId')} schema: {errors[0].message}"
        return None

    def _operate(
        self, record: RecordedRequest, operation: Json, params: dict[str, str], repository: str
    ) -> tuple[int, dict[str, str], Any]:
        name = operation.get("operationId")
        with self._lock:
            if name == "issues/list-comments":
                return self._list(record, repository, int(params["issue_number"]))
            if name == "issues/create-comment":
                body = str(record.body["body"])
                if len(body) > BODY_LIMIT:
                    return _too_long()
                return 201, {}, dict(self._create(repository, int(params["issue_number"]), body, self.poster))
            comment_id = int(params.get("comment_id", "0"))
            comment = self._comments.get(comment_id)
            if comment is None or self._issue_of[comment_id][0] != repository:
                return _error(404, "Not Found")
            if name == "issues/get-comment":
                return 200, {}, dict(comment)
            if name == "issues/update-comment":
                body = str(record.body["body"])
                if len(body) > BODY_LIMIT:
                    return _too_long()
                comment.update(body=body, updated_at=_now())
                return 200, {}, dict(comment)
            if name == "issues/delete-comment":
                del self._comments[comment_id]
                return 204, {}, None
        self._violation(record, f"{name} is described but this fake does not serve it")
        return _error(404, "Not Found")

    def _list(self, record: RecordedRequest, repository: str, number: int) -> tuple[int, dict[str, str], Any]:
        per_page = min(100, max(1, int(record.query.get("per_page", ["30"])[0])))
        page = max(1, int(record.query.get("page", ["1"])[0]))
        items = [c for i, c in sorted(self._comments.items()) if self._issue_of[i] == (repository, number)]
        last = max(1, -(-len(items) // per_page))
        shown = items[(page - 1) * per_page : page * per_page]
        base = f"{self.url}{record.path}"
        extra_query = {k: v[0] for k, v in record.query.items() if k not in ("page", "per_page")}

        def link(to: int, rel: str) -> str:
            query = urllib.parse.urlencode({**extra_query, "per_page": per_page, "page": to})
            return f'<{base}?{query}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, ({"Link": ", ".join(links)} if links else {}), [dict(c) for c in shown]


def _error(status: int, message: str, *, errors: list[Json] | None = None) -> tuple[int, dict[str, str], Any]:
    payload: Json = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors is not None or status == 422:
        payload["errors"] = errors or []
    return status, {}, payload


def _too_long() -> tuple[int, dict[str, str], Any]:
    return _error(
        422,
        "Validation Failed",
        errors=[
            {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
            }
        ],
    )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], fake: GitHubServer) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            status, extra, payload = self.server.fake.handle(self.command, self.path, headers, raw)
        except Exception:
            self.server.fake.errors.append("fake GitHub server crashed:\n" + traceback.format_exc())
            status, extra, payload = _error(500, "fake server error")
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", API_VERSION)
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
