"""Kata 4.15: request-scoped context (request ID, user) in contextvars, carried into the logs."""

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar

from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Query, status
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


# One ContextVar per value. Each asyncio task runs in its own copy of the context, and a
# thread started by asyncio.to_thread / Starlette's thread pool runs in a copy of the caller's:
# a set() is seen by the code it calls, never by a concurrent request. A module global (or
# threading.local, or app.state) is shared by every request in flight.
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_user: ContextVar[str | None] = ContextVar("user", default=None)


def current_request_id() -> str | None:
    """The ID of the request being handled, or None outside a request."""
    return _request_id.get()


def current_user() -> str | None:
    """The authenticated user of the request being handled, or None (anonymous, or outside)."""
    return _user.get()


@contextmanager
def bind_context(request_id: str, user: str | None = None) -> Iterator[None]:
    """Makes `request_id` and `user` the current context inside the block; restores the previous
    values on the way out, even when the block raises."""
    request_id_token = _request_id.set(request_id)
    user_token = _user.set(user)
    try:
        yield
    finally:
        # reset(token), not set(None): it puts back whatever was there before, so nested
        # contexts (a job that calls the app in process) get their own values back.
        _user.reset(user_token)
        _request_id.reset(request_id_token)


class _RequestContextMiddleware:
    """Binds a fresh context to each HTTP request and echoes its ID in X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websocket scopes pass through
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        if incoming is not None and is_valid_request_id(incoming):
            request_id = incoming
        else:
            request_id = str(uuid.uuid4())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        # A pure ASGI middleware runs the app in the same task: the values bound here are seen
        # by the dependencies, the endpoint and the background tasks, and the `with` restores
        # the previous values when the request is over, whether it succeeded or raised. The
        # user starts as None: authenticate() fills it in, and the reset clears it again.
        with bind_context(request_id):
            await self.app(scope, receive, send_with_id)


async def authenticate(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """Dependency of every route: the user of a valid `Authorization: Bearer <token>`, None
    without the header, 401 for anything else. Makes the user part of the request's context."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    user = TOKENS.get(token) if scheme.lower() == "bearer" else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # `async def` on purpose: FastAPI runs a `def` dependency in a worker thread, in a copy of
    # the context, and a set() there would vanish with the copy. This one runs in the request's
    # task, so the endpoint sees it; the middleware's bind_context undoes it afterwards.
    _user.set(user)
    return user


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user` ("-" when there is none) to every record; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamps the record with the current context, read when the record is handled."""
        record.request_id = current_request_id() or "-"
        record.user = current_user() or "-"
        return True  # a filter that returns a falsy value drops the record


async def run_blocking(func: Callable[..., _T], *args: Any) -> _T:
    """Runs a blocking `func(*args)` in a worker thread, with the caller's context."""
    # asyncio.to_thread copies the context into the thread; loop.run_in_executor and a bare
    # ThreadPoolExecutor.submit do not, and the function would see no request at all.
    return await asyncio.to_thread(func, *args)


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
    app = FastAPI(title="Request context", dependencies=[Depends(authenticate)])
    add_routes(app)
    app.add_middleware(_RequestContextMiddleware)
    return app
