"""Kata 4.5: request IDs, Server-Timing, a request body-size limit and CORS, as middleware."""

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import FastAPI, Query, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"

# 1 to 64 ASCII letters, digits, '-' or '_': room for UUIDs and the IDs of common tracers, and no
# character that could split a header, forge a log line or end up as markup in a dashboard.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Content-Length is 1*DIGIT (RFC 9110): int() would also take "-1", "+5", " 5" and "1_000".
_CONTENT_LENGTH = re.compile(r"[0-9]+")

_CallNext = Callable[[Request], Awaitable[Response]]


def is_valid_request_id(value: str) -> bool:
    """True when an incoming X-Request-ID may be propagated as it is."""
    # fullmatch, not match(...$): "$" also matches just before a trailing newline.
    return _REQUEST_ID.fullmatch(value) is not None


class _RequestIDMiddleware:
    """Gives each HTTP request an ID: `request.state.request_id` and the X-Request-ID header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        if incoming is not None and is_valid_request_id(incoming):
            value = incoming
        else:
            value = str(uuid.uuid4())
        # scope["state"] is what request.state reads, and it belongs to this request (servers
        # give each request its own copy): concurrent requests never see each other's ID, as
        # they would through app.state or a module global.
        scope.setdefault("state", {})["request_id"] = value

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # optional in ASGI: an app may leave it out
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = value
            await send(message)

        await self.app(scope, receive, send_with_id)


def _error(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)


class _BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit.

    An HTTPException on purpose: while FastAPI reads the body of a route with a Pydantic body
    model, it turns any other exception into `400 "There was an error parsing the body"`. This one
    it lets through to its exception handler, which answers with our status and detail.
    """

    def __init__(self) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, "Content Too Large")


class BodySizeLimitMiddleware:
    """Answers 413 when a request body is larger than `max_body_size` bytes, declared or not."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets pass through untouched
            await self.app(scope, receive, send)
            return

        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if _CONTENT_LENGTH.fullmatch(declared) is None:
                response = _error(status.HTTP_400_BAD_REQUEST, "Invalid Content-Length")
                await response(scope, receive, send)
                return
            if int(declared) > self.max_body_size:
                # Refused before the app runs and before a byte of the body is read.
                response = _error(status.HTTP_413_CONTENT_TOO_LARGE, "Content Too Large")
                await response(scope, receive, send)
                return

        # A chunked body announces no length, and a declared one may lie: count what arrives.
        # Wrapping `receive` is what a function middleware (@app.middleware) cannot do: there
        # you could only read the whole body into memory first, which is what the limit is for.
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:  # an app without FastAPI's handler let it out: answer here
            if response_started:
                raise  # the status line is gone: a second response would break the protocol
            response = _error(status.HTTP_413_CONTENT_TOO_LARGE, "Content Too Large")
            await response(scope, receive, send)


class Note(BaseModel):
    """Given: the JSON body of POST /notes."""

    text: str


def add_routes(app: FastAPI) -> None:
    """Given: the endpoints the middleware wraps. `app.state.uploads` keeps every body received,
    `app.state.notes` the text of every note."""
    app.state.uploads = []
    app.state.notes = []

    @app.get("/ping")
    async def ping(
        request: Request, delay: Annotated[float, Query(ge=0, le=1)] = 0
    ) -> dict[str, str]:
        await asyncio.sleep(delay)
        return {"request_id": request.state.request_id}

    @app.post("/upload", status_code=status.HTTP_201_CREATED)
    async def upload(request: Request) -> dict[str, int | str]:
        body = await request.body()
        request.app.state.uploads.append(body)
        return {"size": len(body), "request_id": request.state.request_id}

    @app.post("/notes", status_code=status.HTTP_201_CREATED)
    async def add_note(request: Request, note: Note) -> dict[str, str]:
        request.app.state.notes.append(note.text)
        return {"text": note.text, "request_id": request.state.request_id}


def create_app(
    *,
    max_body_size: int = 1_048_576,
    allowed_origins: Sequence[str] = ("https://app.example.com",),
) -> FastAPI:
    """Builds the app with its middleware, outermost first: request ID, Server-Timing, CORS,
    body-size limit."""
    app = FastAPI(title="Custom middleware")
    add_routes(app)

    # Each add_middleware / @app.middleware wraps everything added before it, so the last one
    # added is the outermost: add them from the inside out.
    app.add_middleware(BodySizeLimitMiddleware, max_body_size=max_body_size)
    # CORS sits outside the limit so that a 413 still carries Access-Control-Allow-Origin: a
    # browser hides from the page any response without it, errors included.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", REQUEST_ID_HEADER],
        # Without this, the page's JavaScript cannot read these two headers cross-origin.
        expose_headers=[REQUEST_ID_HEADER, "Server-Timing"],
        max_age=600,
    )

    # A function middleware is the shortest way to touch every response. The request ID is a
    # pure ASGI class instead: no extra task per request, and it can set request.state from the
    # raw scope. (Two stacked function middlewares would work too.)
    @app.middleware("http")
    async def server_timing(request: Request, call_next: _CallNext) -> Response:
        started = time.perf_counter()  # monotonic: time.time() can jump
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers.append("Server-Timing", f"app;dur={elapsed_ms:.1f}")
        return response

    app.add_middleware(_RequestIDMiddleware)
    return app
