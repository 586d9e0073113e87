"""Fixtures for kata 4.11: an app that stores into a fresh folder under tmp_path, and clients."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from file_uploads import create_app

LIMIT = 1024  # max_file_size of the app under test
MAX_FILES = 3
SECRET = b"TOP SECRET: the upload folder must never lead here"


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    """The upload folder, four levels below tmp_path and not created yet (create_app makes it).

    Four levels deep so that a hostile name climbing up to four `..` still lands inside
    tmp_path, where the tests can see what was written.
    """
    return tmp_path / "srv" / "data" / "app" / "uploads"


@pytest.fixture
def secret(upload_dir: Path) -> Path:
    """A file next to the upload folder that no request may ever read."""
    path = upload_dir.parent / "secret.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(SECRET)
    return path


@pytest.fixture
def app(upload_dir: Path) -> FastAPI:
    """An app storing files of at most LIMIT bytes, at most MAX_FILES a request."""
    return create_app(upload_dir, max_file_size=LIMIT, max_files=MAX_FILES)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient on the app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def async_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app through ASGITransport: concurrent requests, and URL paths
    decoded once, as a real server does (Starlette's TestClient decodes `%25` twice)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
