"""Kata 2.5: async endpoints that fan out concurrently, keep blocking work off the event loop and
answer within a per-request deadline."""

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, status
from pydantic import BaseModel

Upstream = Callable[[int], Awaitable[dict[str, Any]]]
"""An async call to another service: takes a user id, answers a JSON object."""


class UpstreamError(Exception):
    """Raised by an upstream that cannot answer (refused connection, 5xx, unreadable payload)."""


@dataclass(frozen=True)
class Upstreams:
    """The three services a summary is built from (given: the seam the tests plug fakes into)."""

    profile: Upstream
    orders: Upstream
    recommendations: Upstream


class Summary(BaseModel):
    """What `GET /users/{user_id}/summary` answers: each upstream's answer, unchanged."""

    user_id: int
    profile: dict[str, Any]
    orders: dict[str, Any]
    recommendations: dict[str, Any]


class Report(BaseModel):
    """What `GET /users/{user_id}/report` answers."""

    user_id: int
    report: str


def create_app(
    upstreams: Upstreams,
    render_report: Callable[[int], str],
    *,
    deadline: float = 1.0,
) -> FastAPI:
    """Builds the app on the given upstreams, blocking report renderer and deadline (seconds)."""
    # `not deadline > 0` is also true for NaN; an infinite deadline is no deadline at all.
    if not (deadline > 0 and math.isfinite(deadline)):
        raise ValueError(f"deadline must be a positive, finite number of seconds, got {deadline!r}")
    sources = {
        "profile": upstreams.profile,
        "orders": upstreams.orders,
        "recommendations": upstreams.recommendations,
    }
    app = FastAPI(title="Async endpoints")

    @app.get("/users/{user_id}/summary")
    async def read_summary(user_id: Annotated[int, Path(ge=1)]) -> Summary:
        # One deadline for the whole fan-out, started for this request. The TaskGroup starts the
        # three calls at once and, when one fails or the deadline cancels the group, cancels the
        # others and waits for them to finish cancelling before the `async with` exits.
        try:
            async with asyncio.timeout(deadline), asyncio.TaskGroup() as group:
                tasks = {name: group.create_task(call(user_id)) for name, call in sources.items()}
        except* TimeoutError:
            raise HTTPException(
                status.HTTP_504_GATEWAY_TIMEOUT,
                detail=f"Upstreams did not answer within {deadline} s",
            ) from None
        except* UpstreamError:
            failed = next(name for name, task in tasks.items() if _failed(task))
            raise HTTPException(
                status.HTTP_502_BAD_GATEWAY, detail=f"Upstream {failed!r} failed"
            ) from None
        # Any other exception is a bug of ours, not the upstream's: it propagates (500).
        return Summary(user_id=user_id, **{name: task.result() for name, task in tasks.items()})

    @app.get("/users/{user_id}/report")
    def read_report(user_id: Annotated[int, Path(ge=1)]) -> Report:
        # A plain `def` endpoint: FastAPI runs it on an AnyIO worker thread (the pool shared with
        # `run_in_threadpool` and `def` dependencies, 40 threads at most), so the blocking
        # renderer never holds the event loop. In an `async def` the same call would freeze every
        # request of the process until it returned; `await run_in_threadpool(render_report,
        # user_id)` is the async spelling of the fix. `asyncio.to_thread` would work too, on
        # another pool: the loop's default executor, `min(32, os.cpu_count() + 4)` threads.
        return Report(user_id=user_id, report=render_report(user_id))

    return app


def _failed(task: asyncio.Task[dict[str, Any]]) -> bool:
    """The task ended with an UpstreamError (not cancelled, not successful)."""
    return not task.cancelled() and isinstance(task.exception(), UpstreamError)
