"""Kata 4.15: request-scoped context (request ID, user) in contextvars, carried into the logs."""

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import BackgroundTasks, FastAPI, Header, Query, status

REQUEST_ID_HEADER = "X-Request-ID"
# Given: a toy token table standing in for real authentication (section 5).
TOKENS = {"token-alice": "alice", "token-bob": "bob", "token-carol": "carol"}

# Given: the service code below logs here; the tests attach their handler to "request_context".
service_log = logging.getLogger("request_context.service")

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_T = TypeVar("_T")


def is_valid_request_id(value: str) -> bool:
    """Given (kata 4.5): 1 to 64 ASCII letters, digits, '-' or '_'."""
    return _VALID_REQUEST_ID.fullmatch(value) is not None


# TODO(task 1): two contextvars.ContextVar, one for the request ID and one for the user.


def current_request_id() -> str | None:
    """The ID of the request being handled, or None outside a request."""
    # TODO(task 1): read it from its ContextVar.
    raise NotImplementedError("current_request_id is not written yet")


def current_user() -> str | None:
    """The authenticated user of the request being handled, or None (anonymous, or outside)."""
    # TODO(task 1): read it from its ContextVar.
    raise NotImplementedError("current_user is not written yet")


@contextmanager
def bind_context(request_id: str, user: str | None = None) -> Iterator[None]:
    """Makes `request_id` and `user` the current context inside the block; restores the previous
    values on the way out, even when the block raises."""
    # TODO(task 1): set both, yield, and put the previous values back whatever happens.
    raise NotImplementedError("bind_context is not written yet")


# TODO(task 2): a middleware that binds each HTTP request's context (a valid X-Request-ID or a
#   new uuid4, no user), sends the ID back in X-Request-ID, and restores the previous context.


async def authenticate(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """Dependency of every route: the user of a valid `Authorization: Bearer <token>`, None
    without the header, 401 for anything else. Makes the user part of the request's context."""
    # TODO(task 3): look the bearer token up in TOKENS; 401 {"detail": "Invalid token"} with
    #   WWW-Authenticate: Bearer when it is not there; put the user in the request's context.
    raise NotImplementedError("authenticate is not written yet")


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user` ("-" when there is none) to every record; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamps the record with the current context, read when the record is handled."""
        # TODO(task 4): set record.request_id and record.user; keep every record.
        raise NotImplementedError("RequestContextFilter is not written yet")


async def run_blocking(func: Callable[..., _T], *args: Any) -> _T:
    """Runs a blocking `func(*args)` in a worker thread, with the caller's context."""
    # TODO(task 5): off the event loop, in a worker thread that sees the caller's context.
    raise NotImplementedError("run_blocking is not written yet")


# Given: service code, several calls away from the endpoints. It takes no request parameter:
# it reads the context through current_request_id() and current_user().


async def process_order(item: str, steps: int) -> list[str | None]:
    """Given: awaits between steps (so concurrent requests interleave) and logs each step."""
    seen = []
    for step in range(1, steps + 1):
        await asyncio.sleep(0)
        service_log.info("order %s: step %d", item, step)
        seen.append(current_request_id())
    return seen


async def fetch_price(item: str) -> dict[str, str | None]:
    """Given: one of several lookups a request runs concurrently in a TaskGroup."""
    await asyncio.sleep(0)
    service_log.info("price of %s", item)
    return {"item": item, "request_id": current_request_id(), "user": current_user()}


def send_confirmation(item: str) -> None:
    """Given: a blocking background task (Starlette runs it in the thread pool)."""
    service_log.info("confirmation sent for %s", item)


async def write_audit_entry(action: str) -> None:
    """Given: fire-and-forget work that usually runs after the response has been sent."""
    await asyncio.sleep(0)
    service_log.info("audit: %s", action)


def render_report(name: str) -> dict[str, str | bool | None]:
    """Given: blocking work that the endpoint hands to run_blocking."""
    service_log.info("rendering report %s", name)
    return {
        "name": name,
        "request_id": current_request_id(),
        "user": current_user(),
        "worker_thread": threading.current_thread() is not threading.main_thread(),
    }


def add_routes(app: FastAPI) -> None:
    """Given: the endpoints. `app.state.pending` holds the fire-and-forget tasks still running."""
    app.state.pending = set()

    @app.get("/whoami")
    async def whoami() -> dict[str, str | None]:
        return {"request_id": current_request_id(), "user": current_user()}

    @app.get("/whoami/sync")
    def whoami_sync() -> dict[str, str | None]:  # a `def` endpoint runs in the thread pool
        service_log.info("whoami in a worker thread")
        return {"request_id": current_request_id(), "user": current_user()}

    @app.get("/orders/{item}")
    async def order(item: str, steps: Annotated[int, Query(ge=1, le=20)] = 3) -> dict[str, Any]:
        seen = await process_order(item, steps)
        return {"request_id": current_request_id(), "user": current_user(), "seen": seen}

    @app.post("/orders/{item}/confirm", status_code=status.HTTP_202_ACCEPTED)
    async def confirm(item: str, background_tasks: BackgroundTasks) -> dict[str, str | None]:
        background_tasks.add_task(send_confirmation, item)
        return {"request_id": current_request_id()}

    @app.get("/prices")
    async def prices(item: Annotated[list[str], Query()]) -> dict[str, Any]:
        async with asyncio.TaskGroup() as group:
            lookups = [group.create_task(fetch_price(name)) for name in item]
        return {"request_id": current_request_id(), "prices": [t.result() for t in lookups]}

    @app.post("/audit/{action}", status_code=status.HTTP_202_ACCEPTED)
    async def audit(action: str) -> dict[str, str | None]:
        task = asyncio.create_task(write_audit_entry(action))
        app.state.pending.add(task)  # keep a reference, or the task may be garbage-collected
        task.add_done_callback(app.state.pending.discard)
        return {"request_id": current_request_id()}

    @app.get("/reports/{name}")
    async def report(name: str) -> dict[str, str | bool | None]:
        return await run_blocking(render_report, name)

    @app.get("/boom")
    async def boom() -> None:
        service_log.error("about to fail")
        raise RuntimeError("boom")


def create_app() -> FastAPI:
    """Builds the app: the given routes, authenticate() on every route, and a middleware that
    gives each request its own context."""
    # TODO(task 2): a FastAPI app with the given routes (add_routes) and your middleware.
    # TODO(task 3): authenticate() as a dependency of every route.
    raise NotImplementedError("create_app is not written yet")
