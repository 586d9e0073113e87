"""Fixtures for kata 3.4: the kata's tables on an empty database (SQLite, then PostgreSQL)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from sqlalchemy_best_practices import Base, User, create_app, make_engine

from grader.testing import without_fsync

# Names that break naive SQL: quotes, comments, LIKE's wildcards, the escape character.
AWKWARD_NAMES = [
    "alice",
    "Alice Smith",
    "ALICE",
    "bob",
    "100% pure",
    "a_b",
    "axb",
    "under__score",
    "O'Brien",
    "' OR 1=1 --",
    'say "hi"',
    "back\\slash",
    "slash/path",
    "x'); DROP TABLE users; --",
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Your `make_engine` on the test's database, with the kata's tables created."""
    # Speed only: a test's throwaway file need not survive a power cut (10x faster DDL).
    engine = without_fsync(make_engine(database_url))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """The session your repository receives; closed (and rolled back) after the test."""
    with Session(engine) as session:
        yield session


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A TestClient on `create_app(engine)`."""
    with TestClient(create_app(engine)) as test_client:
        yield test_client


@pytest.fixture
def awkward_names(engine: Engine) -> list[str]:
    """Commits one user per awkward name, in this order (ids 1, 2, ...); returns the names.

    The rows are then stored out of id order (see `store_out_of_id_order`). Emails are
    `awkward0@example.com`, `awkward1@example.com`, ...
    """
    with Session(engine) as session:
        session.add_all(
            User(name=name, email=f"awkward{n}@example.com") for n, name in enumerate(AWKWARD_NAMES)
        )
        session.commit()
    store_out_of_id_order(engine)
    return list(AWKWARD_NAMES)


def store_out_of_id_order(engine: Engine) -> None:
    """Rewrites every user, newest first: PostgreSQL then stores the rows out of id order, so
    only an ORDER BY returns them by id. (SQLite keeps its rows in id order.)"""
    with engine.begin() as connection:
        for user_id in sorted(connection.scalars(select(User.id)), reverse=True):
            connection.execute(update(User).where(User.id == user_id).values(id=User.id))
