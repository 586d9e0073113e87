"""Fixtures for kata 3.7: two tenants, acme and globex, kept apart by rows or by schemas.

Every database fixture takes `database_url`, so each test runs on SQLite and, when
KATAS_POSTGRES_URL is set, on PostgreSQL too. The `layout` fixture runs the API tests once per
layout: "rows" (`create_app`, task 4) and "schemas" (`create_schema_app`, task 6); each of its
params carries the task marker of its layout.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from multi_tenancy import (
    Base,
    Project,
    Task,
    Tenant,
    create_app,
    create_schema_app,
    make_engine,
    provision_tenant,
)
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session

TENANTS = ("acme", "globex")


def without_fsync(engine: Engine) -> Engine:
    """Turns off fsync on SQLite, for every database a connection has attached by then.

    The test databases are thrown away, so durability buys nothing, and fsync is most of a
    SQLite test's time. Registered after make_engine's own listeners, so it runs after them.
    """
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def no_fsync(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            names = [row[1] for row in cursor.execute("PRAGMA database_list").fetchall()]
            for name in names:
                quoted = name.replace('"', '""')
                cursor.execute(f'PRAGMA "{quoted}".synchronous = OFF')
            cursor.close()

    return engine


def shared_tables(database_url: str) -> Engine:
    """A plain engine on the row-based layout: the kata's tables, acme and globex registered."""
    engine = without_fsync(create_engine(database_url))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Tenant(id=tenant) for tenant in TENANTS])
        session.commit()
    return engine


def admin_bind(layout: str, engine: Engine, tenant: str) -> Engine:
    """Where an admin reads `tenant`'s rows: the shared tables, or the tenant's schema."""
    if layout == "rows":
        return engine
    return engine.execution_options(schema_translate_map={None: f"tenant_{tenant}"})


@pytest.fixture(
    params=[
        pytest.param("rows", marks=pytest.mark.task(4)),
        pytest.param("schemas", marks=[pytest.mark.task(6), pytest.mark.stretch]),
    ]
)
def layout(request: pytest.FixtureRequest) -> str:
    """Which layout the API test runs on: "rows" (task 4) or "schemas" (task 6)."""
    return request.param


@pytest.fixture
def api_engine(layout: str, database_url: str) -> Iterator[Engine]:
    """The layout's engine with acme and globex ready: registered, or provisioned."""
    if layout == "rows":
        engine = shared_tables(database_url)
    else:
        engine = without_fsync(make_engine(database_url))
        for tenant in TENANTS:
            provision_tenant(engine, tenant)
    yield engine
    engine.dispose()


@pytest.fixture
def app(layout: str, api_engine: Engine) -> FastAPI:
    """`create_app(engine)` or `create_schema_app(engine)`."""
    return create_app(api_engine) if layout == "rows" else create_schema_app(api_engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the layout's app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def stored_projects(layout: str, api_engine: Engine) -> Callable[[], set[tuple[str, str]]]:
    """`stored_projects()`: (owner, name) of every project stored, read by an unfiltered admin.

    The owner is the row's tenant_id (rows) or the tenant whose schema holds it (schemas).
    """

    def read() -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for tenant in TENANTS if layout == "schemas" else ("rows",):
            with Session(admin_bind(layout, api_engine, tenant)) as admin:
                for project in admin.scalars(select(Project)):
                    owner = project.tenant_id if layout == "rows" else tenant
                    found.add((owner, project.name))
        return found

    return read


@pytest.fixture
def stored_tasks(layout: str, api_engine: Engine) -> Callable[[], set[tuple[str, str, bool]]]:
    """`stored_tasks()`: (owner, title, done) of every task stored, read by an admin."""

    def read() -> set[tuple[str, str, bool]]:
        found: set[tuple[str, str, bool]] = set()
        for tenant in TENANTS if layout == "schemas" else ("rows",):
            with Session(admin_bind(layout, api_engine, tenant)) as admin:
                for task in admin.scalars(select(Task)):
                    owner = task.tenant_id if layout == "rows" else tenant
                    found.add((owner, task.title, task.done))
        return found

    return read


@pytest.fixture
def known_tenants(layout: str, api_engine: Engine) -> Callable[[], set[str]]:
    """`known_tenants()`: the tenants that exist: rows of `tenants`, or tenant_<id> schemas."""

    def read() -> set[str]:
        if layout == "rows":
            with Session(api_engine) as admin:
                return set(admin.scalars(select(Tenant.id)))
        # A fresh engine: on SQLite its connections attach whatever tenant files exist now.
        fresh = make_engine(api_engine.url.render_as_string(hide_password=False))
        try:
            names = inspect(fresh).get_schema_names()
        finally:
            fresh.dispose()
        return {name.removeprefix("tenant_") for name in names if name.startswith("tenant_")}

    return read


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The row-based layout for session tests: shared tables, acme and globex registered."""
    engine = shared_tables(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seed(engine: Engine) -> dict[str, int]:
    """One project with one task per tenant, written by an unfiltered admin; returns their ids.

    acme: project "Rocket skates" with task "Wheels"; globex: "Doomsday device" with "Laser".
    Keys: acme_project, acme_task, globex_project, globex_task.
    """
    with Session(engine) as session:
        acme = Project(
            tenant_id="acme", name="Rocket skates", tasks=[Task(tenant_id="acme", title="Wheels")]
        )
        globex = Project(
            tenant_id="globex",
            name="Doomsday device",
            tasks=[Task(tenant_id="globex", title="Laser")],
        )
        session.add_all([acme, globex])
        session.commit()
        return {
            "acme_project": acme.id,
            "acme_task": acme.tasks[0].id,
            "globex_project": globex.id,
            "globex_task": globex.tasks[0].id,
        }


@pytest.fixture
def schema_engine(database_url: str) -> Iterator[Engine]:
    """`make_engine(database_url)`, with no tenant provisioned yet."""
    engine = without_fsync(make_engine(database_url))
    yield engine
    engine.dispose()
