"""Tests for kata 2.2: path and query parameters, their bounds, and what bad input gets."""

import string
from operator import attrgetter
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from path_and_query_params import BOOKS, FILES, Book, Genre, create_app

MAX_ID = 2_147_483_647  # 2**31 - 1, written out as the README states it
ALL_IDS = [book.id for book in BOOKS]
IN_STOCK = [book.id for book in BOOKS if book.in_stock]
OUT_OF_STOCK = [book.id for book in BOOKS if not book.in_stock]
TRUE_WORDS = ("true", "1", "yes", "on", "t", "y")
FALSE_WORDS = ("false", "0", "no", "off", "f", "n")
SORTS = ("id", "-id", "title", "-title", "year", "-year")
TAGS = sorted({tag for book in BOOKS for tag in book.tags})


def ids(response: Any) -> list[int]:
    """The ids of the books in a list response, in the order received."""
    return [book["id"] for book in response.json()]


def error_locs(response: Any) -> list[list[str | int]]:
    """The `loc` of every error in FastAPI's 422 body."""
    return [error["loc"] for error in response.json()["detail"]]


def as_json(books: list[Book]) -> list[dict[str, Any]]:
    """Books as the API must render them."""
    return [book.model_dump(mode="json") for book in books]


def sort_books(books: list[Book], sort: str) -> list[Book]:
    """The README's sort: a field name, '-' first for descending."""
    return sorted(books, key=attrgetter(sort.removeprefix("-")), reverse=sort.startswith("-"))


def parameter(openapi: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    """The documented parameter `name` of `GET path`."""
    for documented in openapi["paths"][path]["get"].get("parameters", []):
        if documented["name"] == name:
            return documented
    raise AssertionError(f"GET {path} documents no parameter named {name!r}")


def schema_of(openapi: dict[str, Any], documented: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema with `$ref` resolved and an optional's `anyOf [T, null]` flattened."""
    schema = dict(documented["schema"])
    branches = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
    if len(branches) == 1:
        schema = {**schema, **branches[0]}
    if "$ref" in schema:
        name = schema.pop("$ref").rsplit("/", 1)[-1]
        schema = {**openapi["components"]["schemas"][name], **schema}
    return schema


def spell(words: tuple[str, ...]) -> st.SearchStrategy[str]:
    """One of `words` in any mix of upper and lower case."""
    return st.sampled_from(words).flatmap(
        lambda word: st.tuples(*(st.sampled_from((c.lower(), c.upper())) for c in word)).map(
            "".join
        )
    )


# --- Task 1: one book by a bounded id -------------------------------------------------------


@pytest.mark.task(1)
def test_create_app_builds_a_new_fastapi_app_each_call() -> None:
    first, second = create_app(), create_app()
    assert isinstance(first, FastAPI)
    assert first is not second


@pytest.mark.task(1)
def test_read_book_by_id_answers_the_book(client: TestClient) -> None:
    response = client.get("/books/1")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": 1,
        "title": "Pride and Prejudice",
        "author": "Jane Austen",
        "genre": "fiction",
        "year": 1813,
        "tags": ["classic", "romance", "england"],
        "in_stock": True,
    }


@pytest.mark.task(1)
@pytest.mark.parametrize("book_id", ALL_IDS)
def test_every_book_of_the_catalogue_is_found(client: TestClient, book_id: int) -> None:
    response = client.get(f"/books/{book_id}")
    assert response.status_code == 200, response.text
    [book] = [book for book in BOOKS if book.id == book_id]
    assert response.json() == book.model_dump(mode="json")


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "book_id",
    [
        pytest.param(13, id="just-past-the-catalogue"),
        pytest.param(999, id="far-past-the-catalogue"),
        pytest.param(MAX_ID, id="the-largest-valid-id"),
    ],
)
def test_valid_id_without_a_book_is_404_with_a_detail(client: TestClient, book_id: int) -> None:
    response = client.get(f"/books/{book_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Book {book_id} not found"}


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("0", id="zero-below-ge-1"),
        pytest.param("-1", id="negative"),
        pytest.param(str(MAX_ID + 1), id="one-past-le"),
        pytest.param("99999999999999999999", id="huge"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("1.5", id="not-an-integer"),
        pytest.param("1e3", id="exponent"),
    ],
)
def test_invalid_book_id_is_422_at_path_book_id(client: TestClient, raw: str) -> None:
    response = client.get(f"/books/{raw}")
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["path", "book_id"]]


@pytest.mark.task(1)
@settings(max_examples=30, deadline=None)
@given(
    book_id=st.one_of(
        st.integers(min_value=-3, max_value=20),
        st.integers(min_value=MAX_ID - 3, max_value=MAX_ID + 3),
        st.integers(),
    )
)
def test_any_integer_id_is_a_book_a_404_or_a_422(client: TestClient, book_id: int) -> None:
    response = client.get(f"/books/{book_id}")
    if not 1 <= book_id <= MAX_ID:
        assert response.status_code == 422, response.text
        assert error_locs(response) == [["path", "book_id"]]
    elif book_id in ALL_IDS:
        assert response.status_code == 200, response.text
        assert response.json()["id"] == book_id
    else:
        assert response.status_code == 404, response.text


@pytest.mark.task(1)
@settings(max_examples=30, deadline=None)
@given(raw=st.from_regex(r"\A[0-9]{0,3}[a-z][a-z0-9]{0,6}\Z").filter(lambda s: s != "latest"))
def test_any_word_as_book_id_is_422(client: TestClient, raw: str) -> None:
    response = client.get(f"/books/{raw}")
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["path", "book_id"]]


@pytest.mark.task(1)
def test_openapi_documents_the_bounds_of_book_id(openapi: dict[str, Any]) -> None:
    documented = parameter(openapi, "/books/{book_id}", "book_id")
    assert documented["in"] == "path"
    schema = schema_of(openapi, documented)
    assert schema["type"] == "integer"
    assert schema["minimum"] == 1
    assert schema["maximum"] == MAX_ID


# --- Task 2: a fixed path before a parameterised one ----------------------------------------


@pytest.mark.task(2)
def test_latest_book_is_the_most_recently_published(client: TestClient) -> None:
    response = client.get("/books/latest")
    assert response.status_code == 200, response.text
    newest = max(BOOKS, key=attrgetter("year"))
    assert response.json() == newest.model_dump(mode="json")
    assert response.json()["year"] == 1903


@pytest.mark.task(2)
def test_latest_does_not_shadow_numeric_ids(client: TestClient) -> None:
    assert client.get("/books/latest").json()["id"] == 12
    response = client.get("/books/2")
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Moby-Dick"


# --- Task 3: an enum in the path ------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize("genre", [pytest.param(g.value, id=g.value) for g in Genre])
def test_books_of_a_genre_in_id_order(client: TestClient, genre: str) -> None:
    response = client.get(f"/genres/{genre}/books")
    assert response.status_code == 200, response.text
    expected = [book for book in BOOKS if book.genre.value == genre]
    assert expected, "the catalogue has books of every genre"
    assert response.json() == as_json(expected)


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("drama", id="not-a-genre"),
        pytest.param("Poetry", id="wrong-case"),
        pytest.param("FICTION", id="upper-case"),
        pytest.param("science%20", id="trailing-space"),
        pytest.param("1", id="a-number"),
    ],
)
def test_unknown_genre_is_422_naming_the_choices(client: TestClient, raw: str) -> None:
    response = client.get(f"/genres/{raw}/books")
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["path", "genre"]
    for genre in Genre:
        assert f"'{genre.value}'" in error["msg"]


@pytest.mark.task(3)
def test_openapi_lists_the_genres(openapi: dict[str, Any]) -> None:
    documented = parameter(openapi, "/genres/{genre}/books", "genre")
    assert sorted(schema_of(openapi, documented)["enum"]) == sorted(g.value for g in Genre)


# --- Task 4: a path inside the path ---------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.parametrize(("path", "content"), [pytest.param(p, c, id=p) for p, c in FILES.items()])
def test_a_file_is_served_by_its_whole_path(client: TestClient, path: str, content: str) -> None:
    response = client.get(f"/files/{quote(path)}")
    assert response.status_code == 200, response.text
    assert response.json() == {"path": path, "content": content}


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/files/missing.txt", id="unknown-file"),
        pytest.param("/files/Welcome.txt", id="wrong-case"),
        pytest.param("/files/excerpts", id="a-folder"),
        pytest.param("/files/excerpts/moby-dick/", id="a-folder-with-slash"),
        pytest.param("/files/", id="empty-path"),
        pytest.param("/files//welcome.txt", id="leading-slash"),
        pytest.param("/files/excerpts/%2E%2E/welcome.txt", id="dot-dot-segment"),
    ],
)
def test_any_other_path_is_404_file_not_found(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "File not found"}


@pytest.mark.task(4)
async def test_a_path_is_url_decoded_exactly_once() -> None:
    # Starlette's TestClient decodes the path twice (%2520 would arrive as a space); the httpx
    # ASGI transport decodes it once, as uvicorn does, so this test goes through it.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        served = await client.get("/files/notes/reading%20list.txt")
        double = await client.get("/files/notes/reading%2520list.txt")
    assert served.status_code == 200, served.text
    assert served.json()["path"] == "notes/reading list.txt"
    assert double.status_code == 404, double.text
    assert double.json() == {"detail": "File not found"}


@pytest.mark.task(4)
@settings(max_examples=30, deadline=None)
@given(
    segments=st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    )
)
def test_any_unknown_nested_path_is_404_never_an_error(
    client: TestClient, segments: list[str]
) -> None:
    # Every file of FILES has a "." in its name, which this alphabet cannot produce.
    response = client.get(f"/files/{quote('/'.join(segments))}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "File not found"}


# --- Task 5: a required query parameter -----------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("darwin", [9], id="author"),
        pytest.param("GRASS", [5], id="title-any-case"),
        pytest.param("the", [3, 6, 9, 10, 11, 12], id="several-in-id-order"),
        pytest.param("e. b.", [12], id="punctuation"),
        pytest.param("zz", [], id="no-match"),
    ],
)
def test_search_matches_title_or_author_ignoring_case(
    client: TestClient, q: str, expected: list[int]
) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(5)
def test_search_answers_whole_books(client: TestClient) -> None:
    response = client.get("/search", params={"q": "Origin"})
    assert response.status_code == 200, response.text
    assert response.json() == as_json([BOOKS[8]])


@pytest.mark.task(5)
def test_search_without_q_is_422_missing(client: TestClient) -> None:
    response = client.get("/search")
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "q"]
    assert error["type"] == "missing"


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("q", "status"),
    [
        pytest.param("", 422, id="empty"),
        pytest.param("a", 422, id="one-char"),
        pytest.param("ab", 200, id="two-chars"),
        pytest.param("x" * 50, 200, id="fifty-chars"),
        pytest.param("x" * 51, 422, id="fifty-one-chars"),
    ],
)
def test_q_length_is_bounded_on_both_sides(client: TestClient, q: str, status: int) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == status, response.text
    if status == 422:
        assert error_locs(response) == [["query", "q"]]


@pytest.mark.task(5)
@settings(max_examples=30, deadline=None)
@given(
    q=st.one_of(
        st.sampled_from([b.title for b in BOOKS] + [b.author for b in BOOKS]).flatmap(
            lambda s: st.integers(0, len(s) - 2).flatmap(
                lambda i: st.integers(i + 2, min(len(s), i + 50)).map(lambda j: s[i:j])
            )
        ),
        st.text(alphabet=string.ascii_letters + " .-:", min_size=2, max_size=50),
    ).map(lambda s: s.swapcase() if len(s) % 2 else s)
)
def test_search_agrees_with_a_substring_model(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    needle = q.lower()
    expected = [b.id for b in BOOKS if needle in b.title.lower() or needle in b.author.lower()]
    assert ids(response) == expected


@pytest.mark.task(5)
@settings(max_examples=30, deadline=None)
@given(q=st.text(max_size=60))
def test_any_text_is_searched_or_refused_by_its_length(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    if 2 <= len(q) <= 50:
        assert response.status_code == 200, response.text
        assert set(ids(response)) <= set(ALL_IDS)
    else:
        assert response.status_code == 422, response.text
        assert error_locs(response) == [["query", "q"]]


@pytest.mark.task(5)
def test_openapi_documents_q_as_required_and_bounded(openapi: dict[str, Any]) -> None:
    documented = parameter(openapi, "/search", "q")
    assert documented["in"] == "query"
    assert documented["required"] is True
    schema = schema_of(openapi, documented)
    assert (schema["minLength"], schema["maxLength"]) == (2, 50)


# --- Task 6: optional, repeated and renamed filters -----------------------------------------


@pytest.mark.task(6)
@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        pytest.param(["america"], [2, 5, 6, 12], id="one-tag"),
        pytest.param(["classic", "england"], [1, 3, 9, 10], id="two-tags-all-required"),
        pytest.param(["england", "classic"], [1, 3, 9, 10], id="order-does-not-matter"),
        pytest.param(["classic", "america"], [2, 5], id="narrower"),
        pytest.param(["classic", "classic"], [1, 2, 3, 5, 9, 10], id="same-tag-twice"),
        pytest.param(["sea", "rome"], [], id="no-book-has-both"),
        pytest.param(["unknown"], [], id="unknown-tag"),
    ],
)
def test_repeated_tag_keeps_books_with_every_tag(
    client: TestClient, tags: list[str], expected: list[int]
) -> None:
    response = client.get("/books", params={"tag": tags})
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(6)
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *(pytest.param(word, IN_STOCK, id=word) for word in (*TRUE_WORDS, "True", "YES", "On")),
        *(pytest.param(word, OUT_OF_STOCK, id=word) for word in (*FALSE_WORDS, "False", "Off")),
    ],
)
def test_in_stock_understands_the_usual_spellings(
    client: TestClient, raw: str, expected: list[int]
) -> None:
    response = client.get("/books", params={"in_stock": raw})
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(6)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("maybe", id="a-word"),
        pytest.param("2", id="two"),
        pytest.param("yess", id="typo"),
        pytest.param(" yes", id="leading-space"),
        pytest.param("null", id="null"),
    ],
)
def test_in_stock_refuses_anything_else(client: TestClient, raw: str) -> None:
    response = client.get("/books", params={"in_stock": raw})
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["query", "in_stock"]]


@pytest.mark.task(6)
@settings(max_examples=30, deadline=None)
@given(raw=st.one_of(spell(TRUE_WORDS), spell(FALSE_WORDS), st.text(max_size=6)))
def test_any_in_stock_value_filters_or_is_422(client: TestClient, raw: str) -> None:
    response = client.get("/books", params={"in_stock": raw})
    if raw.lower() in TRUE_WORDS + FALSE_WORDS:
        assert response.status_code == 200, response.text
        assert ids(response) == (IN_STOCK if raw.lower() in TRUE_WORDS else OUT_OF_STOCK)
    else:
        assert response.status_code == 422, response.text
        assert error_locs(response) == [["query", "in_stock"]]


@pytest.mark.task(6)
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"from-year": 1850}, [2, 3, 5, 9, 12], id="from"),
        pytest.param({"to-year": 1776}, [7, 8, 10], id="to-inclusive"),
        pytest.param({"from-year": 1845, "to-year": 1855}, [2, 5, 6], id="both-inclusive"),
        pytest.param({"from-year": 1903, "to-year": 1903}, [12], id="one-year"),
        pytest.param({"from-year": 1900, "to-year": 1800}, [], id="empty-range"),
    ],
)
def test_year_range_uses_hyphenated_names(
    client: TestClient, params: dict[str, int], expected: list[int]
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(6)
def test_python_spelling_of_an_alias_is_ignored(client: TestClient) -> None:
    response = client.get("/books", params={"from_year": 1900, "to_year": 1700})
    assert response.status_code == 200, response.text
    assert response.json() == client.get("/books").json()


@pytest.mark.task(6)
@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"from-year": "abc"}, ["query", "from-year"], id="from-not-a-number"),
        pytest.param({"to-year": "1.5"}, ["query", "to-year"], id="to-not-an-integer"),
        pytest.param({"to-year": ""}, ["query", "to-year"], id="to-empty"),
    ],
)
def test_bad_year_is_422_at_the_alias(
    client: TestClient, params: dict[str, str], loc: list[str]
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 422, response.text
    assert error_locs(response) == [loc]


@pytest.mark.task(6)
def test_filters_combine(client: TestClient) -> None:
    params = {"tag": ["classic"], "in_stock": "yes", "from-year": 1800}
    response = client.get("/books", params=params)
    assert response.status_code == 200, response.text
    assert ids(response) == [1, 3, 5, 9]


@pytest.mark.task(6)
def test_openapi_documents_the_filters(openapi: dict[str, Any]) -> None:
    tag = parameter(openapi, "/books", "tag")
    assert tag["in"] == "query"
    assert schema_of(openapi, tag)["type"] == "array"
    assert schema_of(openapi, tag)["items"]["type"] == "string"
    assert schema_of(openapi, parameter(openapi, "/books", "in_stock"))["type"] == "boolean"
    for name in ("from-year", "to-year"):
        documented = parameter(openapi, "/books", name)
        assert documented.get("required", False) is False
        assert schema_of(openapi, documented)["type"] == "integer"
    names = {p["name"] for p in openapi["paths"]["/books"]["get"]["parameters"]}
    assert not names & {"from_year", "to_year"}


# --- Task 7: sorting and paging -------------------------------------------------------------


@pytest.mark.task(7)
@pytest.mark.stretch
def test_default_page_is_the_first_ten_books_by_id(client: TestClient) -> None:
    response = client.get("/books")
    assert response.status_code == 200, response.text
    assert response.json() == as_json(list(BOOKS[:10]))


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"limit": 3, "offset": 2}, [3, 4, 5], id="a-middle-page"),
        pytest.param({"limit": 1}, [1], id="limit-1"),
        pytest.param({"limit": 50}, ALL_IDS, id="limit-50"),
        pytest.param({"offset": 0}, ALL_IDS[:10], id="offset-0"),
        pytest.param({"offset": 10}, [11, 12], id="last-page"),
        pytest.param({"offset": 12}, [], id="just-past-the-end"),
        pytest.param({"offset": 1000}, [], id="far-past-the-end"),
    ],
)
def test_limit_and_offset_page_the_list(
    client: TestClient, params: dict[str, int], expected: list[int]
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"limit": "0"}, ["query", "limit"], id="limit-0"),
        pytest.param({"limit": "51"}, ["query", "limit"], id="limit-51"),
        pytest.param({"limit": "-1"}, ["query", "limit"], id="limit-negative"),
        pytest.param({"limit": "ten"}, ["query", "limit"], id="limit-a-word"),
        pytest.param({"limit": ""}, ["query", "limit"], id="limit-empty"),
        pytest.param({"offset": "-1"}, ["query", "offset"], id="offset-negative"),
        pytest.param({"offset": "1.5"}, ["query", "offset"], id="offset-not-an-integer"),
    ],
)
def test_limit_and_offset_out_of_bounds_are_422(
    client: TestClient, params: dict[str, str], loc: list[str]
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 422, response.text
    assert error_locs(response) == [loc]


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize("sort", [pytest.param(s, id=s) for s in SORTS])
def test_sort_by_a_field_ascending_or_descending(client: TestClient, sort: str) -> None:
    response = client.get("/books", params={"sort": sort, "limit": 50})
    assert response.status_code == 200, response.text
    assert response.json() == as_json(sort_books(list(BOOKS), sort))


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("price", id="unknown-field"),
        pytest.param("yearly", id="a-field-as-prefix"),
        pytest.param("by-year", id="a-field-as-suffix"),
        pytest.param("--year", id="double-minus"),
        pytest.param("+year", id="plus"),
        pytest.param("Year", id="wrong-case"),
        pytest.param("year ", id="trailing-space"),
        pytest.param("year\n", id="trailing-newline"),
        pytest.param("title,year", id="two-fields"),
        pytest.param("-", id="only-minus"),
        pytest.param("", id="empty"),
    ],
)
def test_sort_must_match_the_whole_pattern(client: TestClient, raw: str) -> None:
    response = client.get("/books", params={"sort": raw})
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["query", "sort"]]


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"sort": "-year", "limit": 3}, [12, 3, 9], id="sort-before-limit"),
        pytest.param(
            {"tag": "classic", "sort": "-year", "limit": 2, "offset": 1},
            [9, 5],
            id="filter-sort-skip-keep",
        ),
        pytest.param({"sort": "title", "offset": 10}, [12, 3], id="sort-before-offset"),
    ],
)
def test_filter_then_sort_then_page(
    client: TestClient, params: dict[str, Any], expected: list[int]
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 200, response.text
    assert ids(response) == expected


@pytest.mark.task(7)
@pytest.mark.stretch
def test_every_bad_parameter_is_reported_at_once(client: TestClient) -> None:
    params = {"limit": "0", "offset": "-1", "sort": "price", "in_stock": "maybe"}
    response = client.get("/books", params=params)
    assert response.status_code == 422, response.text
    assert sorted(error_locs(response)) == [
        ["query", "in_stock"],
        ["query", "limit"],
        ["query", "offset"],
        ["query", "sort"],
    ]


@pytest.mark.task(7)
@pytest.mark.stretch
def test_a_scalar_given_twice_takes_the_last_value(client: TestClient) -> None:
    response = client.get("/books", params=[("limit", "5"), ("limit", "2")])
    assert response.status_code == 200, response.text
    assert ids(response) == [1, 2]


@pytest.mark.task(7)
@pytest.mark.stretch
@settings(max_examples=30, deadline=None)
@given(
    limit=st.integers(min_value=-3, max_value=55), offset=st.integers(min_value=-3, max_value=15)
)
def test_any_limit_and_offset_page_or_are_refused(
    client: TestClient, limit: int, offset: int
) -> None:
    response = client.get("/books", params={"limit": limit, "offset": offset})
    expected_locs = []
    if not 1 <= limit <= 50:
        expected_locs.append(["query", "limit"])
    if offset < 0:
        expected_locs.append(["query", "offset"])
    if expected_locs:
        assert response.status_code == 422, response.text
        assert sorted(error_locs(response)) == expected_locs
    else:
        assert response.status_code == 200, response.text
        assert ids(response) == ALL_IDS[offset : offset + limit]


@pytest.mark.task(7)
@pytest.mark.stretch
@settings(max_examples=30, deadline=None)
@given(
    tags=st.lists(st.sampled_from([*TAGS, "unknown"]), max_size=3),
    in_stock=st.one_of(st.none(), st.booleans()),
    spelling=st.data(),
    from_year=st.one_of(st.none(), st.integers(min_value=1600, max_value=1950)),
    to_year=st.one_of(st.none(), st.integers(min_value=1600, max_value=1950)),
    sort=st.one_of(st.none(), st.sampled_from(SORTS)),
    limit=st.one_of(st.none(), st.integers(min_value=1, max_value=50)),
    offset=st.one_of(st.none(), st.integers(min_value=0, max_value=13)),
)
def test_books_agree_with_a_model_of_the_catalogue(
    client: TestClient,
    tags: list[str],
    in_stock: bool | None,
    spelling: st.DataObject,
    from_year: int | None,
    to_year: int | None,
    sort: str | None,
    limit: int | None,
    offset: int | None,
) -> None:
    params: list[tuple[str, str | int]] = [("tag", tag) for tag in tags]
    if in_stock is not None:
        params.append(("in_stock", spelling.draw(spell(TRUE_WORDS if in_stock else FALSE_WORDS))))
    for name, value in (
        ("from-year", from_year),
        ("to-year", to_year),
        ("sort", sort),
        ("limit", limit),
        ("offset", offset),
    ):
        if value is not None:
            params.append((name, value))
    found = [
        book
        for book in BOOKS
        if set(tags) <= set(book.tags)
        and (in_stock is None or book.in_stock == in_stock)
        and (from_year is None or book.year >= from_year)
        and (to_year is None or book.year <= to_year)
    ]
    start = offset or 0
    expected = sort_books(found, sort or "id")[start : start + (limit or 10)]
    response = client.get("/books", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == as_json(expected)


@pytest.mark.task(7)
@pytest.mark.stretch
def test_openapi_documents_defaults_bounds_and_pattern(openapi: dict[str, Any]) -> None:
    limit = schema_of(openapi, parameter(openapi, "/books", "limit"))
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (10, 1, 50)
    offset = schema_of(openapi, parameter(openapi, "/books", "offset"))
    assert (offset["default"], offset["minimum"]) == (0, 0)
    sort = schema_of(openapi, parameter(openapi, "/books", "sort"))
    assert sort["default"] == "id"
    assert "pattern" in sort
