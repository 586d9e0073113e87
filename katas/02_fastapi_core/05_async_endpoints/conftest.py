"""Fixtures for kata 2.5: async clients that drive an app in the test's own event loop."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

ClientFor = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFor]:
    """`client_for(app)`: an `httpx.AsyncClient` on `app` through `ASGITransport`, closed after
    the test.

    The app runs in the test's event loop, so `asyncio.gather` over several requests puts them in
    flight at once. `client_for(app, raise_app_exceptions=False)` answers a server error as a 500
    response instead of raising it in the test.
    """
    async with AsyncExitStack() as stack:

        def open_client(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
            client = httpx.AsyncClient(transport=transport, base_url="http://test")
            stack.push_async_callback(client.aclose)
            return client

        yield open_client
