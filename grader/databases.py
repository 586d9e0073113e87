"""Databases for the kata tests: a SQLite file by default, an empty PostgreSQL database when
KATAS_POSTGRES_URL names a server.

The root conftest turns these into the `sqlite_url`, `postgres_url` and `database_url` fixtures.
Each PostgreSQL test gets a database of its own, empty. Creating and dropping a database per test
costs 0.1 s on a quiet machine and seconds under load (DROP DATABASE forces a checkpoint), so a
pytest process keeps the databases it made and empties one (every schema dropped, `public` made
again) before handing it to the next test; it drops them all when it ends.
"""

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_VARIABLE = "KATAS_POSTGRES_URL"
# psycopg 3 serves both sync and async engines, so one driver covers every kata.
POSTGRES_DRIVER = "postgresql+psycopg"

# Drops every schema of the current database (tables, sequences, types go with them) and makes
# an empty `public`: what CREATE DATABASE would have given, without the checkpoint. (`%%` is
# psycopg's escape for `%`.)
EMPTY_DATABASE = """
DO $$
DECLARE s text;
BEGIN
    FOR s IN SELECT nspname FROM pg_namespace
             WHERE nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema'
    LOOP
        EXECUTE format('DROP SCHEMA %%I CASCADE', s);
    END LOOP;
END $$;
CREATE SCHEMA public;
"""


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


class PostgresDatabases:
    """The test databases one pytest process made on the server, reused once emptied."""

    def __init__(self, server: sa.URL) -> None:
        self.server = server
        self.admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.free: list[str] = []
        self.made: list[str] = []

    @contextmanager
    def database(self) -> Iterator[str]:
        """An empty database's URL, as text, for the duration of the block."""
        name = self.free.pop() if self.free else self._create()
        try:
            yield self._url(name).render_as_string(hide_password=False)
        finally:
            self._empty(name)
            self.free.append(name)

    def close(self) -> None:
        """Drops every database this process made."""
        try:
            for name in self.made:
                self._drop(name)
        finally:
            self.admin.dispose()

    def _url(self, name: str) -> sa.URL:
        return self.server.set(database=name)

    def _create(self) -> str:
        name = f"katas_test_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return name

    def _empty(self, name: str) -> None:
        engine = sa.create_engine(self._url(name), poolclass=sa.NullPool)
        try:
            with engine.begin() as connection:
                # Connections a test left open would hold locks on its tables: end them. They
                # are this role's own, which PostgreSQL lets it terminate.
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND usename = current_user"
                    )
                )
                connection.exec_driver_sql(EMPTY_DATABASE)
        finally:
            engine.dispose()

    def _drop(self, name: str) -> None:
        # FORCE ends the connections left open; it fails while a backend of another role (an
        # autovacuum worker, say) is connected, which a moment later has gone.
        for attempt in range(20):
            try:
                with self.admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except sa.exc.DBAPIError:
                if attempt == 19:
                    raise
                time.sleep(0.1 * (attempt + 1))
