"""Fixtures for kata 4.5: an app with a 16-byte body limit and one allowed origin, and an async
httpx client that calls it in process."""

from collections.abc import AsyncIterator

import httpx
import pytest
from custom_middleware import create_app
from fastapi import FastAPI

LIMIT = 16
ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
def app() -> FastAPI:
    """An app whose body limit is 16 bytes and whose only allowed origin is ALLOWED_ORIGIN."""
    return create_app(max_body_size=LIMIT, allowed_origins=[ALLOWED_ORIGIN])


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app, through ASGITransport (no server, no network).

    Not wrapped in asgi_lifespan.LifespanManager on purpose: its `manager.app` hands the same
    `scope["state"]` dict to every request (servers hand each request a copy), which would make
    `request.state` shared between concurrent requests. This app has no lifespan anyway.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
