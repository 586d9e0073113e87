"""Fixtures for kata 3.3: a database with the catalogue's tables, a session on it, and the app."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic_orm_integration import Base, create_app
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from grader.testing import without_fsync


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's own database (SQLite, then PostgreSQL), with the tables."""
    # Speed only: the tests commit often and a throwaway file need not survive a power cut.
    engine = without_fsync(create_engine(database_url))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database, the one your functions receive; closed after the test."""
    with Session(engine) as session:
        yield session


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    """A new catalogue API on the test database."""
    return create_app(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the app."""
    with TestClient(app) as test_client:
        yield test_client
