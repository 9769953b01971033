"""pytest fixtures for fake servers; loaded by tests/conftest.py (``pytest_plugins``).

``openai_server`` yields an :class:`~tests.fakes.openai_server.OpenAIServer` on 127.0.0.1. One server
serves the whole session (started on first use, stopped at the end); each test gets it freshly
:meth:`~tests.fakes.openai_server.OpenAIServer.reset` - no rules, faults, latency or logged requests from
an earlier test - and fails if the server recorded an internal error while the test ran. Point clients at
``openai_server.base_url`` (``http://127.0.0.1:PORT/v1``).

A test that needs its own server (say, to stop it) can use ``with OpenAIServer() as server:`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakes.openai_server import OpenAIServer

# Tests run offline: litellm must use its bundled model cost map instead of fetching one at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="session")
def openai_server_session() -> Iterator[OpenAIServer]:
    """The session's server; prefer ``openai_server``, which also resets it around each test."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def openai_server(openai_server_session: OpenAIServer) -> Iterator[OpenAIServer]:
    """The session's fake OpenAI server, reset for this test."""
    server = openai_server_session
    server.reset()
    yield server
    errors = server.errors
    server.reset()
    if errors:
        pytest.fail("fake OpenAI server errors:\n" + "\n".join(errors), pytrace=False)
