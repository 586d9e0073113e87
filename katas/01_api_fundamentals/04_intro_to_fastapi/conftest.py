"""Fixtures for kata 1.4: a test client on the module's app."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from intro_to_fastapi import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A TestClient on `app`: requests go straight to the app, no server, no network."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    """The OpenAPI document the app serves at /openapi.json."""
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()
