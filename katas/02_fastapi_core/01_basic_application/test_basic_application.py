"""Tests for kata 2.1: the application factory and its routes."""

import pytest
from basic_application import create_app
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.task(1)
def test_create_app_returns_a_fastapi_app_with_title_and_version() -> None:
    app = create_app()
    assert isinstance(app, FastAPI)
    assert app.title == "Basic application"
    assert app.version == "1.0.0"


@pytest.mark.task(1)
def test_each_call_builds_a_new_app() -> None:
    assert create_app() is not create_app()


@pytest.mark.task(2)
def test_root_greets(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "Hello, katas"}


@pytest.mark.task(2)
def test_health_reports_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


@pytest.mark.task(2)
def test_unknown_path_is_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.task(2)
def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/health")
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET"


@pytest.mark.task(3)
def test_create_item_returns_201_and_the_item_with_an_id(client: TestClient) -> None:
    response = client.post("/items", json={"name": "Pen", "price": 1.5})
    assert response.status_code == 201, response.text
    assert response.json() == {"id": 1, "name": "Pen", "price": 1.5}


@pytest.mark.task(3)
def test_items_are_listed_in_creation_order_with_increasing_ids(client: TestClient) -> None:
    for name in ("Pen", "Ink", "Pad"):
        assert client.post("/items", json={"name": name, "price": 2}).status_code == 201
    response = client.get("/items")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": 1, "name": "Pen", "price": 2.0},
        {"id": 2, "name": "Ink", "price": 2.0},
        {"id": 3, "name": "Pad", "price": 2.0},
    ]


@pytest.mark.task(3)
def test_a_new_app_lists_no_items(client: TestClient) -> None:
    response = client.get("/items")
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.task(3)
def test_read_item_by_id(client: TestClient) -> None:
    client.post("/items", json={"name": "Pen", "price": 1})
    created = client.post("/items", json={"name": "Ink", "price": 3}).json()
    response = client.get(f"/items/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == created


@pytest.mark.task(3)
@pytest.mark.parametrize("item_id", ["1", "99"])
def test_missing_item_is_404_with_a_detail(client: TestClient, item_id: str) -> None:
    response = client.get(f"/items/{item_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Item {item_id} not found"}


@pytest.mark.task(3)
def test_non_integer_item_id_is_422(client: TestClient) -> None:
    response = client.get("/items/pen")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"price": 1}, ["body", "name"], id="missing-name"),
        pytest.param({"name": "", "price": 1}, ["body", "name"], id="empty-name"),
        pytest.param({"name": "x" * 51, "price": 1}, ["body", "name"], id="name-too-long"),
        pytest.param({"name": "Pen", "price": -0.01}, ["body", "price"], id="negative-price"),
        pytest.param({"name": "Pen", "price": "free"}, ["body", "price"], id="price-not-a-number"),
    ],
)
def test_invalid_item_is_422_and_nothing_is_stored(
    client: TestClient, body: dict[str, object], loc: list[str]
) -> None:
    response = client.post("/items", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert client.get("/items").json() == []


@pytest.mark.task(3)
def test_body_that_is_not_json_is_422_and_nothing_is_stored(client: TestClient) -> None:
    response = client.post(
        "/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert client.get("/items").json() == []


@pytest.mark.task(3)
@settings(max_examples=25, deadline=None)
@given(
    name=st.text(min_size=1, max_size=50).filter(str.strip),
    price=st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
def test_any_valid_item_round_trips(name: str, price: float) -> None:
    with TestClient(create_app()) as client:
        created = client.post("/items", json={"name": name, "price": price})
        assert created.status_code == 201, created.text
        assert client.get(f"/items/{created.json()['id']}").json() == {
            "id": 1,
            "name": name,
            "price": price,
        }


@pytest.mark.task(4)
def test_two_apps_do_not_share_items() -> None:
    with TestClient(create_app()) as first, TestClient(create_app()) as second:
        assert first.post("/items", json={"name": "Pen", "price": 1}).status_code == 201
        assert second.get("/items").json() == []
        assert second.post("/items", json={"name": "Ink", "price": 2}).json()["id"] == 1


@pytest.mark.task(4)
def test_an_app_built_later_starts_empty() -> None:
    with TestClient(create_app()) as first:
        first.post("/items", json={"name": "Pen", "price": 1})
    with TestClient(create_app()) as later:
        assert later.get("/items").json() == []


@pytest.mark.task(5)
@pytest.mark.parametrize("path", ["/health/", "/items/"])
def test_trailing_slash_redirects_to_the_declared_path(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 307, response.text
    assert response.headers["location"] == f"http://testserver{path.rstrip('/')}"


@pytest.mark.task(5)
def test_trailing_slash_redirect_keeps_the_method_and_body(client: TestClient) -> None:
    response = client.post("/items/", json={"name": "Pen", "price": 1})
    assert response.status_code == 201, response.text
    assert client.get("/items").json() == [{"id": 1, "name": "Pen", "price": 1.0}]
