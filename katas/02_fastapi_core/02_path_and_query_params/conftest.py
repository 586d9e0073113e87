"""Fixtures for kata 2.2: one app for the whole module (it holds no state), and its OpenAPI."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from path_and_query_params import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """A TestClient on one app from the factory, shared by the module's tests and examples.

    Sharing is correct because the app only reads the given catalogue; it also lets the
    hypothesis tests send hundreds of requests without building an app per example.
    """
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    """The app's OpenAPI document, as a client would download it."""
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
