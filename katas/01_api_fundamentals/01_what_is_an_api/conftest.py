"""Fixtures for kata 1.1: an httpx client wired straight to the raw ASGI app."""

from collections.abc import AsyncIterator

import httpx
import pytest
from what_is_an_api import app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An `httpx.AsyncClient` that sends its requests to `app` in this event loop, no network.

    `ASGITransport` builds the scope, `receive` and `send` for each request, as a server would; it
    does not run the lifespan (task 5 tests that on its own).
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as test_client:
        yield test_client
