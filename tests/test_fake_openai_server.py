"""The fake OpenAI server (tests/fakes/openai_server.py): real litellm calls to it over HTTP on 127.0.0.1,
what litellm raises for each injected fault, concurrency, and conformance to OpenAI's API description."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import math
import os
import struct
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from tests.fakes.openai_server import (
    DEFAULT_EMBEDDING_DIM,
    OpenAIServer,
    count_tokens,
    embed,
    iter_sse,
    stream_pieces,
    truncate_tokens,
)

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before litellm is imported: never fetch the cost map
litellm = pytest.importorskip("litellm")
litellm.suppress_debug_info = True

CHAT_MODEL = "openai/gpt-4o-mini-2024-07-18"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
OPENAPI_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "oracles"
    / "openai-openapi-subset"
    / "openai.chat-completions.subset.json"
)
T = TypeVar("T")
Json = dict[str, Any]


class Run(Protocol):
    def __call__(self, awaitable: Awaitable[T]) -> T: ...


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """Runs coroutines on one event loop for the module (litellm caches its HTTP clients per loop)."""
    loop = asyncio.new_event_loop()

    def run_(awaitable: Awaitable[T]) -> T:
        return loop.run_until_complete(awaitable)

    yield run_
    loop.run_until_complete(litellm.close_litellm_async_clients())
    litellm.in_memory_llm_clients_cache.flush_cache()
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


# --- litellm helpers ----------------------------------------------------------------------------------


def chat_args(server: OpenAIServer, text: str, **extra: Any) -> Json:
    return {
        "model": CHAT_MODEL,
        "api_base": server.base_url,
        "api_key": "sk-test",
        "messages": [{"role": "user", "content": text}],
        "max_retries": 0,
        "timeout": 5,
        **extra,
    }


async def complete(server: OpenAIServer, text: str, **extra: Any) -> Any:
    return await litellm.acompletion(**chat_args(server, text, **extra))


async def stream(server: OpenAIServer, text: str, **extra: Any) -> list[Any]:
    options = {"stream": True, "stream_options": {"include_usage": True}}
    response: AsyncIterator[Any] = await litellm.acompletion(**chat_args(server, text, **options, **extra))
    return [chunk async for chunk in response]


async def embed_texts(server: OpenAIServer, texts: list[str], **extra: Any) -> Any:
    return await litellm.aembedding(
        model=EMBEDDING_MODEL, api_base=server.base_url, api_key="sk-test", input=texts, timeout=5, **extra
    )


def content(response: Any) -> str:
    return str(response.choices[0].message.content)


def streamed_text(chunks: list[Any]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


# --- raw HTTP helpers ---------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Json:
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value

    def events(self) -> list[str]:
        return list(iter_sse(self.body))


def send(conn: http.client.HTTPConnection, method: str, path: str, body: Json | bytes | None = None) -> Reply:
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    conn.request(method, path, payload, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


def raw(server: OpenAIServer, method: str, path: str, body: Json | bytes | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        return send(conn, method, path, body)
    finally:
        conn.close()


def chat_body(text: str, **extra: Any) -> Json:
    return {"model": "gpt-4o-mini-2024-07-18", "messages": [{"role": "user", "content": text}], **extra}


# --- litellm against the server -------------------------------------------------------------------------


def test_litellm_chat_completion_gets_the_scripted_reply_and_usage(
    openai_server: OpenAIServer, run: Run
) -> None:
    openai_server.reply(r"INVOICE", "invoice")
    prompt = "Classify: INVOICE #12 from ACME"
    response = run(complete(openai_server, prompt))
    assert content(response) == "invoice"
    assert response.choices[0].finish_reason == "stop"
    assert response.model == "gpt-4o-mini-2024-07-18"
    usage = response.usage
    tokens = count_tokens(prompt)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (tokens, 1, tokens + 1)
    [request] = openai_server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.body["model"] == "gpt-4o-mini-2024-07-18"
    assert request.body["messages"] == [{"role": "user", "content": prompt}]
    assert request.headers["authorization"] == "Bearer sk-test"


def test_reply_rules_in_order_then_echo_then_a_callable_responder(
    openai_server: OpenAIServer, run: Run
) -> None:
    openai_server.reply(r"refund", "refund")
    openai_server.reply(r"(?i)invoice (\d+)", lambda match: f"invoice #{match.group(1)}")
    openai_server.reply(r"invoice", "never used: the rule before matches first")
    assert content(run(complete(openai_server, "Invoice 42"))) == "invoice #42"
    assert content(run(complete(openai_server, "a refund for invoice 7"))) == "refund"
    assert content(run(complete(openai_server, "hello there"))) == "echo: hello there"
    openai_server.responder = lambda body: f"{len(body['messages'])} message(s) to {body['model']}"
    assert content(run(complete(openai_server, "anything"))) == "1 message(s) to gpt-4o-mini-2024-07-18"


def test_litellm_streaming_with_usage(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.reply("story", "Once upon a time, the end.")
    chunks = run(stream(openai_server, "tell a story"))
    assert streamed_text(chunks) == "Once upon a time, the end."
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    usages = [chunk.usage for chunk in chunks if getattr(chunk, "usage", None)]
    assert usages[-1].completion_tokens == count_tokens("Once upon a time, the end.")
    assert usages[-1].prompt_tokens == count_tokens("tell a story")
    built = litellm.stream_chunk_builder(chunks)
    assert content(built) == "Once upon a time, the end."
    assert built.usage.total_tokens == usages[-1].total_tokens
    assert openai_server.requests[0].body["stream_options"] == {"include_usage": True}


def test_max_tokens_truncates_the_reply_with_finish_reason_length(
    openai_server: OpenAIServer, run: Run
) -> None:
    openai_server.reply("count", "one two three four five")
    response = run(complete(openai_server, "count", max_tokens=2))
    assert (content(response), response.choices[0].finish_reason) == ("one two", "length")
    assert response.usage.completion_tokens == 2


def test_litellm_embeddings_are_deterministic_and_normalised(openai_server: OpenAIServer, run: Run) -> None:
    texts = ["the cat sat", "The cat sat!", "quarterly invoice"]
    response = run(embed_texts(openai_server, texts))
    vectors = [item["embedding"] for item in response.data]
    assert [item["index"] for item in response.data] == [0, 1, 2]
    assert vectors[0] == vectors[1] != vectors[2]  # bag of lower-cased words
    assert vectors[0] == pytest.approx(embed("the cat sat", DEFAULT_EMBEDDING_DIM))
    assert all(math.isclose(sum(value * value for value in vector), 1.0) for vector in vectors)
    assert response.usage.prompt_tokens == sum(count_tokens(text) for text in texts)
    small = run(embed_texts(openai_server, ["the cat sat"], dimensions=16))
    assert len(small.data[0]["embedding"]) == 16
    assert [request.path for request in openai_server.requests] == ["/v1/embeddings"] * 2


def test_latency_delays_each_answer(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.latency = 0.2
    start = time.perf_counter()
    assert content(run(complete(openai_server, "slow"))) == "echo: slow"
    assert time.perf_counter() - start >= 0.2


# --- faults: what litellm raises ------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultCase:
    """An injected fault, what litellm 1.110 raises for it and the error kind the eval engine should record.

    ``raises`` is the class name in ``litellm.exceptions`` (None: no exception, the response has no choices);
    ``cause`` is a class name found in the exception's cause/context chain or ``original_exception``, which
    tells faults apart that share a class (a body that is not JSON vs. a 500); ``status`` is the exception's
    ``status_code`` (litellm says 500 for connection errors and bodies that are not JSON, 408 for timeouts).
    """

    fault: Json
    raises: str | None
    kind: str
    stream: bool = False
    cause: str | None = None
    status: int | None = None
    extra: Json = field(default_factory=dict)


LITELLM_FAULTS: dict[str, FaultCase] = {
    "429 retry-after": FaultCase(
        {"status": 429, "retry_after": 1}, "RateLimitError", "rate_limit", status=429
    ),
    "429 stream": FaultCase({"status": 429}, "RateLimitError", "rate_limit", stream=True, status=429),
    "500": FaultCase({"status": 500}, "InternalServerError", "provider", status=500),
    "503": FaultCase({"status": 503}, "ServiceUnavailableError", "provider", status=503),
    "500 stream": FaultCase({"status": 500}, "InternalServerError", "provider", stream=True, status=500),
    "malformed": FaultCase(
        {"kind": "malformed"}, "InternalServerError", "bad_response", cause="JSONDecodeError", status=500
    ),
    "malformed stream": FaultCase(
        {"kind": "malformed"}, "MidStreamFallbackError", "bad_response", True, "JSONDecodeError", 500
    ),
    "empty choices": FaultCase({"kind": "empty_choices"}, None, "bad_response"),
    "empty choices stream": FaultCase(
        {"kind": "empty_choices"}, "MidStreamFallbackError", "bad_response", True
    ),
    "truncated body": FaultCase(
        {"kind": "truncated_stream"},
        "InternalServerError",
        "provider",
        cause="APIConnectionError",
        status=500,
    ),
    "truncated stream": FaultCase(
        {"kind": "truncated_stream"}, "MidStreamFallbackError", "provider", True, "APIConnectionError", 500
    ),
    "disconnect": FaultCase(
        {"kind": "disconnect"}, "InternalServerError", "provider", cause="APIConnectionError", status=500
    ),
    "timeout": FaultCase({"kind": "timeout"}, "Timeout", "timeout", status=408, extra={"timeout": 0.25}),
    "timeout stream": FaultCase({"kind": "timeout"}, "Timeout", "timeout", True, extra={"timeout": 0.25}),
}


def exception_chain(error: BaseException) -> list[str]:
    names: list[str] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or type(current).__name__ in names:
            continue
        names.append(type(current).__name__)
        original = getattr(current, "original_exception", None)
        pending += [current.__cause__, current.__context__]
        pending += [original] if isinstance(original, BaseException) else []
    return names


async def call(server: OpenAIServer, case: FaultCase) -> Any:
    if case.stream:
        return await stream(server, "one two three four five six", **case.extra)
    return await complete(server, "one two three four five six", **case.extra)


@pytest.mark.parametrize("case", LITELLM_FAULTS.values(), ids=LITELLM_FAULTS.keys())
def test_what_litellm_raises_for_each_fault(case: FaultCase, openai_server: OpenAIServer, run: Run) -> None:
    openai_server.fail_next(1, **case.fault)
    if case.raises is None:
        response = run(call(openai_server, case))
        assert response.choices == []
    else:
        expected = getattr(litellm.exceptions, case.raises)
        with pytest.raises(expected) as caught:
            run(call(openai_server, case))
        assert type(caught.value).__name__ == case.raises
        assert case.cause is None or case.cause in exception_chain(caught.value)
        assert case.status is None or caught.value.status_code == case.status
    assert openai_server.request_count == 1  # max_retries=0: litellm did not retry


def test_rate_limit_error_carries_retry_after(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.fail_next(1, status=429, retry_after=2, message="slow down")
    with pytest.raises(litellm.exceptions.RateLimitError) as caught:
        run(complete(openai_server, "hi"))
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.litellm_response_headers["retry-after"] == "2"
    assert "slow down" in str(caught.value)


def test_fail_next_queues_faults_in_order(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.fail_next(1, status=429)
    openai_server.fail_next(2, status=500)
    for expected in ("RateLimitError", "InternalServerError", "InternalServerError"):
        with pytest.raises(getattr(litellm.exceptions, expected)):
            run(complete(openai_server, "hi"))
    assert content(run(complete(openai_server, "hi"))) == "echo: hi"
    assert openai_server.request_count == 4


def test_fail_when_fails_only_matching_messages_and_counts_down(
    openai_server: OpenAIServer, run: Run
) -> None:
    openai_server.fail_when(r"POISON", status=500, times=2)
    with pytest.raises(litellm.exceptions.InternalServerError):
        run(complete(openai_server, "POISON 1"))
    assert content(run(complete(openai_server, "fine"))) == "echo: fine"
    with pytest.raises(litellm.exceptions.InternalServerError):
        run(complete(openai_server, "POISON 2"))
    assert content(run(complete(openai_server, "POISON 3"))) == "echo: POISON 3"


def test_faults_apply_to_embeddings(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.fail_when("forbidden", status=400)
    with pytest.raises(litellm.exceptions.BadRequestError):
        run(embed_texts(openai_server, ["ok", "forbidden words"]))
    openai_server.fail_next(1, kind="empty_choices")
    assert run(embed_texts(openai_server, ["ok"])).data == []


def test_litellm_aembedding_makes_one_request_after_llmops_ci_set_up(
    openai_server: OpenAIServer, run: Run
) -> None:
    """litellm 1.110 turns ``max_retries=0`` into its ``DEFAULT_MAX_RETRIES`` (2) for embeddings
    (``max_retries or DEFAULT_MAX_RETRIES``; BerriAI/litellm#7003); llmops-ci's litellm set-up
    (``litellm_module``) sets that default to 0, so only its own retry loop retries."""
    from llmops_ci.providers.litellm_provider import litellm_module

    litellm_module()
    openai_server.fail_next(1, status=500)
    with pytest.raises(litellm.exceptions.InternalServerError):
        run(embed_texts(openai_server, ["not retried"], max_retries=0))
    assert openai_server.request_count == 1


def test_api_key_is_checked_when_set(openai_server: OpenAIServer, run: Run) -> None:
    openai_server.api_key = "sk-right"
    with pytest.raises(litellm.exceptions.AuthenticationError):
        run(complete(openai_server, "hi"))
    assert content(run(complete(openai_server, "hi", api_key="sk-right"))) == "echo: hi"


# --- concurrency ----------------------------------------------------------------------------------------


def test_server_answers_100_concurrent_connections_in_parallel(openai_server: OpenAIServer) -> None:
    """200 requests, 100 at a time, 100 ms each: ideally 0.2 s; a server that serialised them needs 20 s."""
    openai_server.latency = 0.1
    local = threading.local()
    connections: list[http.client.HTTPConnection] = []
    lock = threading.Lock()

    def one(index: int) -> str:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", openai_server.port, timeout=10)
            with lock:
                connections.append(local.conn)
        reply = send(local.conn, "POST", "/v1/chat/completions", chat_body(f"q {index}"))
        return str(reply.json()["choices"][0]["message"]["content"])

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=100) as pool:
        replies = list(pool.map(one, range(200)))
    elapsed = time.perf_counter() - start
    for conn in connections:
        conn.close()
    assert replies == [f"echo: q {index}" for index in range(200)]
    assert openai_server.request_count == 200
    assert elapsed < 3.0, f"200 requests at concurrency 100 took {elapsed:.2f} s (ideal 0.2 s)"


def test_litellm_calls_run_concurrently(openai_server: OpenAIServer, run: Run) -> None:
    """100 litellm calls at once, 100 ms each. litellm itself spends several ms of CPU per call, so this
    bounds the client as much as the server: 8 s (room for a loaded 2-core machine) is still below the 10 s
    of serial calls."""
    openai_server.latency = 0.1

    async def many(count: int) -> list[str]:
        limit = asyncio.Semaphore(100)

        async def one(index: int) -> str:
            async with limit:
                return content(await complete(openai_server, f"q {index}"))

        return await asyncio.gather(*(one(index) for index in range(count)))

    start = time.perf_counter()
    replies = run(many(100))
    elapsed = time.perf_counter() - start
    assert replies == [f"echo: q {index}" for index in range(100)]
    assert openai_server.request_count == 100
    assert elapsed < 8.0, f"100 litellm calls at concurrency 100 took {elapsed:.2f} s (ideal 0.1 s)"


# --- HTTP behaviour -------------------------------------------------------------------------------------


def test_keep_alive_serves_json_and_streams_on_one_connection(openai_server: OpenAIServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", openai_server.port, timeout=5)
    try:
        first = send(conn, "POST", "/v1/chat/completions", chat_body("a"))
        sock = conn.sock
        streamed = send(conn, "POST", "/chat/completions", chat_body("b c", stream=True))
        models = send(conn, "GET", "/v1/models")
        assert conn.sock is sock, "the server closed a keep-alive connection"
    finally:
        conn.close()
    assert first.headers["content-length"] == str(len(first.body))
    assert first.json()["choices"][0]["message"]["content"] == "echo: a"
    assert streamed.headers["transfer-encoding"] == "chunked"
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = streamed.events()
    assert events[-1] == "[DONE]"
    assert (
        "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1]) == "echo: b c"
    )
    assert "usage" not in json.loads(events[-2])  # no usage chunk unless stream_options.include_usage
    assert models.status == 200


def test_stream_latency_before_the_first_chunk_and_between_chunks(openai_server: OpenAIServer) -> None:
    openai_server.latency, openai_server.chunk_latency = 0.1, 0.05
    conn = http.client.HTTPConnection("127.0.0.1", openai_server.port, timeout=5)
    try:
        start = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", json.dumps(chat_body("x y", stream=True)))
        response = conn.getresponse()
        first = response.read(1)  # blocks until the first chunk arrives
        time_to_first = time.perf_counter() - start
        rest = response.read()
        total = time.perf_counter() - start
    finally:
        conn.close()
    assert (first + rest).startswith(b"data: ") and time_to_first >= 0.1
    chunks = 2 + len(stream_pieces("echo: x y"))  # role, pieces, finish reason
    assert total >= 0.1 + 0.05 * (chunks - 1)


def test_errors_are_openai_shaped(openai_server: OpenAIServer) -> None:
    unknown = raw(openai_server, "GET", "/v1/nothing")
    assert unknown.status == 404 and unknown.json()["error"]["type"] == "invalid_request_error"
    not_json = raw(openai_server, "POST", "/v1/chat/completions", b"{not json")
    assert not_json.status == 400 and "JSON" in not_json.json()["error"]["message"]
    no_messages = raw(openai_server, "POST", "/v1/chat/completions", {"model": "m"})
    assert no_messages.status == 400
    assert raw(openai_server, "GET", "/v1/chat/completions").status == 405
    assert (
        raw(openai_server, "GET", "/v1/models/gpt-4o-mini-2024-07-18").json()["id"]
        == "gpt-4o-mini-2024-07-18"
    )
    assert raw(openai_server, "GET", "/v1/models/nope").status == 404
    assert openai_server.request_count == 6


def test_base64_embeddings_decode_to_the_float_vectors(openai_server: OpenAIServer) -> None:
    body = {"model": "text-embedding-3-small", "input": "the cat", "encoding_format": "base64"}
    encoded = raw(openai_server, "POST", "/v1/embeddings", body).json()["data"][0]["embedding"]
    decoded = struct.unpack(f"<{DEFAULT_EMBEDDING_DIM}f", base64.b64decode(encoded))
    assert decoded == pytest.approx(embed("the cat", DEFAULT_EMBEDDING_DIM), abs=1e-6)


def test_reset_forgets_everything(openai_server: OpenAIServer) -> None:
    openai_server.reply("x", "scripted")
    openai_server.fail_when("boom", status=500)
    openai_server.fail_next(3, status=429)
    openai_server.latency = 5.0
    openai_server.responder = lambda body: "custom"
    raw(openai_server, "GET", "/v1/models")
    openai_server.reset()
    assert openai_server.requests == [] and openai_server.latency == 0.0
    reply = raw(openai_server, "POST", "/v1/chat/completions", chat_body("x boom"))
    assert reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == "echo: x boom"


def test_stop_is_prompt_with_a_hanging_request_and_an_idle_connection() -> None:
    with OpenAIServer() as server:
        idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        assert send(idle, "GET", "/v1/models").status == 200
        server.fail_next(1, kind="timeout", hang=30)
        outcome: list[BaseException] = []
        hanging = threading.Thread(target=lambda: _expect_failure(server, outcome))
        hanging.start()
        while server.request_count < 2:
            time.sleep(0.01)
        start = time.perf_counter()
    stopped = time.perf_counter() - start
    hanging.join(5)
    idle.close()
    assert stopped < 1.0
    assert [type(error).__name__ for error in outcome] == ["RemoteDisconnected"]


def test_a_raising_responder_answers_500_and_is_recorded() -> None:
    with OpenAIServer() as server:
        server.responder = lambda body: body["no such key"]
        reply = raw(server, "POST", "/v1/chat/completions", chat_body("hi"))
        errors = server.errors
    assert reply.status == 500 and "responder" in reply.json()["error"]["message"]
    assert len(errors) == 1 and "KeyError: 'no such key'" in errors[0]


def _expect_failure(server: OpenAIServer, outcome: list[BaseException]) -> None:
    try:
        raw(server, "POST", "/v1/chat/completions", chat_body("hang"))
    except (http.client.HTTPException, OSError) as error:
        outcome.append(error)


def test_text_helpers() -> None:
    assert count_tokens("Hello, world!") == 4
    assert truncate_tokens("one, two three", 2) == "one,"
    assert truncate_tokens("one two", 5) == "one two"
    text = "  leading and  trailing  "
    assert "".join(stream_pieces(text)) == text
    assert stream_pieces("") == []
    assert embed("a b", 8) == embed("B A", 8)


# --- conformance to OpenAI's API description ------------------------------------------------------------

Validate = Callable[[Any, Json], None]


def _nullable_to_any_of(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` (left in parts of this 3.1 document) as JSON Schema: ``null`` or the
    schema. Without it a stream chunk's ``finish_reason: null`` - which the API sends - would not validate."""
    if isinstance(node, list):
        return [_nullable_to_any_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _nullable_to_any_of(v) for k, v in node.items() if not (k == "nullable" and v is True)}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


@pytest.fixture(scope="module")
def openapi() -> tuple[Json, Validate]:
    """The OpenAPI document (shared/ beside the repository) and a validator resolving its $refs."""
    if not OPENAPI_FILE.is_file():
        pytest.skip(
            f"OpenAI API description not found at {OPENAPI_FILE} (shared/ is not beside the repository)"
        )
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert str(document["openapi"]).startswith("3.1")
    uri = "urn:llmops-ci:openai-openapi-subset"
    resource = Resource.from_contents(_nullable_to_any_of(document), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)

    def validate(instance: Any, schema: Json) -> None:
        ref = str(schema["$ref"])
        Draft202012Validator({"$ref": uri + ref}, registry=registry).validate(instance)

    return document, validate


def response_schema(document: Json, path: str, method: str, content_type: str) -> Json:
    schema = document["paths"][path][method]["responses"]["200"]["content"][content_type]["schema"]
    assert isinstance(schema, dict)
    return schema


CONFORMANCE: dict[str, tuple[str, str, Json | None, str]] = {
    "chat completion": ("/chat/completions", "post", chat_body("hi"), "application/json"),
    "chat completion stream": (
        "/chat/completions",
        "post",
        chat_body("hi there", stream=True, stream_options={"include_usage": True}),
        "text/event-stream",
    ),
    "embeddings": (
        "/embeddings",
        "post",
        {"model": "text-embedding-3-small", "input": ["a", "b c"]},
        "application/json",
    ),
    "models": ("/models", "get", None, "application/json"),
}


@pytest.mark.parametrize("case", CONFORMANCE.values(), ids=CONFORMANCE.keys())
def test_responses_match_the_openai_api_description(
    case: tuple[str, str, Json | None, str], openai_server: OpenAIServer, openapi: tuple[Json, Validate]
) -> None:
    document, validate = openapi
    path, method, body, content_type = case
    reply = raw(openai_server, method.upper(), "/v1" + path, body)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(content_type)
    schema = response_schema(document, path, method, content_type)
    if content_type == "text/event-stream":
        *chunks, done = reply.events()
        assert done == "[DONE]" and len(chunks) >= 3
        for chunk in chunks:
            validate(json.loads(chunk), schema)
    else:
        validate(reply.json(), schema)


def test_rate_limit_response_matches_the_openai_api_description(
    openai_server: OpenAIServer, openapi: tuple[Json, Validate]
) -> None:
    document, validate = openapi
    openai_server.fail_next(1, status=429, retry_after=3)
    reply = raw(openai_server, "POST", "/v1/chat/completions", chat_body("hi"))
    assert reply.status == 429
    declared = document["paths"]["/chat/completions"]["post"]["responses"]["429"]
    assert declared == {"$ref": "#/components/responses/TooManyRequests"}
    validate(
        reply.json(),
        document["components"]["responses"]["TooManyRequests"]["content"]["application/json"]["schema"],
    )
    validate(
        int(reply.headers["retry-after"]),
        {"$ref": "#/components/responses/TooManyRequests/headers/Retry-After/schema"},
    )


def test_the_validator_rejects_a_wrong_response(openapi: tuple[Json, Validate]) -> None:
    from jsonschema import ValidationError

    document, validate = openapi
    schema = response_schema(document, "/chat/completions", "post", "application/json")
    with pytest.raises(ValidationError):
        validate({"id": "x", "object": "chat.completion", "created": 0, "model": "m"}, schema)  # no choices
