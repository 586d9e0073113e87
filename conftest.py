"""Root conftest: shared fixtures of the suite.

Which tree the kata tests import (your `katas/`, `reference/` or a learner's copy) is decided by
the `grader.targets` plugin, loaded by `addopts` in pyproject.toml: `pytest --target reference`,
or KATAS_TARGET=reference. It has to be a `-p` plugin: a hook in this file would run only after
the kata conftests had already imported the kata modules.

Database fixtures, for every kata that talks to a database:
- `sqlite_url`: an empty SQLite file of the test's own;
- `postgres_url`: an empty PostgreSQL database of the test's own, on the server that
  KATAS_POSTGRES_URL names (the test must carry `@pytest.mark.postgres`; it skips, saying how to
  enable it, when the variable is unset); emptied after the test and reused by a later one;
- `database_url`: both in turn, as two tests (`[sqlite]` and `[postgresql]`): for behaviour that
  differs between the two databases.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.databases import PostgresDatabases, postgres_server_url, sqlite_file_url
from grader.targets import SERVER_MARKERS


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run kata tests without the reference switch (it would import nothing sane)."""
    if not config.pluginmanager.has_plugin("grader.targets"):
        raise pytest.UsageError(
            "the grader.targets plugin is not loaded: run pytest from the suite's root, with its "
            "pyproject.toml (its addopts load it)"
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of an empty SQLite database file that only this test uses."""
    return sqlite_file_url(tmp_path)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """The PostgreSQL test databases of this pytest process (None without a server)."""
    server = postgres_server_url()
    if server is None:
        yield None
        return
    databases = PostgresDatabases(server)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def postgres_url(
    request: pytest.FixtureRequest, postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """The URL of an empty PostgreSQL database that only this test uses."""
    if request.node.get_closest_marker("postgres") is None:
        # The marker is what skips the test without a server and what `grader check` reads.
        pytest.fail(f"{request.node.nodeid} uses postgres_url without @pytest.mark.postgres")
    if postgres_databases is None:  # run outside the suite's plugin, which would have skipped it
        pytest.skip(f"needs postgres: set {SERVER_MARKERS['postgres']} to a server URL")
    with postgres_databases.database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of this test's own: SQLite, then PostgreSQL when one is configured."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")
