"""Kata 4.4: an admin for SQLAlchemy models with sqladmin, behind a login.

sqladmin builds list, detail, create and edit pages from the models; the work is deciding what
those pages may show (never a password hash) and who may open them (admins only).
"""

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import FastAPI
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import Engine, ForeignKey, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from wtforms import Form, PasswordField

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

    # A PasswordField never renders its value back into the page, and the hash column is
    # excluded from the form: what the admin types is a password, what is stored is a hash.
    password = PasswordField(
        "Password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave it empty to keep it.",
    )


class UserAdmin(ModelView, model=User):
    """Users: listed, searched, created and edited without ever showing the hash."""

    column_list = (User.id, User.email, User.full_name, User.is_admin)
    column_searchable_list = (User.email, User.full_name)
    # Three separate switches: hiding a column from the list does not hide it from the
    # details page or the forms. (CSV/JSON exports follow the list columns.)
    column_details_exclude_list = (User.password_hash,)
    form_excluded_columns = (User.password_hash, User.posts)
    form_base_class = UserForm

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Turns the form's password into a hash; an empty one keeps the current hash."""
        # Pop it: `password` is not a column, and sqladmin copies what stays in `data`.
        password = data.pop("password", None) or ""
        if not password:
            if is_created:
                raise ValueError("A new user needs a password.")
            return
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
        # sqladmin runs this hook on the event loop: hash in a worker thread, as login does.
        model.password_hash = await run_in_threadpool(password_hasher.hash, password)

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Creates the user; a taken email becomes a plain message."""
        try:
            return await super().insert_model(request, data)
        except IntegrityError:
            # sqladmin shows str(error) on the page, and the driver's message quotes the
            # statement's parameters: the new password hash among them. `from None` keeps it
            # out of the logged traceback too.
            raise ValueError(EMAIL_TAKEN) from None

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Updates the user; a taken email becomes a plain message."""
        try:
            return await super().update_model(request, pk, data)
        except IntegrityError:
            raise ValueError(EMAIL_TAKEN) from None


class PostAdmin(ModelView, model=Post):
    """Posts with their author."""

    column_list = (Post.id, Post.title, Post.author)
    column_searchable_list = (Post.title,)


class AdminAuth(AuthenticationBackend):
    """Admins log in with their email and password; the session keeps their id only."""

    def __init__(self, secret_key: str, session_maker: sessionmaker[Session]) -> None:
        # The base class adds Starlette's SessionMiddleware: a cookie that is signed with
        # `secret_key`, not encrypted. Anyone can read it, so it holds an id, never a secret.
        super().__init__(secret_key=secret_key)
        self.session_maker = session_maker

    def _admin_id_for(self, email: str, password: str) -> int | None:
        """The id of the admin with these credentials, or None (blocking: database + argon2)."""
        with self.session_maker() as session:
            user = session.scalar(select(User).where(User.email == email))
            if user is None or not user.is_admin:
                return None
            try:
                password_hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                # VerificationError covers a wrong password; InvalidHashError a stored value
                # that is not an argon2 hash (a legacy import): refused, not a 500.
                return None
            return user.id

    def _is_admin(self, user_id: int) -> bool:
        """Whether this id still names an admin (blocking: database)."""
        with self.session_maker() as session:
            user = session.get(User, user_id)
            return user is not None and user.is_admin

    async def login(self, request: Request) -> bool:
        """Checks the login form; on success the session holds the admin's id."""
        form = await request.form()
        email, password = form.get("username"), form.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return False
        # A database query and a deliberately slow hash: keep both off the event loop.
        user_id = await run_in_threadpool(self._admin_id_for, email, password)
        if user_id is None:
            return False
        request.session.clear()
        request.session["user_id"] = user_id
        return True

    async def logout(self, request: Request) -> bool:
        """Forgets the admin."""
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        """Lets a request in while its session names a user who is still an admin."""
        user_id = request.session.get("user_id")
        if not isinstance(user_id, int):
            return False
        # Re-checked on every request: demoting or deleting an admin takes effect at once,
        # not when a 14-day cookie expires.
        return await run_in_threadpool(self._is_admin, user_id)


def create_app(engine: Engine, secret_key: str) -> FastAPI:
    """A FastAPI app with the admin mounted at /admin, on the given engine."""
    app = FastAPI()
    session_maker = sessionmaker(engine)
    admin = Admin(
        app,
        session_maker=session_maker,
        title=ADMIN_TITLE,
        authentication_backend=AdminAuth(secret_key, session_maker),
    )
    admin.add_view(UserAdmin)
    admin.add_view(PostAdmin)
    return app
