"""Kata 3.1: typed users and posts, an engine that enforces foreign keys, and CRUD with select().

Every write function commits before returning, or rolls back and raises a domain error.
"""

from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    """The kata's own declarative base: its metadata holds the users and posts tables."""


class User(Base):
    """Someone who writes posts; the email is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # TODO(task 1): email (VARCHAR(255), NOT NULL, unique) and name (VARCHAR(100), NOT NULL).
    # TODO(task 1): posts, a list of Post, the other side of Post.author; deleting a user
    #   deletes their posts, and a post taken out of the list is deleted too.


class Post(Base):
    """A post, owned by its author: it is deleted with them."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # TODO(task 1): title (VARCHAR(200), NOT NULL) and body (TEXT, nullable).
    # TODO(task 1): author_id, NOT NULL and indexed, a foreign key to users.id with
    #   ON DELETE CASCADE; and author, the User it points to (the other side of User.posts).


class EmailTaken(Exception):
    """Another user already has this email (given)."""

    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email!r} already exists")
        self.email = email


class UserNotFound(LookupError):
    """No user has this id (given)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} not found")
        self.user_id = user_id


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite, every connection it opens enforces foreign keys."""
    # TODO(task 2): create_engine(url); when its dialect is SQLite, run `PRAGMA foreign_keys=ON`
    #   on every new connection (an engine event), and only on SQLite.
    raise NotImplementedError("make_engine is not written yet")


def create_schema(engine: Engine) -> None:
    """Creates the tables that do not exist yet."""
    # TODO(task 2): create the tables of Base's metadata.
    raise NotImplementedError("create_schema is not written yet")


def create_user(session: Session, email: str, name: str) -> User:
    """Stores a new user and commits; `EmailTaken` (nothing stored) when the email is in use."""
    # TODO(task 3): add, commit; on IntegrityError roll back and raise EmailTaken(email).
    raise NotImplementedError("create_user is not written yet")


def get_user(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    # TODO(task 3)
    raise NotImplementedError("get_user is not written yet")


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with exactly this email, or None."""
    # TODO(task 3): a select() with a where().
    raise NotImplementedError("find_user_by_email is not written yet")


def list_users(session: Session) -> list[User]:
    """Every user, by name, then by id for equal names."""
    # TODO(task 3): a select() with an order_by().
    raise NotImplementedError("list_users is not written yet")


def add_post(session: Session, user_id: int, title: str, body: str | None = None) -> Post:
    """Stores a post by this user and commits; `UserNotFound` (nothing stored) for a bad id."""
    # TODO(task 4)
    raise NotImplementedError("add_post is not written yet")


def list_posts(session: Session, user_id: int) -> list[Post]:
    """This user's posts, newest (highest id) first; `UserNotFound` for a bad id."""
    # TODO(task 4)
    raise NotImplementedError("list_posts is not written yet")


def change_email(session: Session, user_id: int, email: str) -> User:
    """Gives the user a new email and commits; `UserNotFound`, or `EmailTaken` (old email kept)."""
    # TODO(task 5)
    raise NotImplementedError("change_email is not written yet")


def delete_user(session: Session, user_id: int) -> None:
    """Deletes the user and their posts, and commits; `UserNotFound` for a bad id."""
    # TODO(task 5): the ORM cascade deletes the posts the session knows about; the schema's
    #   ON DELETE CASCADE (task 1) deletes the rest.
    raise NotImplementedError("delete_user is not written yet")
