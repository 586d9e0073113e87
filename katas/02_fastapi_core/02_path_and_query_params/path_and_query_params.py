"""Kata 2.2: typed, bounded and documented path and query parameters, on a bookshop catalogue."""

from enum import StrEnum

from fastapi import FastAPI
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
    # TODO(task 1): create the app; GET /books/{book_id}, book_id bounded with Path(ge=, le=).
    # TODO(task 2): GET /books/latest, declared where /books/{book_id} cannot shadow it.
    # TODO(task 3): GET /genres/{genre}/books, with genre typed as the Genre enum.
    # TODO(task 4): GET /files/{file_path:path}, answering from FILES.
    # TODO(task 5): GET /search with a required, length-bounded query parameter q.
    # TODO(task 6): GET /books filtered by tag (repeatable), in_stock, from-year and to-year.
    # TODO(task 7): sort (a pattern), limit and offset (defaults and bounds) on GET /books.
    raise NotImplementedError("create_app is not written yet")
