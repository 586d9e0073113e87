"""Kata 3.1: typed users and posts, an engine that enforces foreign keys, and CRUD with select().

Every write function is one unit of work: it commits before returning, or rolls back and raises a
domain error, so the caller's session is usable either way and nothing is half-written.
"""

from sqlalchemy import Engine, ForeignKey, String, Text, create_engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    """The kata's own declarative base: its metadata holds the users and posts tables."""


class User(Base):
    """Someone who writes posts; the email is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # `Mapped[str]` (not `str | None`) makes the column NOT NULL; String(n) gives VARCHAR(n).
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The ORM cascade deletes the posts the session knows about; passive_deletes leaves the
    # posts it has not loaded to the database's ON DELETE CASCADE instead of loading them first.
    posts: Mapped[list["Post"]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )


class Post(Base):
    """A post, owned by its author: it is deleted with them."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # `| None`: the column is nullable
    # ON DELETE CASCADE lives in the schema, so a DELETE from any client (Core, psql, another
    # service) removes the posts too. Neither database indexes a foreign key by itself.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author: Mapped[User] = relationship(back_populates="posts")


class EmailTaken(Exception):
    """Another user already has this email."""

    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email!r} already exists")
        self.email = email


class UserNotFound(LookupError):
    """No user has this id."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} not found")
        self.user_id = user_id


def _enable_sqlite_foreign_keys(dbapi_connection: object, connection_record: object) -> None:
    # SQLite ignores FOREIGN KEY clauses unless each connection turns them on.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite, every connection it opens enforces foreign keys."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        # "connect" runs once for each new DBAPI connection the pool opens: a PRAGMA sent on one
        # connection would leave every other connection of the pool unprotected.
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def create_schema(engine: Engine) -> None:
    """Creates the tables that do not exist yet."""
    Base.metadata.create_all(engine)


def _require_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


def create_user(session: Session, email: str, name: str) -> User:
    """Stores a new user and commits; `EmailTaken` (nothing stored) when the email is in use."""
    user = User(email=email, name=name)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        # The failed flush leaves the session unusable until it is rolled back. Catching the
        # database's refusal (rather than SELECTing first) is also right when two requests race.
        session.rollback()
        raise EmailTaken(email) from error
    return user


def get_user(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with exactly this email, or None."""
    return session.scalars(select(User).where(User.email == email)).one_or_none()


def list_users(session: Session) -> list[User]:
    """Every user, by name, then by id for equal names."""
    # Without ORDER BY a database may return rows in any order it likes.
    return list(session.scalars(select(User).order_by(User.name, User.id)))


def add_post(session: Session, user_id: int, title: str, body: str | None = None) -> Post:
    """Stores a post by this user and commits; `UserNotFound` (nothing stored) for a bad id."""
    author = _require_user(session, user_id)
    post = Post(title=title, body=body, author=author)
    session.add(post)
    session.commit()
    return post


def list_posts(session: Session, user_id: int) -> list[Post]:
    """This user's posts, newest (highest id) first; `UserNotFound` for a bad id."""
    _require_user(session, user_id)
    statement = select(Post).where(Post.author_id == user_id).order_by(Post.id.desc())
    return list(session.scalars(statement))


def change_email(session: Session, user_id: int, email: str) -> User:
    """Gives the user a new email and commits; `UserNotFound`, or `EmailTaken` (old email kept)."""
    user = _require_user(session, user_id)
    user.email = email
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()  # also expires `user`: it reloads with its old email
        raise EmailTaken(email) from error
    return user


def delete_user(session: Session, user_id: int) -> None:
    """Deletes the user and their posts, and commits; `UserNotFound` for a bad id."""
    session.delete(_require_user(session, user_id))
    session.commit()
