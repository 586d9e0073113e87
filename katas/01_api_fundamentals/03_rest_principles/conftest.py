"""Fixtures for kata 1.3: an async client on a freshly built app, and books already shelved."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from rest_principles import create_app

Shelve = Callable[[int], Awaitable[list[dict[str, Any]]]]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a new app from the factory: every test starts with no books.

    The app runs in the test's event loop (no thread hop per request, unlike TestClient), so
    `asyncio.gather` over several requests puts them in flight at once.
    """
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as test_client:
        yield test_client


@pytest.fixture
def shelve(client: httpx.AsyncClient) -> Shelve:
    """`await shelve(n)`: creates n books with distinct ISBNs, returns them as the API answered."""

    async def create_books(count: int) -> list[dict[str, Any]]:
        created = []
        for n in range(count):
            body = {"isbn": f"979{n:010}", "title": f"Volume {n}", "author": "Anon"}
            response = await client.post("/books", json=body)
            assert response.status_code == 201, response.text
            created.append(response.json())
        return created

    return create_books


@pytest.fixture
async def shelf(shelve: Shelve, request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """`request.param` books on the client's app (parametrize with `indirect=True`), in order."""
    return await shelve(request.param)
