"""Fixtures for kata 4.8: test databases, the app with its engine overridden, a client."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from dependency_overrides import Base, Product, create_app, get_engine
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

PRODUCTS = [
    Product(id=1, name="Pen", price_cents=150),
    Product(id=2, name="Notebook", price_cents=450),
    Product(id=3, name="Desk lamp", price_cents=2_900),
    Product(id=4, name="Laptop", price_cents=120_000),
]


def make_database(path: Path, products: list[Product]) -> Engine:
    """A SQLite file at `path` with the shop's tables and those products."""
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Product(id=p.id, name=p.name, price_cents=p.price_cents) for p in products)
        session.commit()
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh test database with four products; disposed after the test."""
    engine = make_database(tmp_path / "shop.db", PRODUCTS)
    yield engine
    engine.dispose()


@pytest.fixture
def other_database_url(tmp_path: Path) -> str:
    """The URL of a second database, whose only product is a globe (id 9, 990 cents)."""
    path = tmp_path / "other.db"
    make_database(path, [Product(id=9, name="Globe", price_cents=990)]).dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    """A new shop whose `get_engine` is overridden with the test database."""
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: engine
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An async client on the app (the lifespan does not run)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as test_client:
        yield test_client
