"""Fixtures for kata 4.12: a fresh app, a client on it, and its OpenAPI document."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_customization import create_app


@pytest.fixture
def app() -> FastAPI:
    """A new app from the factory: its document is not built yet."""
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, as `app.openapi()` gives it."""
    return app.openapi()
