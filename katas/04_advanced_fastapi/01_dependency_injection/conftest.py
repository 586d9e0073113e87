"""Fixtures for kata 4.1: a fresh database, the app built on it, and clients."""

from collections.abc import Iterator

import pytest
from dependency_injection import Database, create_app
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_KEY = "kata-admin-key-0123456789"


@pytest.fixture
def admin_key() -> str:
    """The key the app's admin router accepts."""
    return ADMIN_KEY


@pytest.fixture
def database() -> Database:
    """An empty database; its `events` journal what every request did."""
    return Database()


@pytest.fixture
def app(database: Database, admin_key: str) -> FastAPI:
    """The shop, built on the `database` fixture."""
    return create_app(database, admin_key=admin_key)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the app."""
    with TestClient(app) as test_client:
        yield test_client


class RecordResponseSent:
    """ASGI wrapper: journals "response sent" once the last byte of a response has gone out."""

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_record(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.database.events.append("response sent")

        await self.app(scope, receive, send_and_record)


@pytest.fixture
def timeline_client(app: FastAPI, database: Database) -> Iterator[TestClient]:
    """A TestClient whose requests also journal the moment the response is sent."""
    with TestClient(RecordResponseSent(app, database)) as test_client:
        yield test_client
