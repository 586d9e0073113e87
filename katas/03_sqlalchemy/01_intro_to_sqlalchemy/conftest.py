"""Fixtures for kata 3.1: engines and sessions on an empty database (SQLite, then PostgreSQL)."""

from collections.abc import Iterator

import pytest
from intro_to_sqlalchemy import Base, create_schema, make_engine
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session


@pytest.fixture
def plain_engine(database_url: str) -> Iterator[Engine]:
    """A bare `create_engine` on the test's database with the kata's tables (task 1 only).

    It does not use your `make_engine`, so the schema tests of task 1 need only the models.
    """
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Your `make_engine` on the test's database, after your `create_schema`."""
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """The session your functions receive; closed (and rolled back) after the test."""
    with Session(engine) as session:
        yield session
