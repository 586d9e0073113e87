"""Kata 3.6: a declarative Base that hands every model the same conventions."""

from datetime import datetime
from typing import Annotated

from sqlalchemy import CheckConstraint, DateTime, Dialect, Engine, ForeignKey
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

# TODO(task 2): one template per kind of constraint: "pk", "fk", "uq", "ix", "ck".
NAMING_CONVENTION: dict[str, str] = {}

Email = Annotated[str, "email"]
"""A column type of its own: `Mapped[Email]` maps to VARCHAR(320) through the Base's map."""


def table_name(class_name: str) -> str:
    """The snake_case table name of a CamelCase class name: `HTTPLog` -> `http_log`."""
    # TODO(task 1): split into words (acronyms stay whole), join with "_", lowercase;
    # ValueError for anything but ASCII letters and digits starting with a letter.
    raise NotImplementedError("table_name is not written yet")


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC: the clock every timestamp reads."""
    # TODO(task 5): datetime.now(...) in UTC.
    raise NotImplementedError("utc_now is not written yet")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored as UTC and always comes back timezone-aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuses naive datetimes (whose instant is unknown) and sends aware ones as UTC."""
        # TODO(task 3): None stays None; naive -> ValueError; aware -> the same instant in UTC.
        raise NotImplementedError("UTCDateTime.process_bind_param is not written yet")

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Returns UTC, whatever the database gave back."""
        # TODO(task 3): None stays None; naive (SQLite) is UTC; aware -> converted to UTC.
        raise NotImplementedError("UTCDateTime.process_result_value is not written yet")


class Base(DeclarativeBase):
    """The Base of every model of this kata: naming convention, type map, derived table names."""

    # TODO(task 2): metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # TODO(task 4): type_annotation_map: str -> String(255), Email -> String(320),
    # datetime -> UTCDateTime().

    @declared_attr.directive
    @classmethod
    def __tablename__(cls) -> str:
        # TODO(task 1): derive the name with table_name(cls.__name__). The class name as it is
        # only keeps this module importable until then.
        return cls.__name__


class IdMixin:
    """An integer primary key `id`: BIGINT on PostgreSQL, INTEGER on SQLite."""

    # TODO(task 5): BIGINT everywhere but SQLite (`with_variant`).
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    """`created_at` set on insert, `updated_at` set on insert and on every update."""

    # TODO(task 5): created_at and updated_at, both required, read from utc_now.


class SoftDeleteMixin:
    """Rows that are marked deleted instead of being deleted."""

    # TODO(task 6): deleted_at, NULL until the row is deleted.

    def soft_delete(self) -> None:
        """Marks the row deleted now; a row already deleted keeps its first `deleted_at`."""
        # TODO(task 6)
        raise NotImplementedError("soft_delete is not written yet")


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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` whose ORM queries hide soft-deleted rows."""
    # TODO(task 7): a sessionmaker with a "do_orm_execute" listener that adds
    # with_loader_criteria(SoftDeleteMixin, ...) unless include_deleted=True is set.
    raise NotImplementedError("make_session_factory is not written yet")
