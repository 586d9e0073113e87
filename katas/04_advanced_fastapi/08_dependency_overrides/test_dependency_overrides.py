"""Tests for kata 4.8: an app built from dependencies, and overrides that always come undone."""

import asyncio
import gc
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dependency_overrides import (
    Order,
    PaymentDeclined,
    Settings,
    create_app,
    get_engine,
    get_http_client,
    get_payment_client,
    get_settings,
    overridden,
)
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session


def count_orders(engine: Engine) -> int:
    """How many orders the test database holds."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


ORDER = {"product_id": 2, "quantity": 3, "card_token": "tok_visa"}


class FakePayments:
    """A `PaymentClient` for tests: records every charge, declines when told to."""

    def __init__(self) -> None:
        self.charges: list[dict[str, object]] = []
        self.decline: str | None = None
        self.barrier: threading.Barrier | None = None
        self._ids = itertools.count(1)  # next() on a count is safe across threads

    def charge(self, *, amount_cents: int, currency: str, card_token: str) -> str:
        """Records the charge; raises `PaymentDeclined` when `decline` is set."""
        self.charges.append(
            {"amount_cents": amount_cents, "currency": currency, "card_token": card_token}
        )
        charge_id = f"ch_{next(self._ids)}"
        if self.barrier is not None:
            self.barrier.wait()
        if self.decline is not None:
            raise PaymentDeclined(self.decline)
        return charge_id


@pytest.fixture
def payments(app: FastAPI) -> FakePayments:
    """A fake payment client, installed on the app as the override of `get_payment_client`."""
    fake = FakePayments()
    app.dependency_overrides[get_payment_client] = lambda: fake
    return fake


class FakeProvider:
    """The payment provider's HTTP API in process: records requests, answers `answer`."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: httpx.Response | Exception = httpx.Response(201, json={"id": "ch_42"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def provider(app: FastAPI) -> Iterator[FakeProvider]:
    """A fake provider behind an httpx client installed as the override of `get_http_client`.

    The real `get_payment_client` and `HttpPaymentClient` run; only the network is replaced.
    """
    fake = FakeProvider()
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as http:
        app.dependency_overrides[get_http_client] = lambda: http
        yield fake


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound by us, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --- Task 1: settings as a dependency ---


@pytest.mark.task(1)
async def test_info_answers_the_default_settings(client: httpx.AsyncClient) -> None:
    response = await client.get("/info")
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "Shop", "currency": "EUR"}


@pytest.mark.task(1)
def test_get_settings_builds_the_settings_once() -> None:
    settings = get_settings()
    assert isinstance(settings, Settings)
    assert get_settings() is settings


@pytest.mark.task(1)
async def test_overriding_get_settings_changes_what_the_app_sees(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(app_name="Test shop", currency="CHF")
    response = await client.get("/info")
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "Test shop", "currency": "CHF"}


@pytest.mark.task(1)
def test_each_call_of_create_app_builds_a_new_app() -> None:
    first, second = create_app(), create_app()
    assert isinstance(first, FastAPI)
    assert first is not second
    first.dependency_overrides[get_settings] = Settings
    assert second.dependency_overrides == {}


# --- Task 2: the database as a dependency ---


@pytest.mark.task(2)
async def test_products_come_from_the_database_get_engine_returns(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/products")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": 1, "name": "Pen", "price_cents": 150},
        {"id": 2, "name": "Notebook", "price_cents": 450},
        {"id": 3, "name": "Desk lamp", "price_cents": 2900},
        {"id": 4, "name": "Laptop", "price_cents": 120000},
    ]


@pytest.mark.task(2)
async def test_a_stored_order_is_read_back(client: httpx.AsyncClient, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            Order(id=7, product_id=1, quantity=2, total_cents=300, currency="EUR", charge_id="c")
        )
        session.commit()
    response = await client.get("/orders/7")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": 7,
        "product_id": 1,
        "quantity": 2,
        "total_cents": 300,
        "currency": "EUR",
        "charge_id": "c",
    }


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        pytest.param("/orders/7", 404, {"detail": "Order 7 not found"}, id="missing-order"),
        pytest.param("/orders/seven", 422, None, id="non-integer-id"),
    ],
)
async def test_bad_order_ids_are_refused(
    client: httpx.AsyncClient, path: str, status: int, body: object
) -> None:
    response = await client.get(path)
    assert response.status_code == status, response.text
    if body is not None:
        assert response.json() == body


@pytest.mark.task(2)
async def test_every_session_is_given_back_to_the_pool(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    # A session left open is handed back only when the garbage collector happens to break the
    # cycle its exception's traceback makes: with the collector off, a leak stays visible.
    gc.collect()
    gc.disable()
    try:
        for path in ("/products", "/orders/7", "/orders/seven", "/products"):
            await client.get(path)
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        gc.enable()


@pytest.mark.task(2)
async def test_database_work_never_runs_on_the_event_loop(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    with Session(engine) as session:
        session.add(
            Order(id=7, product_id=1, quantity=2, total_cents=300, currency="EUR", charge_id="c")
        )
        session.commit()
    # httpx.ASGITransport runs the app on this test's event loop, in this thread.
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def record(*_: object) -> None:
        threads.append(threading.get_ident())

    event.listen(engine, "before_cursor_execute", record)
    try:
        for path in ("/products", "/orders/7", "/orders/8"):
            response = await client.get(path)
            assert response.status_code in {200, 404}, response.text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert threads, "no query reached the test database"
    assert loop_thread not in threads, (
        "a blocking query ran on the event loop: routes that use the Session must be plain "
        "`def` functions (FastAPI runs those in its threadpool)"
    )


@pytest.mark.task(2)
def test_get_engine_makes_one_engine_per_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine = get_engine(Settings(database_url=url))
    assert isinstance(engine, Engine)
    assert engine.url.render_as_string() == url
    assert get_engine(Settings(database_url=url)) is engine
    other = get_engine(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}"))
    assert other is not engine


@pytest.mark.task(2)
async def test_overriding_settings_alone_points_the_app_at_another_database(
    app: FastAPI, client: httpx.AsyncClient, other_database_url: str
) -> None:
    settings = Settings(database_url=other_database_url)
    del app.dependency_overrides[get_engine]  # the real get_engine, fed by the settings
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        response = await client.get("/products")
        assert response.status_code == 200, response.text
        assert response.json() == [{"id": 9, "name": "Globe", "price_cents": 990}]
    finally:
        get_engine(settings).dispose()


# --- Task 3: the payment client as a dependency ---


@pytest.mark.task(3)
async def test_an_order_is_charged_then_stored(
    client: httpx.AsyncClient, payments: FakePayments
) -> None:
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order == {
        "id": order["id"],
        "product_id": 2,
        "quantity": 3,
        "total_cents": 1350,
        "currency": "EUR",
        "charge_id": "ch_1",
    }
    assert payments.charges == [{"amount_cents": 1350, "currency": "EUR", "card_token": "tok_visa"}]
    assert (await client.get(f"/orders/{order['id']}")).json() == order


@pytest.mark.task(3)
async def test_the_currency_and_the_limit_come_from_the_settings(
    app: FastAPI, client: httpx.AsyncClient, payments: FakePayments, engine: Engine
) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(currency="CHF", max_order_cents=1000)
    refused = await client.post("/orders", json=ORDER)
    assert refused.status_code == 422, refused.text
    assert refused.json() == {"detail": "Order total 1350 exceeds the limit of 1000"}
    accepted = await client.post("/orders", json={**ORDER, "quantity": 2})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["currency"] == "CHF"
    assert payments.charges == [{"amount_cents": 900, "currency": "CHF", "card_token": "tok_visa"}]
    assert count_orders(engine) == 1


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"quantity": 1, "card_token": "t"}, id="one-item-one-character-token"),
        pytest.param({"quantity": 100, "card_token": "t" * 100}, id="hundred-items-longest-token"),
    ],
)
async def test_an_order_at_the_limits_of_the_body_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, payments: FakePayments, changes: dict[str, object]
) -> None:
    response = await client.post("/orders", json={**ORDER, "product_id": 1, **changes})
    assert response.status_code == 201, response.text
    assert len(payments.charges) == 1


@pytest.mark.task(3)
async def test_a_total_equal_to_the_limit_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, payments: FakePayments
) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(max_order_cents=1350)
    response = await client.post("/orders", json=ORDER)  # 3 x 450 = 1350
    assert response.status_code == 201, response.text
    assert payments.charges[0]["amount_cents"] == 1350


@pytest.mark.task(3)
async def test_a_declined_payment_is_402_and_stores_nothing(
    client: httpx.AsyncClient, payments: FakePayments, engine: Engine
) -> None:
    payments.decline = "insufficient funds"
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 402, response.text
    assert response.json() == {"detail": "Payment declined: insufficient funds"}
    assert count_orders(engine) == 0


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param(
            {**ORDER, "product_id": 99}, 404, "Product 99 not found", id="unknown-product"
        ),
        pytest.param(
            {**ORDER, "product_id": 4, "quantity": 1},
            422,
            "Order total 120000 exceeds the limit of 50000",
            id="over-the-limit",
        ),
        pytest.param({**ORDER, "quantity": 0}, 422, None, id="quantity-0"),
        pytest.param({**ORDER, "quantity": 101}, 422, None, id="quantity-101"),
        pytest.param({**ORDER, "product_id": "pen"}, 422, None, id="product-id-not-int"),
        pytest.param({**ORDER, "card_token": ""}, 422, None, id="empty-card-token"),
        pytest.param({**ORDER, "card_token": "t" * 101}, 422, None, id="card-token-too-long"),
        pytest.param({"product_id": 2, "quantity": 1}, 422, None, id="no-card-token"),
        pytest.param([ORDER], 422, None, id="not-an-object"),
    ],
)
async def test_a_refused_order_is_never_charged_nor_stored(
    client: httpx.AsyncClient,
    payments: FakePayments,
    engine: Engine,
    body: object,
    status: int,
    detail: str | None,
) -> None:
    response = await client.post("/orders", json=body)
    assert response.status_code == status, response.text
    if detail is not None:
        assert response.json() == {"detail": detail}
    assert payments.charges == []
    assert count_orders(engine) == 0


@pytest.mark.task(3)
async def test_orders_in_flight_at_once_are_each_charged_and_stored(
    client: httpx.AsyncClient, payments: FakePayments, engine: Engine
) -> None:
    in_flight = 10
    # Every charge waits until ten are waiting (in FastAPI's threadpool): ten in flight at once.
    payments.barrier = threading.Barrier(in_flight, timeout=5)
    async with asyncio.timeout(10):
        responses = await asyncio.gather(
            *(
                client.post("/orders", json={**ORDER, "card_token": f"tok_{n}"})
                for n in range(in_flight)
            )
        )
    assert [r.status_code for r in responses] == [201] * in_flight, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == in_flight
    assert sorted(c["card_token"] for c in payments.charges) == sorted(
        f"tok_{n}" for n in range(in_flight)
    )
    assert count_orders(engine) == in_flight


@pytest.mark.task(3)
async def test_the_real_payment_client_posts_the_charge_to_the_provider(
    client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 201, response.text
    assert response.json()["charge_id"] == "ch_42"
    [request] = provider.requests
    assert (request.method, str(request.url)) == ("POST", "https://payments.example.com/charges")
    assert json.loads(request.read()) == {
        "amount_cents": 1350,
        "currency": "EUR",
        "card_token": "tok_visa",
    }


@pytest.mark.task(3)
@pytest.mark.parametrize("payment_url", ["https://pay.test/v2", "https://pay.test/v2/"])
async def test_the_provider_url_comes_from_the_settings(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider, payment_url: str
) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(payment_url=payment_url)
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 201, response.text
    assert [str(r.url) for r in provider.requests] == ["https://pay.test/v2/charges"]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("answer", "status", "detail"),
    [
        pytest.param(
            httpx.Response(402, json={"reason": "card expired"}),
            402,
            "Payment declined: card expired",
            id="declined",
        ),
        pytest.param(httpx.Response(500), 502, "Payment provider unavailable", id="provider-500"),
        pytest.param(
            httpx.ConnectError("connection refused"),
            502,
            "Payment provider unavailable",
            id="unreachable",
        ),
        pytest.param(
            httpx.ReadTimeout("too slow"), 502, "Payment provider unavailable", id="timeout"
        ),
    ],
)
async def test_provider_failures_store_nothing(
    client: httpx.AsyncClient,
    provider: FakeProvider,
    engine: Engine,
    answer: httpx.Response | Exception,
    status: int,
    detail: str,
) -> None:
    provider.answer = answer
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}
    assert len(provider.requests) == 1
    assert count_orders(engine) == 0


@pytest.mark.task(3)
async def test_the_lifespan_shares_one_http_client_and_closes_it_at_shutdown(app: FastAPI) -> None:
    seen: list[httpx.Client] = []

    @app.get("/test/http-client")
    def probe(http: Annotated[httpx.Client, Depends(get_http_client)]) -> None:
        seen.append(http)

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _ in range(3):
                response = await client.get("/test/http-client")
                assert response.status_code == 200, response.text
        assert len(seen) == 3
        assert isinstance(seen[0], httpx.Client)
        assert all(http is seen[0] for http in seen), "one client for the app, not one a request"
        assert not seen[0].is_closed
    assert seen[0].is_closed, "the lifespan must close its client at shutdown"


@pytest.mark.task(3)
async def test_with_its_lifespan_the_app_uses_its_own_http_client(
    app: FastAPI, engine: Engine, closed_port: int
) -> None:
    # Nothing but the settings overridden: the lifespan's client, get_http_client,
    # get_payment_client and HttpPaymentClient all run for real, against a refusing port.
    app.dependency_overrides[get_settings] = lambda: Settings(
        payment_url=f"http://127.0.0.1:{closed_port}"
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/orders", json=ORDER)
    assert response.status_code == 502, response.text
    assert response.json() == {"detail": "Payment provider unavailable"}
    assert count_orders(engine) == 0


# --- Task 4: overridden(app, overrides) ---


def real_greeting() -> str:
    """A dependency of the toy app below."""
    return "hello"


def real_name() -> str:
    """Another dependency of the toy app."""
    return "world"


def toy_app() -> FastAPI:
    """A tiny app with two dependencies, independent of the shop."""
    app = FastAPI()

    @app.get("/greet")
    def greet(
        greeting: Annotated[str, Depends(real_greeting)], name: Annotated[str, Depends(real_name)]
    ) -> str:
        return f"{greeting}, {name}"

    return app


def greet(app: FastAPI) -> str:
    """What the toy app answers right now."""
    with TestClient(app) as client:
        response = client.get("/greet")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.task(4)
def test_overrides_apply_inside_the_block_only() -> None:
    app = toy_app()
    with overridden(app, {real_greeting: lambda: "hi"}) as entered:
        assert entered is app
        assert greet(app) == "hi, world"
    assert greet(app) == "hello, world"
    assert app.dependency_overrides == {}


@pytest.mark.task(4)
def test_several_overrides_at_once() -> None:
    app = toy_app()
    with overridden(app, {real_greeting: lambda: "hi", real_name: lambda: "kata"}):
        assert greet(app) == "hi, kata"
    assert greet(app) == "hello, world"


@pytest.mark.task(4)
def test_overrides_set_before_the_block_are_restored() -> None:
    app = toy_app()

    def fixture_greeting() -> str:
        return "hey"

    app.dependency_overrides[real_greeting] = fixture_greeting
    with overridden(app, {real_greeting: lambda: "hi", real_name: lambda: "kata"}):
        assert greet(app) == "hi, kata"
    assert greet(app) == "hey, world"
    assert app.dependency_overrides == {real_greeting: fixture_greeting}


@pytest.mark.task(4)
def test_nested_blocks_restore_the_outer_override_not_the_real_one() -> None:
    app = toy_app()
    with overridden(app, {real_greeting: lambda: "outer"}):
        with overridden(app, {real_greeting: lambda: "inner", real_name: lambda: "kata"}):
            assert greet(app) == "inner, kata"
        assert greet(app) == "outer, world"
    assert greet(app) == "hello, world"
    assert app.dependency_overrides == {}


@pytest.mark.task(4)
def test_an_exception_in_the_block_propagates_and_the_overrides_are_restored() -> None:
    app = toy_app()
    seen = []

    def failing_test_body() -> None:
        with overridden(app, {real_greeting: lambda: "hi"}):
            seen.append(greet(app))
            raise ZeroDivisionError("a test failed inside the block")

    with pytest.raises(ZeroDivisionError, match="inside the block"):
        failing_test_body()
    assert seen == ["hi, world"]
    assert greet(app) == "hello, world"
    assert app.dependency_overrides == {}


@pytest.mark.task(4)
def test_an_exception_in_a_nested_block_restores_the_outer_override() -> None:
    app = toy_app()
    with overridden(app, {real_greeting: lambda: "outer"}):
        with pytest.raises(LookupError), overridden(app, {real_greeting: lambda: "inner"}):
            raise LookupError("from the inner block")
        assert greet(app) == "outer, world"
    assert app.dependency_overrides == {}


@pytest.mark.task(4)
def test_an_empty_mapping_changes_nothing() -> None:
    app = toy_app()
    app.dependency_overrides[real_name] = lambda: "kata"
    with overridden(app, {}):
        assert greet(app) == "hello, kata"
    assert greet(app) == "hello, kata"


@pytest.mark.task(4)
async def test_a_test_can_switch_the_payment_client_for_one_order(
    app: FastAPI, client: httpx.AsyncClient, payments: FakePayments, engine: Engine
) -> None:
    declining = FakePayments()
    declining.decline = "card stolen"
    with overridden(app, {get_payment_client: lambda: declining}):
        refused = await client.post("/orders", json=ORDER)
    accepted = await client.post("/orders", json=ORDER)  # the fixture's fake again
    assert refused.status_code == 402, refused.text
    assert accepted.status_code == 201, accepted.text
    assert len(declining.charges) == len(payments.charges) == 1
    assert count_orders(engine) == 1
