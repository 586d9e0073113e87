"""Kata 3.4: a user repository that is fast and safe on SQLite and PostgreSQL alike."""

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def make_engine(url: str) -> Engine:
    """An engine on `url`; on SQLite, with foreign keys enforced and real transactions."""
    # TODO(task 1): create_engine(url); for SQLite, on every new connection switch off
    # sqlite3's own BEGIN handling and turn foreign keys on, and emit BEGIN yourself.
    raise NotImplementedError("make_engine is not written yet")


class Base(DeclarativeBase):
    """The kata's own declarative base."""


class User(Base):
    """A user; `email` is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # TODO(task 2): no two users may share an email.
    email: Mapped[str] = mapped_column(String(254))
    posts: Mapped[list["Post"]] = relationship(back_populates="author", order_by="Post.id")


class Post(Base):
    """A post written by a user."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # TODO(task 2): the posts of some users are looked up by user_id: index it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
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
        # TODO(task 3): load the posts with the users, not one query per user.
        raise NotImplementedError("list_with_posts is not written yet")

    def search(self, term: str) -> list[User]:
        """Users whose name contains `term`, ignoring ASCII case; `%` and `_` are literal."""
        # TODO(task 4): a bound parameter, LIKE's wildcards escaped; ValueError for "".
        raise NotImplementedError("search is not written yet")

    def add(self, data: UserIn) -> User:
        """Adds and flushes a user; a taken email raises DuplicateEmailError."""
        # TODO(task 5): insert inside a SAVEPOINT; IntegrityError -> DuplicateEmailError.
        raise NotImplementedError("add is not written yet")

    def add_many(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Inserts every row or none; returns how many were inserted."""
        # TODO(task 6): validate every row first (InvalidBatchError), then one executemany
        # INSERT inside a SAVEPOINT; a taken email raises DuplicateEmailError.
        raise NotImplementedError("add_many is not written yet")


def create_app(engine: Engine) -> FastAPI:
    """The users API on `engine`: `POST /users` and `GET /users?name=`."""
    # TODO(task 4): GET /users?name=... answers the users that search(name) finds.
    # TODO(task 5): POST /users answers 201 with the new user, 409 for a taken email.
    raise NotImplementedError("create_app is not written yet")
