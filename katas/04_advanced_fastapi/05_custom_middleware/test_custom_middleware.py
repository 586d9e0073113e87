"""Tests for kata 4.5: request IDs, Server-Timing, a body-size limit, CORS, and their order."""

import asyncio
import contextlib
import json
import string
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from custom_middleware import BodySizeLimitMiddleware, create_app, is_valid_request_id
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.testing import is_uuid4

LIMIT = 16  # the conftest's app: create_app(max_body_size=16, allowed_origins=[ALLOWED_ORIGIN])
ALLOWED_ORIGIN = "https://app.example.com"
ID_CHARACTERS = set(string.ascii_letters + string.digits + "-_")


def valid_by_the_readme(value: str) -> bool:
    """Task 1's definition of a valid request ID, written independently of your code."""
    return 1 <= len(value) <= 64 and set(value) <= ID_CHARACTERS


def server_timing(response: httpx.Response) -> dict[str, float]:
    """`Server-Timing: app;dur=12.5, db;dur=3` -> {"app": 12.5, "db": 3.0} (metrics with a dur)."""
    metrics = {}
    for entry in response.headers.get_list("server-timing", split_commas=True):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "dur":
                metrics[name] = float(value.strip().strip('"'))
    return metrics


def header_list(response: httpx.Response, name: str) -> list[str]:
    """The comma-separated values of a header, lower-cased."""
    return [v.strip().lower() for v in response.headers.get(name, "").split(",") if v.strip()]


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def chunks(parts: list[bytes], sent: list[bytes] | None = None) -> AsyncIterator[bytes]:
    """A request body sent in chunks, with no Content-Length; `sent` records what was pulled."""
    for part in parts:
        if sent is not None:
            sent.append(part)
        yield part


def add_waiting_route(app: FastAPI, count: int) -> None:
    """Adds `GET /together`: each request waits inside the endpoint until `count` requests are
    in, then answers its own `request.state.request_id`. All of them are in flight at once."""
    arrived = 0
    everyone_in = asyncio.Event()

    @app.get("/together")
    async def together(request: Request) -> dict[str, str]:
        nonlocal arrived
        arrived += 1
        if arrived == count:
            everyone_in.set()
        async with asyncio.timeout(10):  # a stack that serialises requests fails, not hangs
            await everyone_in.wait()
        return {"request_id": request.state.request_id}


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0", id="one-character"),
        pytest.param("3f2b8c1e-0d4a-4b7e-9c51-6a2f0e8d7b13", id="uuid"),
        pytest.param("req_42-retry", id="letters-digits-dash-underscore"),
        pytest.param("A" * 64, id="64-characters"),
    ],
)
def test_valid_request_ids(value: str) -> None:
    assert is_valid_request_id(value) is True


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("A" * 65, id="65-characters"),
        pytest.param("abc\n", id="trailing-newline"),
        pytest.param("abc\r\nX-Admin: 1", id="header-injection"),
        pytest.param("a b", id="space"),
        pytest.param("<script>", id="markup"),
        pytest.param("../../etc/passwd", id="path"),
        pytest.param("id;dur=1", id="separator"),
        pytest.param("caf\u00e9", id="non-ascii-letter"),
        pytest.param("\u0663\u0664", id="non-ascii-digits"),
        pytest.param("abc\x00", id="nul"),
    ],
)
def test_invalid_request_ids(value: str) -> None:
    assert is_valid_request_id(value) is False


@pytest.mark.task(1)
@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=70) | st.text(alphabet=sorted(ID_CHARACTERS), max_size=70))
def test_a_request_id_is_valid_exactly_when_the_readme_says(value: str) -> None:
    assert is_valid_request_id(value) is valid_by_the_readme(value)


@pytest.mark.task(1)
async def test_a_request_without_an_id_gets_a_new_uuid4(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping")
    assert response.status_code == 200, response.text
    assigned = response.headers["x-request-id"]
    assert is_uuid4(assigned), assigned
    assert response.json() == {"request_id": assigned}


@pytest.mark.task(1)
async def test_a_valid_incoming_id_is_propagated(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping", headers={"X-Request-ID": "trace-7f3a_01"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "trace-7f3a_01"
    assert response.json() == {"request_id": "trace-7f3a_01"}


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"abc\r\nSet-Cookie: session=stolen", id="header-injection"),
        pytest.param(b"abc\n", id="trailing-newline"),
        pytest.param(b"<img src=x onerror=alert(1)>", id="markup"),
        pytest.param(b"\xff\xfe caf\xe9", id="latin-1-bytes"),
        pytest.param(b"x" * 65, id="too-long"),
    ],
)
async def test_a_hostile_incoming_id_is_replaced_by_a_new_one(
    client: httpx.AsyncClient, hostile: bytes
) -> None:
    response = await client.get("/ping", headers={"X-Request-ID": hostile})
    assert response.status_code == 200, response.text
    assigned = response.headers["x-request-id"]
    assert is_uuid4(assigned), assigned
    assert response.json() == {"request_id": assigned}
    if hostile:
        assert all(hostile not in value for _, value in response.headers.raw)
        assert hostile not in response.content


@pytest.mark.task(1)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=70) | st.text(sorted(ID_CHARACTERS), max_size=70).map(str.encode))
async def test_any_incoming_header_is_propagated_only_when_valid(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    # One app and client for every example: the fixture is built once for the whole test.
    response = await client.get("/ping", headers={"X-Request-ID": raw})
    assert response.status_code == 200, response.text
    assigned = response.headers["x-request-id"]
    incoming = raw.decode("latin-1")  # how ASGI servers hand header bytes over
    if valid_by_the_readme(incoming):
        assert assigned == incoming
    else:
        assert is_uuid4(assigned), assigned
    assert response.json() == {"request_id": assigned}


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/nowhere", 404, id="not-found"),
        pytest.param("DELETE", "/ping", 405, id="method-not-allowed"),
        pytest.param("GET", "/ping?delay=soon", 422, id="validation-error"),
        pytest.param("GET", "/ping?delay=1.5", 422, id="delay-over-one-second"),
    ],
)
async def test_error_responses_carry_a_request_id_too(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status, response.text
    assert is_uuid4(response.headers["x-request-id"])


@pytest.mark.task(1)
async def test_ids_are_unique_under_concurrent_requests(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Each request waits in the endpoint until all 50 are in: they are in flight at once.
    add_waiting_route(app, 50)
    responses = await asyncio.gather(*(client.get("/together") for _ in range(50)))
    assigned = [r.headers["x-request-id"] for r in responses]
    assert len(set(assigned)) == 50
    for response in responses:
        assert response.json() == {"request_id": response.headers["x-request-id"]}


@pytest.mark.task(1)
async def test_incoming_ids_are_propagated_under_concurrent_requests(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    add_waiting_route(app, 50)
    ids = [f"client-{n}" for n in range(50)]
    responses = await asyncio.gather(
        *(client.get("/together", headers={"X-Request-ID": request_id}) for request_id in ids)
    )
    assert [r.headers["x-request-id"] for r in responses] == ids
    assert [r.json()["request_id"] for r in responses] == ids


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("path", "status"),
    [pytest.param("/ping", 200, id="ok"), pytest.param("/nowhere", 404, id="not-found")],
)
async def test_every_response_has_an_app_server_timing_metric(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status, response.text
    metrics = server_timing(response)
    assert "app" in metrics, response.headers.get("server-timing")
    assert metrics["app"] >= 0


@pytest.mark.task(2)
async def test_server_timing_measures_the_request_in_milliseconds(
    client: httpx.AsyncClient,
) -> None:
    # Ten requests that each spend 0.1 s in the endpoint, all at once: each one's own duration
    # is at least 100 ms (90 allows for clock granularity), and far below 10 s.
    responses = await asyncio.gather(
        *(client.get("/ping", params={"delay": 0.1}) for _ in range(10))
    )
    for response in responses:
        assert response.status_code == 200, response.text
        duration = server_timing(response)["app"]
        assert 90 <= duration < 10_000, response.headers["server-timing"]


@pytest.mark.task(2)
async def test_a_server_timing_set_by_the_endpoint_is_kept(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/timed")
    async def timed(response: Response) -> dict[str, bool]:
        response.headers["Server-Timing"] = "db;dur=2.5"
        return {"timed": True}

    response = await client.get("/timed")
    assert response.status_code == 200, response.text
    metrics = server_timing(response)
    assert metrics.get("db") == 2.5, response.headers.get_list("server-timing")
    assert "app" in metrics, response.headers.get_list("server-timing")


@pytest.mark.task(2)
async def test_server_timing_is_measured_with_a_monotonic_clock(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wall clock is set back an hour each time it is read (an NTP step, a VM resumed): a
    # duration measured with time.time() would come out negative.
    wall = [time.time()]

    def set_back() -> float:
        wall[0] -= 3600
        return wall[0]

    monkeypatch.setattr(time, "time", set_back)
    monkeypatch.setattr(time, "time_ns", lambda: int(set_back() * 1e9))
    response = await client.get("/ping")
    assert response.status_code == 200, response.text
    assert 0 <= server_timing(response)["app"] < 10_000, response.headers["server-timing"]


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
async def test_a_body_at_the_limit_is_accepted(client: httpx.AsyncClient, app: FastAPI) -> None:
    body = b"x" * LIMIT
    response = await client.post("/upload", content=body)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == LIMIT
    assert app.state.uploads == [body]


@pytest.mark.task(3)
async def test_a_declared_body_over_the_limit_is_413_and_never_read(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    sent: list[bytes] = []
    response = await client.post(
        "/upload",
        content=chunks([b"x" * (LIMIT + 1)], sent),
        headers={"Content-Length": str(LIMIT + 1)},
    )
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": "Content Too Large"}
    assert sent == []  # refused on the header alone: not a byte of the body was pulled
    assert app.state.uploads == []


@pytest.mark.task(3)
async def test_a_chunked_body_over_the_limit_is_413_without_reading_it_all(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    sent: list[bytes] = []
    parts = [b"y" * 4] * 1000  # 4000 bytes announced by no Content-Length
    response = await client.post("/upload", content=chunks(parts, sent))
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": "Content Too Large"}
    # The fifth chunk passes the 16-byte limit: reading stops there, not after 1000 chunks.
    assert len(sent) <= 6, f"{len(sent)} chunks were read"
    assert app.state.uploads == []


@pytest.mark.task(3)
async def test_a_chunked_body_within_the_limit_is_accepted_whole(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    parts = [b"abcd", b"efgh", b"ijkl", b"mnop"]
    response = await client.post("/upload", content=chunks(parts))
    assert response.status_code == 201, response.text
    assert app.state.uploads == [b"abcdefghijklmnop"]


@pytest.mark.task(3)
async def test_a_content_length_that_lies_is_not_trusted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await client.post(
        "/upload", content=chunks([b"z" * 10] * 4), headers={"Content-Length": "3"}
    )
    assert response.status_code == 413, response.text
    assert app.state.uploads == []


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"abc", id="letters"),
        pytest.param(b"", id="empty"),
        pytest.param(b"-1", id="negative"),
        pytest.param(b"+5", id="plus-sign"),
        pytest.param(b"1_0", id="underscore"),
        pytest.param(b"5.0", id="decimal"),
        pytest.param(b"0x10", id="hex"),
        pytest.param(b"\xb2", id="superscript-two"),
    ],
)
async def test_an_invalid_content_length_is_400_and_nothing_reaches_the_endpoint(
    client: httpx.AsyncClient, app: FastAPI, value: bytes
) -> None:
    response = await client.post("/upload", content=b"abc", headers={"Content-Length": value})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "Invalid Content-Length"}
    assert app.state.uploads == []


@pytest.mark.task(3)
async def test_the_default_limit_is_one_mebibyte() -> None:
    async with client_for(create_app()) as client:
        accepted = await client.post("/upload", content=b"\0" * 1_048_576)
        assert accepted.status_code == 201, accepted.text
        refused = await client.post("/upload", content=b"\0" * 1_048_577)
        assert refused.status_code == 413, refused.text


@pytest.mark.task(3)
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.binary(max_size=8), max_size=6), declared=st.booleans())
async def test_any_body_is_accepted_exactly_when_it_fits(
    client: httpx.AsyncClient, app: FastAPI, parts: list[bytes], declared: bool
) -> None:
    body = b"".join(parts)
    app.state.uploads.clear()  # the app is shared by the examples
    if declared:  # one piece, with a Content-Length
        response = await client.post("/upload", content=body)
    else:  # in chunks, without one
        response = await client.post("/upload", content=chunks(parts))
    if len(body) <= LIMIT:
        assert response.status_code == 201, response.text
        assert app.state.uploads == [body]
    else:
        assert response.status_code == 413, response.text
        assert app.state.uploads == []


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_a_limit_passed_after_the_response_started_sends_no_second_response() -> None:
    # A raw ASGI app that starts answering before it reads the body: once the status line is
    # sent, a 413 is no longer possible; the middleware must not try to send one.
    async def answers_then_reads(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body", False):
            pass
        await send({"type": "http.response.body", "body": b"done"})

    middleware = BodySizeLimitMiddleware(answers_then_reads, max_body_size=4)
    incoming = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"def", "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    # Re-raising is one right answer (the server then drops the connection), so allow it.
    with contextlib.suppress(Exception):
        await middleware(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [200]
    assert not any(m.get("body") == b"done" for m in sent)


@pytest.mark.task(3)
async def test_a_note_within_the_limit_is_accepted(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post("/notes", json={"text": "hi"})
    assert response.status_code == 201, response.text
    assert response.json()["text"] == "hi"
    assert app.state.notes == ["hi"]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "declared",
    [pytest.param(None, id="chunked"), pytest.param("5", id="content-length-that-lies")],
)
async def test_a_route_with_a_body_model_answers_413_not_400(
    client: httpx.AsyncClient, app: FastAPI, declared: str | None
) -> None:
    # FastAPI reads a body model's JSON itself, and turns any exception other than an
    # HTTPException raised while it reads into `400 "There was an error parsing the body"`.
    body = json.dumps({"text": "x" * 40}).encode()
    headers = {"Content-Type": "application/json"}
    if declared is not None:
        headers["Content-Length"] = declared
    response = await client.post("/notes", content=chunks([body[:10], body[10:]]), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": "Content Too Large"}
    assert app.state.notes == []


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("parts", "status", "body"),
    [
        pytest.param([b"abc", b"d"], 200, b"abcd", id="within"),
        pytest.param([b"abc", b"de"], 413, b'{"detail":"Content Too Large"}', id="over"),
    ],
)
async def test_the_middleware_answers_413_itself_around_any_asgi_app(
    parts: list[bytes], status: int, body: bytes
) -> None:
    # A bare ASGI app has no FastAPI exception handler: the middleware must answer by itself.
    async def reads_then_echoes(scope: dict[str, Any], receive: Any, send: Any) -> None:
        received = b""
        more_body = True
        while more_body:
            message = await receive()
            received += message.get("body", b"")
            more_body = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": received})

    middleware = BodySizeLimitMiddleware(reads_then_echoes, max_body_size=4)
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/", content=chunks(parts))
    assert response.status_code == status, response.text
    assert response.content == body


@pytest.mark.task(3)
@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
async def test_only_http_requests_are_limited(scope_type: str) -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope, await receive()))

    big = {"type": f"{scope_type}.receive", "bytes": b"x" * 100}

    async def receive() -> dict[str, Any]:
        return big

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError(f"the middleware sent {message}")

    scope = {"type": scope_type, "headers": [(b"content-length", b"100")]}
    await BodySizeLimitMiddleware(inner, max_body_size=4)(scope, receive, send)
    assert seen == [(scope, big)]


# Task 4 -------------------------------------------------------------------------------------


def preflight_headers(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type, x-request-id",
    }


@pytest.mark.task(4)
async def test_a_preflight_from_the_allowed_origin_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/upload", headers=preflight_headers(ALLOWED_ORIGIN))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "post" in header_list(response, "access-control-allow-methods")
    assert {"content-type", "x-request-id"} <= set(
        header_list(response, "access-control-allow-headers")
    )
    assert response.headers["access-control-max-age"] == "600"


FOREIGN_ORIGINS = [
    pytest.param("https://evil.example", id="other-site"),
    pytest.param("http://app.example.com", id="other-scheme"),
    pytest.param("https://app.example.com:8443", id="other-port"),
    pytest.param("https://app.example.com.evil.example", id="suffix-trick"),
    pytest.param("https://evil-app.example.com", id="look-alike"),
    pytest.param("null", id="null-origin"),
]


@pytest.mark.task(4)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_a_preflight_from_a_foreign_origin_is_refused(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.options("/upload", headers=preflight_headers(origin))
    assert response.status_code == 400, response.text
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.task(4)
@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
async def test_a_preflight_for_a_request_header_not_allowed_is_refused(
    client: httpx.AsyncClient, header: str
) -> None:
    headers = {**preflight_headers(ALLOWED_ORIGIN), "Access-Control-Request-Headers": header}
    response = await client.options("/upload", headers=headers)
    assert response.status_code == 400, response.text


@pytest.mark.task(4)
@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
async def test_a_preflight_for_a_method_not_allowed_is_refused(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.options("/upload", headers=preflight_headers(ALLOWED_ORIGIN, method))
    assert response.status_code == 400, response.text


@pytest.mark.task(4)
async def test_the_allowed_origin_can_read_the_request_id_and_timing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert {"x-request-id", "server-timing"} <= set(
        header_list(response, "access-control-expose-headers")
    )
    assert "origin" in header_list(response, "vary")


@pytest.mark.task(4)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_a_foreign_origin_gets_an_answer_without_cors_headers(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.get("/ping", headers={"Origin": origin})
    assert response.status_code == 200, response.text  # the browser, not the server, blocks it
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.task(4)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    origin=st.just(ALLOWED_ORIGIN)
    | st.from_regex(r"https?://[a-z0-9.-]{1,24}(:[0-9]{2,5})?", fullmatch=True)
)
async def test_only_the_configured_origin_gets_cors_headers(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.get("/ping", headers={"Origin": origin})
    assert response.status_code == 200, response.text
    allowed = response.headers.get("access-control-allow-origin")
    assert allowed == (origin if origin == ALLOWED_ORIGIN else None)


@pytest.mark.task(4)
async def test_every_configured_origin_is_allowed() -> None:
    origins = ["https://app.example.com", "https://admin.example.com"]
    async with client_for(create_app(allowed_origins=origins)) as client:
        for origin in origins:
            response = await client.options("/upload", headers=preflight_headers(origin))
            assert response.status_code == 200, response.text
            assert response.headers["access-control-allow-origin"] == origin
        response = await client.options(
            "/upload", headers=preflight_headers("https://shop.example.com")
        )
        assert response.status_code == 400, response.text


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
def test_the_stack_lets_a_servers_lifespan_through() -> None:
    # A server (here TestClient) sends the lifespan scope through every middleware first: a
    # pure ASGI middleware that handles only "http" must pass the others through.
    with TestClient(create_app(max_body_size=LIMIT)) as client:
        response = client.post("/upload", content=b"hello", headers={"X-Request-ID": "boot-1"})
        assert response.status_code == 201, response.text
        assert response.json() == {"size": 5, "request_id": "boot-1"}
        assert response.headers["x-request-id"] == "boot-1"


@pytest.mark.task(5)
async def test_a_413_carries_the_request_id_the_timing_and_the_cors_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/upload",
        content=chunks([b"x" * 10] * 3),
        headers={"Origin": ALLOWED_ORIGIN, "X-Request-ID": "upload-1"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["x-request-id"] == "upload-1"
    assert "app" in server_timing(response)
    # Without it the page's JavaScript could not even read that the upload was too large.
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_a_400_for_a_bad_content_length_carries_the_request_id_and_cors_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/upload",
        content=b"abc",
        headers={"Origin": ALLOWED_ORIGIN, "Content-Length": "-1"},
    )
    assert response.status_code == 400, response.text
    assert is_uuid4(response.headers["x-request-id"])
    assert "app" in server_timing(response)
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


@pytest.mark.task(5)
@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(ALLOWED_ORIGIN, id="allowed"),
        pytest.param("https://evil.example", id="foreign"),
    ],
)
async def test_a_preflight_carries_a_request_id_and_timing(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.options(
        "/upload", headers={**preflight_headers(origin), "X-Request-ID": "preflight-1"}
    )
    assert response.status_code in (200, 400), response.text
    assert response.headers["x-request-id"] == "preflight-1"
    assert "app" in server_timing(response)
