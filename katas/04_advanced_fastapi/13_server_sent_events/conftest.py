"""Fixtures for kata 4.13: TestClients that run the app's event loop for the whole test."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from server_sent_events import create_app

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Builds `create_app(**options)` and enters a TestClient on it, closed after the test.

    Entered with `with`: every request of the client (the streams and the POSTs that publish
    to them) then runs on the same event loop, as in a real server. Outside `with`, each request
    would get its own loop in its own thread, and a publish could not wake a subscriber.
    """
    with ExitStack() as stack:

        def make(**options: object) -> TestClient:
            return stack.enter_context(TestClient(create_app(**options)))

        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """A client on an app with the default options."""
    return make_client()
