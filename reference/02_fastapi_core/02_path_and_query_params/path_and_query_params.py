"""Kata 2.2: typed, bounded and documented path and query parameters, on a bookshop catalogue."""

from enum import StrEnum
from operator import attrgetter
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict

MAX_BOOK_ID = 2**31 - 1  # the largest value of a signed 32-bit SQL INTEGER column


class Genre(StrEnum):
    """The shelves of the shop (given): these four values are the whole contract."""

    FICTION = "fiction"
    POETRY = "poetry"
    SCIENCE = "science"
    HISTORY = "history"


class Book(BaseModel):
    """A book of the catalogue, as the API returns it (given)."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    author: str
    genre: Genre
    year: int
    tags: tuple[str, ...]
    in_stock: bool


BOOKS: tuple[Book, ...] = (
    Book(
        id=1,
        title="Pride and Prejudice",
        author="Jane Austen",
        genre=Genre.FICTION,
        year=1813,
        tags=("classic", "romance", "england"),
        in_stock=True,
    ),
    Book(
        id=2,
        title="Moby-Dick",
        author="Herman Melville",
        genre=Genre.FICTION,
        year=1851,
        tags=("classic", "sea", "america"),
        in_stock=False,
    ),
    Book(
        id=3,
        title="The Time Machine",
        author="H. G. Wells",
        genre=Genre.FICTION,
        year=1895,
        tags=("classic", "science-fiction", "england"),
        in_stock=True,
    ),
    Book(
        id=4,
        title="Songs of Innocence",
        author="William Blake",
        genre=Genre.POETRY,
        year=1789,
        tags=("illustrated", "england"),
        in_stock=False,
    ),
    Book(
        id=5,
        title="Leaves of Grass",
        author="Walt Whitman",
        genre=Genre.POETRY,
        year=1855,
        tags=("classic", "america"),
        in_stock=True,
    ),
    Book(
        id=6,
        title="The Raven and Other Poems",
        author="Edgar Allan Poe",
        genre=Genre.POETRY,
        year=1845,
        tags=("gothic", "america"),
        in_stock=True,
    ),
    Book(
        id=7,
        title="Micrographia",
        author="Robert Hooke",
        genre=Genre.SCIENCE,
        year=1665,
        tags=("illustrated", "microscopy"),
        in_stock=False,
    ),
    Book(
        id=8,
        title="Opticks",
        author="Isaac Newton",
        genre=Genre.SCIENCE,
        year=1704,
        tags=("physics", "light"),
        in_stock=True,
    ),
    Book(
        id=9,
        title="On the Origin of Species",
        author="Charles Darwin",
        genre=Genre.SCIENCE,
        year=1859,
        tags=("classic", "evolution", "england"),
        in_stock=True,
    ),
    Book(
        id=10,
        title="The History of the Decline and Fall of the Roman Empire",
        author="Edward Gibbon",
        genre=Genre.HISTORY,
        year=1776,
        tags=("classic", "rome", "england"),
        in_stock=False,
    ),
    Book(
        id=11,
        title="The French Revolution: A History",
        author="Thomas Carlyle",
        genre=Genre.HISTORY,
        year=1837,
        tags=("france",),
        in_stock=True,
    ),
    Book(
        id=12,
        title="The Souls of Black Folk",
        author="W. E. B. Du Bois",
        genre=Genre.HISTORY,
        year=1903,
        tags=("america", "essays"),
        in_stock=True,
    ),
)

FILES: dict[str, str] = {
    "welcome.txt": "Welcome to the bookshop.",
    "notes/reading list.txt": "Start with the classics.",
    "excerpts/moby-dick/chapter-1.txt": "Call me Ishmael.",
    "excerpts/the-raven.txt": "Once upon a midnight dreary, while I pondered, weak and weary,",
}


def create_app() -> FastAPI:
    """Builds the bookshop application: every rule on its inputs is declared in a signature."""
    app = FastAPI(title="Bookshop")
    books_by_id = {book.id: book for book in BOOKS}

    # Declared before /books/{book_id}: routes are matched in the order they were added, and
    # the parameterised route would take "latest" as a book_id (and answer 422: not an int).
    @app.get("/books/latest")
    async def latest_book() -> Book:
        """The most recently published book."""
        return max(BOOKS, key=attrgetter("year"))

    @app.get("/books/{book_id}")
    async def read_book(book_id: Annotated[int, Path(ge=1, le=MAX_BOOK_ID)]) -> Book:
        """One book by id: 422 when the id cannot exist, 404 when it merely does not."""
        if book_id not in books_by_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Book {book_id} not found")
        return books_by_id[book_id]

    @app.get("/genres/{genre}/books")
    async def books_of_genre(genre: Genre) -> list[Book]:
        """The books of one shelf; FastAPI refuses any value that is not a Genre."""
        return [book for book in BOOKS if book.genre is genre]

    # The `:path` converter lets the value run over slashes; without it the parameter stops at
    # the next "/" and a nested path matches no route at all (404 "Not Found").
    @app.get("/files/{file_path:path}")
    async def read_file(file_path: str) -> dict[str, str]:
        """A file of the shop, looked up by its exact relative path."""
        # A dict lookup is a whitelist: "..", a leading "/" or an empty path simply miss.
        # Joining file_path to a folder on disk instead would need a traversal check.
        if file_path not in FILES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="File not found")
        return {"path": file_path, "content": FILES[file_path]}

    @app.get("/search")
    async def search(q: Annotated[str, Query(min_length=2, max_length=50)]) -> list[Book]:
        """Books whose title or author contains q, ignoring case; q has no default: required."""
        needle = q.casefold()
        return [
            book
            for book in BOOKS
            if needle in book.title.casefold() or needle in book.author.casefold()
        ]

    @app.get("/books")
    async def list_books(
        # A list parameter needs Query(): without it FastAPI would read a list from the body.
        tag: Annotated[list[str] | None, Query()] = None,
        in_stock: bool | None = None,
        # Hyphenated names are not Python identifiers: the alias is the name clients use.
        from_year: Annotated[int | None, Query(alias="from-year")] = None,
        to_year: Annotated[int | None, Query(alias="to-year")] = None,
        # Anchored: pydantic's pattern is a search, so without ^ and $ "yearly" would pass.
        sort: Annotated[str, Query(pattern=r"^-?(id|title|year)$")] = "id",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[Book]:
        """The catalogue filtered, then sorted, then paged."""
        found = [
            book
            for book in BOOKS
            if all(t in book.tags for t in tag or ())
            and (in_stock is None or book.in_stock is in_stock)
            and (from_year is None or book.year >= from_year)
            and (to_year is None or book.year <= to_year)
        ]
        ordered = sorted(
            found, key=attrgetter(sort.removeprefix("-")), reverse=sort.startswith("-")
        )
        return ordered[offset : offset + limit]

    return app
