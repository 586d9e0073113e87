"""Kata 4.13: a Server-Sent Events stream with ids, resume from a replay buffer and heartbeats."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.sse import ServerSentEvent
from pydantic import BaseModel, ConfigDict

# An event type: a letter, then up to 49 letters, digits, `_`, `.` or `-`.
EVENT_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$"


class EventIn(BaseModel):
    """What a publisher sends to `POST /events`."""

    # TODO(task 1): forbid unknown fields; `event` must match EVENT_PATTERN (default "message");
    # `data` is 1 to 10_000 characters.
    event: str = "message"
    data: str


class Event(BaseModel):
    """A published event: the broker gives it the next id (given)."""

    model_config = ConfigDict(frozen=True)

    id: int
    event: str
    data: str


@dataclass
class Subscription:
    """What a new subscriber starts with: the events to replay, then a queue of live ones (given).

    `unknown_id` is the Last-Event-ID the broker could not resume from, or None.
    """

    replay: list[Event]
    unknown_id: int | None = None
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)


class EventBroker:
    """Hands every published event to every subscriber, and keeps the last few for replay."""

    def __init__(self, buffer_size: int = 100) -> None:
        # TODO(task 1): refuse a buffer_size below 1 with ValueError; start with no event.
        # TODO(task 4): a buffer that keeps the last `buffer_size` events.
        # TODO(task 2): the open subscriptions (their queues).
        raise NotImplementedError("EventBroker is not written yet")

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        # TODO(task 1): 0 for a new broker.
        # TODO(task 2): count the open subscriptions.
        raise NotImplementedError("subscriber_count is not written yet")

    def publish(self, event: str, data: str) -> Event:
        """Gives the event the next id, buffers it, and queues it for every subscriber."""
        # TODO(task 1): ids 1, 2, 3... in publish order.
        # TODO(task 2): put it in the queue of every open subscription.
        raise NotImplementedError("publish is not written yet")

    @contextmanager
    def subscribe(self, last_event_id: int | None = None) -> Iterator[Subscription]:
        """Opens a subscription (replay after `last_event_id`, then live) and closes it on exit."""
        # TODO(task 2): register a Subscription's queue, yield the subscription, unregister it.
        # TODO(task 4): fill `replay` (and `unknown_id`) from the buffer and `last_event_id`.
        raise NotImplementedError("subscribe is not written yet")


def to_sse(event: Event) -> ServerSentEvent:
    """The wire form of a published event."""
    # TODO(task 2): a ServerSentEvent with the event's id, type and data (sent as it is).
    raise NotImplementedError("to_sse is not written yet")


def create_app(
    *, buffer_size: int = 100, heartbeat_interval: float = 15.0, retry_ms: int = 3000
) -> FastAPI:
    """Builds an app with its own broker: `POST /events` publishes, `GET /events` streams."""
    # TODO(task 1): a new EventBroker(buffer_size) on app.state.broker; POST /events.
    # TODO(task 2): GET /events, an EventSourceResponse that opens with `retry: <retry_ms>`.
    # TODO(task 4): resume from the Last-Event-ID header.
    # TODO(task 5): a heartbeat comment after `heartbeat_interval` seconds without an event.
    # TODO(task 6): close the subscription when the client leaves, even in the middle of a replay.
    raise NotImplementedError("create_app is not written yet")
