"""Fixtures for kata 2.3: a client on a freshly built app."""

from collections.abc import AsyncIterator

import httpx
import pytest
from request_body import create_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a new app from the factory: every test starts with no orders."""
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as test_client:
        yield test_client
