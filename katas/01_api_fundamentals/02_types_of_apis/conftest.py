"""Fixtures for kata 1.2: clients on a fresh app, sync (TestClient) and async (httpx)."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from types_of_apis import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """A TestClient on a new app from the factory, shared by the module's tests.

    The service keeps no state between requests, so one app can answer every test; building
    one per test (a thread and an event loop each) would dominate the run time.
    """
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def ws(client: TestClient) -> Iterator[WebSocketTestSession]:
    """An open WebSocket session on `/ws`."""
    with client.websocket_connect("/ws") as session:
        yield session


@pytest.fixture
def app() -> FastAPI:
    """A new app, for the async tests (which drive it in their own event loop)."""
    return create_app()


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling `app` in the test's event loop: many requests in flight at once."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http_client:
        yield http_client
