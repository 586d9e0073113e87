"""Tests for kata 4.7: nested routers, router dependencies, a custom route class, route names."""

import asyncio
import re
import time

import httpx
import httpx2
import pytest
from custom_apirouter import (
    ItemIn,
    TimedRoute,
    build_admin_router,
    build_items_router,
    create_app,
)
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import NoMatchFound

API_KEY = "kata-api-key-0123456789"  # the key conftest.py gives every app
KEY = {"X-API-Key": API_KEY}
TIMING = "x-response-time"
UNAUTHORIZED = {"detail": "Invalid or missing API key"}

ITEMS_OPERATIONS = {
    ("/api/v1/items", "get"),
    ("/api/v1/items", "post"),
    ("/api/v1/items/{item_id}", "get"),
}
ADMIN_OPERATIONS = {
    ("/api/v1/admin/stats", "get"),
    ("/api/v1/admin/items/{item_id}", "delete"),
}


def operations(openapi: dict) -> dict[tuple[str, str], dict]:
    """(path, method) -> the operation object, for every operation of an OpenAPI document."""
    return {
        (path, method): operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }


def timed_seconds(response: httpx.Response | httpx2.Response) -> float:
    """The X-Response-Time value, which must be a decimal number of seconds ("0.000412")."""
    assert TIMING in response.headers, f"no {TIMING} header: {dict(response.headers)}"
    value = response.headers[TIMING]
    assert re.fullmatch(r"[0-9]+\.[0-9]+", value), f"{TIMING}: {value!r} is not like '0.000412'"
    return float(value)


# Task 1: the items router.


@pytest.mark.task(1)
def test_a_new_items_router_lists_nothing(items_client: TestClient) -> None:
    response = items_client.get("/items")
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.task(1)
def test_created_items_get_ids_and_are_listed_in_order(items_client: TestClient) -> None:
    for name, price in (("Pen", 1.5), ("Ink", 3.0)):
        response = items_client.post("/items", json={"name": name, "price": price})
        assert response.status_code == 201, response.text
    assert items_client.get("/items").json() == [
        {"id": 1, "name": "Pen", "price": 1.5},
        {"id": 2, "name": "Ink", "price": 3.0},
    ]


@pytest.mark.task(1)
def test_an_item_is_read_by_id(items_client: TestClient) -> None:
    created = items_client.post("/items", json={"name": "Pen", "price": 1}).json()
    response = items_client.get(f"/items/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == created


@pytest.mark.task(1)
def test_a_missing_item_is_404_with_a_detail(items_client: TestClient) -> None:
    response = items_client.get("/items/9")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Item 9 not found"}


@pytest.mark.task(1)
def test_a_non_integer_id_is_422(items_client: TestClient) -> None:
    response = items_client.get("/items/pen")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"price": 1}, id="missing-name"),
        pytest.param({"name": "", "price": 1}, id="empty-name"),
        pytest.param({"name": "P" * 51, "price": 1}, id="name-too-long"),
        pytest.param({"name": "Pen", "price": -1}, id="negative-price"),
        pytest.param({"name": "Pen"}, id="missing-price"),
    ],
)
def test_an_invalid_item_is_422_and_nothing_is_stored(
    items_client: TestClient, body: dict[str, object]
) -> None:
    response = items_client.post("/items", json=body)
    assert response.status_code == 422, response.text
    assert items_client.get("/items").json() == []


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "name", [pytest.param("P", id="one-letter"), pytest.param("P" * 50, id="50")]
)
def test_names_of_1_to_50_characters_are_accepted(items_client: TestClient, name: str) -> None:
    response = items_client.post("/items", json={"name": name, "price": 0})
    assert response.status_code == 201, response.text
    assert response.json() == {"id": 1, "name": name, "price": 0.0}


@pytest.mark.task(1)
def test_every_items_operation_is_tagged_items(items_client: TestClient) -> None:
    found = operations(items_client.get("/openapi.json").json())
    assert set(found) == {("/items", "get"), ("/items", "post"), ("/items/{item_id}", "get")}
    assert all(operation["tags"] == ["items"] for operation in found.values())


@pytest.mark.task(1)
def test_each_call_builds_a_router_of_its_own(bare_app: FastAPI) -> None:
    first, second = build_items_router(), build_items_router()
    assert first is not second

    @first.get("/only-here")
    async def only_here() -> dict[str, bool]:
        return {"here": True}

    bare_app.include_router(second)
    with TestClient(bare_app) as client:
        assert client.get("/items/only-here").status_code == 422  # read_item's int id, no route
    assert {route.path for route in second.routes} == {"/items", "/items/{item_id}"}


# Task 2: the admin router, behind an API key.


@pytest.mark.task(2)
def test_stats_count_the_items_with_the_right_key(admin_client: TestClient) -> None:
    assert admin_client.get("/admin/stats", headers=KEY).json() == {"items": 0}
    admin_client.app.state.store.add(ItemIn(name="Pen", price=1))
    response = admin_client.get("/admin/stats", headers=KEY)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": 1}


@pytest.mark.task(2)
def test_delete_removes_the_item_with_the_right_key(admin_client: TestClient) -> None:
    store = admin_client.app.state.store
    item = store.add(ItemIn(name="Pen", price=1))
    response = admin_client.delete(f"/admin/items/{item.id}", headers=KEY)
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert store.get(item.id) is None
    again = admin_client.delete(f"/admin/items/{item.id}", headers=KEY)
    assert again.status_code == 404, again.text
    assert again.json() == {"detail": f"Item {item.id} not found"}


BAD_KEYS = [
    pytest.param(None, id="missing"),
    pytest.param(b"", id="empty"),
    pytest.param(b"wrong", id="wrong"),
    pytest.param(API_KEY.upper().encode(), id="wrong-case"),
    pytest.param(API_KEY[:-1].encode(), id="a-prefix-of-the-key"),
    pytest.param(API_KEY.encode() + b"x", id="the-key-and-more"),
    pytest.param("clé".encode("latin-1"), id="non-ascii"),
]


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/admin/stats", id="stats"),
        pytest.param("DELETE", "/admin/items/1", id="delete"),
    ],
)
@pytest.mark.parametrize("key", BAD_KEYS)
def test_every_admin_route_answers_401_without_the_right_key(
    admin_client: TestClient, method: str, path: str, key: bytes | None
) -> None:
    admin_client.app.state.store.add(ItemIn(name="Pen", price=1))
    headers = {} if key is None else {"X-API-Key": key}
    response = admin_client.request(method, path, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == "APIKey"
    assert admin_client.app.state.store.get(1) is not None


@pytest.mark.task(2)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    key=st.text(
        alphabet=st.characters(codec="latin-1", categories=["L", "N", "P", "S", "Zs"]),
        min_size=1,
        max_size=40,
    ).filter(lambda key: key != API_KEY)
)
def test_any_other_key_is_401_never_500(admin_client: TestClient, key: str) -> None:
    # Header values travel as bytes; servers decode them as latin-1, as Starlette does.
    response = admin_client.get("/admin/stats", headers={"X-API-Key": key.encode("latin-1")})
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED


@pytest.mark.task(2)
def test_a_route_added_to_the_admin_router_later_is_guarded_too(bare_app: FastAPI) -> None:
    router = build_admin_router()

    @router.get("/export")
    async def export() -> dict[str, bool]:
        return {"exported": True}

    bare_app.include_router(router)
    with TestClient(bare_app) as client:
        refused = client.get("/admin/export")
        assert refused.status_code == 401, refused.text
        assert refused.json() == UNAUTHORIZED
        allowed = client.get("/admin/export", headers=KEY)
        assert allowed.status_code == 200, allowed.text


@pytest.mark.task(2)
def test_the_admin_operations_declare_the_api_key_in_openapi(admin_client: TestClient) -> None:
    openapi = admin_client.get("/openapi.json").json()
    found = operations(openapi)
    assert set(found) == {("/admin/stats", "get"), ("/admin/items/{item_id}", "delete")}
    for operation in found.values():
        assert operation["tags"] == ["admin"]
        assert operation["security"] == [{"APIKeyHeader": []}]
    assert openapi["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


# Task 3: the app nests both routers under /api/v1.


@pytest.mark.task(3)
def test_the_app_has_a_title_and_a_version(client: TestClient) -> None:
    info = client.get("/openapi.json").json()["info"]
    assert (info["title"], info["version"]) == ("Custom routers", "1.0.0")


@pytest.mark.task(3)
def test_health_answers_without_a_key(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


@pytest.mark.task(3)
def test_openapi_lists_exactly_the_nested_paths(client: TestClient) -> None:
    found = operations(client.get("/openapi.json").json())
    assert set(found) == {("/health", "get")} | ITEMS_OPERATIONS | ADMIN_OPERATIONS


@pytest.mark.task(3)
def test_openapi_tags_and_security_follow_the_routers(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    found = operations(openapi)
    assert "tags" not in found[("/health", "get")]
    assert "security" not in found[("/health", "get")]
    for key in ITEMS_OPERATIONS:
        assert found[key]["tags"] == ["items"], key
        assert "security" not in found[key], key
    for key in ADMIN_OPERATIONS:
        assert found[key]["tags"] == ["admin"], key
        assert found[key]["security"] == [{"APIKeyHeader": []}], key


@pytest.mark.task(3)
def test_items_need_no_key_under_the_api_prefix(client: TestClient) -> None:
    created = client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    assert created.status_code == 201, created.text
    assert client.get("/api/v1/items").json() == [created.json()]
    assert client.get("/api/v1/items/1").json() == created.json()


@pytest.mark.task(3)
def test_admin_needs_the_key_under_the_api_prefix(client: TestClient) -> None:
    refused = client.get("/api/v1/admin/stats")
    assert refused.status_code == 401, refused.text
    assert refused.json() == UNAUTHORIZED
    client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    allowed = client.get("/api/v1/admin/stats", headers=KEY)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"items": 1}
    deleted = client.delete("/api/v1/admin/items/1", headers=KEY)
    assert deleted.status_code == 204, deleted.text
    assert client.get("/api/v1/items").json() == []


@pytest.mark.task(3)
@pytest.mark.parametrize("path", ["/items", "/items/1", "/admin/stats", "/v1/items"])
def test_routes_are_served_only_under_their_full_prefix(client: TestClient, path: str) -> None:
    client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    response = client.get(path, headers=KEY)
    assert response.status_code == 404, response.text


@pytest.mark.task(3)
def test_two_apps_do_not_share_items() -> None:
    with (
        TestClient(create_app(api_key=API_KEY)) as first,
        TestClient(create_app(api_key="another-key")) as second,
    ):
        first.post("/api/v1/items", json={"name": "Pen", "price": 1})
        assert second.get("/api/v1/items").json() == []
        assert second.get("/api/v1/admin/stats", headers=KEY).status_code == 401


@pytest.mark.task(3)
def test_an_empty_api_key_is_refused_by_the_factory() -> None:
    with pytest.raises(ValueError, match="api_key"):
        create_app(api_key="")


@pytest.mark.task(3)
async def test_interleaved_requests_are_each_judged_by_their_own_key() -> None:
    app = create_app(api_key=API_KEY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        creates = [
            http.post("/api/v1/items", json={"name": f"item {n}", "price": n}) for n in range(10)
        ]
        stats = [
            http.get("/api/v1/admin/stats", headers=KEY if n % 2 else {"X-API-Key": "nope"})
            for n in range(20)
        ]
        responses = await asyncio.gather(*creates, *stats)
    created, checked = responses[:10], responses[10:]
    assert sorted(r.json()["id"] for r in created) == list(range(1, 11))
    assert [r.status_code for r in checked] == [200 if n % 2 else 401 for n in range(20)]


# Task 4: TimedRoute times every route of the items router, and no other.


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("GET", "/api/v1/items", None, 200, id="list"),
        pytest.param("POST", "/api/v1/items", {"name": "Ink", "price": 2}, 201, id="create"),
        pytest.param("GET", "/api/v1/items/1", None, 200, id="read"),
        pytest.param("GET", "/api/v1/items/99", None, 404, id="read-missing"),
    ],
)
def test_every_items_response_carries_its_handler_time(
    client: TestClient, method: str, path: str, body: dict | None, status: int
) -> None:
    client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    started = time.perf_counter()
    response = client.request(method, path, json=body)
    wall = time.perf_counter() - started
    assert response.status_code == status, response.text
    # The handler runs inside the request: its time is never negative, nor above the wall time.
    assert 0 <= timed_seconds(response) <= wall


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("GET", "/health", {}, id="health"),
        pytest.param("GET", "/api/v1/admin/stats", KEY, id="admin-stats"),
        pytest.param("GET", "/api/v1/admin/stats", {}, id="admin-401"),
        pytest.param("DELETE", "/api/v1/admin/items/1", KEY, id="admin-delete"),
        pytest.param("GET", "/openapi.json", {}, id="openapi"),
        pytest.param("GET", "/nowhere", {}, id="unknown-path"),
    ],
)
def test_no_other_route_is_timed(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    response = client.request(method, path, headers=headers)
    assert TIMING not in response.headers, dict(response.headers)


def timed_app(router: APIRouter, prefix: str = "") -> FastAPI:
    app = FastAPI()
    app.include_router(router, prefix=prefix)
    return app


@pytest.mark.task(4)
def test_the_time_covers_the_endpoint() -> None:
    router = APIRouter(route_class=TimedRoute)

    @router.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.1)
        return {"done": True}

    with TestClient(timed_app(router)) as client:
        response = client.get("/slow")
    assert response.status_code == 200, response.text
    # Generous: some clocks (Windows) let a sleep end up to ~16 ms early.
    assert timed_seconds(response) >= 0.08


@pytest.mark.task(4)
def test_the_time_covers_the_dependencies() -> None:
    async def slow_dependency() -> None:
        await asyncio.sleep(0.1)

    router = APIRouter(route_class=TimedRoute)

    @router.get("/guarded", dependencies=[Depends(slow_dependency)])
    async def guarded() -> dict[str, bool]:
        return {"done": True}

    with TestClient(timed_app(router)) as client:
        response = client.get("/guarded")
    assert response.status_code == 200, response.text
    assert timed_seconds(response) >= 0.08


@pytest.mark.task(4)
def test_a_timed_router_stays_timed_when_nested() -> None:
    inner = APIRouter(prefix="/inner", route_class=TimedRoute)

    @inner.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)
    with TestClient(timed_app(outer, prefix="/api")) as client:
        response = client.get("/api/outer/inner/ping")
    assert response.status_code == 200, response.text
    assert timed_seconds(response) >= 0


@pytest.mark.task(4)
async def test_concurrent_requests_are_timed_separately() -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    router = APIRouter(route_class=TimedRoute)

    @router.get("/work")
    async def work(hold: bool = False) -> dict[str, bool]:
        if hold:
            entered.set()
            await release.wait()
        return {"held": hold}

    transport = httpx.ASGITransport(app=timed_app(router))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        held = asyncio.create_task(http.get("/work", params={"hold": "true"}))
        await entered.wait()
        await asyncio.sleep(0.2)  # the held request is now at least 0.2 s old
        started = time.perf_counter()
        quick = await http.get("/work")
        quick_wall = time.perf_counter() - started
        release.set()
        slow = await held
    assert timed_seconds(slow) >= 0.15  # a clock restarted by the quick request shows ~0
    assert timed_seconds(quick) <= quick_wall


# Task 5: links are built from route names.


@pytest.mark.task(5)
@pytest.mark.stretch
def test_create_answers_a_location_that_reads_the_item(client: TestClient) -> None:
    response = client.post("/api/v1/items", json={"name": "Pen", "price": 1})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "http://testserver/api/v1/items/1"
    followed = client.get(response.headers["location"])
    assert followed.json() == response.json()


@pytest.mark.task(5)
@pytest.mark.stretch
def test_the_location_follows_the_router_wherever_it_is_included(bare_app: FastAPI) -> None:
    bare_app.include_router(build_items_router(), prefix="/shop")
    with TestClient(bare_app) as client:
        response = client.post("/shop/items", json={"name": "Pen", "price": 1})
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "http://testserver/shop/items/1"
        assert client.get(response.headers["location"]).status_code == 200


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("name", "params", "path"),
    [
        pytest.param("health", {}, "/health", id="health"),
        pytest.param("list_items", {}, "/api/v1/items", id="list_items"),
        pytest.param("create_item", {}, "/api/v1/items", id="create_item"),
        pytest.param("read_item", {"item_id": 3}, "/api/v1/items/3", id="read_item"),
        pytest.param("admin_stats", {}, "/api/v1/admin/stats", id="admin_stats"),
        pytest.param("delete_item", {"item_id": 3}, "/api/v1/admin/items/3", id="delete_item"),
    ],
)
def test_url_path_for_builds_the_full_path_of_each_route(
    name: str, params: dict[str, int], path: str
) -> None:
    assert create_app(api_key=API_KEY).url_path_for(name, **params) == path


@pytest.mark.task(5)
@pytest.mark.stretch
def test_url_path_for_needs_the_path_parameters() -> None:
    with pytest.raises(NoMatchFound):
        create_app(api_key=API_KEY).url_path_for("read_item")
