"""Small checks that several katas' tests share; import them, never copy them into a kata."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy is imported only by the katas that count statements
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.ext.asyncio import AsyncEngine


def is_uuid4(value: str) -> bool:
    """Whether `value` is a UUID4 in its canonical text form (what `str(uuid.uuid4())` gives)."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value


@contextmanager
def count_statements(engine: "Engine | AsyncEngine") -> Iterator[list[str]]:
    """Records the SQL statements `engine` sends to the database inside the block.

    Counted with the `before_cursor_execute` engine event, so it sees what really reaches the
    driver: lazy loads and autoflushes included. BEGIN and COMMIT are not counted when the driver
    issues them itself (the default), but are when the code sends them through the cursor (the
    SQLite savepoint recipe's `BEGIN`, say).
    """
    from sqlalchemy import event

    # An AsyncEngine has no events of its own: they live on the Engine it wraps.
    sync_engine = getattr(engine, "sync_engine", engine)
    statements: list[str] = []

    def record(
        connection: "Connection",
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


def without_fsync(engine: "Engine") -> "Engine":
    """Tells SQLite not to wait for the disk after each commit, on every connection of `engine`.

    For the tests' throwaway database files only: DDL and commits get about ten times faster.
    Other databases are left as they are. Returns the engine, for chaining.
    """
    from sqlalchemy import event

    if engine.dialect.name == "sqlite":

        def no_fsync(dbapi_connection: "DBAPIConnection", record: object) -> None:
            dbapi_connection.execute("PRAGMA synchronous = OFF")

        event.listen(engine, "connect", no_fsync)
    return engine


@contextmanager
def just_before(
    engine: "Engine", prefixes: tuple[str, ...], action: Callable[[], None]
) -> Iterator[list[str]]:
    """Runs `action` once, just before the first statement `engine` sends that starts with one
    of `prefixes` (compared in upper case, e.g. `("INSERT INTO USERS",)`).

    Forces a race instead of hoping for one: `action` commits a conflicting row on another
    connection between your code's checks and its write. The list yielded holds the statement
    that triggered it (empty if none did: assert on it).
    """
    from sqlalchemy import event  # only the katas that race need SQLAlchemy

    fired: list[str] = []

    def race(connection: object, cursor: object, statement: str, *args: object) -> None:
        if not fired and statement.lstrip().upper().startswith(prefixes):
            fired.append(statement)
            action()

    event.listen(engine, "before_cursor_execute", race)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", race)
