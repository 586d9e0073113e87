"""Tests for kata 4.1: dependencies of every kind, the per-request cache, cleanup and scopes."""

import asyncio
import itertools
from collections.abc import Callable
from typing import Annotated

import httpx
import pytest
from dependency_injection import (
    CATALOG,
    Database,
    OrderIn,
    ProductFilter,
    RequireApiKey,
    Transaction,
    create_app,
    get_db,
    get_transaction,
)
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = itertools.count(1)


def products(*ids: int) -> list[dict[str, object]]:
    """The catalog's products with those ids, as the API answers them."""
    return [product.model_dump() for product in CATALOG if product.id in ids]


def resource_events(database: Database) -> list[str]:
    """The journal without the request log of task 6: connections and transactions only."""
    return [event for event in database.events if event.startswith(("db ", "tx "))]


def seed(database: Database, *references: str) -> None:
    """Stores one order per reference, for product 1, straight into the database."""
    for reference in references:
        database.insert(OrderIn(reference=reference, product_id=1, quantity=1))


# --- Task 1: a function dependency ---


@pytest.mark.task(1)
def test_products_answer_the_first_page_by_default(client: TestClient) -> None:
    response = client.get("/products")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "total": 25,
        "offset": 0,
        "limit": 10,
        "items": products(*range(1, 11)),
    }


@pytest.mark.task(1)
def test_offset_and_limit_choose_the_slice(client: TestClient) -> None:
    response = client.get("/products", params={"offset": 20, "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["offset"], body["limit"]) == (25, 20, 10)
    assert body["items"] == products(21, 22, 23, 24, 25)


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"offset": -1}, "offset", id="negative-offset"),
        pytest.param({"offset": "1.5"}, "offset", id="fractional-offset"),
        pytest.param({"limit": 0}, "limit", id="zero-limit"),
        pytest.param({"limit": 21}, "limit", id="limit-over-20"),
        pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
    ],
)
def test_bad_pagination_is_422_on_the_query_parameter(
    client: TestClient, params: dict[str, object], field: str
) -> None:
    response = client.get("/products", params=params)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


@pytest.mark.task(1)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0, max_value=30), limit=st.integers(min_value=1, max_value=20))
def test_any_valid_page_is_the_matching_slice_of_the_catalog(
    client: TestClient, offset: int, limit: int
) -> None:
    # One app for every example: listing products changes nothing.
    response = client.get("/products", params={"offset": offset, "limit": limit})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [p.model_dump() for p in CATALOG[offset : offset + limit]]


# --- Task 2: a class dependency ---


@pytest.mark.task(2)
@pytest.mark.parametrize("q", ["pen", "PEN", "Pen"])
def test_q_matches_names_containing_it_in_any_case(client: TestClient, q: str) -> None:
    response = client.get("/products", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 5
    assert [item["name"] for item in response.json()["items"]] == [
        "Ballpoint pen",
        "Fountain pen",
        "Pencil",
        "Pencil case",
        "Sharpener",
    ]


@pytest.mark.task(2)
def test_max_price_includes_products_at_exactly_that_price(client: TestClient) -> None:
    response = client.get("/products", params={"max_price": 0.9})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == products(3, 12, 19)


@pytest.mark.task(2)
def test_filters_apply_before_pagination_and_total_counts_every_match(
    client: TestClient,
) -> None:
    response = client.get("/products", params={"max_price": 2.2, "offset": 2, "limit": 3})
    assert response.status_code == 200, response.text
    cheap = [p.model_dump() for p in CATALOG if p.price <= 2.2]
    assert response.json() == {"total": len(cheap), "offset": 2, "limit": 3, "items": cheap[2:5]}


@pytest.mark.task(2)
def test_product_filter_is_a_plain_class_too() -> None:
    stapler = next(p for p in CATALOG if p.name == "Stapler")
    assert ProductFilter().matches(stapler)
    assert ProductFilter(q="STAP", max_price=9.9).matches(stapler)
    assert not ProductFilter(q="pen").matches(stapler)
    assert not ProductFilter(max_price=9.8).matches(stapler)


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"max_price": 0}, "max_price", id="zero-price"),
        pytest.param({"max_price": -1}, "max_price", id="negative-price"),
        pytest.param({"max_price": "cheap"}, "max_price", id="price-not-a-number"),
        pytest.param({"q": "x" * 51}, "q", id="q-too-long"),
    ],
)
def test_bad_filters_are_422_on_the_query_parameter(
    client: TestClient, params: dict[str, object], field: str
) -> None:
    response = client.get("/products", params=params)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


@pytest.mark.task(2)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.none() | st.text(alphabet="aceilnprsAEP ", max_size=4),
    max_price=st.none() | st.floats(min_value=0.1, max_value=30),
    offset=st.integers(min_value=0, max_value=25),
    limit=st.integers(min_value=1, max_value=20),
)
def test_any_filter_answers_what_a_plain_python_filter_would(
    client: TestClient, q: str | None, max_price: float | None, offset: int, limit: int
) -> None:
    params: dict[str, object] = {"offset": offset, "limit": limit}
    if q is not None:
        params["q"] = q
    if max_price is not None:
        params["max_price"] = max_price
    expected = [
        p.model_dump()
        for p in CATALOG
        if (q is None or q.lower() in p.name.lower())
        and (max_price is None or p.price <= max_price)
    ]
    response = client.get("/products", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(expected)
    assert response.json()["items"] == expected[offset : offset + limit]


# --- Task 3: a yield dependency that always cleans up ---


@pytest.mark.task(3)
def test_an_order_is_read_through_a_connection_that_is_then_closed(
    client: TestClient, database: Database
) -> None:
    seed(database, "A-1", "A-2")
    response = client.get("/orders/2")
    assert response.status_code == 200, response.text
    assert response.json() == {"id": 2, "reference": "A-2", "product_id": 1, "quantity": 1}
    assert resource_events(database) == ["db open", "db close"]
    assert database.open_connections == 0


@pytest.mark.task(3)
def test_a_missing_order_is_404_and_the_connection_is_still_closed(
    client: TestClient, database: Database
) -> None:
    response = client.get("/orders/7")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Order 7 not found"}
    assert resource_events(database) == ["db open", "db close"]
    assert database.open_connections == 0


@pytest.mark.task(3)
def test_a_non_integer_order_id_is_422_and_leaks_no_connection(
    client: TestClient, database: Database
) -> None:
    response = client.get("/orders/seven")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "order_id"]
    assert database.open_connections == 0


@pytest.mark.task(3)
def test_every_request_gets_a_connection_of_its_own(client: TestClient, database: Database) -> None:
    seed(database, "A-1")
    for _ in range(3):
        assert client.get("/orders/1").status_code == 200
    assert resource_events(database) == ["db open", "db close"] * 3


@pytest.mark.task(3)
async def test_get_db_is_an_async_generator_you_can_drive_by_hand(database: Database) -> None:
    dependency = get_db(database)
    connection = await anext(dependency)
    assert not connection.closed
    assert database.open_connections == 1
    await dependency.aclose()  # what FastAPI does when the request is over
    assert connection.closed
    assert database.open_connections == 0
    with pytest.raises(RuntimeError, match="closed"):
        await connection.fetch_order(1)


@pytest.mark.task(3)
async def test_requests_in_flight_at_once_each_hold_their_own_connection(admin_key: str) -> None:
    in_flight = 10
    # Every query waits until ten are waiting: the ten requests are provably concurrent.
    database = Database(barrier=asyncio.Barrier(in_flight))
    seed(database, *(f"A-{n}" for n in range(1, in_flight + 1)))
    transport = httpx.ASGITransport(app=create_app(database, admin_key=admin_key))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with asyncio.timeout(10):  # a solution that serialises requests fails, not hangs
            responses = await asyncio.gather(
                *(client.get(f"/orders/{n}") for n in range(1, in_flight + 1))
            )
    assert [r.status_code for r in responses] == [200] * in_flight, [r.text for r in responses]
    assert [r.json()["reference"] for r in responses] == [f"A-{n}" for n in range(1, 11)]
    assert database.peak_connections == in_flight
    assert database.open_connections == 0
    assert resource_events(database).count("db close") == in_flight


# --- Task 4: the per-request cache ---


@pytest.mark.task(4)
def test_a_dependency_used_twice_in_a_request_runs_once(
    client: TestClient, database: Database
) -> None:
    response = client.get("/debug/shared-connection")
    assert response.status_code == 200, response.text
    assert response.json() == {"same": True}
    assert resource_events(database) == ["db open", "db close"]


@pytest.mark.task(4)
def test_use_cache_false_runs_the_dependency_again(client: TestClient, database: Database) -> None:
    response = client.get("/debug/separate-connections")
    assert response.status_code == 200, response.text
    assert response.json() == {"same": False}
    events = resource_events(database)
    assert (events.count("db open"), events.count("db close")) == (2, 2)
    assert database.open_connections == 0


@pytest.mark.task(4)
def test_the_cache_lives_for_one_request_only(client: TestClient, database: Database) -> None:
    for _ in range(2):
        assert client.get("/debug/shared-connection").json() == {"same": True}
    assert resource_events(database) == ["db open", "db close"] * 2


# --- Task 5: a transaction as a sub-dependency ---


@pytest.mark.task(5)
def test_posted_orders_are_created_and_committed(client: TestClient, database: Database) -> None:
    response = client.post(
        "/orders",
        json=[
            {"reference": "A-1", "product_id": 2, "quantity": 3},
            {"reference": "A-2", "product_id": 5, "quantity": 1},
        ],
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert [(o["reference"], o["product_id"], o["quantity"]) for o in created] == [
        ("A-1", 2, 3),
        ("A-2", 5, 1),
    ]
    assert len({o["id"] for o in created}) == 2
    assert [o.model_dump() for o in database.orders.values()] == created
    assert client.get(f"/orders/{created[1]['id']}").json() == created[1]


@pytest.mark.task(5)
def test_cleanup_runs_in_reverse_order_of_setup(client: TestClient, database: Database) -> None:
    response = client.post("/orders", json=[{"reference": "A-1", "product_id": 1, "quantity": 1}])
    assert response.status_code == 201, response.text
    assert resource_events(database) == ["db open", "tx begin", "tx commit", "db close"]


@pytest.mark.task(5)
def test_the_commit_happens_before_the_response_and_the_close_after(
    timeline_client: TestClient, database: Database
) -> None:
    response = timeline_client.post(
        "/orders", json=[{"reference": "A-1", "product_id": 1, "quantity": 1}]
    )
    assert response.status_code == 201, response.text
    assert [e for e in database.events if e != "request start" and e != "request end"] == [
        "db open",
        "tx begin",
        "tx commit",
        "response sent",
        "db close",
    ]


@pytest.mark.task(5)
def test_an_endpoint_error_rolls_back_the_whole_batch(
    client: TestClient, database: Database
) -> None:
    response = client.post(
        "/orders",
        json=[
            {"reference": "A-1", "product_id": 1, "quantity": 1},
            {"reference": "A-2", "product_id": 99, "quantity": 1},
        ],
    )
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Product 99 not found"}
    assert database.orders == {}
    assert resource_events(database) == ["db open", "tx begin", "tx rollback", "db close"]


@pytest.mark.task(5)
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RuntimeError("the payment service is down"), id="runtime-error"),
        pytest.param(KeyError("product"), id="key-error"),
        pytest.param(HTTPException(400, "bad"), id="http-exception"),
    ],
)
def test_any_exception_in_the_endpoint_rolls_back_and_reaches_the_client(
    app: FastAPI, database: Database, error: Exception
) -> None:
    # A route of the test's own: it stages an order, then fails with an error that is not
    # necessarily an HTTPException (a bug, a failing call to another service).
    @app.post("/orders/failing")
    async def failing(
        transaction: Annotated[Transaction, Depends(get_transaction, scope="function")],
    ) -> None:
        transaction.add(OrderIn(reference="F-1", product_id=1, quantity=1))
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/orders/failing")
    expected = error.status_code if isinstance(error, HTTPException) else 500
    assert response.status_code == expected, response.text
    assert database.orders == {}
    assert resource_events(database) == ["db open", "tx begin", "tx rollback", "db close"]


@pytest.mark.task(5)
async def test_get_transaction_rolls_back_and_re_raises_what_is_thrown_in(
    database: Database,
) -> None:
    connection = await database.connect()
    dependency = get_transaction(connection)
    transaction = await anext(dependency)
    transaction.add(OrderIn(reference="F-1", product_id=1, quantity=1))
    with pytest.raises(ValueError, match="not a number"):
        await dependency.athrow(ValueError("not a number"))  # what FastAPI does on an error
    assert database.orders == {}
    assert resource_events(database) == ["db open", "tx begin", "tx rollback"]


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("stored", "batch"),
    [
        pytest.param(["A-1"], ["B-1", "A-1"], id="reference-already-stored"),
        pytest.param([], ["B-1", "A-1", "B-1"], id="reference-twice-in-the-batch"),
    ],
)
def test_a_failed_commit_answers_409_and_stores_nothing(
    client: TestClient, database: Database, stored: list[str], batch: list[str]
) -> None:
    seed(database, *stored)
    before = dict(database.orders)
    response = client.post(
        "/orders", json=[{"reference": r, "product_id": 1, "quantity": 1} for r in batch]
    )
    assert response.status_code == 409, response.text
    duplicate = "A-1" if stored else "B-1"
    assert response.json() == {"detail": f"Duplicate reference {duplicate}"}
    assert database.orders == before
    assert "tx commit" not in database.events
    assert database.open_connections == 0


@pytest.mark.task(5)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="empty-batch"),
        pytest.param([{"reference": "A-1", "product_id": 1, "quantity": 1}] * 21, id="over-20"),
        pytest.param({"reference": "A-1", "product_id": 1, "quantity": 1}, id="not-a-list"),
        pytest.param([{"reference": "a-1", "product_id": 1, "quantity": 1}], id="lowercase-ref"),
        pytest.param([{"reference": "", "product_id": 1, "quantity": 1}], id="empty-ref"),
        pytest.param([{"reference": "A-1", "product_id": 1, "quantity": 0}], id="quantity-0"),
        pytest.param([{"reference": "A-1", "product_id": 1, "quantity": 11}], id="quantity-11"),
        pytest.param([{"reference": "A-1", "quantity": 1}], id="missing-product"),
    ],
)
def test_an_invalid_batch_is_422_and_nothing_is_committed(
    client: TestClient, database: Database, body: object
) -> None:
    response = client.post("/orders", json=body)
    assert response.status_code == 422, response.text
    assert database.orders == {}
    assert "tx commit" not in database.events
    assert database.open_connections == 0


@pytest.mark.task(5)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(picks=st.lists(st.sampled_from(["A-1", "A-2", "B-1", "B-2", "TAKEN"]), max_size=4))
def test_a_batch_is_stored_whole_or_not_at_all(
    client: TestClient, database: Database, picks: list[str]
) -> None:
    # One app for every example: each example uses references of its own, and one is taken.
    example = next(EXAMPLES)
    references = [f"X{example}-{pick}" for pick in picks]
    seed(database, f"X{example}-TAKEN")
    before = dict(database.orders)
    response = client.post(
        "/orders", json=[{"reference": r, "product_id": 3, "quantity": 2} for r in references]
    )
    added = sorted(o.reference for i, o in database.orders.items() if i not in before)
    if not references:
        assert response.status_code == 422, response.text
        assert added == []
    elif len(set(picks)) == len(picks) and "TAKEN" not in picks:
        assert response.status_code == 201, response.text
        assert added == sorted(references)
    else:
        assert response.status_code == 409, response.text
        assert added == []
    assert database.open_connections == 0


# --- Task 6: router- and app-level dependencies ---


@pytest.mark.task(6)
@pytest.mark.stretch
def test_the_admin_router_lists_orders_with_the_right_key(
    client: TestClient, database: Database, admin_key: str
) -> None:
    seed(database, "A-1", "A-2", "A-3")
    response = client.get("/admin/orders", headers={"X-API-Key": admin_key})
    assert response.status_code == 200, response.text
    assert [o["reference"] for o in response.json()] == ["A-1", "A-2", "A-3"]
    paged = client.get("/admin/orders?offset=1&limit=1", headers={"X-API-Key": admin_key})
    assert [o["reference"] for o in paged.json()] == ["A-2"]


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "wrong_key",
    [
        pytest.param(lambda key: None, id="no-key"),
        pytest.param(lambda key: "", id="empty-key"),
        pytest.param(lambda key: "wrong", id="wrong-key"),
        pytest.param(lambda key: key[:-1], id="prefix-of-the-key"),
        pytest.param(lambda key: key + "0", id="key-and-more"),
        pytest.param(lambda key: key.upper(), id="other-case"),
        pytest.param(lambda key: key[:-1] + "\u00e9", id="non-ascii-key"),
    ],
)
def test_a_wrong_key_is_401_before_any_connection_is_opened(
    client: TestClient,
    database: Database,
    admin_key: str,
    wrong_key: Callable[[str], str | None],
) -> None:
    key = wrong_key(admin_key)
    # Header bytes as a server hands them over: latin-1 (what a browser may send as UTF-8).
    headers = {} if key is None else {"X-API-Key": key.encode("latin-1")}
    response = client.get("/admin/orders", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Invalid API key"}
    assert response.headers["www-authenticate"] == "APIKey"
    assert resource_events(database) == []


@pytest.mark.task(6)
@pytest.mark.stretch
def test_admin_routes_share_the_pagination_rules(client: TestClient, admin_key: str) -> None:
    response = client.get("/admin/orders?limit=0", headers={"X-API-Key": admin_key})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.task(6)
@pytest.mark.stretch
def test_routes_outside_the_admin_router_need_no_key(client: TestClient) -> None:
    assert client.get("/products").status_code == 200
    assert client.get("/debug/shared-connection").status_code == 200


@pytest.mark.task(6)
@pytest.mark.stretch
def test_require_api_key_is_a_callable_instance() -> None:
    guard = RequireApiKey("s3cret")
    assert guard(x_api_key="s3cret") is None
    for wrong in (None, "", "s3cre", "S3CRET", "s3cr\u00e9t"):
        with pytest.raises(HTTPException) as refused:
            guard(x_api_key=wrong)
        assert refused.value.status_code == 401


@pytest.mark.task(6)
@pytest.mark.stretch
def test_the_request_log_wraps_every_other_dependency(
    client: TestClient, database: Database
) -> None:
    response = client.post("/orders", json=[{"reference": "A-1", "product_id": 1, "quantity": 1}])
    assert response.status_code == 201, response.text
    assert database.events == [
        "request start",
        "db open",
        "tx begin",
        "tx commit",
        "db close",
        "request end",
    ]


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        pytest.param("GET", "/products", 200, id="products"),
        pytest.param("GET", "/products?limit=0", 422, id="bad-query"),
        pytest.param("GET", "/orders/7", 404, id="missing-order"),
        pytest.param("POST", "/orders", 422, id="invalid-body"),
        pytest.param("GET", "/admin/orders", 401, id="no-admin-key"),
        pytest.param("GET", "/debug/separate-connections", 200, id="debug"),
    ],
)
def test_every_route_logs_one_start_and_one_end_even_on_errors(
    client: TestClient, database: Database, method: str, url: str, status: int
) -> None:
    response = client.request(method, url, json=[] if method == "POST" else None)
    assert response.status_code == status, response.text
    assert database.events[0] == "request start"
    assert database.events[-1] == "request end"
    assert database.events.count("request start") == database.events.count("request end") == 1


@pytest.mark.task(6)
@pytest.mark.stretch
def test_an_unknown_path_reaches_no_dependency(client: TestClient, database: Database) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404, response.text
    assert database.events == []
