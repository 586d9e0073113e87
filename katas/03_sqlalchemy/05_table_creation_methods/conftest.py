"""Fixtures for kata 3.5: an engine on an empty database (SQLite, then PostgreSQL)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A plain engine on the test's own empty database; the tests create the tables they need."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on an empty PostgreSQL database (tests using it carry @pytest.mark.postgres)."""
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()
