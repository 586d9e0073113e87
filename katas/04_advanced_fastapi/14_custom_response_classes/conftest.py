"""Fixtures for kata 4.14: an app over the sample catalogue and an async client on it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from custom_response_classes import create_app
from fastapi import FastAPI


@pytest.fixture
def app() -> FastAPI:
    """An app built by the factory over SAMPLE_BOOKS."""
    return create_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app, in process (no server, no network)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
