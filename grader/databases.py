"""Databases for the kata tests: a SQLite file by default, a throwaway PostgreSQL database when
KATAS_POSTGRES_URL names a server.

The root conftest turns these into the `sqlite_url`, `postgres_url` and `database_url` fixtures.
Each PostgreSQL test gets a database of its own, created empty and dropped afterwards (about
0.1 s), so tests may create schemas and tables freely and never clean up.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_VARIABLE = "KATAS_POSTGRES_URL"
# psycopg 3 serves both sync and async engines, so one driver covers every kata.
POSTGRES_DRIVER = "postgresql+psycopg"


def sqlite_file_url(folder: Path) -> str:
    """A SQLite database file under `folder` (a file, not :memory:: every connection sees it)."""
    return f"sqlite+pysqlite:///{folder / 'kata.sqlite3'}"


def postgres_server_url() -> sa.URL | None:
    """The configured PostgreSQL server, with the psycopg driver; None when none is set."""
    value = os.environ.get(POSTGRES_VARIABLE, "").strip()
    if not value:
        return None
    url = sa.make_url(value)
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            f"{POSTGRES_VARIABLE} must be a postgresql:// URL, not {url.drivername}://"
        )
    return url.set(drivername=POSTGRES_DRIVER)


@contextmanager
def temporary_postgres_database(server: sa.URL) -> Iterator[str]:
    """Creates an empty database on `server`, yields its URL as text, and drops it afterwards.

    The drop uses WITH (FORCE), so connections a test forgot to close cannot keep it alive.
    """
    name = f"katas_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
