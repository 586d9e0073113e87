"""Fixtures for kata 4.9: settings holding secrets, and clients on a freshly built shop app."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from exception_handlers import Settings, create_app
from fastapi.testclient import TestClient

DATABASE_PASSWORD = "pa55-w0rd-7f3c9"
DATABASE_HOST = "db.internal.example"
API_KEY = "sk_live_4e8d1c0b9a7f"


@pytest.fixture
def app_settings() -> Settings:
    """Settings whose database URL carries a password and whose report key is live."""
    return Settings(
        database_url=f"postgresql://shop:{DATABASE_PASSWORD}@{DATABASE_HOST}:5432/shop",
        reports_api_key=API_KEY,
    )


@pytest.fixture
def secrets() -> tuple[str, ...]:
    """What must never reach a client: the password, the database host, the API key."""
    return (DATABASE_PASSWORD, DATABASE_HOST, API_KEY)


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    """A TestClient on a new app that answers a 500 instead of re-raising the app's exception."""
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
async def async_client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a new app, for requests in flight at the same time."""
    transport = httpx.ASGITransport(app=create_app(app_settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as async_client:
        yield async_client
