"""Kata 3.7: tenants kept apart by rows (shared tables, every ORM statement filtered) and by
schemas (one PostgreSQL schema, or one attached SQLite file, per tenant)."""

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

# Given: the models and the API's schemas (tasks 2 to 6 use them; the README describes them).


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


# What you write.


def validate_tenant(tenant: str) -> str:
    """Returns `tenant` when it is a well-formed tenant id; raises ValueError otherwise."""
    # TODO(task 1): 1 to 30 of a-z, 0-9 and _, starting with a letter; anything else: ValueError.
    raise NotImplementedError("validate_tenant is not written yet")


def tenant_session(engine: Engine, tenant: str) -> Session:
    """A new Session that reads and writes the rows of `tenant` only."""
    # TODO(task 2): a Session (of a subclass of your own) that remembers its tenant, and a
    #   do_orm_execute listener on that subclass adding with_loader_criteria(TenantScoped, ...)
    #   to every ORM SELECT, UPDATE and DELETE, relationship loads included.
    # TODO(task 3): a before_flush listener on the same subclass: stamp new rows with the
    #   tenant, raise TenantMismatchError for any row of another tenant about to be written.
    raise NotImplementedError("tenant_session is not written yet")


def create_app(engine: Engine) -> FastAPI:
    """The projects API over shared tables: a tenant exists when `tenants` has its row."""
    # TODO(task 4): the X-Tenant-ID dependency (400 missing or malformed, 404 unknown), one
    #   tenant session per request, and the routes of the README's table.
    raise NotImplementedError("create_app is not written yet")


def make_engine(url: str) -> Engine:
    """An Engine for schema-per-tenant: on SQLite, every tenant file is attached as a schema."""
    # TODO(task 5): create_engine(url); on SQLite a "connect" listener that attaches every
    #   tenant_<id>.sqlite3 beside the main file as tenant_<id>; in-memory SQLite: ValueError.
    raise NotImplementedError("make_engine is not written yet")


def provision_tenant(engine: Engine, tenant: str) -> None:
    """Creates the tenant's schema and its tables; harmless when they exist already."""
    # TODO(task 5): validate; CREATE SCHEMA tenant_<id> (SQLite: ATTACH a new file), create
    #   projects and tasks in it; make sure connections already in the pool see it too.
    raise NotImplementedError("provision_tenant is not written yet")


def schema_session(engine: Engine, tenant: str) -> Session:
    """A tenant session whose tables are the ones in the tenant's schema."""
    # TODO(task 5): a tenant session on engine.execution_options(schema_translate_map=...).
    raise NotImplementedError("schema_session is not written yet")


def create_schema_app(engine: Engine) -> FastAPI:
    """The same projects API, each tenant in its own schema: a tenant exists when it has one."""
    # TODO(task 6): the routes of task 4 on schema sessions; unknown tenant: no schema, 404.
    raise NotImplementedError("create_schema_app is not written yet")
