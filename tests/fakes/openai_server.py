"""A local OpenAI-compatible HTTP server for offline tests (standard library only).

Tests talk to it over real HTTP on 127.0.0.1, e.g. through litellm with ``api_base=server.base_url``::

    with OpenAIServer() as server:                      # or the ``openai_server`` fixture (plugin.py)
        server.reply(r"INVOICE", "invoice")             # regex on the last user message -> reply text
        server.responder = lambda body: "text"          # or decide from the whole request JSON
        server.latency = 0.1                            # seconds before each answer
        server.fail_next(2, status=429, retry_after=1)  # the next 2 model calls get a 429
        server.fail_next(1, kind="timeout")             # ... then one that never answers
        server.fail_when(r"POISON", status=500)         # every call whose last user message matches
        ...
        assert server.request_count == 4
        assert server.requests[0].body["messages"][-1]["content"] == "..."

Endpoints (with or without the ``/v1`` prefix): ``POST /chat/completions`` (JSON, or SSE when ``stream``
is true, with a final usage chunk when ``stream_options.include_usage``), ``POST /embeddings`` (hashed
bag-of-words vectors, floats or ``encoding_format: base64``), ``GET /models`` and ``GET /models/{id}``.
``max_tokens``/``max_completion_tokens`` cut the reply (``finish_reason: length``). Token counts are words
and punctuation marks (:func:`count_tokens`).

Agents: :meth:`OpenAIServer.script_tools` scripts a tool-calling conversation (tool calls, then an
answer), step by step. Fine-tuning: ``POST /files`` (multipart upload), ``GET /files/{id}``,
``POST /fine_tuning/jobs``, ``GET /fine_tuning/jobs/{id}`` (a job goes ``validating_files`` ->
``running`` -> ``succeeded`` over ``finetune_polls`` retrievals, then names its ``fine_tuned_model``;
a training file whose text contains ``FAIL_FINETUNE`` makes it ``failed``) and
``POST /fine_tuning/jobs/{id}/cancel``.

Faults (:meth:`OpenAIServer.fail_next`, :meth:`OpenAIServer.fail_when`; kinds in :data:`FaultKind`) apply to
model calls (chat completions and embeddings), never to ``/models``; queued ``fail_next`` faults come first.
Requests are logged as they arrive, faulted ones included. :meth:`OpenAIServer.reset` forgets all of it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import math
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, NoReturn, cast, get_args

FaultKind = Literal["http", "timeout", "disconnect", "malformed", "empty_choices", "truncated_stream"]
"""What a fault does to a model call:

- ``http``: an OpenAI-style JSON error with ``status`` (and a ``Retry-After`` header if ``retry_after``);
- ``timeout``: no answer for ``hang`` seconds (longer than the client's timeout), then the connection closes;
- ``disconnect``: the connection closes at once, without an answer;
- ``malformed``: status 200 with a body that is not JSON (for a stream: an event whose data is not JSON);
- ``empty_choices``: a well-formed response (or stream) whose ``choices`` (embeddings: ``data``) is empty;
- ``truncated_stream``: the body stops part-way and the connection closes (a stream: no ``[DONE]``).
"""
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))

Json = dict[str, Any]
Responder = Callable[[Json], str]
"""Maps a chat completion request body to the reply text."""
ReplyText = str | Callable[[re.Match[str]], str]
"""A rule's reply: fixed text, or a function of the regex match."""

DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini-2024-07-18", "text-embedding-3-small")
DEFAULT_EMBEDDING_DIM = 64
DEFAULT_HANG = 10.0
NOT_JSON = b"<html><body>502 Bad Gateway (fake server: this body is not JSON)</body></html>"
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")
_STREAM_PIECE = re.compile(r"\s*\S+\s*")
_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", None),
    408: ("timeout", "timeout"),
    429: ("requests", "rate_limit_exceeded"),
}


# --- pure helpers: text, tokens, embeddings -----------------------------------------------------------


def message_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "\n".join(part for part in parts if isinstance(part, str))
    return ""


def last_user_message(body: Json) -> str:
    """The text of the last ``user`` message of a chat request ("" if there is none)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def turns_since_user(body: Json) -> int:
    """How many assistant messages follow the last user message of a chat request."""
    count = 0
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") == "user":
            break
        count += message.get("role") == "assistant"
    return count


def tool_call_completion(body: Json, ident: str, calls: list[Json], *, created: int) -> Json:
    """A chat completion whose assistant message calls tools (``finish_reason: tool_calls``)."""
    tool_calls = [
        {
            "id": f"call_{ident[-8:]}_{index}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": call["arguments"]
                if isinstance(call.get("arguments"), str)
                else json.dumps(call.get("arguments", {})),
            },
        }
        for index, call in enumerate(calls)
    ]
    response = chat_completion(body, ident, "", "tool_calls", created=created)
    response["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": tool_calls}
    response["usage"] = usage(prompt_tokens(body), sum(count_tokens(json.dumps(c)) for c in tool_calls))
    return response


def count_tokens(text: str) -> int:
    """A deterministic token estimate: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def prompt_tokens(body: Json) -> int:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(count_tokens(message_text(m.get("content"))) for m in messages if isinstance(m, dict))


def truncate_tokens(text: str, limit: int) -> str:
    """The prefix of ``text`` that holds its first ``limit`` tokens (as counted by :func:`count_tokens`)."""
    if limit <= 0:
        return ""
    for index, match in enumerate(_TOKEN.finditer(text)):
        if index + 1 == limit:
            return text[: match.end()]
    return text


def stream_pieces(text: str) -> list[str]:
    """``text`` split into word-sized pieces that join back to ``text``."""
    return _STREAM_PIECE.findall(text) or ([text] if text else [])


def embed(text: str, dim: int) -> list[float]:
    """A hashed bag-of-words vector of ``dim`` floats, L2-normalised (stable across processes)."""
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()) or [""]:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        vector[number % dim] += 1.0 if number >> 63 else -1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def embedding_inputs(raw: Any) -> list[str]:
    """The texts of an embeddings ``input``: a string, a list of strings, or token-id lists."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(item, int) for item in raw):
        return [" ".join(str(item) for item in raw)]
    if isinstance(raw, list):
        return [_input_text(item) for item in raw]
    return []


def _input_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    return " ".join(map(str, item)) if isinstance(item, list) else str(item)


# --- pure helpers: response bodies ---------------------------------------------------------------------


def usage(prompt: int, completion: int) -> Json:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(body: Json, ident: str, text: str, finish_reason: str, *, created: int) -> Json:
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": str(body.get("model", "")),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage(prompt_tokens(body), count_tokens(text)),
    }


def chat_chunk(body: Json, ident: str, created: int, choices: list[Json], **extra: Any) -> Json:
    chunk: Json = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": str(body.get("model", "")),
        "system_fingerprint": "fp_fake",
        "choices": choices,
    }
    chunk.update(extra)
    return chunk


def chat_chunks(body: Json, ident: str, text: str, finish_reason: str, *, created: int) -> list[Json]:
    """The chunks of a streamed reply: role, content pieces, finish reason, then usage if asked for."""

    def choice(delta: Json, finish: str | None = None) -> list[Json]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    chunks = [chat_chunk(body, ident, created, choice({"role": "assistant", "content": ""}))]
    chunks += [chat_chunk(body, ident, created, choice({"content": p})) for p in stream_pieces(text)]
    chunks.append(chat_chunk(body, ident, created, choice({}, finish_reason)))
    if include_usage(body):
        counts = usage(prompt_tokens(body), count_tokens(text))
        chunks.append(chat_chunk(body, ident, created, [], usage=counts))
    return chunks


def include_usage(body: Json) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def embeddings_response(body: Json, dim: int) -> Json:
    texts = embedding_inputs(body.get("input"))
    dimensions = body.get("dimensions")
    size = dimensions if isinstance(dimensions, int) and dimensions > 0 else dim
    as_base64 = body.get("encoding_format") == "base64"
    data = [
        {"object": "embedding", "index": index, "embedding": _encode(embed(text, size), as_base64)}
        for index, text in enumerate(texts)
    ]
    tokens = sum(count_tokens(text) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _encode(vector: list[float], as_base64: bool) -> list[float] | str:
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def model_object(model: str) -> Json:
    return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "llmops-ci-fake"}


def models_response(models: list[str]) -> Json:
    return {"object": "list", "data": [model_object(model) for model in models]}


def error_body(status: int, message: str) -> Json:
    default = ("server_error" if status >= 500 else "invalid_request_error", None)
    kind, code = _ERROR_TYPES.get(status, default)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --- configuration objects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One injected failure; see :data:`FaultKind` for what each kind does."""

    kind: FaultKind = "http"
    status: int = 500
    retry_after: float | None = None
    message: str | None = None
    hang: float = DEFAULT_HANG

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")

    def error_message(self) -> str:
        return self.message or f"fake server: injected error {self.status}"


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it; ``body`` is the parsed JSON ({} if none or not JSON)."""

    method: str
    path: str
    body: Json
    headers: dict[str, str]


@dataclass
class _ReplyRule:
    pattern: re.Pattern[str]
    reply: ReplyText

    def apply(self, text: str) -> str | None:
        match = self.pattern.search(text)
        if match is None:
            return None
        return self.reply if isinstance(self.reply, str) else self.reply(match)


@dataclass
class _FaultRule:
    pattern: re.Pattern[str]
    fault: Fault
    remaining: int | None


ToolStep = str | list[Json]
"""One scripted model turn: the answer text, or tool calls ``{"name": ..., "arguments": {...} or "raw"}``."""


@dataclass
class _ToolScript:
    pattern: re.Pattern[str]
    steps: list[ToolStep]


@dataclass
class _State:
    """Everything that :meth:`OpenAIServer.reset` puts back; guarded by the server's lock."""

    rules: list[_ReplyRule] = field(default_factory=list)
    scripts: list[_ToolScript] = field(default_factory=list)
    files: dict[str, Json] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, Json] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    fault_rules: list[_FaultRule] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --- the server ----------------------------------------------------------------------------------------


class OpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 (port 0 = any free port), serving from a background thread.

    Settings that tests may assign directly (all restored by :meth:`reset`):

    - ``latency``: seconds before each answer (for streams: before the first chunk);
    - ``chunk_latency``: seconds between streamed chunks (``None``: the same as ``latency``);
    - ``responder``: request JSON -> reply text (default: :meth:`reply` rules, then an echo);
    - ``models``: the ids listed by ``/models``;
    - ``embedding_dim``: vector size when a request does not give ``dimensions``;
    - ``api_key``: when set, requests must carry ``Authorization: Bearer <api_key>`` (else 401).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.Lock()
        self._state = _State()
        self._ids = itertools.count(1)
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._defaults()

    def _defaults(self) -> None:
        self.latency = 0.0
        self.chunk_latency: float | None = None
        self.responder: Responder = self.rule_responder
        self.models: list[str] = list(DEFAULT_MODELS)
        self.embedding_dim = DEFAULT_EMBEDDING_DIM
        self.api_key: str | None = None
        self.finetune_polls = 2

    # --- lifecycle

    def start(self) -> OpenAIServer:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(self._address, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, wake sleeping handlers, close open connections and wait for handlers to end."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        self._wake.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._idle:
            self._idle.wait_for(lambda: not self._connections, timeout)
        httpd.server_close()
        thread.join(timeout)
        self._httpd = self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake OpenAI server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._address[0]}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL to give clients, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    # --- scripting

    def reply(self, pattern: str | re.Pattern[str], text: ReplyText) -> None:
        """Answer ``text`` when ``pattern`` is found (``re.search``) in the last user message.

        Rules are tried in the order they were added; ``text`` may be a function of the match.
        """
        with self._lock:
            self._state.rules.append(_ReplyRule(re.compile(pattern), text))

    def script_tools(self, pattern: str | re.Pattern[str], steps: list[ToolStep]) -> None:
        """Script an agent conversation whose last user message matches ``pattern``: the model's n-th turn
        after that message (counted by the assistant messages since) answers ``steps[n]``, a text or a
        list of tool calls; past the end, the last step repeats. Scripts come before :meth:`reply` rules.

        ``server.script_tools(r"weather", [[{"name": "get_weather", "arguments": {"city": "Paris"}}],
        "21 degrees in Paris"])``
        """
        with self._lock:
            self._state.scripts.append(_ToolScript(re.compile(pattern), list(steps)))

    def scripted_step(self, body: Json) -> ToolStep | None:
        """The scripted turn for a chat request (None: no script matches)."""
        with self._lock:
            scripts = list(self._state.scripts)
        text = last_user_message(body)
        for script in scripts:
            if script.steps and script.pattern.search(text):
                index = turns_since_user(body)
                return script.steps[min(index, len(script.steps) - 1)]
        return None

    def fail_next(
        self,
        n: int = 1,
        *,
        kind: FaultKind = "http",
        status: int = 500,
        retry_after: float | None = None,
        message: str | None = None,
        hang: float = DEFAULT_HANG,
    ) -> None:
        """Make the next ``n`` model calls fail (after any faults already queued)."""
        fault = Fault(kind, status, retry_after, message, hang)
        with self._lock:
            self._state.faults.extend([fault] * n)

    def fail_when(
        self,
        pattern: str | re.Pattern[str],
        *,
        kind: FaultKind = "http",
        status: int = 500,
        retry_after: float | None = None,
        message: str | None = None,
        hang: float = DEFAULT_HANG,
        times: int | None = None,
    ) -> None:
        """Fail model calls whose last user message (embeddings: any input) matches ``pattern``.

        ``times`` limits how many calls the rule fails (``None``: until :meth:`reset`).
        """
        fault = Fault(kind, status, retry_after, message, hang)
        with self._lock:
            self._state.fault_rules.append(_FaultRule(re.compile(pattern), fault, times))

    def reset(self) -> None:
        """Forget rules, faults, the request log and errors; restore settings; wake sleeping handlers."""
        with self._lock:
            self._state = _State()
            wake, self._wake = self._wake, threading.Event()
        wake.set()
        self._defaults()

    def rule_responder(self, body: Json) -> str:
        """The default responder: the first matching :meth:`reply` rule, else ``"echo: <message>"``."""
        text = last_user_message(body)
        with self._lock:
            rules = list(self._state.rules)
        for rule in rules:
            answer = rule.apply(text)
            if answer is not None:
                return answer
        return f"echo: {text}"

    # --- fine-tuning state (files and jobs live until reset)

    @property
    def files(self) -> dict[str, Json]:
        with self._lock:
            return dict(self._state.files)

    @property
    def jobs(self) -> dict[str, Json]:
        with self._lock:
            return {ident: dict(job) for ident, job in self._state.jobs.items()}

    def file_content(self, ident: str) -> bytes:
        with self._lock:
            return self._state.file_bytes[ident]

    def _store_file(self, record: Json, content: bytes) -> None:
        with self._lock:
            self._state.files[record["id"]] = record
            self._state.file_bytes[record["id"]] = content

    def _store_job(self, job: Json) -> None:
        with self._lock:
            self._state.jobs[job["id"]] = {**job, "_polls": 0}

    def _advance_job(self, ident: str) -> Json | None:
        """The job as one more retrieval sees it: after ``finetune_polls`` retrievals it has finished."""
        with self._lock:
            job = self._state.jobs.get(ident)
            if job is None:
                return None
            job["_polls"] += 1
            if job["status"] in ("validating_files", "running"):
                job["status"] = "running"
                if job["_polls"] >= self.finetune_polls:
                    self._finish_job(job)
            return {key: value for key, value in job.items() if not key.startswith("_")}

    def _finish_job(self, job: Json) -> None:
        data = self._state.file_bytes.get(job["training_file"], b"")
        job["finished_at"] = int(time.time())
        if b"FAIL_FINETUNE" in data:
            job["status"] = "failed"
            job["error"] = {"code": "invalid_training_file", "message": "fake: the data asked to fail"}
            return
        job["status"] = "succeeded"
        job["trained_tokens"] = count_tokens(data.decode("utf-8", "replace"))
        job["fine_tuned_model"] = f"ft:{job['model']}:llmops-ci::{job['id'][-8:]}"
        if job["fine_tuned_model"] not in self.models:
            self.models.append(job["fine_tuned_model"])

    def _cancel_job(self, ident: str) -> Json | None:
        with self._lock:
            job = self._state.jobs.get(ident)
            if job is None:
                return None
            if job["status"] not in ("succeeded", "failed"):
                job["status"] = "cancelled"
            return {key: value for key, value in job.items() if not key.startswith("_")}

    # --- introspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received since the last reset, in arrival order."""
        with self._lock:
            return list(self._state.requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._state.requests)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """Requests whose path ends with ``endpoint``, e.g. ``"chat/completions"``."""
        return [request for request in self.requests if request.path.endswith(endpoint)]

    @property
    def errors(self) -> list[str]:
        """Tracebacks of unexpected errors inside the server (client disconnects are not errors)."""
        with self._lock:
            return list(self._state.errors)

    # --- used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._state.errors.append(text)

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}-fake{next(self._ids):08d}"

    def _take_fault(self, texts: list[str]) -> Fault | None:
        """The fault for a model call: the next queued one, else the first matching rule."""
        with self._lock:
            if self._state.faults:
                return self._state.faults.popleft()
            for rule in self._state.fault_rules:
                if rule.remaining != 0 and any(rule.pattern.search(text) for text in texts):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def _pause(self, seconds: float) -> bool:
        """Sleep in the handler thread; ``True`` if woken early by :meth:`reset` or :meth:`stop`."""
        if seconds <= 0:
            return False
        with self._lock:
            wake = self._wake
        return wake.wait(seconds)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._idle:
            self._connections.discard(connection)
            self._idle.notify_all()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: OpenAIServer) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS look-up that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app._opened(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.app._closed(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            self.app._record_error(traceback.format_exc())


class _Abort(Exception):
    """Ends the current request without an answer and closes the connection."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections end eventually even if a client leaks them
    server_version = "llmops-ci-fake-openai/1"

    # --- plumbing

    @property
    def app(self) -> OpenAIServer:
        return cast(_HTTPServer, self.server).app

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log on stderr."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True  # the body's end is unknown: answer, then close
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _send_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send_json(status, error_body(status, message), headers)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _write_event(self, data: Json | str) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        self._write_chunk(f"data: {text}\n\n".encode())

    def _end_stream(self) -> None:
        self._write_event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")

    def _abort(self) -> NoReturn:
        self.close_connection = True
        raise _Abort

    # --- dispatch

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        raw = self._read_body()
        path = self.path.split("?", 1)[0]
        body = _parse_json(raw)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.app._record(RecordedRequest(method, path, body if body is not None else {}, headers))
        try:
            if self._finetuning(method, path.rstrip("/").removeprefix("/v1"), body, raw):
                return
            self._route(method, path.rstrip("/"), body)
        except _Abort:
            self.close_connection = True

    def _route(self, method: str, path: str, body: Json | None) -> None:
        endpoint = path.removeprefix("/v1")
        if not self._authorised():
            self._send_error(401, "Incorrect API key provided.")
        elif method == "GET" and endpoint == "/models":
            self._send_json(200, models_response(self.app.models))
        elif method == "GET" and endpoint.startswith("/models/"):
            self._model(endpoint.removeprefix("/models/"))
        elif endpoint not in ("/chat/completions", "/embeddings"):
            self._send_error(404, f"Unknown request URL: {method} {self.path}.")
        elif method != "POST":
            self._send_error(405, f"Method {method} not allowed for {self.path}.")
        elif body is None:
            self._send_error(400, "We could not parse the JSON body of your request.")
        elif endpoint == "/chat/completions":
            self._chat(body)
        else:
            self._embeddings(body)

    # --- files and fine-tuning jobs

    def _finetuning(self, method: str, endpoint: str, body: Json | None, raw: bytes) -> bool:
        """Answer the files and fine_tuning endpoints; False for any other request."""
        if not (endpoint.startswith("/files") or endpoint.startswith("/fine_tuning/jobs")):
            return False
        if not self._authorised():
            self._send_error(401, "Incorrect API key provided.")
        elif method == "POST" and endpoint == "/files":
            self._upload(raw)
        elif method == "GET" and endpoint.startswith("/files/"):
            self._stored(self.app.files, endpoint.removeprefix("/files/"), "file")
        elif method == "POST" and endpoint == "/fine_tuning/jobs":
            self._create_job(body or {})
        elif method == "GET" and endpoint.startswith("/fine_tuning/jobs/"):
            name = endpoint.removeprefix("/fine_tuning/jobs/")
            if name.endswith("/cancel"):
                self._send_error(405, f"Method GET not allowed for {self.path}.")
            else:
                self._stored(self.app.jobs, name, "job", advance=True)
        elif method == "POST" and endpoint.endswith("/cancel"):
            self._cancel(endpoint.removeprefix("/fine_tuning/jobs/").removesuffix("/cancel"))
        else:
            self._send_error(404, f"Unknown request URL: {method} {self.path}.")
        return True

    def _upload(self, raw: bytes) -> None:
        fields = parse_multipart(self.headers.get("Content-Type", ""), raw)
        if "file" not in fields or "purpose" not in fields:
            self._send_error(400, "Missing required parameter: 'file' and 'purpose'.")
            return
        filename, content = fields["file"]
        ident = self.app._next_id("file")
        record = {
            "id": ident,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename or "upload.jsonl",
            "purpose": fields["purpose"][1].decode(),
            "status": "processed",
        }
        self.app._store_file(record, content)
        self._send_json(200, record)

    def _stored(self, table: dict[str, Json], ident: str, noun: str, *, advance: bool = False) -> None:
        found = self.app._advance_job(ident) if advance else table.get(ident)
        if found is None:
            self._send_error(404, f"No such {noun}: {ident}")
        else:
            self._send_json(200, found)

    def _create_job(self, body: Json) -> None:
        training = body.get("training_file")
        if not isinstance(body.get("model"), str) or training not in self.app.files:
            self._send_error(400, f"invalid model or training_file {training!r}")
            return
        validation = body.get("validation_file")
        if validation is not None and validation not in self.app.files:
            self._send_error(400, f"invalid validation_file {validation!r}")
            return
        ident = self.app._next_id("ftjob")
        job = {
            "id": ident,
            "object": "fine_tuning.job",
            "model": body["model"],
            "created_at": int(time.time()),
            "finished_at": None,
            "fine_tuned_model": None,
            "organization_id": "org-fake",
            "result_files": [],
            "status": "validating_files",
            "validation_file": validation,
            "training_file": training,
            "hyperparameters": body.get("hyperparameters") or {"n_epochs": "auto"},
            "trained_tokens": None,
            "error": None,
            "seed": body.get("seed", 0),
            "suffix": body.get("suffix"),
            "method": body.get("method"),
        }
        self.app._store_job(job)
        self._send_json(200, job)

    def _cancel(self, ident: str) -> None:
        job = self.app._cancel_job(ident)
        if job is None:
            self._send_error(404, f"No such job: {ident}")
        else:
            self._send_json(200, job)

    def _authorised(self) -> bool:
        key = self.app.api_key
        return key is None or self.headers.get("Authorization") == f"Bearer {key}"

    def _model(self, model: str) -> None:
        if model in self.app.models:
            self._send_json(200, model_object(model))
        else:
            self._send_error(404, f"The model '{model}' does not exist")

    # --- model calls

    def _chat(self, body: Json) -> None:
        if not isinstance(body.get("messages"), list):
            self._send_error(400, "Missing required parameter: 'messages'.")
            return
        fault = self.app._take_fault([last_user_message(body)])
        stream = bool(body.get("stream"))
        self.app._pause(self.app.latency)
        if fault is not None:
            self._chat_fault(fault, body, stream)
            return
        scripted = self.app.scripted_step(body)
        if isinstance(scripted, list):
            ident = self.app._next_id("chatcmpl")
            self._send_json(200, tool_call_completion(body, ident, scripted, created=int(time.time())))
            return
        text, finish = _limit(self._respond(body) if scripted is None else scripted, body)
        ident = self.app._next_id("chatcmpl")
        if stream:
            self._stream(chat_chunks(body, ident, text, finish, created=int(time.time())))
        else:
            self._send_json(200, chat_completion(body, ident, text, finish, created=int(time.time())))

    def _respond(self, body: Json) -> str:
        """The responder's reply; if it raises, the error is recorded and the client gets a 500."""
        try:
            return self.app.responder(body)
        except Exception:
            self.app._record_error(traceback.format_exc())
            self._send_error(500, "fake server: the responder raised an exception")
            raise _Abort from None

    def _embeddings(self, body: Json) -> None:
        fault = self.app._take_fault(embedding_inputs(body.get("input")))
        self.app._pause(self.app.latency)
        if fault is not None:
            self._embeddings_fault(fault, body)
            return
        self._send_json(200, embeddings_response(body, self.app.embedding_dim))

    def _stream(self, chunks: list[Json], *, complete: bool = True) -> None:
        self._start_stream()
        gap = self.app.latency if self.app.chunk_latency is None else self.app.chunk_latency
        for index, chunk in enumerate(chunks):
            if index:
                self.app._pause(gap)
            self._write_event(chunk)
        if complete:
            self._end_stream()
        else:
            self._abort()

    # --- faults

    def _common_fault(self, fault: Fault) -> bool:
        """Answer the faults that look the same on every endpoint; ``False`` for the others."""
        if fault.kind == "http":
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            self._send_error(fault.status, fault.error_message(), headers)
            return True
        if fault.kind == "timeout":
            self.app._pause(fault.hang)
            self._abort()
        if fault.kind == "disconnect":
            self._abort()
        return False

    def _chat_fault(self, fault: Fault, body: Json, stream: bool) -> None:
        if self._common_fault(fault):
            return
        ident, created = self.app._next_id("chatcmpl"), int(time.time())
        if fault.kind == "malformed" and stream:
            self._start_stream()
            self._write_event('{"id": "' + ident + '", "choices": [{"delta": {"content": "unterminated')
            self._end_stream()
        elif fault.kind == "malformed":
            self._send(200, NOT_JSON, "application/json")
        elif fault.kind == "empty_choices" and stream:
            chunks = [chat_chunk(body, ident, created, [])]
            if include_usage(body):
                chunks.append(chat_chunk(body, ident, created, [], usage=usage(prompt_tokens(body), 0)))
            self._stream(chunks)
        elif fault.kind == "empty_choices":
            self._send_json(200, {**chat_completion(body, ident, "", "stop", created=created), "choices": []})
        elif stream:  # truncated_stream: the role chunk and about half the content, no [DONE]
            chunks = chat_chunks(body, ident, self._respond(body), "stop", created=created)
            self._stream(chunks[: max(2, len(chunks) // 2)], complete=False)
        else:
            text = self._respond(body)
            self._send_truncated(json.dumps(chat_completion(body, ident, text, "stop", created=created)))

    def _embeddings_fault(self, fault: Fault, body: Json) -> None:
        if self._common_fault(fault):
            return
        response = embeddings_response(body, self.app.embedding_dim)
        if fault.kind == "malformed":
            self._send(200, NOT_JSON, "application/json")
        elif fault.kind == "empty_choices":
            self._send_json(200, {**response, "data": []})
        else:  # truncated_stream
            self._send_truncated(json.dumps(response))

    def _send_truncated(self, text: str) -> None:
        """Announce the whole body, send half of it, then close the connection."""
        payload = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self._abort()


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a ``multipart/form-data`` body: name -> (file name or None, bytes)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    if not content_type.startswith("multipart/"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _parse_json(raw: bytes) -> Json | None:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _limit(text: str, body: Json) -> tuple[str, str]:
    """Apply ``max_completion_tokens`` / ``max_tokens``: the reply text and its finish reason."""
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(limit, int) and count_tokens(text) > limit:
        return truncate_tokens(text, limit), "length"
    return text, "stop"


def iter_sse(payload: bytes) -> Iterator[str]:
    """The ``data:`` values of an SSE body (for tests that read streams without a client library)."""
    for line in payload.decode().splitlines():
        if line.startswith("data: "):
            yield line.removeprefix("data: ")
