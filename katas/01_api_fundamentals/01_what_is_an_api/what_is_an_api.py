"""Kata 1.1: a tiny HTTP API written as a raw ASGI callable, and a client that calls it.

No framework on purpose: you write what FastAPI does for you (kata 1.4). The README has the tasks.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

# The ASGI types, spelled with plain dicts: a scope and every message are dicts with a "type".
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ApiError(Exception):
    """The API answered with a status outside 2xx."""

    def __init__(self, status_code: int, body: str) -> None:
        # TODO(task 6): keep `status_code` and `body` as attributes, and give the exception a
        # message that names the status (call super().__init__ with it).
        raise NotImplementedError("ApiError is not written yet")


class NotJSONError(ApiError):
    """The API answered 2xx, but its answer is not JSON."""


async def send_json(
    send: Send, status: int, data: Any, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Sends `data` as a complete JSON response: one `http.response.start`, then the body."""
    # TODO(task 1): encode `data` as JSON in UTF-8, then send an "http.response.start" message
    # (status, content-type, content-length, then `headers`) and an "http.response.body" message.
    raise NotImplementedError("send_json is not written yet")


def parse_msg(query_string: bytes) -> str:
    """The percent-decoded `msg` of a raw query string; ValueError when it is unusable."""
    # TODO(task 3): decode the query string as a form (urllib.parse), apply the README's rules.
    raise NotImplementedError("parse_msg is not written yet")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI application: one call per HTTP request, one call for the server's lifespan."""
    # TODO(task 2): route on scope["path"] and scope["method"]: GET /health, 404, 405 + Allow.
    # TODO(task 3): GET /echo answers the `msg` of the query string, or 400.
    # Stretch tasks:
    # TODO(task 4): POST /echo reads the JSON body from `receive` (maybe in several messages).
    # TODO(task 5): answer the "lifespan" scope; any other scope type but "http" is a ValueError.
    raise NotImplementedError("app is not written yet")


async def get_json(
    client: httpx.AsyncClient, path: str, params: Mapping[str, str] | None = None
) -> Any:
    """GETs `path` and returns the decoded JSON; ApiError on a non-2xx, NotJSONError on non-JSON."""
    # TODO(task 6): check the status, then the content-type, then decode the JSON.
    raise NotImplementedError("get_json is not written yet")
