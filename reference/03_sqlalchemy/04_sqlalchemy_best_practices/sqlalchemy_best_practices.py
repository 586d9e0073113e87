"""Kata 3.4: a user repository that is fast and safe: an engine that keeps its transactional
promises on SQLite too, the indexes its queries need, no N+1, bound parameters, 409 on conflicts
and bulk inserts that write all or nothing."""

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, ForeignKey, String, create_engine, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)
from sqlalchemy.pool import ConnectionPoolEntry


def make_engine(url: str) -> Engine:
    """An engine on `url`; on SQLite, with foreign keys enforced and real transactions."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
            # sqlite3's legacy mode emits BEGIN only before INSERT/UPDATE/DELETE, so a SAVEPOINT
            # sent first opens a transaction of its own, and releasing it COMMITS. Switch that
            # off and let SQLAlchemy emit BEGIN (below), as its SQLite documentation shows.
            dbapi_connection.isolation_level = None
            # SQLite ignores foreign keys unless each connection asks for them.
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


class Base(DeclarativeBase):
    """The kata's own declarative base."""


class User(Base):
    """A user; `email` is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # A unique constraint is also an index: looking a user up by email needs nothing more.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    posts: Mapped[list["Post"]] = relationship(back_populates="author", order_by="Post.id")


class Post(Base):
    """A post written by a user."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # PostgreSQL does not index foreign keys by itself; loading the posts of some users
    # (`WHERE posts.user_id IN (...)`) would scan the whole table without this index.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[User] = relationship(back_populates="posts")


class UserIn(BaseModel):
    """What a client sends to create a user (given)."""

    model_config = ConfigDict(extra="forbid")

    # PostgreSQL text cannot hold NUL characters: refuse them here rather than as a driver error.
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserOut(BaseModel):
    """A user as the API returns it (given)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class DuplicateEmailError(Exception):
    """An email that another user already has (given)."""


class InvalidBatchError(ValueError):
    """A row of a batch that cannot be inserted; `index` is its position (given)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"row {index}: {reason}")
        self.index = index


class UserRepository:
    """Data access for users on a session that the caller owns (and commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_with_posts(self) -> list[User]:
        """Every user with their posts, by id, in two queries whatever the number of users."""
        # selectinload: one SELECT for the users, one `WHERE user_id IN (...)` for all their
        # posts. A lazy `user.posts` would cost one query per user (the N+1).
        statement = select(User).options(selectinload(User.posts)).order_by(User.id)
        return list(self.session.scalars(statement))

    def search(self, term: str) -> list[User]:
        """Users whose name contains `term`, ignoring ASCII case; `%` and `_` are literal."""
        if not term:
            raise ValueError("the search term must not be empty")
        # The term travels as a bound parameter, never inside the SQL text; autoescape makes
        # LIKE's wildcards (`%`, `_`) and the escape character itself match literally.
        # icontains: SQLite's LIKE ignores ASCII case, PostgreSQL's does not; ILIKE / lower()
        # give the same answer on both.
        statement = select(User).where(User.name.icontains(term, autoescape=True)).order_by(User.id)
        return list(self.session.scalars(statement))

    def add(self, data: UserIn) -> User:
        """Adds and flushes a user; a taken email raises DuplicateEmailError.

        The insert runs in a SAVEPOINT: when it fails only the savepoint is rolled back, so the
        caller's other pending work survives and the session stays usable (on PostgreSQL a
        failed statement otherwise aborts the whole transaction).
        """
        user = User(**data.model_dump())
        try:
            with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError as error:
            raise DuplicateEmailError(f"A user with email {data.email} already exists") from error
        return user

    def add_many(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Inserts every row or none; returns how many were inserted.

        Every row is validated before anything is sent; the rows then go in one executemany
        INSERT, not one statement per row.
        """
        values = list(_validated(rows))
        if not values:
            return 0
        try:
            with self.session.begin_nested():
                self.session.execute(insert(User), values)
        except IntegrityError as error:
            raise DuplicateEmailError("A user with one of these emails already exists") from error
        return len(values)


def _validated(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each row as a dict of column values; InvalidBatchError for the first bad one."""
    seen: set[str] = set()
    for index, row in enumerate(rows):
        try:
            user = UserIn.model_validate(row)
        except ValidationError as error:
            raise InvalidBatchError(index, str(error)) from error
        if user.email in seen:
            raise InvalidBatchError(index, f"email {user.email} appears twice in the batch")
        seen.add(user.email)
        yield user.model_dump()


def create_app(engine: Engine) -> FastAPI:
    """The users API on `engine`: `POST /users` and `GET /users?name=`."""
    app = FastAPI(title="Users")

    def get_session() -> Iterator[Session]:
        # Closing the session rolls back whatever the endpoint did not commit.
        with Session(engine) as session:
            yield session

    SessionDep = Annotated[Session, Depends(get_session)]

    @app.exception_handler(DuplicateEmailError)
    async def duplicate_email(request: Request, error: DuplicateEmailError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.post("/users", status_code=status.HTTP_201_CREATED)
    def create_user(data: UserIn, session: SessionDep) -> UserOut:
        # The endpoint owns the unit of work: the repository flushes, the endpoint commits.
        user = UserRepository(session).add(data)
        session.commit()
        return UserOut.model_validate(user)

    @app.get("/users")
    def search_users(
        name: Annotated[str, Query(min_length=1)], session: SessionDep
    ) -> list[UserOut]:
        return [UserOut.model_validate(user) for user in UserRepository(session).search(name)]

    return app
