"""Fixtures for kata 3.2: a database with the bank's tables, the app on it, clients, and routes of
the tests' own that take their session from your `get_db`."""

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from session_management import Account, Base, create_app, get_db
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from grader.testing import without_fsync


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's own database (SQLite, then PostgreSQL), with the bank's tables."""
    # Speed only: the tests commit often and a throwaway file need not survive a power cut.
    engine = without_fsync(create_engine(database_url))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    """A new bank on the test database."""
    return create_app(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the app."""
    with TestClient(app) as test_client:
        yield test_client


class ProbeBody(BaseModel):
    """The body of `POST /probe/validated`."""

    owner: str = Field(min_length=1)


def probe_router() -> APIRouter:
    """Routes of the tests' own that take their session from your `get_db`.

    `POST /probe/accounts?owner=a&owner=b&then=...` stores one account per `owner`, flushing
    each one (so it reaches the database) before the next; then it answers `201` with the ids
    (`then=return`), raises `HTTPException(409)` (`then=refuse`) or a `RuntimeError`
    (`then=crash`). Two equal owners fail on the second flush (the UNIQUE constraint).
    `POST /probe/validated` takes a `ProbeBody`: an invalid body fails after `get_db` ran.
    """
    router = APIRouter(prefix="/probe")
    db = Annotated[Session, Depends(get_db)]

    @router.post("/accounts", status_code=201)
    def add_accounts(
        session: db, owner: Annotated[list[str], Query()], then: str = "return"
    ) -> list[int]:
        ids = []
        for name in owner:
            account = Account(owner=name, balance=0)
            session.add(account)
            session.flush()
            ids.append(account.id)
        if then == "refuse":
            raise HTTPException(409, detail="refused after writing")
        if then == "crash":
            raise RuntimeError("crashed after writing")
        return ids

    @router.post("/validated", status_code=204)
    def validated(body: ProbeBody, session: db) -> None:
        session.add(Account(owner=body.owner, balance=0))

    return router


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """The app with the probe routes added."""
    app.include_router(probe_router())
    return app


@pytest.fixture
def probe_client(probe_app: FastAPI) -> Iterator[TestClient]:
    """A client on the app with the probe routes; an unhandled exception answers 500."""
    with TestClient(probe_app, raise_server_exceptions=False) as test_client:
        yield test_client
