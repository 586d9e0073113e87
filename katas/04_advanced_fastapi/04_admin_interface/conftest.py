"""Fixtures for kata 4.4: the app on an in-memory database, reseeded for each test."""

from collections.abc import Iterator

import pytest
from admin_interface import Base, Post, User, create_app, password_hasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

SECRET_KEY = "a-test-secret-key-of-at-least-32-bytes"

# email -> (full name, password, is_admin); ids follow this order: 1, 2, 3.
USERS = {
    "alice@example.com": ("Alice Admin", "correct horse battery staple", True),
    "bob@example.org": ("Bob Builder", "bob-the-builder", False),
    "carol@example.net": ("Carol Jones", "carol-sings-loud", False),
}
ADMIN_EMAIL = "alice@example.com"
ADMIN_PASSWORD = USERS[ADMIN_EMAIL][1]


@pytest.fixture(scope="session")
def seed_hashes() -> dict[str, str]:
    """email -> the argon2 hash of that user's password, computed once per run."""
    return {email: password_hasher.hash(password) for email, (_, password, _) in USERS.items()}


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[Engine]:
    """An in-memory SQLite shared by every thread: one connection (StaticPool)."""
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    yield engine
    engine.dispose()


@pytest.fixture
def secret_key() -> str:
    """The key the app signs its session cookies with (a test may sign one of its own)."""
    return SECRET_KEY


@pytest.fixture(scope="module")
def app(shared_engine: Engine) -> FastAPI:
    """One app from the factory for the whole module.

    Each new sqladmin instance compiles its Jinja templates again (~0.1 s a test); the app
    keeps no state of its own (the data is in the database, the session in the client's
    cookie), so sharing it is safe once `engine` resets the database before each test.
    """
    return create_app(shared_engine, SECRET_KEY)


@pytest.fixture
def engine(shared_engine: Engine, seed_hashes: dict[str, str]) -> Engine:
    """The app's engine, with fresh tables and the seed rows.

    Users 1-3 as in USERS; posts 1 "Hello admin" by bob and 2 "Second thoughts" by carol.
    """
    Base.metadata.drop_all(shared_engine)
    Base.metadata.create_all(shared_engine)
    with Session(shared_engine) as session:
        users = [
            User(email=email, full_name=name, password_hash=seed_hashes[email], is_admin=admin)
            for email, (name, _, admin) in USERS.items()
        ]
        session.add_all(users)
        session.add_all(
            [
                Post(title="Hello admin", body="First post.", author=users[1]),
                Post(title="Second thoughts", body="Another post.", author=users[2]),
            ]
        )
        session.commit()
    return shared_engine


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    """A new client (no cookies: not logged in) on the app, over a freshly seeded database."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """The same client, logged in as alice (an admin)."""
    response = client.post(
        "/admin/login",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return client
