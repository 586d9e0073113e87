"""Tests for kata 2.5: concurrent fan-out, per-request deadlines, upstream failures, blocking work.

The upstreams and the report renderer are test doubles plugged into `create_app`, so every test
controls how long each call takes and observes what happened to it (called, finished,
cancelled). Timing bounds are derived from the scenario with wide margins: a test that says
"well under the sum" leaves hundreds of milliseconds for a slow machine.
"""

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from async_endpoints import UpstreamError, Upstreams, create_app
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ClientFor = Callable[..., httpx.AsyncClient]
T = TypeVar("T")

NAMES = ("profile", "orders", "recommendations")
SLOW = 5.0  # seconds: an upstream that outlives every deadline of these tests
BLOCK_LIMIT = 3.0  # seconds a blocking double waits for the test before giving up


class Gauge:
    """Counts upstream calls in flight at once, and the peak."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1


class FakeUpstream:
    """An async upstream double: answers after `delay` seconds (`delays[user_id]` for some users)
    or raises `error` (`errors[user_id]`) after that delay, and records what happened to every
    call."""

    def __init__(self, name: str, gauge: Gauge) -> None:
        self.name = name
        self.gauge = gauge
        self.delay = 0.0
        self.delays: dict[int, float] = {}
        self.error: Exception | None = None
        self.errors: dict[int, Exception] = {}
        self.calls: list[int] = []
        self.finished = 0
        self.cancelled = 0

    async def __call__(self, user_id: int) -> dict[str, Any]:
        self.calls.append(user_id)
        self.gauge.enter()
        try:
            await asyncio.sleep(self.delays.get(user_id, self.delay))
        except asyncio.CancelledError:
            self.cancelled += 1  # the observable effect of being cancelled: cleanup ran
            raise
        finally:
            self.gauge.leave()
        self.finished += 1
        error = self.errors.get(user_id, self.error)
        if error is not None:
            raise error
        return answer(self.name, user_id)


def answer(name: str, user_id: int) -> dict[str, Any]:
    """What the upstream `name` answers for `user_id`."""
    return {"source": name, "user_id": user_id}


def fakes(delay: float = 0.0) -> dict[str, FakeUpstream]:
    """Three upstream doubles sharing one gauge, keyed by the fields of `Upstreams`."""
    gauge = Gauge()
    doubles = {name: FakeUpstream(name, gauge) for name in NAMES}
    for double in doubles.values():
        double.delay = delay
    return doubles


def plain_report(user_id: int) -> str:
    """A report renderer that answers at once."""
    return f"report for user {user_id}"


def build(
    doubles: dict[str, FakeUpstream],
    render_report: Callable[[int], str] = plain_report,
    **options: float,
) -> FastAPI:
    """The app under test, on these doubles."""
    return create_app(Upstreams(**doubles), render_report, **options)


def summary_of(user_id: int) -> dict[str, Any]:
    """The body `GET /users/{user_id}/summary` answers when every upstream succeeds."""
    return {"user_id": user_id, **{name: answer(name, user_id) for name in NAMES}}


async def warm_up(
    client: httpx.AsyncClient, doubles: dict[str, FakeUpstream], delay: float
) -> None:
    """Serves one summary first, so one-off start-up costs stay out of a timing; then gives every
    upstream `delay` and forgets the warm-up call."""
    response = await client.get("/users/1000/summary")
    assert response.status_code == 200, response.text
    for double in doubles.values():
        double.delay = delay
        double.calls.clear()


async def timed(request: Awaitable[T]) -> tuple[T, float]:
    """Awaits `request` and returns its result with the seconds it took."""
    started = time.perf_counter()
    result = await request
    return result, time.perf_counter() - started


class Gate:
    """A blocking report renderer: holds its thread until the test opens the gate (or
    BLOCK_LIMIT seconds pass), and records whether the test opened it in time."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()
        self.opened_in_time: list[bool] = []

    def __call__(self, user_id: int) -> str:
        self.started.set()
        self.opened_in_time.append(self.opened.wait(timeout=BLOCK_LIMIT))
        return plain_report(user_id)


class Rendezvous:
    """A blocking report renderer that returns only once `parties` calls are inside it at once
    (or BLOCK_LIMIT seconds pass, which it records as `broken`)."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=BLOCK_LIMIT)
        self.broken = False

    def __call__(self, user_id: int) -> str:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.broken = True
        return plain_report(user_id)


# Task 1: fan out to the three upstreams at once


@pytest.mark.task(1)
async def test_summary_combines_the_three_upstream_answers(client_for: ClientFor) -> None:
    doubles = fakes()
    client = client_for(build(doubles))
    response = await client.get("/users/7/summary")
    assert response.status_code == 200, response.text
    assert response.json() == summary_of(7)
    assert all(double.calls == [7] for double in doubles.values())


@pytest.mark.task(1)
async def test_the_three_upstream_calls_are_in_flight_at_once(client_for: ClientFor) -> None:
    doubles = fakes(delay=0.05)
    client = client_for(build(doubles))
    response = await client.get("/users/1/summary")
    assert response.status_code == 200, response.text
    assert doubles["profile"].gauge.peak == 3, "the upstreams were called one after another"


@pytest.mark.task(1)
async def test_a_summary_takes_about_the_slowest_upstream_not_the_sum(
    client_for: ClientFor,
) -> None:
    doubles = fakes()
    client = client_for(build(doubles))
    await warm_up(client, doubles, delay=0.3)
    response, elapsed = await timed(client.get("/users/1/summary"))
    assert response.status_code == 200, response.text
    # At once: about 0.3 s. One after another: at least 0.9 s.
    assert elapsed < 0.75, f"took {elapsed:.2f} s: three 0.3 s upstreams ran one after another"


@pytest.mark.task(1)
async def test_concurrent_summaries_each_get_their_own_users_answers(
    client_for: ClientFor,
) -> None:
    doubles = fakes()
    client = client_for(build(doubles))
    await warm_up(client, doubles, delay=0.3)
    user_ids = [1, 2, 3, 4, 5]
    responses, elapsed = await timed(
        asyncio.gather(*(client.get(f"/users/{user_id}/summary") for user_id in user_ids))
    )
    for user_id, response in zip(user_ids, responses, strict=True):
        assert response.status_code == 200, response.text
        assert response.json() == summary_of(user_id)
    for double in doubles.values():
        assert sorted(double.calls) == user_ids
    # Five requests at once, each calling its upstreams at once: about 0.3 s, where the same
    # requests served one at a time would take 5 x 0.3 s.
    assert elapsed < 0.75, f"five concurrent requests took {elapsed:.2f} s"


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "user_id",
    [
        pytest.param("0", id="zero"),
        pytest.param("-3", id="negative"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("1.5", id="not-an-integer"),
    ],
)
async def test_invalid_user_id_is_422_and_no_upstream_is_called(
    client_for: ClientFor, user_id: str
) -> None:
    doubles = fakes()
    client = client_for(build(doubles))
    response = await client.get(f"/users/{user_id}/summary")
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["path", "user_id"]]
    assert all(double.calls == [] for double in doubles.values())


@pytest.mark.task(1)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(user_id=st.integers(min_value=-1000, max_value=10**12))
async def test_every_positive_user_id_reaches_every_upstream_and_no_other_does(
    client_for: ClientFor, user_id: int
) -> None:
    doubles = fakes()
    client = client_for(build(doubles))
    response = await client.get(f"/users/{user_id}/summary")
    if user_id >= 1:
        assert response.status_code == 200, response.text
        assert response.json() == summary_of(user_id)
        assert all(double.calls == [user_id] for double in doubles.values())
    else:
        assert response.status_code == 422, response.text
        assert all(double.calls == [] for double in doubles.values())


# Task 2: keep the blocking report off the event loop


@pytest.mark.task(2)
async def test_report_answers_what_render_report_returned(client_for: ClientFor) -> None:
    rendered: list[int] = []

    def render_report(user_id: int) -> str:
        rendered.append(user_id)
        return f"{user_id}: 3 orders"

    client = client_for(build(fakes(), render_report))
    response = await client.get("/users/42/report")
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": 42, "report": "42: 3 orders"}
    assert rendered == [42]


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "user_id",
    [pytest.param("0", id="zero"), pytest.param("abc", id="not-a-number")],
)
async def test_invalid_user_id_on_report_is_422_and_nothing_is_rendered(
    client_for: ClientFor, user_id: str
) -> None:
    rendered: list[int] = []

    def render_report(user_id: int) -> str:
        rendered.append(user_id)
        return "never"

    client = client_for(build(fakes(), render_report))
    response = await client.get(f"/users/{user_id}/report")
    assert response.status_code == 422, response.text
    assert rendered == []


@pytest.mark.task(2)
async def test_a_blocking_report_does_not_stall_a_parallel_summary(client_for: ClientFor) -> None:
    gate = Gate()
    client = client_for(build(fakes(), gate))
    report = asyncio.create_task(client.get("/users/1/report"))
    assert await asyncio.to_thread(gate.started.wait, BLOCK_LIMIT), "render_report never ran"
    # render_report is now blocked until the gate opens. If it blocks the event loop, this
    # summary cannot be served, the gate is never opened by us, and it times out on its own.
    summary = await client.get("/users/2/summary")
    gate.opened.set()
    response = await report
    assert summary.status_code == 200, summary.text
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": 1, "report": "report for user 1"}
    assert gate.opened_in_time == [True], (
        "render_report blocked the event loop: no other request could be served while it ran"
    )


@pytest.mark.task(2)
async def test_several_reports_render_at_the_same_time(client_for: ClientFor) -> None:
    rendezvous = Rendezvous(parties=3)
    client = client_for(build(fakes(), rendezvous))
    responses = await asyncio.gather(
        *(client.get(f"/users/{user_id}/report") for user_id in (1, 2, 3))
    )
    for user_id, response in zip((1, 2, 3), responses, strict=True):
        assert response.status_code == 200, response.text
        assert response.json() == {"user_id": user_id, "report": f"report for user {user_id}"}
    assert not rendezvous.broken, "the reports were rendered one at a time"


# Task 3: give every request a deadline


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "deadline",
    [
        pytest.param(0.0, id="zero"),
        pytest.param(-1.0, id="negative"),
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="infinite"),
    ],
)
def test_a_deadline_that_is_not_a_positive_finite_number_is_refused(deadline: float) -> None:
    with pytest.raises(ValueError, match="deadline"):
        build(fakes(), deadline=deadline)


@pytest.mark.task(3)
async def test_a_summary_past_the_deadline_is_504_with_a_clear_detail(
    client_for: ClientFor,
) -> None:
    doubles = fakes()
    doubles["orders"].delay = SLOW
    client = client_for(build(doubles, deadline=0.1))
    response, elapsed = await timed(client.get("/users/1/summary"))
    assert response.status_code == 504, response.text
    assert response.json() == {"detail": "Upstreams did not answer within 0.1 s"}
    assert elapsed < SLOW / 2, f"took {elapsed:.2f} s: the request waited for the slow upstream"


@pytest.mark.task(3)
async def test_the_deadline_is_one_second_unless_given(client_for: ClientFor) -> None:
    doubles = fakes()
    doubles["orders"].delay = SLOW
    client = client_for(create_app(Upstreams(**doubles), plain_report))
    response, elapsed = await timed(client.get("/users/1/summary"))
    assert response.status_code == 504, response.text
    assert response.json() == {"detail": "Upstreams did not answer within 1.0 s"}
    assert elapsed < SLOW / 2, f"took {elapsed:.2f} s: the request waited for the slow upstream"


@pytest.mark.task(3)
async def test_past_the_deadline_the_slow_upstream_call_is_cancelled(
    client_for: ClientFor,
) -> None:
    doubles = fakes()
    doubles["recommendations"].delay = SLOW
    client = client_for(build(doubles, deadline=0.1))
    response = await client.get("/users/1/summary")
    assert response.status_code == 504, response.text
    slow = doubles["recommendations"]
    assert (slow.cancelled, slow.finished) == (1, 0), "the slow call was left running"


@pytest.mark.task(3)
async def test_a_slow_user_does_not_hold_up_the_others(client_for: ClientFor) -> None:
    doubles = fakes()
    doubles["profile"].delays = {1: SLOW}
    client = client_for(build(doubles, deadline=0.5))
    responses, elapsed = await timed(
        asyncio.gather(*(client.get(f"/users/{user_id}/summary") for user_id in (1, 2, 3, 4)))
    )
    assert responses[0].status_code == 504, responses[0].text
    for user_id, response in zip((2, 3, 4), responses[1:], strict=True):
        assert response.status_code == 200, response.text
        assert response.json() == summary_of(user_id)
    assert doubles["profile"].cancelled == 1
    assert elapsed < SLOW / 2, f"took {elapsed:.2f} s"


# Task 4 (stretch): answer 502 when an upstream fails


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize("failing", [pytest.param(name, id=name) for name in NAMES])
async def test_a_failing_upstream_is_502_naming_it(client_for: ClientFor, failing: str) -> None:
    doubles = fakes(delay=SLOW)
    doubles[failing].delay = 0.0
    doubles[failing].error = UpstreamError("connection refused")
    client = client_for(build(doubles))
    response, elapsed = await timed(client.get("/users/1/summary"))
    assert response.status_code == 502, response.text
    assert response.json() == {"detail": f"Upstream '{failing}' failed"}
    assert elapsed < SLOW / 2, f"took {elapsed:.2f} s: the request waited for the other upstreams"


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_when_one_upstream_fails_the_others_are_cancelled(client_for: ClientFor) -> None:
    doubles = fakes(delay=SLOW)
    doubles["orders"].delay = 0.0
    doubles["orders"].error = UpstreamError("503 from orders")
    client = client_for(build(doubles))
    response = await client.get("/users/1/summary")
    assert response.status_code == 502, response.text
    for name in ("profile", "recommendations"):
        double = doubles[name]
        assert (double.cancelled, double.finished) == (1, 0), f"{name} was left running"


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_a_failure_for_one_user_does_not_affect_the_others(client_for: ClientFor) -> None:
    doubles = fakes(delay=0.05)
    doubles["orders"].errors = {2: UpstreamError("503 from orders")}
    client = client_for(build(doubles))
    responses = await asyncio.gather(
        *(client.get(f"/users/{user_id}/summary") for user_id in (1, 2, 3))
    )
    assert [response.status_code for response in responses] == [200, 502, 200], [
        response.text for response in responses
    ]
    assert responses[0].json() == summary_of(1)
    assert responses[1].json() == {"detail": "Upstream 'orders' failed"}
    assert responses[2].json() == summary_of(3)


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_an_error_that_is_not_an_upstream_error_is_a_500(client_for: ClientFor) -> None:
    doubles = fakes()
    doubles["profile"].error = RuntimeError("a bug in our client code")
    client = client_for(build(doubles), raise_app_exceptions=False)
    response = await client.get("/users/1/summary")
    assert response.status_code == 500, response.text
