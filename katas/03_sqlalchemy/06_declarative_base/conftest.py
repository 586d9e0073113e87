"""Fixtures for kata 3.6: the kata's tables on an empty database (SQLite, then PostgreSQL)."""

from collections.abc import Iterator

import pytest
from declarative_base import Base, UTCDateTime, make_session_factory
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine
from sqlalchemy.orm import Session, sessionmaker

from grader.testing import without_fsync

# Not UTC, and not a whole hour: a timestamp that is not converted back to UTC shows at once.
POSTGRES_TIME_ZONE = "Asia/Kathmandu"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A plain engine on the test's database, with the kata's tables created.

    PostgreSQL sessions run with `TimeZone=Asia/Kathmandu` (+05:45), so `timestamptz` values
    come back from the driver in that zone.
    """
    if database_url.startswith("postgresql"):
        engine = create_engine(
            database_url, connect_args={"options": f"-c TimeZone={POSTGRES_TIME_ZONE}"}
        )
    else:
        # Speed only: a test's throwaway file need not survive a power cut (10x faster DDL).
        engine = without_fsync(create_engine(database_url))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Your `make_session_factory(engine)`."""
    return make_session_factory(engine)


@pytest.fixture
def stamps(engine: Engine) -> Table:
    """A table of its own, outside the kata's Base: `stamps(id, at UTCDateTime)`, created."""
    table = Table(
        "stamps",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    table.create(engine)
    return table
