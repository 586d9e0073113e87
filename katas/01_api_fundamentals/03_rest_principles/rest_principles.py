"""Kata 1.3: a `books` resource done by the book.

Status codes and `Location`, a replacing PUT, PATCH as a JSON merge patch (RFC 7396), ETags and
conditional requests (RFC 9110), and a collection paged with `Link` headers (RFC 8288).
"""

from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

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
    # TODO(task 5): RFC 7396 section 2, without modifying `target` or `patch`.
    raise NotImplementedError("merge_patch is not written yet")


def create_app() -> FastAPI:
    """Builds a new application with its own, empty store of books."""
    # TODO(task 1): a FastAPI app with a store of its own; POST /books (201 + Location),
    #   GET /books/{book_id} (404 for an unknown id), GET /books in creation order.
    # TODO(task 2): 409 for a taken ISBN.
    # TODO(task 3): PUT /books/{book_id} replaces the whole book, never creates one.
    # TODO(task 4): DELETE /books/{book_id} answers 204 with no body.
    # Stretch tasks:
    # TODO(task 6): PATCH /books/{book_id} with application/merge-patch+json, 415 otherwise.
    # TODO(task 7): an ETag on every answer that carries a book; If-None-Match -> 304.
    # TODO(task 8): If-Match / If-None-Match on PUT, PATCH and DELETE -> 412 when they fail.
    # TODO(task 9): limit and offset on GET /books, and a Link header to the other pages.
    # TODO(task 10): a 405 whose Allow lists every method of the resource.
    # TODO(task 11): nothing new: every task together, under a random sequence of calls.
    raise NotImplementedError("create_app is not written yet")
