"""Kata 4.5: request IDs, Server-Timing, a request body-size limit and CORS, as middleware."""

import asyncio
from collections.abc import Sequence
from typing import Annotated

from fastapi import FastAPI, Query, Request, status
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"


def is_valid_request_id(value: str) -> bool:
    """True when an incoming X-Request-ID may be propagated as it is."""
    # TODO(task 1): 1 to 64 characters, each an ASCII letter, an ASCII digit, "-" or "_".
    raise NotImplementedError("is_valid_request_id is not written yet")


class BodySizeLimitMiddleware:
    """Answers 413 when a request body is larger than `max_body_size` bytes, declared or not."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # TODO(task 3): let non-HTTP scopes through; refuse a too large Content-Length before
        #   calling the app; count the bytes the app receives and answer 413 as soon as they
        #   pass the limit, on a route with a body model too.
        # TODO(task 6): refuse a malformed Content-Length with 400; never send a second
        #   response start when the app had already started its response.
        raise NotImplementedError("BodySizeLimitMiddleware is not written yet")


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
    # TODO(task 1): a FastAPI app with the given routes (add_routes) and a request-ID
    #   middleware: request.state.request_id and the X-Request-ID response header.
    # TODO(task 2): a Server-Timing middleware: `app;dur=<milliseconds>`.
    # TODO(task 3): BodySizeLimitMiddleware with `max_body_size`.
    # TODO(task 4): CORSMiddleware for `allowed_origins`.
    # TODO(task 5): add them so that the order, from the outside in, is: request ID,
    #   Server-Timing, CORS, body-size limit.
    raise NotImplementedError("create_app is not written yet")
