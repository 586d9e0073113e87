"""Kata 3.6: a declarative Base that hands every model the same conventions.

Constraint names, table names, column types, an `id`, timestamps and soft deletion are decided
once, on the Base and its mixins, instead of model by model.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    event,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    relationship,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

# The names Alembic's documentation recommends. Without them, PostgreSQL invents names
# (`author_pkey`, `author_email_key`) and SQLite leaves constraints unnamed, so a migration
# that must drop one cannot name it the same way on every database.
NAMING_CONVENTION: dict[str, str] = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(column_0_label)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

Email = Annotated[str, "email"]
"""A column type of its own: `Mapped[Email]` maps to VARCHAR(320) through the Base's map."""

_CLASS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# An acronym ends where its last capital starts a capitalised word: "HTTPLog" -> "HTTP_Log".
_ACRONYM_END = re.compile(r"([A-Z]+)([A-Z][a-z])")
# A word ends where a capital follows a lowercase letter or a digit: "BlogPost" -> "Blog_Post".
_WORD_END = re.compile(r"([a-z0-9])([A-Z])")


def table_name(class_name: str) -> str:
    """The snake_case table name of a CamelCase class name: `HTTPLog` -> `http_log`."""
    if not _CLASS_NAME.fullmatch(class_name):
        raise ValueError(
            f"{class_name!r} is not a class name made of ASCII letters and digits, "
            "starting with a letter"
        )
    return _WORD_END.sub(r"\1_\2", _ACRONYM_END.sub(r"\1_\2", class_name)).lower()


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC: the clock every timestamp reads."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored as UTC and always comes back timezone-aware, in UTC.

    PostgreSQL's `timestamptz` returns values in the session's TimeZone; SQLite has no time zones
    at all and returns naive values. This type makes both answer the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuses naive datetimes (whose instant is unknown) and sends aware ones as UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Returns UTC, whatever the database gave back."""
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: what we stored was UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The Base of every model of this kata: naming convention, type map, derived table names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, TypeEngine[Any]]] = {
        str: String(255),
        Email: String(320),
        datetime: UTCDateTime(),
    }

    @declared_attr.directive
    @classmethod
    def __tablename__(cls) -> str:
        return table_name(cls.__name__)


class IdMixin:
    """An integer primary key `id`: BIGINT on PostgreSQL, INTEGER on SQLite."""

    # Only `INTEGER PRIMARY KEY` is SQLite's auto-incrementing rowid: a BIGINT key there would
    # need an explicit value on every insert. The variant keeps BIGINT everywhere else.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )


class TimestampMixin:
    """`created_at` set on insert, `updated_at` set on insert and on every update."""

    # Pass the function, do not call it: `default=utc_now()` would stamp every row with the
    # time the module was imported.
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class SoftDeleteMixin:
    """Rows that are marked deleted instead of being deleted."""

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    def soft_delete(self) -> None:
        """Marks the row deleted now; a row already deleted keeps its first `deleted_at`."""
        if self.deleted_at is None:
            self.deleted_at = utc_now()


class Author(IdMixin, TimestampMixin, Base):
    """Someone who writes posts (given)."""

    name: Mapped[str]
    email: Mapped[Email] = mapped_column(unique=True)
    posts: Mapped[list["BlogPost"]] = relationship(back_populates="author", order_by="BlogPost.id")


class BlogPost(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A post; deleting one only marks it (given)."""

    __table_args__ = (CheckConstraint("length(title) > 0", name="title_not_empty"),)

    author_id: Mapped[int] = mapped_column(ForeignKey(Author.id), index=True)
    title: Mapped[str]
    published_at: Mapped[datetime | None]
    author: Mapped[Author] = relationship(back_populates="posts")


class HTTPLog(IdMixin, TimestampMixin, Base):
    """One request the service answered (given)."""

    __table_args__ = (CheckConstraint("status BETWEEN 100 AND 599", name="status_range"),)

    path: Mapped[str]
    status: Mapped[int]


def _hide_soft_deleted(state: ORMExecuteState) -> None:
    """Adds `deleted_at IS NULL` for every soft-deletable entity of an ORM SELECT."""
    if (
        state.is_select
        # As in the documentation's recipe: a column load refreshes an object already loaded,
        # and a relationship load inherits the criteria from the query that loaded its parent.
        # (An object created in this session was loaded by no query: its lazy loads stay
        # unfiltered here. Kata 3.7 filters relationship loads too.)
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(
                SoftDeleteMixin,
                lambda cls: cls.deleted_at.is_(None),
                include_aliases=True,
            )
        )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` whose ORM queries hide soft-deleted rows.

    `select(...).execution_options(include_deleted=True)` (or the same option on `session.get`)
    includes them. Only these sessions filter: a plain `Session(engine)` sees every row.
    """
    factory = sessionmaker(engine)
    # Listening on this factory, not on the Session class, keeps the filter out of every other
    # session of the process.
    event.listen(factory, "do_orm_execute", _hide_soft_deleted)
    return factory
