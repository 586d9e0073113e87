"""Tests for kata 4.15: request context in contextvars, per request, in the logs, in threads and
tasks, under a hundred concurrent requests."""

import asyncio
import itertools
import logging
import string
import threading
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from request_context import (
    RequestContextFilter,
    bind_context,
    current_request_id,
    current_user,
    run_blocking,
)

from grader.testing import is_uuid4

ID_CHARACTERS = set(string.ascii_letters + string.digits + "-_")
# Who sends which token in the concurrent tests: request i is USERS[i % 4].
USERS: list[str | None] = [None, "alice", "bob", "carol"]
CONCURRENT = 100


def valid_by_the_readme(value: str) -> bool:
    """Kata 4.5's rule for an incoming request ID, written independently of the given code."""
    return 1 <= len(value) <= 64 and set(value) <= ID_CHARACTERS


def headers_for(number: int) -> dict[str, str]:
    """Request `number`'s own X-Request-ID and, for three users out of four, a bearer token."""
    headers = {"X-Request-ID": f"req-{number:03d}"}
    user = USERS[number % len(USERS)]
    if user is not None:
        headers["Authorization"] = f"Bearer token-{user}"
    return headers


def parse(line: str) -> tuple[str, str, str]:
    """`request_id|user|message` -> its three parts."""
    request_id, user, message = line.split("|", 2)
    return request_id, user, message


def lines_with(log_lines: list[str], text: str) -> list[tuple[str, str, str]]:
    return [parse(line) for line in log_lines if text in parse(line)[2]]


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_outside_any_request_there_is_no_context() -> None:
    assert current_request_id() is None
    assert current_user() is None


@pytest.mark.task(1)
def test_bind_context_sets_both_values_inside_the_block_only() -> None:
    with bind_context("job-7", "alice"):
        assert current_request_id() == "job-7"
        assert current_user() == "alice"
    assert current_request_id() is None
    assert current_user() is None


@pytest.mark.task(1)
def test_bind_context_without_a_user_is_anonymous() -> None:
    with bind_context("job-7"):
        assert current_request_id() == "job-7"
        assert current_user() is None


@pytest.mark.task(1)
def test_nested_blocks_bring_the_outer_values_back() -> None:
    with bind_context("outer", "alice"):
        with bind_context("inner"):
            assert (current_request_id(), current_user()) == ("inner", None)
        assert (current_request_id(), current_user()) == ("outer", "alice")
    assert (current_request_id(), current_user()) == (None, None)


@pytest.mark.task(1)
def test_bind_context_restores_the_values_when_the_block_raises() -> None:
    with bind_context("outer", "alice"):
        with pytest.raises(KeyError), bind_context("inner", "bob"):
            raise KeyError("boom")
        assert (current_request_id(), current_user()) == ("outer", "alice")
    assert (current_request_id(), current_user()) == (None, None)


def check_nesting(layers: list[tuple[str, str | None]]) -> None:
    """Binds the first layer, checks, recurses into the rest, and checks the way back out."""
    if not layers:
        return
    (request_id, user), inner = layers[0], layers[1:]
    outer = (current_request_id(), current_user())
    with bind_context(request_id, user):
        assert (current_request_id(), current_user()) == (request_id, user)
        check_nesting(inner)
        assert (current_request_id(), current_user()) == (request_id, user)
    assert (current_request_id(), current_user()) == outer


@pytest.mark.task(1)
@settings(max_examples=40, deadline=None)
@given(
    layers=st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.none() | st.text(max_size=8)), max_size=6
    )
)
def test_any_nesting_of_blocks_unwinds_like_a_stack(layers: list[tuple[str, str | None]]) -> None:
    check_nesting(layers)
    assert (current_request_id(), current_user()) == (None, None)


@pytest.mark.task(1)
async def test_concurrent_tasks_each_see_only_what_they_bound() -> None:
    barrier = asyncio.Barrier(10)

    async def worker(number: int) -> list[tuple[str | None, str | None]]:
        seen = []
        with bind_context(f"task-{number}", f"user-{number}"):
            for _ in range(3):
                await barrier.wait()  # every task binds before any reads, then they alternate
                seen.append((current_request_id(), current_user()))
        seen.append((current_request_id(), current_user()))
        return seen

    results = await asyncio.gather(*(worker(n) for n in range(10)))
    for number, seen in enumerate(results):
        mine = (f"task-{number}", f"user-{number}")
        assert seen == [mine, mine, mine, (None, None)]
    assert (current_request_id(), current_user()) == (None, None)


@pytest.mark.task(1)
async def test_a_task_created_in_a_block_keeps_the_values_after_the_block() -> None:
    release = asyncio.Event()

    async def later() -> tuple[str | None, str | None]:
        await release.wait()
        return current_request_id(), current_user()

    with bind_context("job-7", "alice"):
        task = asyncio.create_task(later())
    assert current_request_id() is None
    release.set()
    assert await task == ("job-7", "alice")


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
async def test_a_request_without_an_id_gets_a_new_uuid4(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    assert is_uuid4(request_id)
    assert response.json() == {"request_id": request_id, "user": None}


@pytest.mark.task(2)
async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    responses = [await client.get("/whoami") for _ in range(5)]
    ids = {response.headers["x-request-id"] for response in responses}
    assert len(ids) == 5
    assert {response.json()["request_id"] for response in responses} == ids


@pytest.mark.task(2)
async def test_a_valid_incoming_id_is_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers={"X-Request-ID": "req_42-retry"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "req_42-retry"
    assert response.json()["request_id"] == "req_42-retry"


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"a" * 65, id="65-characters"),
        pytest.param(b"has space", id="space"),
        pytest.param(b"req-1\r\nX-Injected: yes", id="header-injection"),
        pytest.param(b"req-1\n2026-01-01 INFO forged line", id="log-injection"),
        pytest.param(b"<script>alert(1)</script>", id="markup"),
        pytest.param(b"caf\xc3\xa9", id="non-ascii"),
    ],
)
async def test_an_invalid_incoming_id_is_replaced(
    client: httpx.AsyncClient, log_lines: list[str], value: bytes
) -> None:
    response = await client.get("/orders/pen", headers={"X-Request-ID": value})
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    assert is_uuid4(request_id)
    assert response.json()["seen"] == [request_id] * 3
    assert log_lines
    assert all(parse(line)[0] == request_id for line in log_lines)


@pytest.mark.task(2)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=70)
    | st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
)
async def test_any_incoming_id_is_kept_only_when_valid(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("/whoami", headers={"X-Request-ID": value})
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    assert response.json()["request_id"] == request_id
    if valid_by_the_readme(value):
        assert request_id == value
    else:
        assert is_uuid4(request_id)


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        pytest.param("GET", "/nowhere", {}, 404, id="404"),
        pytest.param("DELETE", "/whoami", {}, 405, id="405"),
        pytest.param("GET", "/orders/pen?steps=0", {}, 422, id="422"),
        pytest.param("GET", "/whoami", {"Authorization": "Bearer nope"}, 401, id="401"),
    ],
)
async def test_every_answer_carries_the_request_id(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = await client.request(method, path, headers={**headers, "X-Request-ID": "req-9"})
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"] == "req-9"


@pytest.mark.task(2)
@pytest.mark.parametrize(("steps", "status"), [(1, 200), (20, 200), (21, 422)])
async def test_an_order_takes_one_to_twenty_steps(
    client: httpx.AsyncClient, steps: int, status: int
) -> None:
    response = await client.get("/orders/pen", params={"steps": steps})
    assert response.status_code == status, response.text
    if status == 200:
        assert len(response.json()["seen"]) == steps


@pytest.mark.task(2)
async def test_the_context_is_gone_after_the_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/orders/pen", headers={"X-Request-ID": "req-1"})
    assert response.json()["seen"] == ["req-1"] * 3
    assert current_request_id() is None
    assert current_user() is None


@pytest.mark.task(2)
async def test_a_request_inside_a_bound_context_gets_its_own_then_gives_it_back(
    client: httpx.AsyncClient,
) -> None:
    with bind_context("nightly-job", "ops"):
        response = await client.get("/whoami", headers={"X-Request-ID": "req-2"})
        assert response.json() == {"request_id": "req-2", "user": None}
        assert (current_request_id(), current_user()) == ("nightly-job", "ops")
    assert (current_request_id(), current_user()) == (None, None)


@pytest.mark.task(2)
async def test_the_context_is_gone_after_a_request_that_raised(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "req-3"})
    assert response.status_code == 500, response.text
    assert current_request_id() is None
    assert current_user() is None


@pytest.mark.task(2)
async def test_the_lifespan_scope_passes_through(app: FastAPI) -> None:
    async with LifespanManager(app):
        assert current_request_id() is None


@pytest.mark.task(2)
async def test_a_hundred_concurrent_requests_each_see_only_their_own_id(
    client: httpx.AsyncClient,
) -> None:
    async def order(number: int) -> httpx.Response:
        headers = {"X-Request-ID": f"req-{number:03d}"}
        return await client.get(f"/orders/item{number}", params={"steps": 4}, headers=headers)

    responses = await asyncio.gather(*(order(n) for n in range(CONCURRENT)))
    for number, response in enumerate(responses):
        mine = f"req-{number:03d}"
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == mine
        assert response.json() == {"request_id": mine, "user": None, "seen": [mine] * 4}
    assert current_request_id() is None


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("authorization", "user"),
    [
        pytest.param("Bearer token-alice", "alice", id="alice"),
        pytest.param("Bearer token-bob", "bob", id="bob"),
        pytest.param("bearer token-carol", "carol", id="scheme-case-insensitive"),
    ],
)
async def test_a_valid_token_makes_the_user_current(
    client: httpx.AsyncClient, authorization: str, user: str
) -> None:
    response = await client.get(
        "/orders/pen", headers={"Authorization": authorization, "X-Request-ID": "req-4"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"request_id": "req-4", "user": user, "seen": ["req-4"] * 3}


@pytest.mark.task(3)
async def test_without_a_token_the_request_is_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    assert response.status_code == 200, response.text
    assert response.json()["user"] is None


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer token-mallory", id="unknown-token"),
        pytest.param("Basic dG9rZW4tYWxpY2U6", id="another-scheme"),
        pytest.param("token-alice", id="no-scheme"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("", id="empty-header"),
    ],
)
async def test_a_bad_authorization_is_401(client: httpx.AsyncClient, authorization: str) -> None:
    response = await client.get(
        "/whoami", headers={"Authorization": authorization, "X-Request-ID": "req-5"}
    )
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Invalid token"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["x-request-id"] == "req-5"
    assert current_user() is None


@pytest.mark.task(3)
async def test_the_user_reaches_a_def_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami/sync", headers={"Authorization": "Bearer token-bob"})
    assert response.status_code == 200, response.text
    assert response.json()["user"] == "bob"


@pytest.mark.task(3)
async def test_the_user_does_not_leak_into_the_next_request_or_the_caller(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/whoami", headers={"Authorization": "Bearer token-alice"})
    assert first.json()["user"] == "alice"
    assert current_user() is None
    second = await client.get("/whoami")
    assert second.json()["user"] is None
    assert current_user() is None


@pytest.mark.task(3)
async def test_a_hundred_concurrent_requests_each_see_only_their_own_user(
    client: httpx.AsyncClient,
) -> None:
    async def order(number: int) -> httpx.Response:
        return await client.get(f"/orders/item{number}", headers=headers_for(number))

    responses = await asyncio.gather(*(order(n) for n in range(CONCURRENT)))
    for number, response in enumerate(responses):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"] == USERS[number % len(USERS)]
        assert body["seen"] == [f"req-{number:03d}"] * 3
    assert current_user() is None


# Task 4 -------------------------------------------------------------------------------------


def make_record(message: str = "hello") -> logging.LogRecord:
    return logging.LogRecord("request_context.test", logging.INFO, __file__, 1, message, (), None)


@pytest.mark.task(4)
def test_the_filter_adds_the_context_to_a_record() -> None:
    record = make_record()
    with bind_context("job-7", "alice"):
        assert RequestContextFilter().filter(record) is True
    assert record.request_id == "job-7"
    assert record.user == "alice"


@pytest.mark.task(4)
def test_outside_a_request_the_fields_are_dashes_and_the_record_is_kept() -> None:
    record = make_record()
    assert RequestContextFilter().filter(record) is True
    assert (record.request_id, record.user) == ("-", "-")


@pytest.mark.task(4)
def test_an_anonymous_context_has_a_dash_for_user() -> None:
    record = make_record()
    with bind_context("job-8"):
        assert RequestContextFilter().filter(record) is True
    assert (record.request_id, record.user) == ("job-8", "-")


@pytest.mark.task(4)
def test_one_filter_reads_the_context_of_each_record() -> None:
    context_filter = RequestContextFilter()
    first, second, third = make_record(), make_record(), make_record()
    with bind_context("job-1", "alice"):
        context_filter.filter(first)
    with bind_context("job-2", "bob"):
        context_filter.filter(second)
    context_filter.filter(third)
    assert [(r.request_id, r.user) for r in (first, second, third)] == [
        ("job-1", "alice"),
        ("job-2", "bob"),
        ("-", "-"),
    ]


@pytest.mark.task(4)
def test_records_of_child_loggers_are_formatted_with_the_context(log_lines: list[str]) -> None:
    logger = logging.getLogger("request_context.service")
    logger.info("outside")
    with bind_context("job-9", "carol"):
        logger.warning("inside")
    assert log_lines == ["-|-|outside", "job-9|carol|inside"]


@pytest.mark.task(4)
async def test_the_log_lines_of_a_request_carry_its_id_and_user(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    headers = {"X-Request-ID": "req-6", "Authorization": "Bearer token-alice"}
    response = await client.get("/orders/pen", headers=headers)
    assert response.status_code == 200, response.text
    assert log_lines == [f"req-6|alice|order pen: step {step}" for step in (1, 2, 3)]


@pytest.mark.task(4)
async def test_the_log_line_before_a_500_carries_the_request_id(
    app: FastAPI, log_lines: list[str]
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "req-7"})
    assert response.status_code == 500, response.text
    assert "req-7|-|about to fail" in log_lines


@pytest.mark.task(4)
async def test_under_a_hundred_concurrent_requests_each_line_carries_its_request(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    async def order(number: int) -> httpx.Response:
        return await client.get(f"/orders/item{number}", headers=headers_for(number))

    responses = await asyncio.gather(*(order(n) for n in range(CONCURRENT)))
    assert all(response.status_code == 200 for response in responses)
    steps = [parse(line) for line in log_lines if ": step " in line]
    assert len(steps) == 3 * CONCURRENT
    for request_id, user, message in steps:
        number = int(message.split()[1].removeprefix("item").rstrip(":"))
        assert request_id == f"req-{number:03d}", message
        assert user == (USERS[number % len(USERS)] or "-"), message
    # The requests really ran interleaved: consecutive lines mostly come from different ones.
    switches = sum(a[0] != b[0] for a, b in itertools.pairwise(steps))
    assert switches > CONCURRENT


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_run_blocking_returns_the_result_of_the_call() -> None:
    assert await run_blocking(pow, 2, 10) == 1024
    assert await run_blocking(sorted, [3, 1, 2]) == [1, 2, 3]


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_run_blocking_raises_the_exception_of_the_call() -> None:
    with pytest.raises(ValueError):
        await run_blocking(int, "not a number")


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_run_blocking_runs_in_a_worker_thread() -> None:
    assert await run_blocking(threading.get_ident) != threading.get_ident()


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_run_blocking_passes_the_context_to_the_thread() -> None:
    def context() -> tuple[str | None, str | None]:
        return current_request_id(), current_user()

    with bind_context("job-10", "alice"):
        assert await run_blocking(context) == ("job-10", "alice")
    assert await run_blocking(context) == (None, None)


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_blocking_work_of_a_request_sees_its_context(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    headers = {"X-Request-ID": "req-11", "Authorization": "Bearer token-carol"}
    response = await client.get("/reports/q3", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "q3",
        "request_id": "req-11",
        "user": "carol",
        "worker_thread": True,
    }
    assert log_lines == ["req-11|carol|rendering report q3"]


async def call_concurrently(
    client: httpx.AsyncClient, method: str, path: str, count: int = 20
) -> list[httpx.Response]:
    """`count` requests at once; request n goes to path.format(n=n) with headers_for(n)."""
    requests = (
        client.request(method, path.format(n=number), headers=headers_for(number))
        for number in range(count)
    )
    responses = await asyncio.gather(*requests)
    for response in responses:
        assert 200 <= response.status_code < 300, response.text
    return responses


def check_lines(lines: list[tuple[str, str, str]], count: int = 20) -> None:
    """Each line names its request's number last; it must carry that request's ID and user."""
    assert len(lines) == count
    for request_id, user, message in lines:
        number = int(message.rsplit("-", 1)[1])
        assert (request_id, user) == (f"req-{number:03d}", USERS[number % 4] or "-"), message


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_a_def_endpoint_sees_its_request_context(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    responses = await call_concurrently(client, "GET", "/whoami/sync")
    for number, response in enumerate(responses):
        assert response.json() == {
            "request_id": f"req-{number:03d}",
            "user": USERS[number % len(USERS)],
        }
    lines = lines_with(log_lines, "whoami in a worker thread")
    assert sorted(line[0] for line in lines) == [f"req-{n:03d}" for n in range(20)]


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_background_tasks_see_their_request_context(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    await call_concurrently(client, "POST", "/orders/item-{n}/confirm")
    check_lines(lines_with(log_lines, "confirmation sent for"))


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_task_group_lookups_see_their_request_context(
    client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    responses = await call_concurrently(client, "GET", "/prices?item=a-{n}&item=b-{n}&item=c-{n}")
    for number, response in enumerate(responses):
        mine = {"request_id": f"req-{number:03d}", "user": USERS[number % len(USERS)]}
        assert response.json()["prices"] == [
            {"item": f"{letter}-{number}", **mine} for letter in "abc"
        ]
    check_lines(lines_with(log_lines, "price of"), count=60)


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_fire_and_forget_tasks_keep_the_context_after_the_request(
    app: FastAPI, client: httpx.AsyncClient, log_lines: list[str]
) -> None:
    responses = await call_concurrently(client, "POST", "/audit/delete-{n}")
    assert [r.json()["request_id"] for r in responses] == [f"req-{n:03d}" for n in range(20)]
    assert current_request_id() is None  # every request is over, and its context reset
    pending: set[asyncio.Task[Any]] = app.state.pending
    await asyncio.gather(*pending)
    await asyncio.sleep(0)
    assert not pending  # a finished task leaves the set
    check_lines(lines_with(log_lines, "audit:"))
