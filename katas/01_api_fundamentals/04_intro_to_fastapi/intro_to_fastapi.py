"""Kata 1.4: a first FastAPI application, with typed parameters, metadata and generated docs."""

from fastapi import FastAPI
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

# TODO(task 1): give the app its title, version, description and the two tags (openapi_tags).
app = FastAPI()


# TODO(task 2): make this answer GET /health, tagged "system".
async def health() -> dict[str, str]:
    """Tells that the API is up."""
    raise NotImplementedError("health is not written yet")


# TODO(task 2): make this answer GET /echo, tagged "system"; `msg` is required and not empty.
async def echo(msg: str) -> dict[str, str]:
    """Answers the message it was sent."""
    raise NotImplementedError("echo is not written yet")


# TODO(task 4): make this answer GET /books, tagged "books"; `limit` goes from 1 to 50.
async def list_books(author: str | None = None, limit: int = 10) -> list[Book]:
    """The books in id order, optionally by one author, at most `limit` of them."""
    raise NotImplementedError("list_books is not written yet")


# TODO(task 3): make this answer GET /books/{book_id}, tagged "books"; 404 for an unknown id.
async def read_book(book_id: int) -> Book:
    """One book by its id."""
    raise NotImplementedError("read_book is not written yet")
