"""Tests for kata 1.1: a raw ASGI app and an httpx client for it.

The app is driven two ways: through `httpx.AsyncClient` + `ASGITransport` (what any HTTP client
sees), and by calling `app(scope, receive, send)` by hand with a scope and messages made here, to
look at the raw ASGI messages it sends. A hand-made `receive` can pause a request in the middle
of its body, which is how the concurrency tests keep several requests in flight at once without
a single sleep.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from hypothesis import given, settings
from hypothesis import strategies as st
from what_is_an_api import ApiError, Message, NotJSONError, app, get_json, parse_msg, send_json

WAIT = 2.0  # seconds: a bound on things that take milliseconds; only a hung app reaches it

# Messages a correct echo must give back unchanged: spaces, the query's own delimiters, a literal
# plus and percent, accents, emoji, a newline.
TRICKY_MESSAGES = [
    pytest.param("hello", id="plain"),
    pytest.param("hello world", id="space"),
    pytest.param("a&b=c", id="ampersand-and-equals"),
    pytest.param("1+1=2", id="plus"),
    pytest.param("100%", id="percent"),
    pytest.param("why?#anchor", id="question-and-hash"),
    pytest.param("café crème", id="accents"),
    pytest.param("日本語 🎉", id="cjk-and-emoji"),
    pytest.param("two\nlines", id="newline"),
]


# --- helpers: a recording `send`, a hand-made scope, the response assembled from raw messages ---


class Recorder:
    """A `send` callable that keeps every message the app sends."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


@dataclass
class Raw:
    """A response assembled from raw ASGI messages, after checking they follow the protocol."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes:
        """The one value of header `name` (fails when it is missing or repeated)."""
        values = [value for key, value in self.headers if key == name]
        assert len(values) == 1, f"expected exactly one {name!r} header in {self.headers}"
        return values[0]

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def assemble(sent: list[Message]) -> Raw:
    """The response in `sent`: one `http.response.start`, then body messages, the last final."""
    assert sent, "the app sent no message"
    start, *bodies = sent
    assert start["type"] == "http.response.start", sent
    assert bodies, f"no http.response.body after the start: {sent}"
    assert all(m["type"] == "http.response.body" for m in bodies), sent
    assert not bodies[-1].get("more_body", False), "the last body message must end the response"
    assert all(m.get("more_body", False) for m in bodies[:-1]), "a body message after the end"
    headers = [tuple(pair) for pair in start.get("headers", [])]
    for name, value in headers:
        assert isinstance(name, bytes), f"header names are bytes in ASGI: {name!r}"
        assert isinstance(value, bytes), f"header values are bytes in ASGI: {value!r}"
        assert name == name.lower(), f"ASGI wants lowercase header names: {name!r}"
    return Raw(start["status"], headers, b"".join(m.get("body", b"") for m in bodies))


def http_scope(method: str, path: str, query_string: bytes = b"") -> dict[str, Any]:
    """The scope a server would build for `METHOD path?query_string`."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }


def body_messages(chunks: Sequence[bytes]) -> list[Message]:
    """The `http.request` messages that carry a body in these chunks."""
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


def receive_from(messages: list[Message]) -> Callable[[], Awaitable[Message]]:
    """A `receive` that hands out `messages` in order, then `http.disconnect` (client gone)."""
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    return receive


async def call(
    method: str, path: str, query_string: bytes = b"", chunks: Sequence[bytes] = (b"",)
) -> Raw:
    """Calls `app` by hand for one request and returns the response it sent."""
    sent = Recorder()
    async with asyncio.timeout(WAIT):
        await app(http_scope(method, path, query_string), receive_from(body_messages(chunks)), sent)
    return assemble(sent.messages)


class PausedBody:
    """The `receive` of a request whose body comes in two chunks, with a pause in between.

    `paused` is set when the app asks for the second chunk; the test sets `resume` to send it.
    """

    def __init__(self, first: bytes, second: bytes) -> None:
        self.messages = body_messages([first, second])
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()

    async def __call__(self) -> Message:
        if len(self.messages) == 1:
            self.paused.set()
            await self.resume.wait()
        return self.messages.pop(0) if self.messages else {"type": "http.disconnect"}


async def until(event: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Waits for `event`; if `task` ends first, its exception (or a failure) surfaces at once."""
    waiter = asyncio.ensure_future(event.wait())
    done, _ = await asyncio.wait({waiter, task}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        waiter.cancel()
        if task in done:
            task.result()  # the app raised: show why
            pytest.fail("the app call ended before the point this test waits for")
        pytest.fail(f"gave up after {WAIT} s")


def allowed(value: bytes | str) -> set[str]:
    """The methods of an `Allow` header value: `GET, POST` -> {"GET", "POST"}."""
    text = value.decode() if isinstance(value, bytes) else value
    return {method.strip() for method in text.split(",") if method.strip()}


# --- task 1: a JSON response, message by message ---


@pytest.mark.task(1)
async def test_send_json_sends_a_start_then_the_body() -> None:
    sent = Recorder()
    await send_json(sent, 201, {"status": "created"})
    assert sent.messages[0]["type"] == "http.response.start"
    response = assemble(sent.messages)
    assert response.status == 201
    assert response.json() == {"status": "created"}


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"status": "ok"}, id="ascii"),
        pytest.param({"msg": "café ☕ 🎉"}, id="non-ascii"),
        pytest.param([1, 2.5, None, True, "x"], id="list"),
        pytest.param({}, id="empty-object"),
    ],
)
async def test_send_json_declares_json_and_the_byte_length_of_the_body(data: Any) -> None:
    sent = Recorder()
    await send_json(sent, 200, data)
    response = assemble(sent.messages)
    assert response.header(b"content-type") == b"application/json"
    assert response.header(b"content-length") == str(len(response.body)).encode()
    assert response.json() == data


@pytest.mark.task(1)
async def test_send_json_sends_extra_headers_too() -> None:
    sent = Recorder()
    await send_json(sent, 405, {"error": "method not allowed"}, [(b"allow", b"GET")])
    response = assemble(sent.messages)
    assert response.status == 405
    assert response.header(b"allow") == b"GET"
    assert response.header(b"content-type") == b"application/json"


@pytest.mark.task(1)
@settings(max_examples=30, deadline=None)
@given(
    data=st.dictionaries(
        st.text(max_size=10), st.text(max_size=20) | st.integers() | st.booleans(), max_size=4
    )
)
async def test_any_json_object_round_trips_with_a_correct_length(data: dict[str, Any]) -> None:
    sent = Recorder()
    await send_json(sent, 200, data)
    response = assemble(sent.messages)
    assert response.header(b"content-length") == str(len(response.body)).encode()
    assert response.json() == data


# --- task 2: routing, 404 and 405 ---


@pytest.mark.task(2)
async def test_health_answers_200_with_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json() == {"status": "ok"}


@pytest.mark.task(2)
async def test_health_sends_the_raw_asgi_messages() -> None:
    response = await call("GET", "/health")
    assert response.status == 200
    assert response.header(b"content-type") == b"application/json"
    assert response.header(b"content-length") == str(len(response.body)).encode()
    assert response.json() == {"status": "ok"}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/", id="root"),
        pytest.param("GET", "/nowhere", id="unknown"),
        pytest.param("GET", "/health/", id="trailing-slash"),
        pytest.param("GET", "/HEALTH", id="other-case"),
        pytest.param("GET", "/health/extra", id="below-a-route"),
        pytest.param("POST", "/nowhere", id="post-to-unknown"),
    ],
)
async def test_unknown_path_is_404_json(client: httpx.AsyncClient, method: str, path: str) -> None:
    assert (await client.get("/health")).status_code == 200  # the app does answer
    response = await client.request(method, path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "not found"}


@pytest.mark.task(2)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_wrong_method_on_health_is_405_with_allow(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/health")
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "method not allowed"}
    assert allowed(response.headers["allow"]) == {"GET"}


@pytest.mark.task(2)
async def test_405_carries_allow_in_the_raw_start_message() -> None:
    response = await call("DELETE", "/health")
    assert response.status == 405
    assert allowed(response.header(b"allow")) == {"GET"}
    assert response.header(b"content-length") == str(len(response.body)).encode()


# --- task 3: GET /echo and its query string ---


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("query_string", "msg"),
    [
        pytest.param(b"msg=hello", "hello", id="plain"),
        pytest.param(b"msg=hello+world", "hello world", id="plus-is-a-space"),
        pytest.param(b"msg=hello%20world", "hello world", id="percent-20-is-a-space"),
        pytest.param(b"msg=1%2B1", "1+1", id="encoded-plus"),
        pytest.param(b"msg=a%26b%3Dc", "a&b=c", id="encoded-delimiters"),
        pytest.param(b"msg=caf%C3%A9", "café", id="utf-8-bytes"),
        pytest.param(b"msg=%F0%9F%8E%89", "🎉", id="emoji"),
        pytest.param(b"lang=en&msg=hi&x=", "hi", id="other-parameters-ignored"),
        pytest.param(b"msg=%20", " ", id="a-space-is-not-empty"),
    ],
)
def test_parse_msg_percent_decodes_the_value(query_string: bytes, msg: str) -> None:
    assert parse_msg(query_string) == msg


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "query_string",
    [
        pytest.param(b"", id="no-query"),
        pytest.param(b"message=hi", id="other-name"),
        pytest.param(b"msg=", id="empty"),
        pytest.param(b"msg", id="no-equals"),
        pytest.param(b"msg=a&msg=b", id="repeated"),
        pytest.param(b"msg=a&msg=", id="repeated-once-empty"),
        pytest.param(b"msg=%FF", id="not-utf-8"),
    ],
)
def test_parse_msg_rejects_an_unusable_msg_with_a_value_error(query_string: bytes) -> None:
    with pytest.raises(ValueError, match="msg"):
        parse_msg(query_string)


@pytest.mark.task(3)
@settings(max_examples=40, deadline=None)
@given(msg=st.text(min_size=1, max_size=30))
def test_parse_msg_decodes_both_encodings_of_any_text(msg: str) -> None:
    assert parse_msg(urlencode({"msg": msg}).encode()) == msg  # spaces as "+"
    assert parse_msg(b"msg=" + quote(msg, safe="").encode()) == msg  # spaces as "%20"


@pytest.mark.task(3)
@pytest.mark.parametrize("msg", TRICKY_MESSAGES)
async def test_echo_answers_the_decoded_msg(client: httpx.AsyncClient, msg: str) -> None:
    response = await client.get("/echo", params={"msg": msg})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json() == {"msg": msg}


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/echo", id="no-msg"),
        pytest.param("/echo?msg=", id="empty-msg"),
        pytest.param("/echo?msg=a&msg=b", id="repeated-msg"),
        pytest.param("/echo?msg=%FF", id="not-utf-8"),
    ],
)
async def test_echo_without_a_usable_msg_is_400_json(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"], body
    assert isinstance(body["error"], str)
    assert "msg" in body["error"], body


@pytest.mark.task(3)
async def test_echo_reads_the_raw_query_string_of_the_scope() -> None:
    response = await call("GET", "/echo", b"msg=caf%C3%A9+au+lait")
    assert response.status == 200
    assert response.header(b"content-length") == str(len(response.body)).encode()
    assert response.json() == {"msg": "café au lait"}


@pytest.mark.task(3)
@settings(max_examples=30, deadline=None)
@given(msg=st.text(min_size=1, max_size=30))
async def test_any_text_round_trips_through_the_echo(msg: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/echo", params={"msg": msg})
    assert response.status_code == 200, response.text
    assert response.json() == {"msg": msg}


@pytest.mark.task(3)
async def test_many_echoes_in_flight_each_get_their_own_answer(client: httpx.AsyncClient) -> None:
    messages = [f"message {n} ✓" for n in range(20)]
    async with asyncio.timeout(WAIT):
        responses = await asyncio.gather(
            *(client.get("/echo", params={"msg": msg}) for msg in messages)
        )
    assert [r.json() for r in responses] == [{"msg": msg} for msg in messages]


@pytest.mark.task(3)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_wrong_method_on_echo_is_405_with_get_in_allow(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/echo", params={"msg": "hi"})
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "method not allowed"}
    methods = allowed(response.headers["allow"])
    assert "GET" in methods, methods
    assert method not in methods, methods  # POST may be there too, once task 4 is done


# --- task 4: POST /echo and the request body ---


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize("msg", TRICKY_MESSAGES)
async def test_post_echo_answers_the_msg_of_the_json_body(
    client: httpx.AsyncClient, msg: str
) -> None:
    response = await client.post("/echo", json={"msg": msg})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"msg": msg}


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_post_echo_ignores_other_keys(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"msg": "hi", "lang": "en"})
    assert response.status_code == 200, response.text
    assert response.json() == {"msg": "hi"}


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("chunks", "msg"),
    [
        pytest.param([b'{"msg": "hi"}'], "hi", id="one-message"),
        pytest.param([b'{"ms', b'g": "h', b'i"}'], "hi", id="three-messages"),
        pytest.param([b"", b'{"msg": "hi"}', b""], "hi", id="empty-chunks-around"),
        pytest.param([b'{"msg": "\xc3', b'\xa9"}'], "é", id="split-inside-a-utf-8-character"),
    ],
)
async def test_post_echo_reads_a_body_that_comes_in_several_messages(
    chunks: list[bytes], msg: str
) -> None:
    response = await call("POST", "/echo", chunks=chunks)
    assert response.status == 200
    assert response.json() == {"msg": msg}


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty-body"),
        pytest.param(b"msg=hi", id="form-not-json"),
        pytest.param(b'{"msg": "hi"', id="truncated-json"),
        pytest.param(b'"hi"', id="a-string-not-an-object"),
        pytest.param(b'["hi"]', id="a-list"),
        pytest.param(b'{"message": "hi"}', id="no-msg-key"),
        pytest.param(b'{"msg": ""}', id="empty-msg"),
        pytest.param(b'{"msg": 5}', id="number-msg"),
        pytest.param(b'{"msg": null}', id="null-msg"),
        pytest.param(b'{"msg": "\xff"}', id="not-utf-8"),
    ],
)
async def test_post_echo_with_a_bad_body_is_400_json(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    assert list(error) == ["error"], error
    assert isinstance(error["error"], str)
    assert error["error"], error


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_a_body_message_without_more_body_is_the_last() -> None:
    # ASGI: "more_body" may be left out, and then it is False.
    sent = Recorder()
    messages = [
        {"type": "http.request", "body": b'{"msg": ', "more_body": True},
        {"type": "http.request", "body": b'"hi"}'},
    ]
    async with asyncio.timeout(WAIT):
        await app(http_scope("POST", "/echo"), receive_from(messages), sent)
    assert assemble(sent.messages).json() == {"msg": "hi"}


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_a_client_gone_mid_body_gets_nothing_sent() -> None:
    sent = Recorder()
    messages = [{"type": "http.request", "body": b'{"msg": "h', "more_body": True}]
    async with asyncio.timeout(WAIT):
        await app(http_scope("POST", "/echo"), receive_from(messages), sent)
    assert sent.messages == []


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_wrong_method_on_echo_lists_both_methods(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/echo")
    assert response.status_code == 405, response.text
    assert response.json() == {"error": "method not allowed"}
    assert allowed(response.headers["allow"]) == {"GET", "POST"}


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_a_slow_body_does_not_hold_up_other_requests() -> None:
    slow = PausedBody(b'{"msg": "sl', b'ow"}')
    slow_sent = Recorder()
    slow_request = asyncio.create_task(app(http_scope("POST", "/echo"), slow, slow_sent))
    try:
        await until(slow.paused, slow_request)
        # The slow request is in flight, waiting for the rest of its body: others still answer.
        quick_get = await call("GET", "/echo", b"msg=quick")
        quick_post = await call("POST", "/echo", chunks=[b'{"msg": "qu', b'ick"}'])
        assert quick_get.json() == {"msg": "quick"}
        assert quick_post.json() == {"msg": "quick"}
        assert slow_sent.messages == [], "the slow request answered before its body was complete"
        slow.resume.set()
        async with asyncio.timeout(WAIT):
            await slow_request
    finally:
        slow_request.cancel()
    assert assemble(slow_sent.messages).json() == {"msg": "slow"}


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_ten_bodies_in_flight_at_once_are_never_mixed_up() -> None:
    bodies = [PausedBody(b'{"msg": "request ', f'{n}"}}'.encode()) for n in range(10)]
    sent = [Recorder() for _ in bodies]
    requests = [
        asyncio.create_task(app(http_scope("POST", "/echo"), body, send))
        for body, send in zip(bodies, sent, strict=True)
    ]
    try:
        for body, request in zip(bodies, requests, strict=True):
            await until(body.paused, request)  # all ten are now halfway through their body
        for body in reversed(bodies):  # the last to start is the first to finish
            body.resume.set()
        async with asyncio.timeout(WAIT):
            await asyncio.gather(*requests)
    finally:
        for request in requests:
            request.cancel()
    assert [assemble(s.messages).json() for s in sent] == [
        {"msg": f"request {n}"} for n in range(10)
    ]


# --- task 5: the lifespan scope ---


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_lifespan_completes_startup_then_shutdown() -> None:
    sent = Recorder()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    async with asyncio.timeout(WAIT):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive_from(messages), sent)
    assert sent.messages == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_startup_completes_without_waiting_for_shutdown() -> None:
    sent = Recorder()
    waiting = asyncio.Event()  # set when the app asks for the event after startup
    shutdown = asyncio.Event()
    events = [{"type": "lifespan.startup"}]

    async def receive() -> Message:
        if events:
            return events.pop(0)
        waiting.set()
        await shutdown.wait()  # a server sends shutdown only when it stops, maybe days later
        return {"type": "lifespan.shutdown"}

    running = asyncio.create_task(app({"type": "lifespan"}, receive, sent))
    try:
        await until(waiting, running)
        assert sent.messages == [{"type": "lifespan.startup.complete"}]
        shutdown.set()
        async with asyncio.timeout(WAIT):
            await running
    finally:
        running.cancel()
    assert sent.messages[-1] == {"type": "lifespan.shutdown.complete"}


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_a_server_can_start_serve_and_stop_the_app() -> None:
    async with LifespanManager(app, startup_timeout=WAIT, shutdown_timeout=WAIT) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/health")
    assert response.status_code == 200, response.text


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_an_unsupported_scope_type_is_a_value_error() -> None:
    scope = {"type": "websocket", "path": "/echo", "query_string": b"", "headers": []}
    with pytest.raises(ValueError, match="websocket"):
        await app(scope, receive_from([{"type": "websocket.connect"}]), Recorder())


# --- task 6: the client ---


def mock_client(response: httpx.Response) -> httpx.AsyncClient:
    """A client whose every request gets `response`, as a stand-in for a misbehaving server."""
    return httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: response), base_url="http://test"
    )


@pytest.mark.task(6)
@pytest.mark.stretch
def test_api_error_carries_the_status_and_the_body() -> None:
    error = ApiError(418, "I'm a teapot")
    assert isinstance(error, Exception)
    assert error.status_code == 418
    assert error.body == "I'm a teapot"
    assert "418" in str(error)
    # A message of its own: without one, str() is just the tuple of the arguments.
    assert str(error) != str((418, "I'm a teapot")), "give Exception a message"
    assert issubclass(NotJSONError, ApiError)


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_get_json_returns_the_decoded_answer(client: httpx.AsyncClient) -> None:
    assert await get_json(client, "/health") == {"status": "ok"}


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize("msg", TRICKY_MESSAGES)
async def test_get_json_encodes_the_params(client: httpx.AsyncClient, msg: str) -> None:
    assert await get_json(client, "/echo", {"msg": msg}) == {"msg": msg}


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_get_json_raises_api_error_on_the_apps_404(client: httpx.AsyncClient) -> None:
    with pytest.raises(ApiError) as caught:
        await get_json(client, "/nowhere")
    assert type(caught.value) is ApiError
    assert caught.value.status_code == 404
    assert json.loads(caught.value.body) == {"error": "not found"}
    assert "404" in str(caught.value)


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_get_json_raises_api_error_on_the_apps_400(client: httpx.AsyncClient) -> None:
    with pytest.raises(ApiError) as caught:
        await get_json(client, "/echo", {"msg": ""})
    assert caught.value.status_code == 400
    assert "msg" in json.loads(caught.value.body)["error"]


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(500, text="Internal Server Error"), id="500-text"),
        pytest.param(
            httpx.Response(502, html="<h1>Bad Gateway</h1>", headers={"via": "proxy"}),
            id="502-html-from-a-proxy",
        ),
        pytest.param(httpx.Response(503, json={"error": "down"}), id="503-json"),
        pytest.param(
            httpx.Response(302, text="moved", headers={"location": "/elsewhere"}),
            id="302-redirect",
        ),
    ],
)
async def test_get_json_raises_api_error_for_any_non_2xx(response: httpx.Response) -> None:
    async with mock_client(response) as client:
        with pytest.raises(ApiError) as caught:
            await get_json(client, "/anything")
    assert type(caught.value) is ApiError, "a non-2xx is an ApiError, whatever its body"
    assert caught.value.status_code == response.status_code
    assert caught.value.body == response.text


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(200, text="hello"), id="text-plain"),
        pytest.param(httpx.Response(200, html="<p>hello</p>"), id="html"),
        pytest.param(httpx.Response(200, content=b'{"a": 1}'), id="json-without-content-type"),
        pytest.param(
            httpx.Response(200, content=b"{oops", headers={"content-type": "application/json"}),
            id="broken-json",
        ),
        pytest.param(
            httpx.Response(200, content=b"", headers={"content-type": "application/json"}),
            id="empty-body",
        ),
    ],
)
async def test_get_json_raises_not_json_error_for_a_2xx_that_is_not_json(
    response: httpx.Response,
) -> None:
    async with mock_client(response) as client:
        with pytest.raises(NotJSONError) as caught:
            await get_json(client, "/anything")
    assert caught.value.status_code == 200
    assert caught.value.body == response.text


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("status", "content_type"),
    [
        pytest.param(200, "application/json", id="plain"),
        pytest.param(200, "application/json; charset=utf-8", id="with-charset"),
        pytest.param(201, "Application/JSON", id="201-any-case"),
    ],
)
async def test_get_json_accepts_any_2xx_json(status: int, content_type: str) -> None:
    response = httpx.Response(status, content=b'{"id": 7}', headers={"content-type": content_type})
    async with mock_client(response) as client:
        assert await get_json(client, "/anything") == {"id": 7}


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_get_json_calls_in_flight_at_once(client: httpx.AsyncClient) -> None:
    async with asyncio.timeout(WAIT):
        answers = await asyncio.gather(
            *(get_json(client, "/echo", {"msg": f"call {n}"}) for n in range(10)),
            get_json(client, "/health"),
        )
    assert answers == [*({"msg": f"call {n}"} for n in range(10)), {"status": "ok"}]


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_a_real_server_serves_the_app_to_the_client_over_tcp() -> None:
    # uvicorn on a free loopback port: real sockets, real HTTP/1.1 parsing. Nothing of the app
    # changes; that is what the ASGI contract is for. (lifespan="auto": task 5 tests the lifespan.)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="auto", log_level="critical")
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WAIT * 5):
            while not server.started:
                assert not serving.done(), "uvicorn stopped before it served"
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert await get_json(client, "/echo", {"msg": "café au lait"}) == {
                "msg": "café au lait"
            }
            with pytest.raises(ApiError) as caught:
                await get_json(client, "/nowhere")
            assert caught.value.status_code == 404
    finally:
        server.should_exit = True
        async with asyncio.timeout(WAIT * 5):
            await serving
