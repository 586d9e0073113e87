"""Tests for kata 4.14: CSV and MessagePack responses, a router default, content negotiation."""

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import msgpack
import pytest
from custom_response_classes import (
    AVAILABLE,
    CSV,
    JSON,
    MSGPACK,
    SAMPLE_BOOKS,
    Book,
    CSVResponse,
    MessagePackResponse,
    create_app,
    get_books,
    negotiate,
)
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOOK_COLUMNS = ["id", "title", "author", "published", "pages"]
NOT_ACCEPTABLE = {"detail": "Not Acceptable", "available": [JSON, CSV, MSGPACK]}

# Text that CSV has to work for: any character UTF-8 can carry, with a bias towards the ones
# that need quoting.
TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(',"\r\n '), max_size=12)


def csv_lines(body: bytes) -> list[list[str]]:
    """The records of a CSV body, parsed by the csv module."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def books_from_csv(body: bytes) -> list[Book]:
    """The books of a CSV body with a header line (CSV fields are strings: Pydantic converts)."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    assert reader.fieldnames == BOOK_COLUMNS
    return [Book.model_validate(row) for row in reader]


def books_from_json(body: bytes) -> list[Book]:
    return [Book.model_validate(item) for item in json.loads(body)]


def books_from_msgpack(body: bytes) -> list[Book]:
    return [Book.model_validate(item) for item in msgpack.unpackb(body)]


DECODERS: dict[str, Callable[[bytes], list[Book]]] = {
    JSON: books_from_json,
    CSV: books_from_csv,
    MSGPACK: books_from_msgpack,
}
CONTENT_TYPES = {JSON: "application/json", CSV: CSV_CONTENT_TYPE, MSGPACK: MSGPACK}


def media_types(content: dict[str, Any]) -> list[str]:
    """The media types an OpenAPI `content` map lists, parameters (`; charset=...`) left out."""
    return [key.split(";")[0].strip().lower() for key in content]


def vary(response: httpx.Response) -> list[str]:
    """The field names listed by Vary, lower-cased."""
    values = response.headers.get_list("vary", split_commas=True)
    return [value.strip().lower() for value in values]


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_csv_response_content_type_is_text_csv_utf8() -> None:
    response = CSVResponse([{"id": 1}])
    assert response.headers["content-type"] == CSV_CONTENT_TYPE


@pytest.mark.task(1)
def test_csv_has_a_header_line_then_one_crlf_line_per_row() -> None:
    response = CSVResponse([{"id": 1, "name": "Pen"}, {"id": 2, "name": "Ink"}])
    assert response.body == b"id,name\r\n1,Pen\r\n2,Ink\r\n"


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("plain text", b"plain text", id="nothing-to-quote"),
        pytest.param("Hello, world", b'"Hello, world"', id="comma"),
        pytest.param('say "hi"', b'"say ""hi"""', id="double-quotes-doubled"),
        pytest.param('Hello, "world"', b'"Hello, ""world"""', id="comma-and-quotes"),
        pytest.param("two\nlines", b'"two\nlines"', id="line-feed"),
        pytest.param("two\r\nlines", b'"two\r\nlines"', id="crlf"),
        pytest.param("carriage\rreturn", b'"carriage\rreturn"', id="carriage-return"),
        pytest.param("it's", b"it's", id="single-quote-needs-nothing"),
    ],
)
def test_csv_quotes_a_field_only_when_it_must(value: str, written: bytes) -> None:
    response = CSVResponse([{"n": 1, "title": value}])
    assert response.body == b"n,title\r\n1," + written + b"\r\n"
    assert csv_lines(response.body) == [["n", "title"], ["1", value]]


@pytest.mark.task(1)
def test_csv_is_utf8_without_a_byte_order_mark() -> None:
    response = CSVResponse([{"author": "Émile Zola", "city": "東京"}])
    assert response.body == "author,city\r\nÉmile Zola,東京\r\n".encode()


@pytest.mark.task(1)
def test_csv_writes_none_as_an_empty_field_and_scalars_with_str() -> None:
    response = CSVResponse([{"a": None, "b": 1.5, "c": True, "d": 0, "e": ""}])
    assert response.body == b"a,b,c,d,e\r\n,1.5,True,0,\r\n"


@pytest.mark.task(1)
def test_fieldnames_choose_the_columns_and_their_order() -> None:
    rows = [{"name": "Pen", "id": 1}, {"id": 2, "name": "Ink"}]
    response = CSVResponse(rows, fieldnames=["id", "name"])
    assert response.body == b"id,name\r\n1,Pen\r\n2,Ink\r\n"


@pytest.mark.task(1)
def test_without_fieldnames_the_first_row_gives_the_columns() -> None:
    rows = [{"name": "Pen", "id": 1}, {"id": 2, "name": "Ink"}]
    assert CSVResponse(rows).body == b"name,id\r\nPen,1\r\nInk,2\r\n"


@pytest.mark.task(1)
def test_no_rows_with_fieldnames_is_the_header_line_alone() -> None:
    assert CSVResponse([], fieldnames=["id", "name"]).body == b"id,name\r\n"


@pytest.mark.task(1)
def test_no_rows_without_fieldnames_is_an_empty_body() -> None:
    response = CSVResponse([])
    assert response.body == b""
    assert response.headers["content-length"] == "0"


@pytest.mark.task(1)
def test_csv_accepts_any_iterable_of_rows() -> None:
    rows = ({"id": n} for n in (1, 2))
    assert CSVResponse(rows).body == b"id\r\n1\r\n2\r\n"


@pytest.mark.task(1)
def test_csv_response_passes_the_response_arguments_on() -> None:
    response = CSVResponse(
        [{"id": 1}],
        status_code=201,
        headers={"Content-Disposition": 'attachment; filename="books.csv"'},
        fieldnames=["id"],
    )
    assert response.status_code == 201
    assert response.headers["content-disposition"] == 'attachment; filename="books.csv"'
    assert response.headers["content-type"] == CSV_CONTENT_TYPE
    assert response.body == b"id\r\n1\r\n"


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("rows", "fieldnames"),
    [
        pytest.param([{"id": 1, "name": "Pen"}, {"id": 2}], None, id="second-row-misses-a-key"),
        pytest.param([{"id": 1}, {"id": 2, "name": "Ink"}], None, id="second-row-has-an-extra-key"),
        pytest.param([{"id": 1}], ["id", "name"], id="row-misses-a-fieldname"),
        pytest.param([{"id": 1, "name": "Pen"}], ["id"], id="row-has-a-key-not-in-fieldnames"),
    ],
)
def test_a_row_that_does_not_fit_the_columns_raises_value_error(
    rows: list[dict[str, Any]], fieldnames: list[str] | None
) -> None:
    with pytest.raises(ValueError):
        CSVResponse(rows, fieldnames=fieldnames)


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"first": "Frank"}, id="dict"),
        pytest.param(["sci-fi", "classic"], id="list"),
        pytest.param(("a", "b"), id="tuple"),
        pytest.param({"a"}, id="set"),
    ],
)
def test_a_nested_value_raises_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        CSVResponse([{"id": 1, "tags": value}])


@pytest.mark.task(1)
@settings(max_examples=40, deadline=None)
@given(header=st.lists(TEXT, min_size=1, max_size=4, unique=True), data=st.data())
def test_any_text_round_trips_through_csv(header: list[str], data: st.DataObject) -> None:
    size = len(header)
    rows = data.draw(st.lists(st.lists(TEXT, min_size=size, max_size=size), max_size=4))
    response = CSVResponse([dict(zip(header, row, strict=True)) for row in rows], fieldnames=header)
    assert csv_lines(response.body) == [header, *rows]


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_msgpack_response_content_type_is_exact() -> None:
    response = MessagePackResponse({"id": 1})
    assert response.headers["content-type"] == "application/vnd.msgpack"


@pytest.mark.task(2)
def test_msgpack_body_unpacks_to_the_content() -> None:
    content = {
        "id": 7,
        "title": "Gödel, Escher, Bach",
        "ratio": 0.5,
        "in_print": True,
        "isbn": None,
        "tags": ["maths", "music"],
        "cover": b"\x89PNG",
        "editions": [{"year": 1979}, {"year": 1999}],
    }
    assert msgpack.unpackb(MessagePackResponse(content).body) == content


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param({"published": date(1965, 8, 1)}, id="date"),
        pytest.param([SAMPLE_BOOKS[0]], id="pydantic-model"),
    ],
)
def test_msgpack_refuses_a_value_it_has_no_type_for(content: object) -> None:
    with pytest.raises(TypeError):
        MessagePackResponse(content)


PLAIN_DATA = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8"), max_size=10)
    | st.binary(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.task(2)
@settings(max_examples=40, deadline=None)
@given(content=PLAIN_DATA)
def test_any_plain_data_round_trips_through_msgpack(content: object) -> None:
    assert msgpack.unpackb(MessagePackResponse(content).body) == content


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
def test_create_app_keeps_a_list_of_its_own_in_app_state() -> None:
    books = [SAMPLE_BOOKS[2]]
    app = create_app(books)
    assert app.state.books == books
    books.append(SAMPLE_BOOKS[0])  # the caller's list changes later: the app's copy does not
    assert app.state.books == [SAMPLE_BOOKS[2]]
    assert create_app().state.books == list(SAMPLE_BOOKS)


@pytest.mark.task(3)
async def test_books_report_is_csv_of_the_whole_catalogue(client: httpx.AsyncClient) -> None:
    response = await client.get("/reports/books")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_CONTENT_TYPE
    assert response.content.startswith(b"id,title,author,published,pages\r\n1,Dune,Frank Herbert")
    assert b',"G\xc3\xb6del, Escher, Bach: an Eternal Golden Braid",' in response.content
    assert books_from_csv(response.content) == list(SAMPLE_BOOKS)


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("params", "ids"),
    [
        pytest.param({"author": "Frank Herbert"}, [1, 3], id="author"),
        pytest.param({"published_since": "1976-04-01"}, [2, 3], id="published-since-inclusive"),
        pytest.param({"author": "Frank Herbert", "published_since": "1970-01-01"}, [3], id="both"),
        pytest.param({"author": "frank herbert"}, [], id="author-is-an-exact-match"),
    ],
)
async def test_books_report_filters(
    client: httpx.AsyncClient, params: dict[str, str], ids: list[int]
) -> None:
    response = await client.get("/reports/books", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_CONTENT_TYPE
    if ids:
        assert [book.id for book in books_from_csv(response.content)] == ids
    else:
        assert response.content == b""


@pytest.mark.task(3)
async def test_authors_report_counts_books_per_author_sorted(client: httpx.AsyncClient) -> None:
    response = await client.get("/reports/authors")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_CONTENT_TYPE
    assert response.content == (b"author,books\r\nDouglas Hofstadter,1\r\nFrank Herbert,2\r\n")


@pytest.mark.task(3)
async def test_reports_read_the_catalogue_through_get_books(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    books = [
        Book(id=9, title='Say "cheese", twice', author="Zed", published=date(2001, 2, 3), pages=5)
    ]
    app.dependency_overrides[get_books] = lambda: books
    report = await client.get("/reports/books")
    assert report.content == (
        b'id,title,author,published,pages\r\n9,"Say ""cheese"", twice",Zed,2001-02-03,5\r\n'
    )
    authors = await client.get("/reports/authors")
    assert authors.content == b"author,books\r\nZed,1\r\n"


@pytest.mark.task(3)
async def test_an_empty_report_is_an_empty_csv_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.dependency_overrides[get_books] = lambda: []
    response = await client.get("/reports/authors")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_CONTENT_TYPE
    assert response.content == b""


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "value", [pytest.param("soon", id="word"), pytest.param("1976-13-01", id="month-13")]
)
async def test_a_bad_date_is_a_json_422_on_a_csv_route(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("/reports/books", params={"published_since": value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "published_since"]]


@pytest.mark.task(3)
@pytest.mark.parametrize("path", ["/reports/books", "/reports/authors"])
async def test_openapi_documents_reports_as_csv_only(client: httpx.AsyncClient, path: str) -> None:
    document = (await client.get("/openapi.json")).json()
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert media_types(content) == [CSV]


# Task 4 -------------------------------------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(None, JSON, id="no-header-first-available"),
        pytest.param("", JSON, id="empty-header"),
        pytest.param("   ", JSON, id="blank-header"),
        pytest.param("*/*", JSON, id="anything"),
        pytest.param("text/csv", CSV, id="exact"),
        pytest.param("application/vnd.msgpack", MSGPACK, id="exact-msgpack"),
        pytest.param("TEXT/CSV", CSV, id="case-insensitive"),
        pytest.param("text/*", CSV, id="type-wildcard"),
        pytest.param("application/*", JSON, id="type-wildcard-tie-goes-to-server-order"),
        pytest.param("text/html, text/*;q=0.5", CSV, id="only-a-wildcard-matches"),
        pytest.param("text/csv, application/json", JSON, id="header-order-is-not-preference"),
        pytest.param("application/vnd.msgpack, application/json", JSON, id="tie-server-order"),
        pytest.param("text/csv;q=0.5, application/json;q=0.4", CSV, id="higher-q-wins"),
        pytest.param("application/json;q=0.1, application/vnd.msgpack", MSGPACK, id="default-q-1"),
        pytest.param("*/*, text/csv", CSV, id="tie-goes-to-the-more-specific-range"),
        pytest.param("application/*, application/vnd.msgpack", MSGPACK, id="exact-beats-type"),
        pytest.param("*/*;q=0.1, text/csv;q=0.5", CSV, id="explicit-beats-low-wildcard"),
        pytest.param("text/csv;q=0.5, */*", JSON, id="most-specific-range-sets-the-q"),
        pytest.param("text/csv;q=0, */*", JSON, id="q0-refuses-despite-wildcard"),
        pytest.param("application/json;q=0, */*", CSV, id="q0-first-choice-next-in-order"),
        pytest.param("application/json;q=0, application/*", MSGPACK, id="q0-then-type-wildcard"),
        pytest.param("text/csv;charset=utf-8", CSV, id="other-parameters-ignored"),
        pytest.param("text/csv;charset=utf-8;q=0.2, image/png", CSV, id="q-after-a-parameter"),
        pytest.param(" text/csv ; q=0.5 ,application/json ; q=0.4 ", CSV, id="spaces"),
        pytest.param("text/csv;Q=0.5, application/json;q=0.4", CSV, id="q-name-case-insensitive"),
        pytest.param("text/csv;q=1.000, application/json;q=0.999", CSV, id="three-decimals"),
        pytest.param("application/json;q=0., text/csv;q=1.", CSV, id="trailing-dot-qvalues"),
        pytest.param("garbage, text/csv", CSV, id="skip-not-a-media-range"),
        pytest.param(",, text/csv,", CSV, id="skip-empty-elements"),
        pytest.param("*/csv, text/csv;q=0.1", CSV, id="skip-star-slash-subtype"),
        pytest.param("application/json;q=2, text/csv;q=0.1", CSV, id="skip-q-above-1"),
        pytest.param("application/json;q=-1, text/csv;q=0.1", CSV, id="skip-negative-q"),
        pytest.param("application/json;q=0.1234, text/csv;q=0.1", CSV, id="skip-four-decimals"),
        pytest.param("application/json;q=1.5, text/csv;q=0.1", CSV, id="skip-1-point-5"),
        pytest.param("application/json;q=high, text/csv;q=0.1", CSV, id="skip-q-not-a-number"),
        pytest.param("image/png", None, id="unavailable"),
        pytest.param("text/html, application/xhtml+xml", None, id="unavailable-browser-types"),
        pytest.param("*/*;q=0", None, id="nothing-at-all"),
        pytest.param("text/csv;q=0, application/*;q=0", None, id="everything-refused"),
        pytest.param("text", None, id="only-garbage"),
        pytest.param("application/json;q=2", None, id="only-an-invalid-q"),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, AVAILABLE) == expected


@pytest.mark.task(4)
@pytest.mark.stretch
def test_negotiate_follows_the_order_of_available() -> None:
    assert negotiate("*/*", [CSV, JSON]) == CSV
    assert negotiate("application/*", [MSGPACK, JSON]) == MSGPACK
    assert negotiate("text/csv, application/json", [CSV, JSON]) == CSV


# The spec of task 4 written over structured input, independently of any parser: the test
# renders the ranges into a header (random case, spaces, extra parameters, malformed elements)
# and checks that negotiate() reads it back to the same choice.
RANGES = [JSON, CSV, MSGPACK, "text/html", "image/png", "application/*", "text/*", "*/*"]
QVALUES = ["0", "0.0", "0.001", "0.1", "0.5", "0.50", "0.8", "0.999", "1", "1.0", "1.000"]
MALFORMED = ["", "text", "*/csv", "a/b/c", "image/png;q=2", "text/csv;q=0.1234", "*/*;q=-1"]
OFFERS = [JSON, CSV, MSGPACK, "text/html", "image/png"]


def preferred(ranges: list[tuple[str, str | None]], available: list[str]) -> str | None:
    """Task 4 over parsed ranges: the most specific range sets the weight; ties as specified."""
    weights = {media_range: 1.0 if q is None else float(q) for media_range, q in ranges}
    best: str | None = None
    best_key: tuple[float, int] | None = None
    for offer in available:
        kind = offer.split("/")[0]
        for specificity, media_range in ((2, offer), (1, f"{kind}/*"), (0, "*/*")):
            if media_range in weights:
                key = (weights[media_range], specificity)
                if key[0] > 0 and (best_key is None or key > best_key):
                    best, best_key = offer, key
                break
    return best


@st.composite
def accept_headers(draw: st.DrawFn) -> tuple[str, list[tuple[str, str | None]]]:
    """An Accept header and the (range, q) pairs it means."""
    ranges = draw(st.lists(st.sampled_from(RANGES), unique=True, max_size=5))
    meant: list[tuple[str, str | None]] = []
    elements: list[str] = []
    for media_range in ranges:
        q = draw(st.none() | st.sampled_from(QVALUES))
        meant.append((media_range, q))
        space = draw(st.sampled_from(["", " ", "  "]))
        parameters = ["level=1"] if draw(st.booleans()) else []
        if q is not None:
            parameters.append(f"{draw(st.sampled_from(['q', 'Q']))}={q}")
        text = media_range.upper() if draw(st.booleans()) else media_range
        elements.append(text + "".join(f"{space};{space}{p}" for p in parameters))
    for junk in draw(st.lists(st.sampled_from(MALFORMED), max_size=2)):
        elements.insert(draw(st.integers(0, len(elements))), junk)
    separator = draw(st.sampled_from([",", ", ", " , "]))
    return separator.join(elements), meant


@pytest.mark.task(4)
@pytest.mark.stretch
@settings(max_examples=60, deadline=None)
@given(
    header=accept_headers(),
    available=st.lists(st.sampled_from(OFFERS), unique=True, min_size=1),
)
def test_negotiate_matches_the_spec_for_any_header(
    header: tuple[str, list[tuple[str, str | None]]], available: list[str]
) -> None:
    accept, meant = header
    expected = available[0] if not accept.strip() else preferred(meant, available)
    assert negotiate(accept, available) == expected


@pytest.mark.task(4)
@pytest.mark.stretch
@settings(max_examples=60, deadline=None)
@given(accept=st.text(max_size=40))
def test_negotiate_never_raises_on_any_header(accept: str) -> None:
    assert negotiate(accept, AVAILABLE) in (*AVAILABLE, None)


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        pytest.param(None, JSON, id="no-accept"),
        pytest.param("application/json", JSON, id="json"),
        pytest.param("text/csv", CSV, id="csv"),
        pytest.param("application/vnd.msgpack", MSGPACK, id="msgpack"),
        pytest.param("text/html, */*;q=0.1", JSON, id="browser-like"),
        pytest.param("text/*", CSV, id="text-wildcard"),
        pytest.param("application/json;q=0.5, application/vnd.msgpack", MSGPACK, id="q-values"),
    ],
)
async def test_books_come_in_the_negotiated_format(
    client: httpx.AsyncClient, accept: str | None, media_type: str
) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = await client.get("/books", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPES[media_type]
    assert "accept" in vary(response)
    assert DECODERS[media_type](response.content) == list(SAMPLE_BOOKS)


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_dates_are_iso_strings_in_every_format(client: httpx.AsyncClient) -> None:
    as_json = (await client.get("/books/1")).json()
    as_msgpack = msgpack.unpackb(
        (await client.get("/books/1", headers={"Accept": MSGPACK})).content
    )
    as_csv = csv_lines((await client.get("/books/1", headers={"Accept": CSV})).content)
    assert as_json["published"] == as_msgpack["published"] == as_csv[1][3] == "1965-08-01"


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("media_type", [JSON, CSV, MSGPACK])
async def test_one_book_in_each_format(client: httpx.AsyncClient, media_type: str) -> None:
    response = await client.get("/books/2", headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPES[media_type]
    assert "accept" in vary(response)
    if media_type == CSV:
        assert books_from_csv(response.content) == [SAMPLE_BOOKS[1]]
    elif media_type == JSON:
        assert Book.model_validate_json(response.content) == SAMPLE_BOOKS[1]
    else:
        assert Book.model_validate(msgpack.unpackb(response.content)) == SAMPLE_BOOKS[1]


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("media_type", "body"),
    [
        pytest.param(JSON, b"[]", id="json"),
        pytest.param(CSV, b"id,title,author,published,pages\r\n", id="csv-header-alone"),
        pytest.param(MSGPACK, msgpack.packb([]), id="msgpack"),
    ],
)
async def test_an_empty_catalogue_in_each_format(
    app: FastAPI, client: httpx.AsyncClient, media_type: str, body: bytes
) -> None:
    app.dependency_overrides[get_books] = lambda: []
    response = await client.get("/books", headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.content == body


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("image/png", id="unavailable-type"),
        pytest.param("text/html, application/xhtml+xml", id="browser-types"),
        pytest.param("*/*;q=0", id="everything-refused"),
        pytest.param("application/json;q=0, text/*;q=0, application/*;q=0", id="all-refused"),
        pytest.param("application/x-msgpack", id="unregistered-alias"),
        pytest.param("garbage", id="malformed"),
    ],
)
@pytest.mark.parametrize("path", ["/books", "/books/1"])
async def test_unacceptable_accept_is_406_listing_what_is_available(
    client: httpx.AsyncClient, path: str, accept: str
) -> None:
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 406, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == NOT_ACCEPTABLE
    assert "accept" in vary(response)


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_negotiation_comes_before_the_lookup(client: httpx.AsyncClient) -> None:
    response = await client.get("/books/99", headers={"Accept": "image/png"})
    assert response.status_code == 406, response.text
    assert response.json() == NOT_ACCEPTABLE


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("accept", [None, CSV, MSGPACK])
async def test_missing_book_is_404(client: httpx.AsyncClient, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = await client.get("/books/99", headers=headers)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Book 99 not found"}


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_book_id_that_is_not_an_integer_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/books/dune")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "book_id"]


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_several_accept_lines_are_one_list(client: httpx.AsyncClient) -> None:
    headers = [("Accept", "image/png"), ("Accept", "text/csv;q=0.5")]
    response = await client.get("/books", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_CONTENT_TYPE


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("path", ["/books", "/books/{book_id}"])
async def test_openapi_lists_the_three_media_types_and_the_406(
    client: httpx.AsyncClient, path: str
) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"][path]["get"]["responses"]
    assert sorted(media_types(responses["200"]["content"])) == sorted([JSON, CSV, MSGPACK])
    assert "schema" in responses["200"]["content"][JSON]
    assert "406" in responses


BOOK_LISTS = st.lists(
    st.tuples(TEXT, TEXT, st.dates(), st.integers(min_value=1, max_value=2**31)), max_size=4
).map(
    lambda rows: [
        Book(id=number, title=title, author=author, published=published, pages=pages)
        for number, (title, author, published, pages) in enumerate(rows, start=1)
    ]
)


@pytest.mark.task(5)
@pytest.mark.stretch
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(books=BOOK_LISTS)
async def test_any_catalogue_round_trips_through_each_format(
    app: FastAPI, client: httpx.AsyncClient, books: list[Book]
) -> None:
    # One app for all examples: each example swaps the catalogue the routes read.
    app.dependency_overrides[get_books] = lambda: books
    for media_type, decode in DECODERS.items():
        response = await client.get("/books", headers={"Accept": media_type})
        assert response.status_code == 200, response.text
        assert decode(response.content) == books
