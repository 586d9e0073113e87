"""Fixtures for kata 4.15: the app, an async client that runs it in the test's own task, and the
log lines of the `request_context` loggers, formatted through your RequestContextFilter."""

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from request_context import RequestContextFilter, create_app

LOG_FORMAT = "%(request_id)s|%(user)s|%(message)s"


class LineHandler(logging.Handler):
    """Keeps every formatted line it handles."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def app() -> FastAPI:
    """A new app from the factory."""
    return create_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app. ASGITransport runs the app in the caller's task: whatever the
    app leaves in the context after a request, the test sees."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """`request_id|user|message` for each record of `request_context` and its children (the
    service code logs to `request_context.service`), at INFO and above."""
    logger = logging.getLogger("request_context")
    handler = LineHandler()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
