"""Fixtures for kata 4.6: factories that journal every open and close, and the app built on them."""

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lifespan_events import create_app
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# What the fake rates service knows: GET /rates/<currency> -> {"currency": ..., "rate": ...}.
RATES = {"EUR": 1.0, "USD": 1.25, "GBP": 0.8}
RATES_URL = "http://rates.test"

# The journal records, in order: "engine opened" (engine_factory was called), "engine disposed"
# (engine.dispose() ran), "client opened" (client_factory was called), "client closed" (the
# client's transport was closed: `await client.aclose()` or leaving `async with client`).
Journal = list[str]


def rates_service(request: httpx.Request) -> httpx.Response:
    """The fake rates service: 200 with the rate of a known currency, 404 otherwise."""
    currency = request.url.path.removeprefix("/rates/")
    if request.method == "GET" and currency in RATES:
        return httpx.Response(200, json={"currency": currency, "rate": RATES[currency]})
    return httpx.Response(404, json={"detail": f"no rate for {currency}"})


class JournalingTransport(httpx.AsyncBaseTransport):
    """Delegates to `inner` and journals when the client that owns it is closed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, journal: Journal) -> None:
        self.inner = inner
        self.journal = journal

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Sends the request through the wrapped transport."""
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Journals the close, then closes the wrapped transport."""
        self.journal.append("client closed")
        await self.inner.aclose()


@pytest.fixture
def journal() -> Journal:
    """The ordered record of opens and closes of one test."""
    return []


@pytest.fixture
def db_connections() -> Counter[str]:
    """How many DBAPI connections the engines opened ("opened") and closed ("closed")."""
    return Counter()


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where this test's SQLite database lives."""
    return tmp_path / "prices.sqlite"


@pytest.fixture
def database_url(database_path: Path) -> str:
    """The URL of this test's SQLite database."""
    return f"sqlite+aiosqlite:///{database_path}"


@pytest.fixture
async def opened_engines() -> AsyncIterator[list[AsyncEngine]]:
    """Every engine the factories built; disposed at teardown, so a leak cannot outlive the test."""
    engines: list[AsyncEngine] = []
    yield engines
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def opened_clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    """Every client the factories built; closed at teardown."""
    clients: list[httpx.AsyncClient] = []
    yield clients
    for client in clients:
        # Best effort: some tests hand the app a client whose close fails on purpose.
        with contextlib.suppress(Exception):
            await client.aclose()


@pytest.fixture
def tracked_engine(
    journal: Journal, db_connections: Counter[str], opened_engines: list[AsyncEngine]
) -> Callable[[str], AsyncEngine]:
    """Builds an engine on a URL that journals its disposal and counts its connections."""

    def build(url: str) -> AsyncEngine:
        engine = create_async_engine(url)
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "engine_disposed", lambda _: journal.append("engine disposed"))
        event.listen(sync_engine.pool, "connect", lambda *_: db_connections.update(["opened"]))
        event.listen(sync_engine.pool, "close", lambda *_: db_connections.update(["closed"]))
        opened_engines.append(engine)
        journal.append("engine opened")
        return engine

    return build


@pytest.fixture
def tracked_client(
    journal: Journal, opened_clients: list[httpx.AsyncClient]
) -> Callable[[httpx.AsyncBaseTransport], httpx.AsyncClient]:
    """Builds a client of the rates service on a transport, journaling when it is closed."""

    def build(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=JournalingTransport(transport, journal), base_url=RATES_URL
        )
        opened_clients.append(client)
        journal.append("client opened")
        return client

    return build


@pytest.fixture
def engine_factory(
    tracked_engine: Callable[[str], AsyncEngine], database_url: str
) -> Callable[[], AsyncEngine]:
    """The engine factory the app gets: a tracked engine on this test's database."""
    return lambda: tracked_engine(database_url)


@pytest.fixture
def client_factory(
    tracked_client: Callable[[httpx.AsyncBaseTransport], httpx.AsyncClient],
) -> Callable[[], httpx.AsyncClient]:
    """The client factory the app gets: a tracked client of the fake rates service."""
    return lambda: tracked_client(httpx.MockTransport(rates_service))


@pytest.fixture
def app(
    engine_factory: Callable[[], AsyncEngine], client_factory: Callable[[], httpx.AsyncClient]
) -> FastAPI:
    """A new app on the tracked factories."""
    return create_app(engine_factory, client_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient inside one life of the app: startup before the test, shutdown after."""
    with TestClient(app) as test_client:
        yield test_client
