"""Kata 4.4: an admin for SQLAlchemy models with sqladmin, behind a login.

The models, the hasher and the constants are given; the views, the login and the app are yours.
"""

from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from sqladmin import ModelView
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import Engine, ForeignKey, String, Text
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from starlette.requests import Request
from wtforms import Form

ADMIN_TITLE = "Katas admin"
MIN_PASSWORD_LENGTH = 8
EMAIL_TAKEN = "A user with this email already exists."

# Cheap parameters keep the tests fast; a real service keeps argon2-cffi's defaults.
password_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


class Base(DeclarativeBase):
    """The kata's own declarative base."""


class User(Base):
    """Someone who may write posts; admins may also log in to the admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    posts: Mapped[list["Post"]] = relationship(
        back_populates="author", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        # sqladmin shows a related object (a post's author, the author picker) with str().
        return self.email


class Post(Base):
    """A post written by a user."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship(back_populates="posts")

    def __str__(self) -> str:
        return self.title


class UserForm(Form):
    """The base of the generated user form: adds a password field that is not a column."""

    # TODO(task 5): a `password` field that renders as <input type="password">.


class UserAdmin(ModelView, model=User):
    """Users: listed, searched, created and edited without ever showing the hash."""

    # TODO(task 3): list id, email, full name and is_admin; search email and full name; keep
    #   password_hash out of the details page and the forms (and posts out of the form).
    # TODO(task 5): build the form on UserForm.

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Turns the form's password into a hash; an empty one keeps the current hash."""
        # TODO(task 5): pop "password" from data and hash it into model.password_hash; raise
        #   ValueError (its message is shown on the page) for a short password, or for an
        #   empty one on create; on edit, an empty one changes nothing.
        raise NotImplementedError("UserAdmin.on_model_change is not written yet")

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Creates the user; a taken email becomes a plain message."""
        # TODO(task 5): call sqladmin's insert_model; turn an IntegrityError into
        #   ValueError(EMAIL_TAKEN).
        raise NotImplementedError("UserAdmin.insert_model is not written yet")

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Updates the user; a taken email becomes a plain message."""
        # TODO(task 5): the same for sqladmin's update_model.
        raise NotImplementedError("UserAdmin.update_model is not written yet")


class PostAdmin(ModelView, model=Post):
    """Posts with their author."""

    # TODO(task 4): list id, title and author; search the title.


class AdminAuth(AuthenticationBackend):
    """Admins log in with their email and password; the session keeps their id only."""

    def __init__(self, secret_key: str, session_maker: sessionmaker[Session]) -> None:
        # Given. The base class adds Starlette's SessionMiddleware: a cookie that is signed
        # with `secret_key`, not encrypted. Anyone can read it, so it holds an id, never a secret.
        super().__init__(secret_key=secret_key)
        self.session_maker = session_maker

    async def login(self, request: Request) -> bool:
        """Checks the login form; on success the session holds the admin's id."""
        # TODO(task 2): read `username` (the email) and `password` from the form; True only for
        #   an admin whose password verifies; then store the user's id in request.session.
        raise NotImplementedError("AdminAuth.login is not written yet")

    async def logout(self, request: Request) -> bool:
        """Forgets the admin."""
        # TODO(task 2): clear the session.
        raise NotImplementedError("AdminAuth.logout is not written yet")

    async def authenticate(self, request: Request) -> bool:
        """Lets a request in while its session names a user who is still an admin."""
        # TODO(task 1): False when the session holds no user id.
        # TODO(task 2): ...and when that id no longer names an admin (demoted or deleted).
        raise NotImplementedError("AdminAuth.authenticate is not written yet")


def create_app(engine: Engine, secret_key: str) -> FastAPI:
    """A FastAPI app with the admin mounted at /admin, on the given engine."""
    # TODO(task 1): a FastAPI app; one sessionmaker on the engine; sqladmin's Admin titled
    #   ADMIN_TITLE with AdminAuth as its authentication backend.
    # TODO(task 3): add UserAdmin.
    # TODO(task 4): add PostAdmin.
    raise NotImplementedError("create_app is not written yet")
