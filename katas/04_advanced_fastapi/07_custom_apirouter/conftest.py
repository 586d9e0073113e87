"""Fixtures for kata 4.7: the whole app, and each router alone in an app of the test's own."""

from collections.abc import Iterator

import pytest
from custom_apirouter import ItemStore, build_admin_router, build_items_router, create_app
from fastapi import FastAPI
from fastapi.testclient import TestClient

API_KEY = "kata-api-key-0123456789"  # the test module uses the same value


@pytest.fixture
def bare_app() -> FastAPI:
    """An app without routes, with what the routers expect on app.state: a store and the key."""
    app = FastAPI()
    app.state.store = ItemStore()
    app.state.api_key = API_KEY
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client on a new app from create_app(api_key=API_KEY)."""
    with TestClient(create_app(api_key=API_KEY)) as test_client:
        yield test_client


@pytest.fixture
def items_client(bare_app: FastAPI) -> Iterator[TestClient]:
    """The items router alone, included without a prefix: its routes start at /items."""
    bare_app.include_router(build_items_router())
    with TestClient(bare_app) as test_client:
        yield test_client


@pytest.fixture
def admin_client(bare_app: FastAPI) -> Iterator[TestClient]:
    """The admin router alone, included without a prefix: its routes start at /admin."""
    bare_app.include_router(build_admin_router())
    with TestClient(bare_app) as test_client:
        yield test_client
