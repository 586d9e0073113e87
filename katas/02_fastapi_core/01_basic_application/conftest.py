"""Fixtures for kata 2.1: a client on a freshly built app."""

from collections.abc import Iterator

import pytest
from basic_application import create_app
from fastapi.testclient import TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A TestClient on a new app from the factory (lifespan included)."""
    with TestClient(create_app()) as test_client:
        yield test_client
