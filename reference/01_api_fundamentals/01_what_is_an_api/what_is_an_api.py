"""Kata 1.1: a tiny HTTP API written as a raw ASGI callable, and a client that calls it.

No framework: `app` reads the ASGI scope, routes on path and method, parses the query string and
the request body, and writes the response messages itself. Kata 1.4 builds the same API with
FastAPI, which does all of this for you.
"""

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import httpx

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ApiError(Exception):
    """The API answered with a status outside 2xx."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"the API answered {status_code}: {body[:200]}")
        self.status_code = status_code
        self.body = body


class NotJSONError(ApiError):
    """The API answered 2xx, but its answer is not JSON."""


async def send_json(
    send: Send, status: int, data: Any, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Sends `data` as a complete JSON response: one `http.response.start`, one body message."""
    # ensure_ascii=False writes "é" as two UTF-8 bytes rather than "\u00e9": the content-length
    # must count the bytes of the body, not the characters of the text.
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # ASGI headers are (name, value) byte pairs, and the spec wants lowercase names.
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def parse_msg(query_string: bytes) -> str:
    """The percent-decoded `msg` of a raw query string; ValueError when it is unusable."""
    try:
        # keep_blank_values: `msg=` must count as a (blank) msg, not vanish; errors="strict": a
        # %FF that is not UTF-8 must not quietly become "\ufffd".
        pairs = parse_qsl(query_string.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise ValueError("query parameter 'msg' is not valid UTF-8") from error
    values = [value for name, value in pairs if name == "msg"]
    if not values:
        raise ValueError("query parameter 'msg' is missing")
    if len(values) > 1:
        raise ValueError("query parameter 'msg' must be given once")
    if not values[0]:
        raise ValueError("query parameter 'msg' must not be empty")
    return values[0]


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, however many messages it came in; None if the client left."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _msg_from_body(body: bytes) -> str:
    """The non-empty string `msg` of a JSON object body; ValueError otherwise."""
    try:
        data = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise ValueError("the body is not JSON") from error
    msg = data.get("msg") if isinstance(data, dict) else None
    if not isinstance(msg, str) or not msg:
        raise ValueError("the body must be a JSON object with a non-empty string 'msg'")
    return msg


async def _health(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /health."""
    await send_json(send, 200, {"status": "ok"})


async def _echo_query(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /echo?msg=..."""
    try:
        msg = parse_msg(scope["query_string"])
    except ValueError as error:
        await send_json(send, 400, {"error": str(error)})
        return
    await send_json(send, 200, {"msg": msg})


async def _echo_body(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /echo with a JSON body {"msg": ...}."""
    body = await _read_body(receive)
    if body is None:
        return  # the client is gone: there is nobody to answer
    try:
        msg = _msg_from_body(body)
    except ValueError as error:
        await send_json(send, 400, {"error": str(error)})
        return
    await send_json(send, 200, {"msg": msg})


# The routing table: path -> method -> handler. The 405's Allow header is read from it, so a new
# method on a path is listed without anyone remembering to update the header.
_ROUTES: dict[str, dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]]] = {
    "/health": {"GET": _health},
    "/echo": {"GET": _echo_query, "POST": _echo_body},
}


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answers a server's startup and shutdown events (open and close pools here)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI application: one call per HTTP request, one call for the server's lifespan."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        raise ValueError(f"unsupported ASGI scope type {scope['type']!r}")
    # scope["path"] is already percent-decoded; the query string is not (see parse_msg).
    methods = _ROUTES.get(scope["path"])
    if methods is None:
        await send_json(send, 404, {"error": "not found"})
        return
    handler = methods.get(scope["method"])
    if handler is None:
        allow = ", ".join(methods).encode("ascii")
        await send_json(send, 405, {"error": "method not allowed"}, [(b"allow", allow)])
        return
    await handler(scope, receive, send)


async def get_json(
    client: httpx.AsyncClient, path: str, params: Mapping[str, str] | None = None
) -> Any:
    """GETs `path` and returns the decoded JSON; ApiError on a non-2xx, NotJSONError on non-JSON."""
    response = await client.get(path, params=params)
    # The status first: an error page from a proxy is rarely JSON, and it is the status that
    # tells the caller what went wrong.
    if not response.is_success:
        raise ApiError(response.status_code, response.text)
    media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise NotJSONError(response.status_code, response.text)
    try:
        return response.json()
    except ValueError as error:
        raise NotJSONError(response.status_code, response.text) from error
