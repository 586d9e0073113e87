"""Tests for kata 1.4: a first FastAPI application.

Everything is checked through HTTP, with a TestClient, the way a consumer of the API sees it:
the routes, FastAPI's 404/405/422 answers, and the documentation it generates at /openapi.json
and /docs. One test uses httpx.AsyncClient to keep several requests in flight at once.
"""

import asyncio
import string
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from intro_to_fastapi import BOOKS, app

LE_GUIN = [2, 4, 5]  # ids of the books by Ursula K. Le Guin, in id order

TRICKY_MESSAGES = [
    pytest.param("hello", id="plain"),
    pytest.param("hello world", id="space"),
    pytest.param("a&b=c", id="ampersand-and-equals"),
    pytest.param("1+1=2", id="plus"),
    pytest.param("100%", id="percent"),
    pytest.param("café crème", id="accents"),
    pytest.param("日本語 🎉", id="cjk-and-emoji"),
]


def book_json(book_id: int) -> dict[str, Any]:
    """The JSON of a book of the shelf, as the API must answer it."""
    return BOOKS[book_id].model_dump()


def assert_validation_error(response: Any, loc: list[str], error_type: str) -> None:
    """A 422 in FastAPI's shape, with exactly one error, at `loc`, of type `error_type`."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    assert len(detail) == 1, detail
    error = detail[0]
    assert error["loc"] == loc, error
    assert error["type"] == error_type, error
    assert isinstance(error["msg"], str), error
    assert error["msg"], error


# --- task 1: the app and its metadata ---


@pytest.mark.task(1)
def test_openapi_info_has_the_title_version_and_description(openapi: dict[str, Any]) -> None:
    info = openapi["info"]
    assert info["title"] == "Bookshelf API"
    assert info["version"] == "1.0.0"
    assert isinstance(info.get("description"), str)
    assert info["description"].strip()


@pytest.mark.task(1)
def test_openapi_describes_the_two_tags(openapi: dict[str, Any]) -> None:
    tags = {tag["name"]: tag.get("description") for tag in openapi.get("tags", [])}
    assert set(tags) == {"books", "system"}, tags
    for name, description in tags.items():
        assert isinstance(description, str), f"tag {name!r} has no description"
        assert description.strip(), f"tag {name!r} has an empty description"


# --- task 2: the API of kata 1.1, in FastAPI ---


@pytest.mark.task(2)
def test_health_answers_200_with_json(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


@pytest.mark.task(2)
@pytest.mark.parametrize("msg", TRICKY_MESSAGES)
def test_echo_answers_the_decoded_msg(client: TestClient, msg: str) -> None:
    response = client.get("/echo", params={"msg": msg})
    assert response.status_code == 200, response.text
    assert response.json() == {"msg": msg}


@pytest.mark.task(2)
@settings(max_examples=25, deadline=None)
@given(msg=st.text(min_size=1, max_size=30))
def test_any_text_round_trips_through_the_echo(msg: str) -> None:
    client = TestClient(app)
    response = client.get("/echo", params={"msg": msg})
    assert response.status_code == 200, response.text
    assert response.json() == {"msg": msg}


@pytest.mark.task(2)
def test_echo_without_msg_is_422_missing(client: TestClient) -> None:
    assert_validation_error(client.get("/echo"), ["query", "msg"], "missing")


@pytest.mark.task(2)
def test_echo_with_an_empty_msg_is_422_too_short(client: TestClient) -> None:
    assert_validation_error(client.get("/echo?msg="), ["query", "msg"], "string_too_short")


@pytest.mark.task(2)
@pytest.mark.parametrize("path", ["/", "/nowhere", "/health/extra"])
def test_unknown_path_is_404(client: TestClient, path: str) -> None:
    assert client.get("/health").status_code == 200  # the app does answer
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.task(2)
@pytest.mark.parametrize("path", ["/health", "/echo"])
def test_wrong_method_is_405_with_allow(client: TestClient, path: str) -> None:
    response = client.delete(path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET"
    assert response.json() == {"detail": "Method Not Allowed"}


# --- task 3: a typed path parameter ---


@pytest.mark.task(3)
@pytest.mark.parametrize("book_id", sorted(BOOKS))
def test_read_book_answers_the_book(client: TestClient, book_id: int) -> None:
    response = client.get(f"/books/{book_id}")
    assert response.status_code == 200, response.text
    assert response.json() == book_json(book_id)


@pytest.mark.task(3)
def test_read_book_answers_the_json_the_readme_shows(client: TestClient) -> None:
    response = client.get("/books/1")
    assert response.status_code == 200, response.text
    assert response.json() == {"id": 1, "title": "Dune", "author": "Frank Herbert", "year": 1965}


@pytest.mark.task(3)
@pytest.mark.parametrize("book_id", [0, 6, -1, 10**12])
def test_unknown_book_is_404_with_a_detail(client: TestClient, book_id: int) -> None:
    response = client.get(f"/books/{book_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Book {book_id} not found"}


@pytest.mark.task(3)
@pytest.mark.parametrize("book_id", ["abc", "1.5", "one", "1e3"])
def test_a_book_id_that_is_not_an_integer_is_422(client: TestClient, book_id: str) -> None:
    response = client.get(f"/books/{book_id}")
    assert_validation_error(response, ["path", "book_id"], "int_parsing")
    assert response.json()["detail"][0]["input"] == book_id


@pytest.mark.task(3)
@settings(max_examples=25, deadline=None)
@given(book_id=st.integers(min_value=-(10**6), max_value=10**6))
def test_any_integer_id_is_the_book_or_404(book_id: int) -> None:
    response = TestClient(app).get(f"/books/{book_id}")
    if book_id in BOOKS:
        assert response.status_code == 200, response.text
        assert response.json() == book_json(book_id)
    else:
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": f"Book {book_id} not found"}


@pytest.mark.task(3)
@settings(max_examples=25, deadline=None)
@given(book_id=st.text(alphabet=string.ascii_letters, min_size=1, max_size=12))
def test_any_word_as_an_id_is_422(book_id: str) -> None:
    response = TestClient(app).get(f"/books/{book_id}")
    assert_validation_error(response, ["path", "book_id"], "int_parsing")


@pytest.mark.task(3)
async def test_many_requests_in_flight_each_get_their_own_answer() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with asyncio.timeout(2):
            responses = await asyncio.gather(
                *(client.get(f"/books/{book_id}") for book_id in [*BOOKS, 99]),
                *(client.get("/echo", params={"msg": f"hello {n}"}) for n in range(5)),
            )
    assert [r.status_code for r in responses] == [200] * len(BOOKS) + [404] + [200] * 5
    assert [r.json() for r in responses[: len(BOOKS)]] == [book_json(i) for i in BOOKS]
    assert [r.json() for r in responses[-5:]] == [{"msg": f"hello {n}"} for n in range(5)]


# --- task 4: typed query parameters ---


@pytest.mark.task(4)
def test_list_books_answers_every_book_in_id_order(client: TestClient) -> None:
    response = client.get("/books")
    assert response.status_code == 200, response.text
    assert response.json() == [book_json(book_id) for book_id in sorted(BOOKS)]


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("query", "ids"),
    [
        pytest.param("limit=2", [1, 2], id="limit"),
        pytest.param("limit=1", [1], id="limit-lower-bound"),
        pytest.param("limit=50", [1, 2, 3, 4, 5], id="limit-upper-bound"),
        pytest.param("author=Ursula K. Le Guin", LE_GUIN, id="author"),
        pytest.param("author=le guin", LE_GUIN, id="author-ignores-case"),
        pytest.param("author=GIBSON", [3], id="author-part-of-the-name"),
        pytest.param("author=Tolkien", [], id="author-with-no-book"),
        pytest.param("author=le+guin&limit=2", LE_GUIN[:2], id="author-and-limit"),
        pytest.param("colour=blue", [1, 2, 3, 4, 5], id="unknown-parameter-ignored"),
    ],
)
def test_list_books_filters_and_limits(client: TestClient, query: str, ids: list[int]) -> None:
    response = client.get(f"/books?{query}")
    assert response.status_code == 200, response.text
    assert response.json() == [book_json(book_id) for book_id in ids]


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("limit", "error_type"),
    [
        pytest.param("0", "greater_than_equal", id="zero"),
        pytest.param("-1", "greater_than_equal", id="negative"),
        pytest.param("51", "less_than_equal", id="over-fifty"),
        pytest.param("ten", "int_parsing", id="not-a-number"),
        pytest.param("2.5", "int_parsing", id="not-an-integer"),
    ],
)
def test_a_bad_limit_is_422(client: TestClient, limit: str, error_type: str) -> None:
    response = client.get("/books", params={"limit": limit})
    assert_validation_error(response, ["query", "limit"], error_type)


# --- task 5: the documentation FastAPI writes for you ---


@pytest.mark.task(5)
def test_openapi_lists_every_route_with_its_tag(openapi: dict[str, Any]) -> None:
    operations = {
        path: {method: op.get("tags") for method, op in item.items()}
        for path, item in openapi["paths"].items()
    }
    assert operations == {
        "/health": {"get": ["system"]},
        "/echo": {"get": ["system"]},
        "/books": {"get": ["books"]},
        "/books/{book_id}": {"get": ["books"]},
    }


def parameter(openapi: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    """The OpenAPI description of parameter `name` of `GET path`."""
    parameters = openapi["paths"][path]["get"].get("parameters", [])
    found = [p for p in parameters if p["name"] == name]
    assert len(found) == 1, parameters
    return found[0]


@pytest.mark.task(5)
def test_openapi_documents_the_path_parameter_as_a_required_integer(
    openapi: dict[str, Any],
) -> None:
    book_id = parameter(openapi, "/books/{book_id}", "book_id")
    assert book_id["in"] == "path"
    assert book_id["required"] is True
    assert book_id["schema"]["type"] == "integer"


@pytest.mark.task(5)
def test_openapi_documents_the_query_parameters(openapi: dict[str, Any]) -> None:
    msg = parameter(openapi, "/echo", "msg")
    assert (msg["in"], msg["required"]) == ("query", True)
    assert msg["schema"]["type"] == "string"
    assert msg["schema"]["minLength"] == 1

    limit = parameter(openapi, "/books", "limit")
    assert (limit["in"], limit.get("required", False)) == ("query", False)
    assert limit["schema"]["type"] == "integer"
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 50)
    assert limit["schema"]["default"] == 10

    author = parameter(openapi, "/books", "author")
    assert (author["in"], author.get("required", False)) == ("query", False)
    assert "string" in str(author["schema"])


@pytest.mark.task(5)
def test_openapi_documents_the_book_schema(openapi: dict[str, Any]) -> None:
    book = openapi["components"]["schemas"]["Book"]
    assert set(book["properties"]) == {"id", "title", "author", "year"}
    answer = openapi["paths"]["/books/{book_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Book"}


@pytest.mark.task(5)
def test_docs_page_is_served_and_loads_the_openapi_document(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    assert "Bookshelf API" in response.text
