"""Fixtures for kata 4.3: a chat app with a few known tokens, and a client that runs its loop."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from websocket_chat import create_app

# token -> user: the identities the tests connect with.
TOKENS = {
    "t-alice": "alice",
    "t-bob": "bob",
    "t-carol": "carol",
    "t-dave": "dave",
}


@pytest.fixture
def tokens() -> dict[str, str]:
    """The token table every app of these tests is built with."""
    return dict(TOKENS)


@pytest.fixture
def app(tokens: dict[str, str]) -> FastAPI:
    """A new chat app."""
    return create_app(tokens)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient entered with `with`: its WebSocket sessions then share one event loop.

    Outside `with`, each session runs its own loop in its own thread, and a broadcast from one
    client's handler to another client's socket would cross threads.
    """
    with TestClient(app) as test_client:
        yield test_client
