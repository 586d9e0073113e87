"""Kata 1.4: a first FastAPI application, with typed parameters, metadata and generated docs."""

from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, status
from pydantic import BaseModel


class Book(BaseModel):
    """A book on the shelf (given: models are the subject of kata 2.3)."""

    id: int
    title: str
    author: str
    year: int


BOOKS: dict[int, Book] = {
    book.id: book
    for book in [
        Book(id=1, title="Dune", author="Frank Herbert", year=1965),
        Book(id=2, title="The Left Hand of Darkness", author="Ursula K. Le Guin", year=1969),
        Book(id=3, title="Neuromancer", author="William Gibson", year=1984),
        Book(id=4, title="A Wizard of Earthsea", author="Ursula K. Le Guin", year=1968),
        Book(id=5, title="The Dispossessed", author="Ursula K. Le Guin", year=1974),
    ]
}

# Title, version, description and tags go into /openapi.json, which /docs renders: the metadata
# is the first page a consumer of the API reads.
app = FastAPI(
    title="Bookshelf API",
    version="1.0.0",
    description="A first FastAPI application: the API of kata 1.1, and a shelf of books to read.",
    openapi_tags=[
        {"name": "books", "description": "Read the books on the shelf."},
        {"name": "system", "description": "Health check and echo, as in kata 1.1."},
    ],
)


@app.get("/health", tags=["system"])
async def health() -> dict[str, str]:
    """Tells that the API is up."""
    return {"status": "ok"}


@app.get("/echo", tags=["system"])
async def echo(msg: Annotated[str, Query(min_length=1)]) -> dict[str, str]:
    """Answers the message it was sent."""
    # No default: FastAPI makes `msg` required (422 "missing"), decodes it, and min_length=1
    # refuses `?msg=` (422 "string_too_short"). Kata 1.1's parse_msg, in one annotation.
    return {"msg": msg}


@app.get("/books", tags=["books"])
async def list_books(
    author: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[Book]:
    """The books in id order, optionally by one author, at most `limit` of them."""
    books = [
        book
        for book in BOOKS.values()
        if author is None or author.casefold() in book.author.casefold()
    ]
    return books[:limit]


@app.get("/books/{book_id}", tags=["books"])
async def read_book(book_id: int) -> Book:
    """One book by its id."""
    # `book_id: int` is the whole parser: "abc" never reaches this line, FastAPI answers 422.
    if book_id not in BOOKS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Book {book_id} not found")
    return BOOKS[book_id]
