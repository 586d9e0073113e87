"""Kata 4.14: CSV and MessagePack response classes, a default response class, negotiation."""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Annotated, Any

import msgpack
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

JSON = "application/json"
CSV = "text/csv"
# The type IANA registered for MessagePack in 2024; older clients still send
# application/x-msgpack or application/msgpack.
MSGPACK = "application/vnd.msgpack"
AVAILABLE = (JSON, CSV, MSGPACK)  # the server's order of preference


class Book(BaseModel):
    """A book of the catalogue (given)."""

    id: int
    title: str
    author: str
    published: date
    pages: int = Field(ge=1)


class AuthorCount(BaseModel):
    """One line of the authors report (given)."""

    author: str
    books: int


SAMPLE_BOOKS = (
    Book(id=1, title="Dune", author="Frank Herbert", published=date(1965, 8, 1), pages=412),
    Book(
        id=2,
        title="Gödel, Escher, Bach: an Eternal Golden Braid",
        author="Douglas Hofstadter",
        published=date(1979, 1, 1),
        pages=777,
    ),
    Book(
        id=3,
        title="Children of Dune",
        author="Frank Herbert",
        published=date(1976, 4, 1),
        pages=444,
    ),
)


def get_books(request: Request) -> list[Book]:
    """Given: the catalogue of the app serving the request (create_app keeps it in app.state)."""
    return request.app.state.books


Books = Annotated[list[Book], Depends(get_books)]


def _cell(value: Any) -> Any:
    """A value as one CSV cell: None is empty, nested data has no cell to go to."""
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple | set):
        raise ValueError(f"a CSV cell cannot hold {type(value).__name__} {value!r}")
    return value


class CSVResponse(Response):
    """Rows (mappings of column name to value) as CSV: a header line, then one line per row."""

    # A text/* type: Starlette appends "; charset=utf-8" to the Content-Type by itself.
    media_type = CSV

    def __init__(
        self,
        content: Iterable[Mapping[str, Any]],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        fieldnames: Sequence[str] | None = None,
    ) -> None:
        # Response.__init__ calls self.render(content): whatever render reads must be set first.
        self.fieldnames = None if fieldnames is None else list(fieldnames)
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        """The CSV bytes; ValueError for a row whose columns differ from the header's."""
        rows = list(content)
        if self.fieldnames is not None:
            fieldnames = self.fieldnames
        else:
            fieldnames = list(rows[0]) if rows else []
        if not fieldnames:
            return b""
        # The csv module does the quoting: commas, quotes (doubled) and line breaks inside a
        # field. Its default dialect ends lines with CRLF, as RFC 4180 asks. newline="" keeps
        # StringIO from translating the line breaks inside quoted fields.
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(fieldnames)
        columns = set(fieldnames)
        for number, row in enumerate(rows, start=1):
            # csv.DictWriter would fill a missing column with "" without a word: a row that does
            # not fit the header is a bug upstream, and shifted columns are worse than an error.
            if set(row) != columns:
                raise ValueError(f"row {number} has columns {sorted(row)}, not {fieldnames}")
            writer.writerow([_cell(row[name]) for name in fieldnames])
        return buffer.getvalue().encode(self.charset)


class MessagePackResponse(Response):
    """Plain data (dicts, lists, str, int, float, bool, None) as MessagePack."""

    media_type = MSGPACK

    def render(self, content: Any) -> bytes:
        """The MessagePack bytes; TypeError for a value MessagePack has no type for."""
        # No `default=` hook: a date or a model must be turned into plain data by the caller
        # (model_dump(mode="json")), not silently by str() here.
        return msgpack.packb(content)


# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 9110, section 12.4.2)
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")  # a token (RFC 9110), once lower-cased


def _weight(parameters: list[str]) -> float | None:
    """The q of a media range (1 without one); None when the q is not a valid qvalue."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


def _parse_accept(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, weight) of each well-formed media range, lower-cased; the rest skipped."""
    ranges = []
    for element in accept.split(","):
        media_range, *parameters = element.split(";")
        type_, slash, subtype = media_range.strip().lower().partition("/")
        if not (slash and _TOKEN.fullmatch(type_) and _TOKEN.fullmatch(subtype)):
            continue
        if type_ == "*" and subtype != "*":  # "*/csv" is not a media range
            continue
        weight = _weight(parameters)
        if weight is not None:
            ranges.append((type_, subtype, weight))
    return ranges


def _match(offer: str, ranges: list[tuple[str, str, float]]) -> tuple[float, int] | None:
    """(weight, specificity) of the most specific range that matches `offer`, or None."""
    offer_type, _, offer_subtype = offer.lower().partition("/")
    best: tuple[float, int] | None = None
    for range_type, range_subtype, weight in ranges:
        if range_type == "*":
            specificity = 0
        elif range_type == offer_type and range_subtype == "*":
            specificity = 1
        elif range_type == offer_type and range_subtype == offer_subtype:
            specificity = 2
        else:
            continue
        if best is None or specificity > best[1]:
            best = (weight, specificity)
    return best


def negotiate(accept: str | None, available: Sequence[str]) -> str | None:
    """The entry of `available` the Accept header prefers, or None when none is acceptable."""
    if accept is None or not accept.strip():
        return available[0]  # no preference stated: the server's first choice
    ranges = _parse_accept(accept)
    chosen: str | None = None
    chosen_key = (0.0, -1)
    for offer in available:
        match = _match(offer, ranges)
        # The most specific range decides, so "text/csv;q=0, */*" refuses CSV even though
        # */* would allow it. Strictly greater: on a full tie the earlier offer stays.
        if match is not None and match[0] > 0 and match > chosen_key:
            chosen, chosen_key = offer, match
    return chosen


class _NotAcceptableError(Exception):
    """Raised when no available media type satisfies the request's Accept header."""


def _accepted_media_type(request: Request) -> str:
    """Dependency: the media type to answer the request in; raises when none is acceptable."""
    # Several Accept lines are one comma-separated list (RFC 9110, section 5.3); Starlette's
    # headers.get() would return the first line only.
    accept = ", ".join(request.headers.getlist("accept")) or None
    media_type = negotiate(accept, AVAILABLE)
    if media_type is None:
        raise _NotAcceptableError
    return media_type


_MediaType = Annotated[str, Depends(_accepted_media_type)]
_VARY = {"Vary": "Accept"}  # caches must key negotiated answers on Accept too
_FIELDNAMES = list(Book.model_fields)

# What the OpenAPI document says about a negotiated route: the JSON schema comes from the
# response model; the other types are listed next to it.
_NEGOTIATED: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV: {}, MSGPACK: {}}},
    406: {"description": "None of the media types in Accept is available"},
}


def _negotiated(media_type: str, data: Any, rows: list[dict[str, Any]]) -> Response:
    """`data` as JSON or MessagePack, `rows` as CSV, with Vary: Accept."""
    if media_type == CSV:
        return CSVResponse(rows, headers=_VARY, fieldnames=_FIELDNAMES)
    if media_type == MSGPACK:
        return MessagePackResponse(data, headers=_VARY)
    return JSONResponse(data, headers=_VARY)


def create_app(books: Sequence[Book] = SAMPLE_BOOKS) -> FastAPI:
    """Builds the app: negotiated /books routes and CSV-only /reports routes over `books`."""
    app = FastAPI(title="Custom response classes")
    app.state.books = list(books)

    async def not_acceptable(request: Request, exc: Exception) -> Response:
        body = {"detail": "Not Acceptable", "available": list(AVAILABLE)}
        return JSONResponse(body, status_code=status.HTTP_406_NOT_ACCEPTABLE, headers=_VARY)

    app.add_exception_handler(_NotAcceptableError, not_acceptable)

    @app.get("/books", response_model=list[Book], responses=_NEGOTIATED)
    async def list_books(catalog: Books, media_type: _MediaType) -> Response:
        data = [book.model_dump(mode="json") for book in catalog]
        return _negotiated(media_type, data, data)

    # The dependency runs before the endpoint looks the book up: an unacceptable Accept gets
    # 406 whether or not the book exists.
    @app.get("/books/{book_id}", response_model=Book, responses=_NEGOTIATED)
    async def read_book(book_id: int, catalog: Books, media_type: _MediaType) -> Response:
        for book in catalog:
            if book.id == book_id:
                data = book.model_dump(mode="json")
                return _negotiated(media_type, data, [data])
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Book {book_id} not found")

    # Every route of this router answers CSV without naming a response class. FastAPI
    # validates the return value against the model, dumps it to plain data (dates become
    # ISO strings) and hands that to CSVResponse. Errors (422, 404) stay JSON: exception
    # handlers build their own responses.
    reports = APIRouter(prefix="/reports", tags=["reports"], default_response_class=CSVResponse)

    @reports.get("/books")
    async def books_report(
        catalog: Books, author: str | None = None, published_since: date | None = None
    ) -> list[Book]:
        return [
            book
            for book in catalog
            if (author is None or book.author == author)
            and (published_since is None or book.published >= published_since)
        ]

    @reports.get("/authors")
    async def authors_report(catalog: Books) -> list[AuthorCount]:
        counts = Counter(book.author for book in catalog)
        return [AuthorCount(author=name, books=n) for name, n in sorted(counts.items())]

    app.include_router(reports)
    return app
