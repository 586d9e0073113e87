"""Kata 4.12: an OpenAPI document worth publishing: metadata, tags, operation ids, security."""

import itertools
from typing import Any

from fastapi import APIRouter, FastAPI, status
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

DESCRIPTION = """\
Keep track of the books on a shared shelf.

## Authentication

Every operation but `GET /health` needs a bearer token, checked by the gateway in front of this
service: send `Authorization: Bearer <token>`.
"""


class BookIn(BaseModel):
    """What a client sends to add a book."""

    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=100)


class Book(BookIn):
    """A book on the shelf."""

    id: int


class Author(BaseModel):
    """An author, with the number of their books on the shelf."""

    name: str
    books: int


class ReindexReport(BaseModel):
    """What the internal reindex job did."""

    reindexed: int


# The order of this list is the order of the sections in Swagger UI and ReDoc.
_TAGS_METADATA = [
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


def operation_id(route: APIRoute) -> str:
    """`<first tag>-<function name>`, or the function name alone for a route without tags."""
    # FastAPI's default is "<name>_<path>_<method>" (list_books_books_get), which client
    # generators turn into method names nobody wants to call.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app() -> FastAPI:
    """The bookshelf API, with its customised OpenAPI document."""
    app = FastAPI(
        title="Bookshelf API",
        version="2.1.0",
        summary="A shared bookshelf: books and their authors.",
        description=DESCRIPTION,
        contact={
            "name": "Bookshelf team",
            "url": "https://example.com/support",
            "email": "api@example.com",
        },
        # OpenAPI 3.1: an SPDX `identifier` or a `url`, never both.
        license_info={"name": "MIT", "identifier": "MIT"},
        openapi_tags=_TAGS_METADATA,
        generate_unique_id_function=operation_id,
    )
    books: list[Book] = []
    # A counter, not len(books) + 1: that reuses ids as soon as anything is ever removed.
    next_id = itertools.count(1)

    @app.get("/books", tags=["books"])
    async def list_books() -> list[Book]:
        return books

    @app.post("/books", tags=["books"], status_code=status.HTTP_201_CREATED)
    async def create_book(book_in: BookIn) -> Book:
        book = Book(id=next(next_id), **book_in.model_dump())
        books.append(book)
        return book

    @app.get("/authors", tags=["authors"])
    async def list_authors() -> list[Author]:
        counts: dict[str, int] = {}
        for book in books:
            counts[book.author] = counts.get(book.author, 0) + 1
        return [Author(name=name, books=count) for name, count in counts.items()]

    # Public: its own empty `security` overrides the document-wide requirement.
    @app.get("/health", openapi_extra={"security": []})
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/internal/metrics", include_in_schema=False)
    async def metrics() -> dict[str, int]:
        return {"books": len(books)}

    admin = APIRouter(prefix="/admin", tags=["admin"])

    @admin.post("/reindex", status_code=status.HTTP_202_ACCEPTED)
    async def reindex() -> ReindexReport:
        return ReindexReport(reindexed=len(books))

    # Hidden at generation time: neither the paths nor the models they alone use
    # (ReindexReport) reach the document.
    app.include_router(admin, include_in_schema=False)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        # get_openapi only knows what it is given: leave out tags= or contact= and the
        # document silently loses them.
        schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            summary=app.summary,
            description=app.description,
            contact=app.contact,
            license_info=app.license_info,
            tags=app.openapi_tags,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        schema["security"] = [{"bearerAuth": []}]
        # Vendor extensions must start with "x-"; ReDoc shows this logo.
        schema["info"]["x-logo"] = {
            "url": "https://example.com/static/bookshelf-logo.png",
            "altText": "Bookshelf API",
        }
        app.openapi_schema = schema
        return schema

    # The /openapi.json route calls app.openapi(): an instance attribute replaces the method.
    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app
