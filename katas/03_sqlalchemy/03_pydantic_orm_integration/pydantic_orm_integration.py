"""Kata 3.3: authors and their books, with Create, Update and Read schemas read from ORM objects."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import Engine, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

# --- Given: the tables, the domain error and the session per request (kata 3.2). ---


class Base(DeclarativeBase):
    """The catalogue's tables (this kata's own metadata)."""


class Author(Base):
    """An author; `internal_note` is for the editors and never leaves the API."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str] = mapped_column(Text, default="")
    books: Mapped[list["Book"]] = relationship(
        back_populates="author", order_by="Book.id", cascade="all, delete-orphan"
    )


class Book(Base):
    """A book, written by one author."""

    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    author: Mapped[Author] = relationship(back_populates="books")


class AuthorNotFound(LookupError):
    """No author has this id."""

    def __init__(self, author_id: int) -> None:
        super().__init__(f"Author {author_id} not found")
        self.author_id = author_id


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from `app.state.session_factory`: committed if the request
    succeeds, rolled back if it fails, closed either way (kata 3.2)."""
    with request.app.state.session_factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


# The session parameter of every route: committed before the response is sent (kata 3.2).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# --- The schemas: yours to write. ---


class BookCreate(BaseModel):
    """A new book, as a client sends it."""

    # TODO(task 1): title (1 to 200 characters); year (an int from 1450 to 2100, or None; default
    #   None). Unknown fields are refused.


class AuthorCreate(BaseModel):
    """A new author, possibly with their first books."""

    # TODO(task 1): name (1 to 100 characters); bio (at most 1000 characters, or None; default
    #   None); internal_note (at most 500 characters, default ""); books (a list of BookCreate,
    #   at most 20, default empty). Unknown fields are refused.


class AuthorUpdate(BaseModel):
    """A partial update: only the fields the client sends change."""

    # TODO(task 5): name, internal_note and bio, each optional and constrained as in
    #   AuthorCreate; bio may be null (it clears the bio), name and internal_note may not.
    #   Unknown fields are refused.


class BookRead(BaseModel):
    """A book as the API shows it."""

    # TODO(task 2): read from ORM objects; id, title, year.


class AuthorSummary(BaseModel):
    """An author inside another object: no books, no note."""

    # TODO(task 2): read from ORM objects; id, name.


class BookWithAuthor(BookRead):
    """A book with its author."""

    # TODO(task 2): author, an AuthorSummary.


class AuthorRead(BaseModel):
    """An author with their books, never their internal note."""

    # TODO(task 2): read from ORM objects; id, name, bio, books (a list of BookRead).


# --- The functions: yours to write. They flush, never commit: the caller owns the transaction.


def create_author(session: Session, data: AuthorCreate) -> Author:
    """Adds the author and their books, and flushes so that every id is known."""
    # TODO(task 3)
    raise NotImplementedError("create_author is not written yet")


def list_authors(session: Session) -> list[Author]:
    """Every author by id, with their books loaded."""
    # TODO(task 4): one select() that also loads the books (no lazy load later).
    raise NotImplementedError("list_authors is not written yet")


def get_author(session: Session, author_id: int) -> Author:
    """The author with their books loaded; `AuthorNotFound` if there is none."""
    # TODO(task 4)
    raise NotImplementedError("get_author is not written yet")


def update_author(session: Session, author_id: int, changes: AuthorUpdate) -> Author:
    """Changes only the fields the client sent; `AuthorNotFound` if there is no such author."""
    # TODO(task 5): apply changes.model_dump(exclude_unset=True), then flush.
    raise NotImplementedError("update_author is not written yet")


def add_book(session: Session, author_id: int, data: BookCreate) -> Book:
    """Adds a book to the author; `AuthorNotFound` (and nothing added) if there is none."""
    # TODO(task 3)
    raise NotImplementedError("add_book is not written yet")


def list_books(session: Session) -> list[Book]:
    """Every book by id, with its author loaded."""
    # TODO(task 4)
    raise NotImplementedError("list_books is not written yet")


# --- The API: yours to write. ---


def create_app(engine: Engine) -> FastAPI:
    """A new catalogue API on `engine`."""
    # TODO(task 6): FastAPI(title="Catalogue") with app.state.session_factory, a sessionmaker
    #   bound to engine (get_session reads it); the routes of the README, each taking
    #   `session: SessionDep`, answering read schemas and 404 for AuthorNotFound.
    raise NotImplementedError("create_app is not written yet")
