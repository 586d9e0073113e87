"""Tests for kata 4.12: the OpenAPI document: metadata, tags, ids, security, hidden routes."""

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_customization import DESCRIPTION, create_app, operation_id
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PUBLIC_PATHS = {"/books", "/authors", "/health"}
BEARER = [{"bearerAuth": []}]


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, method) -> the operation object, for every operation of the document."""
    return {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def as_json(value: object) -> object:
    """What a value looks like once sent as JSON (tuples become lists, and so on)."""
    return json.loads(json.dumps(value))


async def endpoint() -> None:
    """An endpoint for building routes by hand."""


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_info_names_and_describes_the_api(document: dict[str, Any]) -> None:
    info = document["info"]
    assert info["title"] == "Bookshelf API"
    assert info["version"] == "2.1.0"
    assert info["summary"] == "A shared bookshelf: books and their authors."
    assert info["description"] == DESCRIPTION


@pytest.mark.task(1)
def test_info_has_a_contact_and_an_spdx_license(document: dict[str, Any]) -> None:
    assert document["info"]["contact"] == {
        "name": "Bookshelf team",
        "url": "https://example.com/support",
        "email": "api@example.com",
    }
    assert document["info"]["license"] == {"name": "MIT", "identifier": "MIT"}


@pytest.mark.task(1)
def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1."), document["openapi"]
    validate(as_json(document), cls=OpenAPIV31SpecValidator)  # raises when it is not


@pytest.mark.task(1)
def test_swagger_ui_carries_the_title(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200, response.text
    assert "<title>Bookshelf API - Swagger UI</title>" in response.text


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_tag_metadata_is_declared_in_order(document: dict[str, Any]) -> None:
    assert document["tags"] == [
        {
            "name": "books",
            "description": "Add books to the shelf and list them.",
            "externalDocs": {
                "description": "How books are catalogued",
                "url": "https://example.com/docs/cataloguing",
            },
        },
        {"name": "authors", "description": "The people who wrote the books."},
    ]


@pytest.mark.task(2)
def test_each_operation_carries_its_tag(document: dict[str, Any]) -> None:
    assert {key: op.get("tags") for key, op in operations(document).items()} == {
        ("/books", "get"): ["books"],
        ("/books", "post"): ["books"],
        ("/authors", "get"): ["authors"],
        ("/health", "get"): None,
    }


@pytest.mark.task(2)
def test_every_tag_in_use_is_declared(document: dict[str, Any]) -> None:
    declared = {tag["name"] for tag in document["tags"]}
    used = {tag for op in operations(document).values() for tag in op.get("tags", [])}
    assert used <= declared, used - declared


@pytest.mark.task(2)
def test_the_routes_answer(client: TestClient) -> None:
    created = client.post("/books", json={"title": "Emma", "author": "Jane Austen"})
    assert created.status_code == 201, created.text
    assert created.json() == {"id": 1, "title": "Emma", "author": "Jane Austen"}
    for title, author in [
        ("Dune", "Frank Herbert"),
        ("Children of Dune", "Frank Herbert"),
        ("Frankenstein", "Mary Shelley"),
    ]:
        response = client.post("/books", json={"title": title, "author": author})
        assert response.status_code == 201, response.text
    listed = client.get("/books")
    assert listed.status_code == 200, listed.text
    assert [(book["id"], book["title"]) for book in listed.json()] == [
        (1, "Emma"),
        (2, "Dune"),
        (3, "Children of Dune"),
        (4, "Frankenstein"),
    ]
    authors = client.get("/authors")
    assert authors.status_code == 200, authors.text
    # The order of each author's first book: neither alphabetical nor by count.
    assert authors.json() == [
        {"name": "Jane Austen", "books": 1},
        {"name": "Frank Herbert", "books": 2},
        {"name": "Mary Shelley", "books": 1},
    ]
    health = client.get("/health")
    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok"}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"author": "Anon"}, ["body", "title"], id="missing-title"),
        pytest.param({"title": "", "author": "Anon"}, ["body", "title"], id="empty-title"),
        pytest.param({"title": "x" * 201, "author": "Anon"}, ["body", "title"], id="long-title"),
        pytest.param({"title": "Emma"}, ["body", "author"], id="missing-author"),
        pytest.param({"title": "Emma", "author": ""}, ["body", "author"], id="empty-author"),
        pytest.param({"title": "Emma", "author": "a" * 101}, ["body", "author"], id="long-author"),
    ],
)
def test_an_invalid_book_is_422_and_not_stored(
    client: TestClient, body: dict[str, object], loc: list[str]
) -> None:
    response = client.post("/books", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert client.get("/books").json() == []


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "t" * 200, "author": "a" * 100}, id="longest"),
        pytest.param({"title": "t", "author": "a"}, id="shortest"),
    ],
)
def test_the_shortest_and_longest_books_are_accepted(
    client: TestClient, body: dict[str, str]
) -> None:
    response = client.post("/books", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"id": 1, **body}


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("tags", "name", "expected"),
    [
        pytest.param(["books"], None, "books-endpoint", id="one-tag"),
        pytest.param(["authors", "books"], None, "authors-endpoint", id="first-tag-wins"),
        pytest.param([], None, "endpoint", id="no-tag"),
        pytest.param(None, None, "endpoint", id="tags-not-given"),
        pytest.param(["books"], "read_book", "books-read_book", id="route-name-given"),
    ],
)
def test_operation_id_is_first_tag_and_name(
    tags: list[str] | None, name: str | None, expected: str
) -> None:
    route = APIRoute("/anything/{x}", endpoint, tags=tags, name=name, methods=["PUT"])
    assert operation_id(route) == expected


@pytest.mark.task(3)
@settings(max_examples=40, deadline=None)
@given(
    tags=st.lists(st.text(min_size=1, max_size=12), max_size=3),
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True),
    path=st.sampled_from(["/", "/items", "/items/{item_id}", "/a/b/c"]),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_operation_id_depends_only_on_the_first_tag_and_the_name(
    tags: list[str], name: str, path: str, method: str
) -> None:
    route = APIRoute(path, endpoint, tags=tags, name=name, methods=[method])
    assert operation_id(route) == (f"{tags[0]}-{name}" if tags else name)


@pytest.mark.task(3)
def test_the_document_uses_the_clean_ids(document: dict[str, Any]) -> None:
    assert {key: op["operationId"] for key, op in operations(document).items()} == {
        ("/books", "get"): "books-list_books",
        ("/books", "post"): "books-create_book",
        ("/authors", "get"): "authors-list_authors",
        ("/health", "get"): "health",
    }


# Task 4 -------------------------------------------------------------------------------------


@pytest.mark.task(4)
def test_the_bearer_scheme_is_declared(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }


@pytest.mark.task(4)
def test_every_operation_but_health_requires_the_bearer_token(document: dict[str, Any]) -> None:
    assert document["security"] == BEARER
    for (path, method), op in operations(document).items():
        if path == "/health":
            assert op["security"] == [], "GET /health is public"
        else:
            # Its own requirement, or the document's: either way, the bearer token.
            assert op.get("security", document["security"]) == BEARER, (path, method)


@pytest.mark.task(4)
def test_every_security_requirement_names_a_declared_scheme(document: dict[str, Any]) -> None:
    # The validator does not check this one: a misspelt scheme name is a valid document.
    declared = set(document["components"]["securitySchemes"])
    requirements = [*document["security"]]
    requirements += [r for op in operations(document).values() for r in op.get("security", [])]
    assert requirements
    for requirement in requirements:
        assert set(requirement) <= declared, requirement


@pytest.mark.task(4)
def test_the_logo_extension_is_in_info(document: dict[str, Any]) -> None:
    assert document["info"]["x-logo"] == {
        "url": "https://example.com/static/bookshelf-logo.png",
        "altText": "Bookshelf API",
    }


@pytest.mark.task(4)
def test_the_customised_document_is_valid_openapi_3_1(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    served = response.json()
    assert "securitySchemes" in served["components"]
    assert "x-logo" in served["info"]
    validate(served, cls=OpenAPIV31SpecValidator)


@pytest.mark.task(4)
def test_openapi_json_serves_the_same_document(app: FastAPI, client: TestClient) -> None:
    first = client.get("/openapi.json")
    second = client.get("/openapi.json")
    assert first.status_code == second.status_code == 200, first.text
    assert first.json() == second.json() == as_json(app.openapi())


@pytest.mark.task(4)
def test_the_document_is_built_once_and_cached_on_the_app(app: FastAPI) -> None:
    first = app.openapi()
    assert app.openapi_schema is first
    assert app.openapi() is first
    assert app.openapi() is first


def assert_customised(document: dict[str, Any]) -> None:
    """The additions of task 4, each present exactly once, in a valid document."""
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    assert document["security"] == BEARER
    assert document["info"]["x-logo"]["url"] == "https://example.com/static/bookshelf-logo.png"
    assert document["paths"]["/health"]["get"]["security"] == []
    validate(as_json(document), cls=OpenAPIV31SpecValidator)


@pytest.mark.task(4)
def test_a_route_added_later_never_loses_the_customisation(
    app: FastAPI, client: TestClient
) -> None:
    # The docs' recipe keeps serving the first document; FastAPI 0.165's own openapi() rebuilds
    # it when the routes change. Either is fine: what every document must carry is the additions.
    assert_customised(app.openapi())

    @app.get("/late", tags=["books"])
    async def late() -> dict[str, str]:
        return {}

    document = app.openapi()
    assert_customised(document)
    assert app.openapi() is document
    assert app.openapi_schema is document
    served = client.get("/openapi.json")
    assert served.status_code == 200, served.text
    assert served.json() == as_json(document)


@pytest.mark.task(4)
def test_the_customisation_is_applied_once(app: FastAPI, client: TestClient) -> None:
    for _ in range(3):
        app.openapi()
        assert client.get("/openapi.json").status_code == 200
    document = app.openapi()
    assert document["security"] == BEARER
    assert list(document["components"]["securitySchemes"]) == ["bearerAuth"]


@pytest.mark.task(4)
def test_each_app_has_its_own_document() -> None:
    first, second = create_app(), create_app()
    assert first.openapi() is not second.openapi()
    assert first.openapi() == second.openapi()


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
def test_hidden_routes_still_answer(client: TestClient) -> None:
    client.post("/books", json={"title": "Emma", "author": "Jane Austen"})
    metrics = client.get("/internal/metrics")
    assert metrics.status_code == 200, metrics.text
    assert metrics.json() == {"books": 1}
    reindex = client.post("/admin/reindex")
    assert reindex.status_code == 202, reindex.text
    assert reindex.json() == {"reindexed": 1}


@pytest.mark.task(5)
def test_the_document_lists_only_the_public_paths(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == PUBLIC_PATHS


@pytest.mark.task(5)
def test_openapi_json_lists_only_the_public_paths(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert set(response.json()["paths"]) == PUBLIC_PATHS


@pytest.mark.task(5)
def test_nothing_of_the_hidden_routes_leaks(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "ReindexReport" not in document["components"]["schemas"]
    for hidden in ("/internal", "/admin", "reindex", "metrics"):
        assert hidden not in text, f"{hidden!r} appears in the document"
    assert "admin" not in {
        tag for op in operations(document).values() for tag in op.get("tags", [])
    }
