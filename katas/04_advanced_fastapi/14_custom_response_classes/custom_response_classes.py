"""Kata 4.14: CSV and MessagePack response classes, a default response class, negotiation."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
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


class CSVResponse(Response):
    """Rows (mappings of column name to value) as CSV: a header line, then one line per row."""

    # TODO(task 1): the media type (Starlette adds "; charset=utf-8" to text/* types by itself).

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
        # TODO(task 1): keep `fieldnames` for render(), then call Response.__init__, which
        #   calls render(content).
        raise NotImplementedError("CSVResponse is not written yet")

    def render(self, content: Any) -> bytes:
        """The CSV bytes; ValueError for a row whose columns differ from the header's."""
        # TODO(task 1): header line then rows, CRLF line ends, minimal quoting, UTF-8;
        #   ValueError for a missing or extra column, or a dict/list/tuple/set value.
        raise NotImplementedError("CSVResponse.render is not written yet")


class MessagePackResponse(Response):
    """Plain data (dicts, lists, str, int, float, bool, None) as MessagePack."""

    # TODO(task 2): the media type.

    def render(self, content: Any) -> bytes:
        """The MessagePack bytes; TypeError for a value MessagePack has no type for."""
        # TODO(task 2): msgpack.packb, without turning unknown types into strings.
        raise NotImplementedError("MessagePackResponse.render is not written yet")


def negotiate(accept: str | None, available: Sequence[str]) -> str | None:
    """The entry of `available` the Accept header prefers, or None when none is acceptable."""
    # TODO(task 4): parse the media ranges and their q; weigh each available type by its most
    #   specific matching range; q=0 refuses; ties go to the more specific range, then to the
    #   order of `available`.
    raise NotImplementedError("negotiate is not written yet")


def create_app(books: Sequence[Book] = SAMPLE_BOOKS) -> FastAPI:
    """Builds the app: negotiated /books routes and CSV-only /reports routes over `books`."""
    # TODO(task 3): a FastAPI app with list(books) in app.state.books, and a /reports router
    #   whose default_response_class is CSVResponse: GET /reports/books, GET /reports/authors.
    # TODO(task 5): GET /books and GET /books/{book_id} in the negotiated media type, with
    #   Vary: Accept, the 406 body, and the three media types documented in OpenAPI.
    raise NotImplementedError("create_app is not written yet")
