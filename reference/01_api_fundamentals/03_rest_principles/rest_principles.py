"""Kata 1.3: a `books` resource done by the book.

Status codes and `Location`, a replacing PUT, PATCH as a JSON merge patch (RFC 7396), ETags and
conditional requests (RFC 9110), and a collection paged with `Link` headers (RFC 8288).
"""

import hashlib
import re
import uuid
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

MERGE_PATCH = "application/merge-patch+json"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Publisher(BaseModel):
    """Who published a book (given)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100)
    city: str | None = Field(default=None, min_length=1, max_length=100)


Tag = Annotated[str, Field(min_length=1, max_length=30)]


class BookIn(BaseModel):
    """Everything a client writes about a book: the body of POST and PUT (given)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    isbn: str = Field(pattern=r"^[0-9]{13}$")
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=100)
    year: int | None = Field(default=None, ge=1450, le=2100)
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    publisher: Publisher | None = None


class Book(BookIn):
    """A book as the API answers it: what was written, plus the id the server gave it (given)."""

    id: str


def merge_patch(target: Any, patch: Any) -> Any:
    """Applies a JSON merge patch (RFC 7396) to `target` and returns the result.

    Neither argument is modified: the result is built from fresh dicts wherever it differs.
    """
    if not isinstance(patch, dict):
        return patch  # a non-object patch replaces the whole target, arrays included
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)  # null removes the member; removing a missing one is no error
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _etag(book: Book) -> str:
    """A strong validator: it changes whenever the JSON representation changes."""
    digest = hashlib.sha256(book.model_dump_json().encode()).hexdigest()
    return f'"{digest[:32]}"'


def _entity_tags(field: str) -> list[str]:
    """The entity tags listed in an If-Match / If-None-Match value, `W/` prefixes kept.

    Parsed, not split on commas: a comma is a legal character inside an entity tag.
    """
    return re.findall(r'(?:W/)?"[^"]*"', field)


def _page_links(url: URL, total: int, limit: int, offset: int) -> str:
    """An RFC 8288 `Link` value with the first, last, and (where they exist) prev/next pages."""
    pages = {"first": 0, "last": max(total - 1, 0) // limit * limit}
    if offset > 0:
        pages["prev"] = max(offset - limit, 0)
    if offset + limit < total:
        pages["next"] = offset + limit
    return ", ".join(
        f'<{url.include_query_params(limit=limit, offset=page)}>; rel="{rel}"'
        for rel, page in pages.items()
    )


def create_app() -> FastAPI:
    """Builds a new application with its own, empty store of books."""
    app = FastAPI(title="Books", version="1.0.0")
    # Insertion-ordered: the collection lists books in creation order, and a PUT that replaces a
    # value keeps its key where it was.
    books: dict[str, Book] = {}

    def save(book_id: str, book_in: BookIn) -> Book:
        """Stores `book_in` under `book_id`, unless another book already has its ISBN (409)."""
        for other in books.values():
            if other.isbn == book_in.isbn and other.id != book_id:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    detail=f"A book with ISBN {book_in.isbn} already exists",
                )
        book = Book(id=book_id, **book_in.model_dump())
        books[book_id] = book
        return book

    def represent(book: Book, response: Response) -> Book:
        """Every answer that carries a book carries its validator."""
        response.headers["ETag"] = _etag(book)
        return book

    # RFC 9110 section 13.2: preconditions are evaluated after the normal checks (an unknown book is
    # a 404 whatever they say) and before the request content is processed. A dependency runs
    # before FastAPI validates the body parameters against their model, so a stale If-Match wins
    # over a well-formed body that is not a valid book. It cannot win over malformed JSON: FastAPI
    # decodes the JSON before any dependency runs, and answers 422 at once.
    # It is `async def` on purpose: a plain `def` runs in a worker thread, and the await around
    # it would let another request change the book between this check and the endpoint's write.
    async def current_book(
        request: Request,
        book_id: str,
        if_match: Annotated[str | None, Header()] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Book:
        book = books.get(book_id)
        if book is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Book {book_id} not found")
        etag = _etag(book)
        # If-Match uses the strong comparison: a weak tag W/"x" never matches.
        if if_match is not None and if_match.strip() != "*" and etag not in _entity_tags(if_match):
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED)
        # If-None-Match uses the weak comparison: W/"x" matches "x".
        if if_none_match is not None and (
            if_none_match.strip() == "*"
            or etag in (tag.removeprefix("W/") for tag in _entity_tags(if_none_match))
        ):
            if request.method in ("GET", "HEAD"):
                # A 304 has no body, but it carries the validator the 200 would have carried.
                raise HTTPException(status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED)
        return book

    async def merge_patch_body(content_type: Annotated[str, Header()] = "") -> None:
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type != MERGE_PATCH:
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, headers={"Accept-Patch": MERGE_PATCH}
            )

    @app.exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED)
    async def method_not_allowed(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own 405 lists the methods of the first route whose path matched, and
        # FastAPI makes one route per decorator: GET /books alone would answer `Allow: GET`.
        # Gather the methods of every route that matches the path.
        methods = {
            method
            for route in app.routes
            if route.matches(request.scope)[0] is not Match.NONE
            for method in getattr(route, "methods", None) or ()
        }
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers={"Allow": ", ".join(sorted(methods))},
        )

    @app.post("/books", status_code=status.HTTP_201_CREATED)
    async def create_book(book_in: BookIn, request: Request, response: Response) -> Book:
        book = save(str(uuid.uuid4()), book_in)
        response.headers["Location"] = str(request.url_for("read_book", book_id=book.id))
        return represent(book, response)

    @app.get("/books")
    async def list_books(
        request: Request,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[Book]:
        everything = list(books.values())
        response.headers["Link"] = _page_links(request.url, len(everything), limit, offset)
        return everything[offset : offset + limit]

    @app.get("/books/{book_id}")
    async def read_book(book: Annotated[Book, Depends(current_book)], response: Response) -> Book:
        return represent(book, response)

    @app.put("/books/{book_id}")
    async def replace_book(
        book: Annotated[Book, Depends(current_book)], book_in: BookIn, response: Response
    ) -> Book:
        # A replacement, not a merge: fields left out of book_in take their defaults.
        return represent(save(book.id, book_in), response)

    @app.patch("/books/{book_id}", dependencies=[Depends(merge_patch_body)])
    async def patch_book(
        book: Annotated[Book, Depends(current_book)],
        patch: Annotated[Any, Body()],
        response: Response,
    ) -> Book:
        # The patch applies to what a client may write (the id is the URL's, not the body's),
        # and its result is validated like any PUT body: `model_copy(update=...)` would skip that.
        document = merge_patch(book.model_dump(mode="json", exclude={"id"}), patch)
        try:
            book_in = BookIn.model_validate(document)
        except ValidationError as error:
            errors = error.errors(include_url=False)
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in errors]
            ) from None
        return represent(save(book.id, book_in), response)

    @app.delete("/books/{book_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_book(book: Annotated[Book, Depends(current_book)]) -> None:
        del books[book.id]

    return app
