"""Fixtures for kata 2.4: a store the tests can look into, and clients on an app built over it."""

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from response_models import UserStore, create_app


@pytest.fixture
def store() -> UserStore:
    """An empty store: the tests read it to see what the app really keeps."""
    return UserStore()


@pytest.fixture
def client(store: UserStore) -> Iterator[TestClient]:
    """A TestClient on a new app over `store`."""
    with TestClient(create_app(store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document of an app, as a client downloads it (built once: it never changes)."""
    with TestClient(create_app()) as test_client:
        response = test_client.get("/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def usernames() -> Iterator[str]:
    """Fresh usernames (`user1`, `user2`, ...), for tests that sign up many users on one app."""
    return (f"user{n}" for n in itertools.count(1))


@pytest.fixture
async def async_client(store: UserStore) -> AsyncIterator[httpx.AsyncClient]:
    """An async client on a new app over `store`, for several requests in flight at once."""
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as test_client:
        yield test_client
