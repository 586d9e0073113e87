"""Kata 2.5: async endpoints that fan out concurrently, keep blocking work off the event loop and
answer within a per-request deadline."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
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
    # TODO(task 1): GET /users/{user_id}/summary calls the three upstreams at once and answers
    #               a Summary; a user_id that is not a positive integer gets 422.
    # TODO(task 2): GET /users/{user_id}/report calls render_report without blocking the loop.
    # TODO(task 3): refuse a deadline that is not a positive, finite number (ValueError); past
    #               the deadline, cancel the calls still running and answer 504.
    # TODO(task 4): an UpstreamError answers 502 naming the upstream, after cancelling the others.
    raise NotImplementedError("create_app is not written yet")
