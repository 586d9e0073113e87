"""Kata 3.3: authors and their books, with Create, Update and Read schemas read from ORM objects.

Input schemas validate what clients send; read schemas are built from ORM objects
(`from_attributes`), nested, and never show the editors' `internal_note`. The read functions
load every relationship a read schema needs, so nothing is lazy-loaded after the session closes.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from pydantic import MISSING, BaseModel, ConfigDict, Field
from sqlalchemy import Engine, ForeignKey, String, Text, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)

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

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=1450, le=2100)


class AuthorCreate(BaseModel):
    """A new author, possibly with their first books."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    bio: str | None = Field(default=None, max_length=1000)
    internal_note: str = Field(default="", max_length=500)
    books: list[BookCreate] = Field(default_factory=list, max_length=20)


class AuthorUpdate(BaseModel):
    """A partial update: only the fields the client sends change."""

    model_config = ConfigDict(extra="forbid")

    # MISSING (Pydantic 2.12+) makes a field optional without making null a valid value:
    # `{"name": null}` is a 422, and the OpenAPI schema says "string", not "string or null".
    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=100)
    internal_note: str | MISSING = Field(default=MISSING, max_length=500)
    # Null is a real value for bio (it clears it); `exclude_unset` tells "sent null" from
    # "not sent", which both read as None.
    bio: str | None = Field(default=None, max_length=1000)


class BookRead(BaseModel):
    """A book as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    year: int | None


class AuthorSummary(BaseModel):
    """An author inside another object: no books, no note."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class BookWithAuthor(BookRead):
    """A book with its author."""

    author: AuthorSummary


class AuthorRead(BaseModel):
    """An author with their books. No internal_note: a read schema lists what may be shown,
    so a column added to the table later stays hidden until someone adds it here."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    bio: str | None
    books: list[BookRead]


# --- The functions: yours to write. They flush, never commit: the caller owns the transaction.


def create_author(session: Session, data: AuthorCreate) -> Author:
    """Adds the author and their books, and flushes so that every id is known."""
    author = Author(
        **data.model_dump(exclude={"books"}),
        books=[Book(**book.model_dump()) for book in data.books],
    )
    session.add(author)
    session.flush()
    return author


def list_authors(session: Session) -> list[Author]:
    """Every author by id, with their books loaded."""
    # selectinload: one more SELECT ... WHERE author_id IN (...) for all the books, instead of
    # one lazy SELECT per author (the N+1), which would fail anyway once the session is closed.
    statement = select(Author).options(selectinload(Author.books)).order_by(Author.id)
    return list(session.scalars(statement))


def get_author(session: Session, author_id: int) -> Author:
    """The author with their books loaded; `AuthorNotFound` if there is none."""
    author = session.get(Author, author_id, options=[selectinload(Author.books)])
    if author is None:
        raise AuthorNotFound(author_id)
    return author


def update_author(session: Session, author_id: int, changes: AuthorUpdate) -> Author:
    """Changes only the fields the client sent; `AuthorNotFound` if there is no such author."""
    author = get_author(session, author_id)
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(author, field, value)
    session.flush()
    return author


def add_book(session: Session, author_id: int, data: BookCreate) -> Book:
    """Adds a book to the author; `AuthorNotFound` (and nothing added) if there is none."""
    author = session.get(Author, author_id)
    if author is None:
        raise AuthorNotFound(author_id)
    book = Book(**data.model_dump(), author=author)
    session.add(book)
    session.flush()
    return book


def list_books(session: Session) -> list[Book]:
    """Every book by id, with its author loaded."""
    statement = select(Book).options(selectinload(Book.author)).order_by(Book.id)
    return list(session.scalars(statement))


# --- The API: yours to write. ---


def create_app(engine: Engine) -> FastAPI:
    """A new catalogue API on `engine`."""
    app = FastAPI(title="Catalogue")
    app.state.session_factory = sessionmaker(bind=engine)

    def not_found(error: AuthorNotFound) -> HTTPException:
        return HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error))

    @app.post("/authors", status_code=status.HTTP_201_CREATED)
    def post_author(data: AuthorCreate, session: SessionDep) -> AuthorRead:
        return AuthorRead.model_validate(create_author(session, data))

    @app.get("/authors")
    def get_authors(session: SessionDep) -> list[AuthorRead]:
        return [AuthorRead.model_validate(author) for author in list_authors(session)]

    @app.get("/authors/{author_id}")
    def get_one_author(author_id: int, session: SessionDep) -> AuthorRead:
        try:
            return AuthorRead.model_validate(get_author(session, author_id))
        except AuthorNotFound as error:
            raise not_found(error) from None

    @app.patch("/authors/{author_id}")
    def patch_author(author_id: int, changes: AuthorUpdate, session: SessionDep) -> AuthorRead:
        try:
            return AuthorRead.model_validate(update_author(session, author_id, changes))
        except AuthorNotFound as error:
            raise not_found(error) from None

    @app.post("/authors/{author_id}/books", status_code=status.HTTP_201_CREATED)
    def post_book(author_id: int, data: BookCreate, session: SessionDep) -> BookWithAuthor:
        try:
            return BookWithAuthor.model_validate(add_book(session, author_id, data))
        except AuthorNotFound as error:
            raise not_found(error) from None

    @app.get("/books")
    def get_books(session: SessionDep) -> list[BookWithAuthor]:
        return [BookWithAuthor.model_validate(book) for book in list_books(session)]

    return app
