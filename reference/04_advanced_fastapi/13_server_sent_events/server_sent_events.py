"""Kata 4.13: a Server-Sent Events stream with ids, resume from a replay buffer and heartbeats."""

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, FastAPI, Header, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

# An event type is a short name: no spaces, and above all no CR or LF, which would end the
# `event:` line and let a publisher inject fields of its own into every subscriber's stream.
EVENT_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$"


class EventIn(BaseModel):
    """What a publisher sends to `POST /events`."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(default="message", pattern=EVENT_PATTERN)
    # An event whose data is empty is never dispatched by an EventSource: refuse it up front.
    data: str = Field(min_length=1, max_length=10_000)


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
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1, not {buffer_size}")
        self._buffer: deque[Event] = deque(maxlen=buffer_size)
        self._queues: set[asyncio.Queue[Event]] = set()
        self._latest = 0

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        return len(self._queues)

    def publish(self, event: str, data: str) -> Event:
        """Gives the event the next id, buffers it, and queues it for every subscriber."""
        # No await in here: an id, the buffer and every queue change together, so no subscriber
        # can see a gap or the events in another order than their ids.
        self._latest += 1
        published = Event(id=self._latest, event=event, data=data)
        self._buffer.append(published)
        for queue in self._queues:
            queue.put_nowait(published)
        return published

    @contextmanager
    def subscribe(self, last_event_id: int | None = None) -> Iterator[Subscription]:
        """Opens a subscription (replay after `last_event_id`, then live) and closes it on exit."""
        # Taking the replay and registering the queue in one synchronous step is what makes
        # resume exact: an event published after this is in the queue, one before is in replay.
        subscription = self._start(last_event_id)
        self._queues.add(subscription.queue)
        try:
            yield subscription
        finally:
            self._queues.discard(subscription.queue)

    def _start(self, last_event_id: int | None) -> Subscription:
        if last_event_id is None:
            return Subscription(replay=[])
        oldest = self._buffer[0].id if self._buffer else self._latest + 1
        if oldest - 1 <= last_event_id <= self._latest:
            return Subscription(replay=[e for e in self._buffer if e.id > last_event_id])
        # Evicted from the buffer, or never issued (a restart reset the ids): what the client
        # missed is unknown. Say so, then send everything still buffered.
        return Subscription(replay=list(self._buffer), unknown_id=last_event_id)


def to_sse(event: Event) -> ServerSentEvent:
    """The wire form of a published event."""
    # raw_data, not data: `data=` would JSON-encode the text (quotes, `\n` escapes on one line).
    return ServerSentEvent(id=str(event.id), event=event.event, raw_data=event.data)


def create_app(
    *, buffer_size: int = 100, heartbeat_interval: float = 15.0, retry_ms: int = 3000
) -> FastAPI:
    """Builds an app with its own broker: `POST /events` publishes, `GET /events` streams."""
    if heartbeat_interval <= 0:
        raise ValueError(f"heartbeat_interval must be positive, not {heartbeat_interval}")
    if retry_ms < 0:
        raise ValueError(f"retry_ms must not be negative, not {retry_ms}")
    broker = EventBroker(buffer_size)
    app = FastAPI(title="Server-Sent Events")
    app.state.broker = broker

    @app.post("/events", status_code=status.HTTP_201_CREATED)
    async def publish(event_in: EventIn) -> Event:
        return broker.publish(event_in.event, event_in.data)

    async def open_subscription(
        last_event_id: Annotated[int | None, Header(ge=0)] = None,
    ) -> AsyncIterator[Subscription]:
        # A yield dependency, not a `finally` in the generator below: FastAPI cancels the
        # stream's producer when the client leaves, but a generator parked at a `yield` is not
        # closed then, only when the garbage collector finds it. The dependency's exit is part
        # of finishing the request, so the subscription is gone as soon as the client is.
        with broker.subscribe(last_event_id) as subscription:
            yield subscription

    @app.get("/events", response_class=EventSourceResponse)
    async def stream(
        subscription: Annotated[Subscription, Depends(open_subscription)],
    ) -> AsyncIterable[ServerSentEvent]:
        yield ServerSentEvent(retry=retry_ms)
        if subscription.unknown_id is not None:
            yield ServerSentEvent(event="reset", raw_data=str(subscription.unknown_id))
        for event in subscription.replay:
            yield to_sse(event)
        while True:
            try:
                async with asyncio.timeout(heartbeat_interval):
                    event = await subscription.queue.get()
            except TimeoutError:
                # A comment line: EventSource ignores it, proxies see bytes and keep the
                # connection open, and a dead client is noticed at the next write.
                yield ServerSentEvent(comment="heartbeat")
            else:
                yield to_sse(event)

    return app
