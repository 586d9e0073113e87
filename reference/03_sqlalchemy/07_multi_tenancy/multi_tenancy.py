"""Kata 3.7: tenants kept apart by rows (shared tables, every ORM statement filtered) and by
schemas (one PostgreSQL schema, or one attached SQLite file, per tenant)."""

import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Engine,
    ForeignKey,
    String,
    create_engine,
    delete,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
    selectinload,
    with_loader_criteria,
)
from sqlalchemy.schema import CreateSchema


class Base(DeclarativeBase):
    """The kata's own declarative base."""


class Tenant(Base):
    """A tenant of the row-based layout: its id is what clients send in `X-Tenant-ID`."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)


class TenantScoped:
    """Mixin of every model whose rows belong to one tenant."""

    tenant_id: Mapped[str] = mapped_column(String(30), index=True)


class Project(TenantScoped, Base):
    """A tenant's project and its tasks."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Task.id"
    )


class Task(TenantScoped, Base):
    """A task of a project."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False)
    project: Mapped[Project] = relationship(back_populates="tasks")


class ProjectIn(BaseModel):
    """What a client sends to create or rename a project: a `tenant_id` in it is refused."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class TaskIn(BaseModel):
    """What a client sends to add a task to a project."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)


class TaskOut(BaseModel):
    """A task as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    done: bool


class ProjectOut(BaseModel):
    """A project as the API returns it, with its tasks."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    tasks: list[TaskOut]


class TenantMismatchError(Exception):
    """A tenant's session was asked to write a row that belongs to another tenant."""


# fullmatch, not match() with "$": "$" also matches before a trailing newline. [a-z0-9_], not \w
# or str.isalnum(): those accept any Unicode letter or digit ("é", the Arabic-Indic "٣").
_TENANT_ID = re.compile(r"[a-z][a-z0-9_]{0,29}")


def validate_tenant(tenant: str) -> str:
    """Returns `tenant` when it is a well-formed tenant id; raises ValueError otherwise."""
    if _TENANT_ID.fullmatch(tenant) is None:
        raise ValueError(
            f"invalid tenant id {tenant!r}: 1 to 30 of a-z, 0-9 and _, starting with a letter"
        )
    return tenant


class _TenantSession(Session):
    """A Session bound to one tenant for its whole life; the events below read its `info`."""


def tenant_session(engine: Engine, tenant: str) -> Session:
    """A new Session that reads and writes the rows of `tenant` only."""
    # The tenant lives on the session, not in a global or a context variable: sessions of two
    # tenants can be open at once. Never change it on an open session: `session.get()` answers
    # from the identity map without any SQL, so no event would filter what is already there.
    return _TenantSession(engine, info={"tenant_id": validate_tenant(tenant)})


@event.listens_for(_TenantSession, "do_orm_execute")
def _only_the_tenants_rows(state: ORMExecuteState) -> None:
    """Adds `tenant_id = <the session's tenant>` to every ORM SELECT, UPDATE and DELETE."""
    # Relationship and refresh loads too. The documentation's recipe skips them and relies on the
    # criteria propagating from the query that loaded the parent object; an object created in
    # this session was loaded by no query, so its lazy loads would see every tenant's rows.
    if state.is_select or state.is_update or state.is_delete:
        tenant = state.session.info["tenant_id"]
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant,
                # aliased(Project) is another FROM clause: without this it goes unfiltered.
                include_aliases=True,
            )
        )


@event.listens_for(_TenantSession, "before_flush")
def _stamp_the_tenant(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    """Stamps new rows with the session's tenant; refuses to write any other tenant's row."""
    tenant = session.info["tenant_id"]
    for obj in session.new:
        if isinstance(obj, TenantScoped) and obj.tenant_id is None:
            obj.tenant_id = tenant
    # A tenant_id set by someone else (a body copied onto the model, a row moved to another
    # tenant, an object of another session added to this one) is a bug to stop, not to fix.
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant:
            raise TenantMismatchError(
                f"{type(obj).__name__} of tenant {obj.tenant_id!r} in a session of {tenant!r}"
            )


def _tenancy_app(
    title: str,
    open_session: Callable[[str], Session],
    tenant_exists: Callable[[Session, str], bool],
) -> FastAPI:
    """The projects API; which rows a request sees is entirely the session's business."""
    app = FastAPI(title=title)

    def request_tenant(x_tenant_id: Annotated[list[str] | None, Header()] = None) -> str:
        if not x_tenant_id:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="Missing X-Tenant-ID header")
        invalid = HTTPException(status.HTTP_400_BAD_REQUEST, detail="Invalid X-Tenant-ID header")
        if len(x_tenant_id) > 1:
            # Ambiguous: a proxy in front may have acted on the other one. Refuse, never guess.
            raise invalid
        try:
            return validate_tenant(x_tenant_id[0])
        except ValueError:
            # Checked before any SQL runs, and never echoed back.
            raise invalid from None

    def tenant_db(tenant: Annotated[str, Depends(request_tenant)]) -> Iterator[Session]:
        with open_session(tenant) as session:
            if not tenant_exists(session, tenant):
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Tenant {tenant} not found")
            yield session

    TenantDb = Annotated[Session, Depends(tenant_db)]

    def find_project(session: Session, project_id: int) -> Project:
        # Another tenant's project is filtered out like a missing one: 404, never 403, which
        # would tell the caller that the id exists.
        project = session.get(Project, project_id)
        if project is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Project {project_id} not found")
        return project

    @app.post("/projects", status_code=status.HTTP_201_CREATED)
    def create_project(body: ProjectIn, session: TenantDb) -> ProjectOut:
        project = Project(name=body.name)
        session.add(project)
        session.commit()
        return ProjectOut.model_validate(project)

    @app.get("/projects")
    def list_projects(session: TenantDb) -> list[ProjectOut]:
        statement = select(Project).options(selectinload(Project.tasks)).order_by(Project.id)
        return [ProjectOut.model_validate(p) for p in session.scalars(statement)]

    @app.get("/projects/{project_id}")
    def read_project(project_id: int, session: TenantDb) -> ProjectOut:
        return ProjectOut.model_validate(find_project(session, project_id))

    @app.patch("/projects/{project_id}")
    def rename_project(project_id: int, body: ProjectIn, session: TenantDb) -> ProjectOut:
        project = find_project(session, project_id)
        project.name = body.name
        session.commit()
        return ProjectOut.model_validate(project)

    @app.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_project(project_id: int, session: TenantDb) -> None:
        session.delete(find_project(session, project_id))
        session.commit()

    @app.post("/projects/{project_id}/tasks", status_code=status.HTTP_201_CREATED)
    def add_task(project_id: int, body: TaskIn, session: TenantDb) -> TaskOut:
        task = Task(title=body.title, project=find_project(session, project_id))
        session.add(task)
        session.commit()
        return TaskOut.model_validate(task)

    @app.post("/tasks/complete")
    def complete_tasks(session: TenantDb) -> dict[str, int]:
        # One ORM-enabled UPDATE, which do_orm_execute scopes. update(Task.__table__) would be
        # a Core statement: no entity, so with_loader_criteria has nothing to attach to.
        result = session.execute(update(Task).where(Task.done.is_(False)).values(done=True))
        session.commit()
        return {"updated": result.rowcount}

    @app.delete("/tasks/completed")
    def purge_completed(session: TenantDb) -> dict[str, int]:
        result = session.execute(delete(Task).where(Task.done))
        session.commit()
        return {"deleted": result.rowcount}

    return app


def _tenant_registered(session: Session, tenant: str) -> bool:
    return session.get(Tenant, tenant) is not None


def create_app(engine: Engine) -> FastAPI:
    """The projects API over shared tables: a tenant exists when `tenants` has its row."""
    return _tenancy_app(
        "Projects, tenants by rows", partial(tenant_session, engine), _tenant_registered
    )


def _schema_of(tenant: str) -> str:
    # The only way a tenant id becomes a schema name: validated first, always.
    return f"tenant_{validate_tenant(tenant)}"


def _attach_tenant_files(folder: Path, dbapi_connection: Any, connection_record: Any) -> None:
    """On every new SQLite connection: ATTACH each tenant file beside the main database."""
    cursor = dbapi_connection.cursor()
    try:
        for path in sorted(folder.glob("tenant_*.sqlite3")):
            # A file name is input too: a file that no tenant id could have made is left alone.
            if _TENANT_ID.fullmatch(path.stem.removeprefix("tenant_")):
                # Both operands of ATTACH are expressions in SQLite: bind them, never format.
                cursor.execute("ATTACH DATABASE ? AS ?", (str(path), path.stem))
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An Engine for schema-per-tenant: on SQLite, every tenant file is attached as a schema."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            raise ValueError("schema-per-tenant on SQLite needs a database file, not :memory:")
        event.listen(engine, "connect", partial(_attach_tenant_files, Path(database).parent))
    return engine


def provision_tenant(engine: Engine, tenant: str) -> None:
    """Creates the tenant's schema and its tables; harmless when they exist already."""
    schema = _schema_of(tenant)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # ATTACH creates the file, and fails when the name is attached already.
            if not inspect(connection).has_schema(schema):
                path = Path(str(engine.url.database)).parent / f"{schema}.sqlite3"
                connection.exec_driver_sql("ATTACH DATABASE ? AS ?", (str(path), schema))
        else:  # pragma: postgresql
            # PostgreSQL DDL is transactional: schema and tables appear together, or not at all.
            connection.execute(CreateSchema(schema, if_not_exists=True))
        # Connection.execution_options() changes this connection in place (SQLAlchemy 2.x).
        tenant_tables = connection.execution_options(schema_translate_map={None: schema})
        Base.metadata.create_all(tenant_tables, tables=[Project.__table__, Task.__table__])
    if engine.dialect.name == "sqlite":
        # Pooled connections were opened before the file existed and lack its ATTACH: drop
        # them, so that every connection from now on attaches every tenant file.
        engine.dispose()


def schema_session(engine: Engine, tenant: str) -> Session:
    """A tenant session whose tables are the ones in the tenant's schema."""
    schema = _schema_of(tenant)
    # A copy of the engine that shares its pool and renders every table as tenant_x.table.
    return tenant_session(engine.execution_options(schema_translate_map={None: schema}), tenant)


def _schema_provisioned(session: Session, tenant: str) -> bool:
    return inspect(session.connection()).has_schema(_schema_of(tenant))


def create_schema_app(engine: Engine) -> FastAPI:
    """The same projects API, each tenant in its own schema: a tenant exists when it has one."""
    return _tenancy_app(
        "Projects, tenants by schemas", partial(schema_session, engine), _schema_provisioned
    )
