"""Tests for kata 4.6: resources opened once by the lifespan, shared by requests, then closed."""

import asyncio
import inspect
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifespan_events import create_app, get_client, get_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

Journal = list[str]  # see conftest.py
EngineFactory = Callable[[], AsyncEngine]
ClientFactory = Callable[[], httpx.AsyncClient]
TrackedEngine = Callable[[str], AsyncEngine]
TrackedClient = Callable[[httpx.AsyncBaseTransport], httpx.AsyncClient]

OPENED = ["engine opened", "client opened"]
ONE_LIFE = [*OPENED, "client closed", "engine disposed"]
NOT_OPEN = {"detail": "Resources are not open: the app's lifespan has not run"}


def open_connections(db_connections: Counter[str]) -> int:
    """DBAPI connections opened and not closed yet."""
    return db_connections["opened"] - db_connections["closed"]


def rate_of_usd(request: httpx.Request) -> httpx.Response:
    """A rates service that only knows USD."""
    return httpx.Response(200, json={"currency": "USD", "rate": 1.25})


def asgi_client(app: ASGIApp) -> httpx.AsyncClient:
    """An async client that drives an ASGI app in-process (it sends no lifespan events)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# --- Task 1: open the resources at startup -----------------------------------------------------


@pytest.mark.task(1)
def test_create_app_opens_nothing_and_startup_opens_the_engine_then_the_client(
    engine_factory: EngineFactory, client_factory: ClientFactory, journal: Journal
) -> None:
    app = create_app(engine_factory, client_factory)
    assert isinstance(app, FastAPI)
    assert journal == [], "create_app must not open anything: the lifespan does, at startup"
    with TestClient(app):
        assert journal == OPENED


@pytest.mark.task(1)
def test_startup_creates_the_tables(client: TestClient, database_path: Path) -> None:
    with sqlite3.connect(database_path) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    assert "products" in tables


@pytest.mark.task(1)
def test_each_new_app_opens_resources_of_its_own(
    engine_factory: EngineFactory,
    client_factory: ClientFactory,
    opened_engines: list[AsyncEngine],
    opened_clients: list[httpx.AsyncClient],
) -> None:
    with (
        TestClient(create_app(engine_factory, client_factory)),
        TestClient(create_app(engine_factory, client_factory)),
    ):
        assert len(opened_engines) == 2
        assert opened_engines[0] is not opened_engines[1]
        assert len(opened_clients) == 2
        assert opened_clients[0] is not opened_clients[1]


# --- Task 2: share them with every request -----------------------------------------------------


@pytest.mark.task(2)
def test_a_product_created_by_one_request_is_priced_by_the_next(client: TestClient) -> None:
    created = client.post("/products", json={"name": "Lamp", "price": 40})
    assert created.status_code == 201, created.text
    assert created.json() == {"id": 1, "name": "Lamp", "price": 40.0}
    for currency, amount in [("USD", 50.0), ("GBP", 32.0), ("EUR", 40.0)]:
        priced = client.get("/products/1/price", params={"currency": currency})
        assert priced.status_code == 200, priced.text
        assert priced.json() == {"product_id": 1, "currency": currency, "amount": amount}


@pytest.mark.task(2)
def test_requests_open_no_resources_of_their_own(client: TestClient, journal: Journal) -> None:
    assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
    for _ in range(5):
        priced = client.get("/products/1/price", params={"currency": "USD"})
        assert priced.status_code == 200, priced.text
    assert journal == OPENED


@pytest.mark.task(2)
async def test_concurrent_requests_share_one_engine_and_one_client(
    tracked_engine: TrackedEngine,
    tracked_client: TrackedClient,
    database_url: str,
    journal: Journal,
) -> None:
    in_flight = 10
    arrived = 0
    all_arrived = asyncio.Event()

    async def rates_that_wait_for_everyone(request: httpx.Request) -> httpx.Response:
        # Answers only once all the requests are waiting here together: proof that they are
        # in flight at the same time, through the one client.
        nonlocal arrived
        arrived += 1
        if arrived == in_flight:
            all_arrived.set()
        try:
            async with asyncio.timeout(5):
                await all_arrived.wait()
        except TimeoutError:
            return httpx.Response(503, json={"detail": "the requests never overlapped"})
        return rate_of_usd(request)

    app = create_app(
        lambda: tracked_engine(database_url),
        lambda: tracked_client(httpx.MockTransport(rates_that_wait_for_everyone)),
    )
    async with LifespanManager(app) as manager, asgi_client(manager.app) as http:
        created = await http.post("/products", json={"name": "Lamp", "price": 40})
        assert created.status_code == 201, created.text
        answers = await asyncio.gather(
            *(http.get("/products/1/price", params={"currency": "USD"}) for _ in range(in_flight))
        )
        assert journal == OPENED
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"product_id": 1, "currency": "USD", "amount": 50.0}
    assert journal == ONE_LIFE


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/products/1/price?currency=USD", None, id="read-price"),
        pytest.param("POST", "/products", {"name": "Lamp", "price": 40}, id="create-product"),
    ],
)
async def test_without_the_lifespan_requests_get_503_and_open_nothing(
    app: FastAPI, journal: Journal, method: str, path: str, body: dict[str, object] | None
) -> None:
    # httpx.ASGITransport alone sends no lifespan events: startup never happens.
    async with asgi_client(app) as http:
        answer = await http.request(method, path, json=body)
    assert answer.status_code == 503, answer.text
    assert answer.json() == NOT_OPEN
    assert journal == []


@pytest.mark.task(2)
def test_two_apps_running_at_once_each_use_their_own_resources(
    tracked_engine: TrackedEngine, tracked_client: TrackedClient, tmp_path: Path
) -> None:
    def rate(value: float) -> Callable[[httpx.Request], httpx.Response]:
        return lambda request: httpx.Response(200, json={"currency": "USD", "rate": value})

    first = create_app(
        lambda: tracked_engine(f"sqlite+aiosqlite:///{tmp_path / 'first.sqlite'}"),
        lambda: tracked_client(httpx.MockTransport(rate(2.0))),
    )
    second = create_app(
        lambda: tracked_engine(f"sqlite+aiosqlite:///{tmp_path / 'second.sqlite'}"),
        lambda: tracked_client(httpx.MockTransport(rate(3.0))),
    )
    with TestClient(first) as one, TestClient(second) as two:
        assert one.post("/products", json={"name": "Lamp", "price": 10}).status_code == 201
        assert two.post("/products", json={"name": "Desk", "price": 100}).status_code == 201
        assert two.post("/products", json={"name": "Sofa", "price": 300}).status_code == 201
        for http, product_id, amount in [(one, 1, 20.0), (two, 1, 300.0), (two, 2, 900.0)]:
            priced = http.get(f"/products/{product_id}/price", params={"currency": "USD"})
            assert priced.status_code == 200, priced.text
            assert priced.json()["amount"] == amount, "a request used another app's resources"
        assert one.get("/products/2/price", params={"currency": "USD"}).status_code == 404


@pytest.mark.task(2)
async def test_after_shutdown_requests_get_503_and_open_nothing(
    app: FastAPI, journal: Journal, db_connections: Counter[str]
) -> None:
    async with LifespanManager(app):
        pass
    assert journal == ONE_LIFE
    # The app is still reachable without a lifespan (a server draining, a test reusing it):
    # its resources are closed, and a disposed engine would quietly open new connections.
    async with asgi_client(app) as http:
        answer = await http.post("/products", json={"name": "Lamp", "price": 40})
    assert answer.status_code == 503, answer.text
    assert answer.json() == NOT_OPEN
    assert journal == ONE_LIFE
    assert open_connections(db_connections) == 0


@pytest.mark.task(2)
def test_a_mounted_app_whose_lifespan_never_ran_answers_503(app: FastAPI, journal: Journal) -> None:
    # Starlette runs the lifespan of the outermost app only, never that of a mounted sub-app.
    outer = FastAPI()
    outer.mount("/prices", app)
    with TestClient(outer) as client:
        answer = client.get("/prices/products/1/price", params={"currency": "USD"})
    assert answer.status_code == 503, answer.text
    assert answer.json() == NOT_OPEN
    assert journal == []


@pytest.mark.task(2)
def test_prices_are_rounded_to_the_cent(client: TestClient) -> None:
    created = client.post("/products", json={"name": "Pen", "price": 10.01})
    assert created.status_code == 201, created.text
    priced = client.get(f"/products/{created.json()['id']}/price", params={"currency": "GBP"})
    assert priced.status_code == 200, priced.text
    assert priced.json()["amount"] == 8.01  # 10.01 * 0.8 = 8.008


@pytest.mark.task(2)
@pytest.mark.parametrize("dependency", [get_engine, get_client])
async def test_each_dependency_refuses_a_request_the_lifespan_never_saw(
    dependency: Callable[[Request], object],
) -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "app": FastAPI()}

    async def call() -> None:
        result = dependency(Request(scope))
        if inspect.isawaitable(result):
            await result

    with pytest.raises(HTTPException) as raised:
        await call()
    assert (raised.value.status_code, raised.value.detail) == (503, NOT_OPEN["detail"])


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "L", "price": 0.01}, id="shortest-name-lowest-price"),
        pytest.param({"name": "L" * 50, "price": 1}, id="longest-name"),
    ],
)
def test_a_product_at_the_limits_is_created(client: TestClient, body: dict[str, object]) -> None:
    answer = client.post("/products", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == body["name"]


@pytest.mark.task(2)
def test_the_price_of_a_missing_product_is_404(client: TestClient) -> None:
    answer = client.get("/products/7/price", params={"currency": "USD"})
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"detail": "Product 7 not found"}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="missing"),
        pytest.param({"currency": "usd"}, id="lowercase"),
        pytest.param({"currency": "US"}, id="too-short"),
        pytest.param({"currency": "EURO"}, id="too-long"),
        pytest.param({"currency": "U5D"}, id="digit"),
    ],
)
def test_a_malformed_currency_is_422(client: TestClient, params: dict[str, str]) -> None:
    assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
    answer = client.get("/products/1/price", params=params)
    assert answer.status_code == 422, answer.text
    assert [error["loc"] for error in answer.json()["detail"]] == [["query", "currency"]]


@pytest.mark.task(2)
def test_a_currency_the_rates_service_does_not_know_is_404(client: TestClient) -> None:
    assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
    answer = client.get("/products/1/price", params={"currency": "XYZ"})
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"detail": "No rate for XYZ"}


def refuse_connection(request: httpx.Request) -> httpx.Response:
    """A rates service that cannot be reached."""
    raise httpx.ConnectError("connection refused", request=request)


def answer_503(request: httpx.Request) -> httpx.Response:
    """A rates service that is up but failing."""
    return httpx.Response(503, json={"detail": "maintenance"})


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "rates_service",
    [
        pytest.param(refuse_connection, id="unreachable"),
        pytest.param(answer_503, id="failing"),
    ],
)
def test_a_failing_rates_service_is_502(
    engine_factory: EngineFactory,
    tracked_client: TrackedClient,
    rates_service: Callable[[httpx.Request], httpx.Response],
) -> None:
    app = create_app(engine_factory, lambda: tracked_client(httpx.MockTransport(rates_service)))
    with TestClient(app) as client:
        assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
        answer = client.get("/products/1/price", params={"currency": "USD"})
    assert answer.status_code == 502, answer.text
    assert answer.json() == {"detail": "Rates service unavailable"}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"price": 40}, id="missing-name"),
        pytest.param({"name": "", "price": 40}, id="empty-name"),
        pytest.param({"name": "L" * 51, "price": 40}, id="name-too-long"),
        pytest.param({"name": "Lamp", "price": 0}, id="zero-price"),
        pytest.param({"name": "Lamp", "price": "cheap"}, id="price-not-a-number"),
    ],
)
def test_an_invalid_product_is_422_and_stores_nothing(
    client: TestClient, body: dict[str, object]
) -> None:
    answer = client.post("/products", json=body)
    assert answer.status_code == 422, answer.text
    assert client.get("/products/1/price", params={"currency": "EUR"}).status_code == 404


# --- Task 3: close them at shutdown ------------------------------------------------------------


@pytest.mark.task(3)
def test_shutdown_closes_the_client_then_disposes_the_engine(
    app: FastAPI,
    journal: Journal,
    opened_clients: list[httpx.AsyncClient],
    db_connections: Counter[str],
) -> None:
    with TestClient(app) as client:
        assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
        assert client.get("/products/1/price", params={"currency": "USD"}).status_code == 200
    assert journal == ONE_LIFE
    assert opened_clients[0].is_closed
    assert db_connections["opened"] >= 1
    assert open_connections(db_connections) == 0, "dispose the engine: connections left open"


@pytest.mark.task(3)
def test_each_life_of_the_app_opens_and_closes_resources_of_its_own(
    app: FastAPI,
    journal: Journal,
    opened_engines: list[AsyncEngine],
    opened_clients: list[httpx.AsyncClient],
) -> None:
    with TestClient(app) as client:
        assert client.post("/products", json={"name": "Lamp", "price": 40}).status_code == 201
    with TestClient(app) as client:
        # The second life has new resources, on the same database.
        priced = client.get("/products/1/price", params={"currency": "USD"})
        assert priced.status_code == 200, priced.text
    assert journal == ONE_LIFE * 2
    assert opened_engines[0] is not opened_engines[1]
    assert opened_clients[0] is not opened_clients[1]
    assert all(client.is_closed for client in opened_clients)


@pytest.mark.task(3)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(requests_per_life=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=3))
def test_every_life_opens_and_closes_each_resource_once_whatever_the_traffic(
    app: FastAPI,
    journal: Journal,
    db_connections: Counter[str],
    requests_per_life: list[int],
) -> None:
    journal.clear()
    for requests in requests_per_life:
        with TestClient(app) as client:
            for _ in range(requests):
                answer = client.get("/products/1/price", params={"currency": "USD"})
                assert answer.status_code == 404, answer.text
    assert journal == ONE_LIFE * len(requests_per_life)
    assert open_connections(db_connections) == 0


class CloseFails(httpx.MockTransport):
    """A transport whose close raises, like a client that fails to flush on shutdown."""

    async def aclose(self) -> None:
        """Fails."""
        raise RuntimeError("the rates client failed to close")


@pytest.mark.task(3)
def test_the_engine_is_disposed_even_when_closing_the_client_fails(
    engine_factory: EngineFactory,
    tracked_client: TrackedClient,
    journal: Journal,
    db_connections: Counter[str],
) -> None:
    app = create_app(engine_factory, lambda: tracked_client(CloseFails(rate_of_usd)))
    with pytest.raises(RuntimeError, match="failed to close"), TestClient(app):
        pass
    assert journal == ONE_LIFE
    assert open_connections(db_connections) == 0


# --- Task 4: fail startup cleanly --------------------------------------------------------------


def unreachable_database() -> AsyncEngine:
    """An engine factory that fails."""
    raise RuntimeError("database unreachable")


def misconfigured_client() -> httpx.AsyncClient:
    """A client factory that fails."""
    raise RuntimeError("rates client misconfigured")


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("failing_step", "error", "match", "expected_journal"),
    [
        pytest.param(
            "engine_factory", RuntimeError, "database unreachable", [], id="engine-factory"
        ),
        pytest.param(
            "create_tables",
            OperationalError,
            "readonly database",
            ["engine opened", "engine disposed"],
            id="create-tables",
        ),
        pytest.param(
            "client_factory",
            RuntimeError,
            "misconfigured",
            ["engine opened", "engine disposed"],
            id="client-factory",
        ),
    ],
)
def test_a_failed_startup_closes_what_it_opened_and_raises(
    tracked_engine: TrackedEngine,
    client_factory: ClientFactory,
    engine_factory: EngineFactory,
    database_path: Path,
    journal: Journal,
    db_connections: Counter[str],
    failing_step: str,
    error: type[Exception],
    match: str,
    expected_journal: Journal,
) -> None:
    if failing_step == "engine_factory":
        app = create_app(unreachable_database, client_factory)
    elif failing_step == "create_tables":
        # A database opened read-only: connecting works, CREATE TABLE does not.
        sqlite3.connect(database_path).close()
        read_only = f"sqlite+aiosqlite:///file:{database_path}?mode=ro&uri=true"
        app = create_app(lambda: tracked_engine(read_only), client_factory)
    else:
        app = create_app(engine_factory, misconfigured_client)
    with pytest.raises(error, match=match), TestClient(app):
        pass
    assert journal == expected_journal
    assert open_connections(db_connections) == 0


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_a_failed_startup_also_fails_under_an_asgi_server(
    engine_factory: EngineFactory, journal: Journal, db_connections: Counter[str]
) -> None:
    app = create_app(engine_factory, misconfigured_client)
    with pytest.raises(RuntimeError, match="misconfigured"):
        async with LifespanManager(app):
            pass
    assert journal == ["engine opened", "engine disposed"]
    assert open_connections(db_connections) == 0
