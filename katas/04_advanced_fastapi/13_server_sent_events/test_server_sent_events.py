"""Tests for kata 4.13: an SSE stream with ids, resume from a replay buffer and heartbeats.

The tests read the stream as a browser's EventSource would: `EventStreamParser` below follows
the `text/event-stream` grammar of the WHATWG HTML standard (fields, comments, blank-line
dispatch, CRLF / LF / CR line ends), so any correct encoding of the events passes, not only
FastAPI's. A stream never ends by itself: to know that nothing else is coming, a test publishes
a last event of its own and reads up to it.
"""

import codecs
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from server_sent_events import EVENT_PATTERN, Event, EventBroker, create_app

# A test waiting for an event that never comes would hang: fail it instead.
pytestmark = pytest.mark.timeout(10)

MakeClient = Callable[..., TestClient]


# The client side: an EventSource in a few lines ------------------------------------------------


@dataclass(frozen=True)
class MessageEvent:
    """An event as EventSource dispatches it: its type, its data, and the last event id."""

    type: str
    data: str
    last_event_id: str


@dataclass(frozen=True)
class Comment:
    """A line starting with a colon: clients ignore it (heartbeats are comments)."""

    text: str


@dataclass(frozen=True)
class BlankLine:
    """The end of a block; `event` is what it dispatched (None: an empty data buffer)."""

    event: MessageEvent | None


Item = Comment | BlankLine


class EventStreamParser:
    """The WHATWG "interpreting an event stream" algorithm, fed bytes as they arrive."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._started = False
        self._after_cr = False
        self._line: list[str] = []
        self._data = ""
        self._event_type = ""
        self._id_buffer = ""
        self.last_event_id = ""
        self.reconnection_time: int | None = None

    def feed(self, chunk: bytes) -> list[Item]:
        """Parses a chunk; returns the comments and blank lines it completed, in order."""
        text = self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")  # one BOM at the very start is skipped
        items: list[Item] = []
        for char in text:
            if self._after_cr:
                self._after_cr = False
                if char == "\n":  # the LF of a CRLF: the line already ended at the CR
                    continue
            if char in "\r\n":
                self._after_cr = char == "\r"
                item = self._process("".join(self._line))
                self._line.clear()
                if item is not None:
                    items.append(item)
            else:
                self._line.append(char)
        return items

    def _process(self, line: str) -> Item | None:
        if not line:
            return BlankLine(self._dispatch())
        if line.startswith(":"):
            return Comment(line[1:].removeprefix(" "))
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")  # exactly one space after the colon is dropped
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data += value + "\n"
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.reconnection_time = int(value)
        return None  # any other field is ignored

    def _dispatch(self) -> MessageEvent | None:
        self.last_event_id = self._id_buffer
        if not self._data:
            self._event_type = ""
            return None
        event = MessageEvent(
            type=self._event_type or "message",
            data=self._data.removesuffix("\n"),
            last_event_id=self.last_event_id,
        )
        self._data = self._event_type = ""
        return event


class EventStreamReader:
    """Reads a streaming response item by item; every read blocks until the item has arrived."""

    def __init__(self, response: Any) -> None:
        self._chunks: Iterator[bytes] = response.iter_bytes()
        self._parser = EventStreamParser()
        self._items: deque[Item] = deque()

    @property
    def reconnection_time(self) -> int | None:
        """The last `retry` value received, in milliseconds."""
        return self._parser.reconnection_time

    def next_item(self) -> Item:
        while not self._items:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise AssertionError(
                    "the stream ended; an SSE stream stays open until the client leaves"
                )
            self._items.extend(self._parser.feed(chunk))
        return self._items.popleft()

    def next_block(self) -> list[Item]:
        """The items up to and including the next blank line."""
        block = [self.next_item()]
        while not isinstance(block[-1], BlankLine):
            block.append(self.next_item())
        return block

    def next_event(self) -> MessageEvent:
        """The next dispatched event, skipping comments."""
        while True:
            item = self.next_item()
            if isinstance(item, BlankLine) and item.event is not None:
                return item.event

    def events_until(self, event_id: int) -> list[MessageEvent]:
        """The events dispatched up to and including the one with id `event_id`."""
        events = [self.next_event()]
        while events[-1].last_event_id != str(event_id):
            events.append(self.next_event())
        return events


# Helpers ----------------------------------------------------------------------------------------


def broker_of(client: TestClient) -> EventBroker:
    app = client.app
    assert isinstance(app, FastAPI)
    broker = app.state.broker
    assert isinstance(broker, EventBroker)
    return broker


def publish(client: TestClient, data: str, event: str | None = None) -> dict[str, Any]:
    """POST /events; returns the published event."""
    body = {"data": data} if event is None else {"event": event, "data": data}
    response = client.post("/events", json=body)
    assert response.status_code == 201, response.text
    published: dict[str, Any] = response.json()
    return published


def publish_many(client: TestClient, count: int) -> list[dict[str, Any]]:
    return [publish(client, f"event {n}") for n in range(1, count + 1)]


def as_received(published: dict[str, Any]) -> MessageEvent:
    """What a subscriber receives for a published event."""
    return MessageEvent(published["event"], published["data"], str(published["id"]))


@contextmanager
def subscribe(client: TestClient, last_event_id: str | None = None) -> Iterator[EventStreamReader]:
    """Opens GET /events and reads its first block (the retry time): the subscription is open."""
    headers = {} if last_event_id is None else {"Last-Event-ID": last_event_id}
    with client.stream("GET", "/events", headers=headers) as response:
        assert response.status_code == 200, response.read()
        reader = EventStreamReader(response)
        first = reader.next_block()
        assert first[-1] == BlankLine(None), f"the first block must dispatch nothing: {first}"
        yield reader


@contextmanager
def published_later(client: TestClient, delay: float, data: str) -> Iterator[None]:
    """Publishes an event from another thread after `delay` seconds (while the test reads)."""
    timer = threading.Timer(delay, publish, args=(client, data))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()


# Task 1 -----------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_the_broker_numbers_events_from_one_in_publish_order() -> None:
    broker = EventBroker()
    assert broker.subscriber_count == 0
    first = broker.publish("created", "a")
    second = broker.publish("message", "b")
    assert first == Event(id=1, event="created", data="a")
    assert second == Event(id=2, event="message", data="b")


@pytest.mark.task(1)
@pytest.mark.parametrize("size", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
def test_a_buffer_smaller_than_one_is_refused(size: int) -> None:
    with pytest.raises(ValueError):
        EventBroker(buffer_size=size)
    with pytest.raises(ValueError):
        create_app(buffer_size=size)


@pytest.mark.task(1)
def test_each_app_has_its_own_broker(make_client: MakeClient) -> None:
    first, second = make_client(), make_client()
    assert broker_of(first) is not broker_of(second)
    assert publish(first, "one")["id"] == 1
    assert publish(first, "two")["id"] == 2
    assert publish(second, "other")["id"] == 1


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"data": "hi"}, {"id": 1, "event": "message", "data": "hi"}, id="default-type"
        ),
        pytest.param(
            {"event": "order.created", "data": "42"},
            {"id": 1, "event": "order.created", "data": "42"},
            id="named-type",
        ),
        pytest.param(
            {"event": "log", "data": "line 1\nline 2"},
            {"id": 1, "event": "log", "data": "line 1\nline 2"},
            id="multi-line-data",
        ),
    ],
)
def test_publish_answers_201_with_the_event(
    client: TestClient, body: dict[str, str], expected: dict[str, Any]
) -> None:
    response = client.post("/events", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == expected


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"event": "message"}, ["body", "data"], id="no-data"),
        pytest.param({"data": ""}, ["body", "data"], id="empty-data"),
        pytest.param({"data": "x" * 10_001}, ["body", "data"], id="data-too-long"),
        pytest.param({"data": 42}, ["body", "data"], id="data-not-a-string"),
        pytest.param({"event": "", "data": "x"}, ["body", "event"], id="empty-type"),
        pytest.param({"event": "a\nb", "data": "x"}, ["body", "event"], id="newline-in-type"),
        pytest.param({"event": "created\n", "data": "x"}, ["body", "event"], id="trailing-newline"),
        pytest.param({"event": "a\rdata: evil", "data": "x"}, ["body", "event"], id="cr-in-type"),
        pytest.param({"event": "new order", "data": "x"}, ["body", "event"], id="space-in-type"),
        pytest.param({"event": "1st", "data": "x"}, ["body", "event"], id="type-starts-with-digit"),
        pytest.param({"event": "e" * 51, "data": "x"}, ["body", "event"], id="type-too-long"),
        pytest.param({"id": 7, "data": "x"}, ["body", "id"], id="client-chosen-id"),
    ],
)
def test_invalid_event_is_422_and_nothing_is_published(
    client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    response = client.post("/events", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    # No id was used up: the next event is still the first.
    assert publish(client, "valid")["id"] == 1


@pytest.mark.task(1)
def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/events", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert publish(client, "valid")["id"] == 1


@pytest.mark.task(1)
def test_any_valid_event_is_published_as_sent(client: TestClient) -> None:
    expected_id = 0

    @settings(max_examples=20, deadline=None)
    @given(event=st.from_regex(EVENT_PATTERN, fullmatch=True), data=st.text(min_size=1))
    def publish_one(event: str, data: str) -> None:
        nonlocal expected_id
        expected_id += 1
        assert publish(client, data, event) == {"id": expected_id, "event": event, "data": data}

    publish_one()


@pytest.mark.task(1)
def test_any_event_type_outside_the_pattern_is_refused(client: TestClient) -> None:
    @settings(max_examples=30, deadline=None)
    @given(event=st.text(max_size=60).filter(lambda s: not re.fullmatch(EVENT_PATTERN, s)))
    def refuse(event: str) -> None:
        response = client.post("/events", json={"event": event, "data": "x"})
        assert response.status_code == 422, response.text

    refuse()
    assert publish(client, "valid")["id"] == 1


# Task 2 -----------------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_the_stream_is_an_uncached_event_stream(client: TestClient) -> None:
    with client.stream("GET", "/events") as response:
        assert response.status_code == 200, response.read()
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("options", "retry"),
    [
        pytest.param({}, 3000, id="default"),
        pytest.param({"retry_ms": 500}, 500, id="configured"),
        pytest.param({"retry_ms": 0}, 0, id="zero"),
    ],
)
def test_the_stream_opens_with_the_retry_time(
    make_client: MakeClient, options: dict[str, int], retry: int
) -> None:
    client = make_client(**options)
    with client.stream("GET", "/events") as response:
        reader = EventStreamReader(response)
        assert reader.next_block()[-1] == BlankLine(None)
        assert reader.reconnection_time == retry


@pytest.mark.task(2)
def test_a_negative_retry_time_is_refused() -> None:
    with pytest.raises(ValueError):
        create_app(retry_ms=-1)


@pytest.mark.task(2)
def test_an_open_stream_is_counted_before_its_first_block_is_read(client: TestClient) -> None:
    with client.stream("GET", "/events") as response:
        assert response.status_code == 200, response.read()
        assert broker_of(client).subscriber_count == 1


@pytest.mark.task(2)
def test_a_published_event_arrives_with_its_id_type_and_data(client: TestClient) -> None:
    with subscribe(client) as reader:
        publish(client, "42", event="order.created")
        assert reader.next_event() == MessageEvent("order.created", "42", last_event_id="1")
        publish(client, "hello")
        assert reader.next_event() == MessageEvent("message", "hello", last_event_id="2")


@pytest.mark.task(2)
def test_events_arrive_one_by_one_while_the_stream_stays_open(client: TestClient) -> None:
    # Each event is read before the next one exists: a response that waits for its generator
    # to finish (buffering) would never deliver the first.
    with subscribe(client) as reader:
        for n in range(1, 4):
            published = publish(client, f"tick {n}")
            assert reader.next_event() == as_received(published)


@pytest.mark.task(2)
def test_a_new_subscriber_gets_only_what_is_published_after_it_connects(
    client: TestClient,
) -> None:
    publish_many(client, 3)
    with subscribe(client) as reader:
        last = publish(client, "after")
        assert reader.events_until(last["id"]) == [as_received(last)]


@pytest.mark.task(2)
def test_every_subscriber_gets_every_event_in_id_order(client: TestClient) -> None:
    with ExitStack() as stack:
        readers = [stack.enter_context(subscribe(client)) for _ in range(3)]
        # Twelve events published from four threads at once.
        with ThreadPoolExecutor(max_workers=4) as pool:
            published = list(pool.map(lambda n: publish(client, f"event {n}"), range(12)))
        expected = sorted((as_received(p) for p in published), key=lambda e: int(e.last_event_id))
        assert [e.last_event_id for e in expected] == [str(n) for n in range(1, 13)]
        for reader in readers:
            assert [reader.next_event() for _ in range(12)] == expected


# Task 3 -----------------------------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("data", "received"),
    [
        pytest.param("first\nsecond", "first\nsecond", id="two-lines"),
        pytest.param("a\n\nb", "a\n\nb", id="blank-line-inside"),
        pytest.param("windows\r\nline ends", "windows\nline ends", id="crlf"),
        pytest.param("old mac\rline ends", "old mac\nline ends", id="cr"),
        pytest.param("ends with a newline\n", "ends with a newline\n", id="trailing-newline"),
        pytest.param("\n", "\n", id="only-a-newline"),
        pytest.param("  indented", "  indented", id="leading-spaces"),
        pytest.param(": not a comment", ": not a comment", id="leading-colon"),
        pytest.param(
            "x\n\nevent: evil\ndata: injected", "x\n\nevent: evil\ndata: injected", id="injection"
        ),
        pytest.param("id: 99\nretry: 1", "id: 99\nretry: 1", id="field-names-in-data"),
    ],
)
def test_multi_line_data_arrives_whole(client: TestClient, data: str, received: str) -> None:
    with subscribe(client) as reader:
        published = publish(client, data)
        last = publish(client, "end")
        assert reader.events_until(last["id"]) == [
            MessageEvent("message", received, str(published["id"])),
            as_received(last),
        ]


@pytest.mark.task(3)
def test_any_text_arrives_as_sent_with_line_ends_normalised(client: TestClient) -> None:
    with subscribe(client) as reader:

        @settings(max_examples=40, deadline=None)
        @given(data=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=200))
        def round_trip(data: str) -> None:
            published = publish(client, data)
            expected = data.replace("\r\n", "\n").replace("\r", "\n")
            assert reader.next_event() == MessageEvent("message", expected, str(published["id"]))

        round_trip()


# Task 4 -----------------------------------------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("last_event_id", "replayed"),
    [
        pytest.param("0", [1, 2, 3, 4, 5], id="from-the-start"),
        pytest.param("2", [3, 4, 5], id="from-the-middle"),
        pytest.param("4", [5], id="one-missed"),
        pytest.param("5", [], id="nothing-missed"),
    ],
)
def test_resume_replays_the_events_after_the_last_id(
    client: TestClient, last_event_id: str, replayed: list[int]
) -> None:
    published = publish_many(client, 5)
    with subscribe(client, last_event_id) as reader:
        live = publish(client, "live")
        expected = [as_received(published[n - 1]) for n in replayed] + [as_received(live)]
        assert reader.events_until(live["id"]) == expected


@pytest.mark.task(4)
@pytest.mark.stretch
def test_resume_from_zero_before_anything_was_published(client: TestClient) -> None:
    with subscribe(client, "0") as reader:
        live = publish(client, "first")
        assert reader.events_until(live["id"]) == [as_received(live)]


@pytest.mark.task(4)
@pytest.mark.stretch
def test_a_client_that_reconnects_misses_nothing_and_sees_nothing_twice(
    client: TestClient,
) -> None:
    with subscribe(client) as reader:
        seen = [reader.next_event() for _ in publish_many(client, 2)]
    missed = publish_many(client, 3)  # published while the client was away
    with subscribe(client, seen[-1].last_event_id) as reader:
        live = publish(client, "back")
        assert reader.events_until(live["id"]) == [as_received(p) for p in [*missed, live]]


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize("last_event_id", ["2", "3", "4", "5"])
def test_the_buffer_keeps_the_last_events_only(make_client: MakeClient, last_event_id: str) -> None:
    client = make_client(buffer_size=3)
    published = publish_many(client, 5)  # the buffer keeps 3, 4 and 5
    with subscribe(client, last_event_id) as reader:
        live = publish(client, "live")
        expected = [as_received(p) for p in published if p["id"] > int(last_event_id)]
        assert reader.events_until(live["id"]) == [*expected, as_received(live)]


@pytest.mark.task(4)
@pytest.mark.stretch
def test_the_default_buffer_keeps_the_last_hundred_events() -> None:
    broker = EventBroker()
    for n in range(101):
        broker.publish("message", f"event {n}")  # ids 1 to 101: the buffer keeps 2 to 101
    with broker.subscribe(1) as subscription:
        assert subscription.unknown_id is None
        assert [event.id for event in subscription.replay] == list(range(2, 102))
    with broker.subscribe(0) as subscription:
        assert subscription.unknown_id == 0
        assert [event.id for event in subscription.replay] == list(range(2, 102))


@pytest.mark.task(4)
@pytest.mark.stretch
def test_an_app_buffers_a_hundred_events_by_default(client: TestClient) -> None:
    publish_many(client, 101)
    with subscribe(client, "0") as reader:
        assert reader.next_event() == MessageEvent("reset", "0", last_event_id="")
        assert reader.next_event().last_event_id == "2"


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("published_count", "last_event_id"),
    [
        pytest.param(5, "1", id="evicted"),
        pytest.param(5, "0", id="evicted-from-zero"),
        pytest.param(5, "9", id="never-issued"),
        pytest.param(0, "1", id="never-issued-nothing-published"),
        pytest.param(5, "123456789012345678901234567890", id="huge"),
    ],
)
def test_an_unknown_id_gets_a_reset_then_the_whole_buffer(
    make_client: MakeClient, published_count: int, last_event_id: str
) -> None:
    client = make_client(buffer_size=3)
    published = publish_many(client, published_count)
    with subscribe(client, last_event_id) as reader:
        live = publish(client, "live")
        events = reader.events_until(live["id"])
    # The reset event carries no id: the fresh client has none yet when it is dispatched.
    assert events[0] == MessageEvent("reset", last_event_id, last_event_id="")
    assert events[1:] == [as_received(p) for p in published[-3:]] + [as_received(live)]


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "last_event_id",
    [
        pytest.param("abc", id="letters"),
        pytest.param("-1", id="negative"),
        pytest.param("1.5", id="fraction"),
        pytest.param("", id="empty"),
        pytest.param("0x10", id="hex"),
        pytest.param("1e3", id="exponent"),
        pytest.param("12abc", id="trailing-letters"),
        pytest.param("evt-7", id="someone-elses-id"),
    ],
)
def test_a_malformed_last_event_id_is_422_and_nothing_is_streamed(
    client: TestClient, last_event_id: str
) -> None:
    response = client.get("/events", headers={"Last-Event-ID": last_event_id})
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["header", "last-event-id"]]
    assert broker_of(client).subscriber_count == 0


@pytest.mark.task(4)
@pytest.mark.stretch
def test_any_last_event_id_with_a_letter_is_422(client: TestClient) -> None:
    @settings(max_examples=30, deadline=None)
    @given(
        last_event_id=st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12
        ).filter(lambda s: any(c.isalpha() for c in s))
    )
    def refuse(last_event_id: str) -> None:
        response = client.get("/events", headers={"Last-Event-ID": last_event_id})
        assert response.status_code == 422, response.text

    refuse()


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize("buffer_size", [1, 3])
def test_resume_agrees_with_a_model_of_the_buffer(
    make_client: MakeClient, buffer_size: int
) -> None:
    client = make_client(buffer_size=buffer_size)
    published: list[dict[str, Any]] = []

    @settings(max_examples=15, deadline=None)
    @given(more=st.integers(0, 4), last_event_id=st.integers(0, 30))
    def resume(more: int, last_event_id: int) -> None:
        # One app for every example: each publishes a few more events, then resumes from an id.
        published.extend(publish(client, f"event {len(published) + n}") for n in range(more))
        buffered = published[-buffer_size:]
        oldest = buffered[0]["id"] if buffered else 1
        expected = []
        if oldest - 1 <= last_event_id <= len(published):
            expected += [as_received(p) for p in buffered if p["id"] > last_event_id]
        else:
            expected.append(MessageEvent("reset", str(last_event_id), ""))
            expected += [as_received(p) for p in buffered]
        with subscribe(client, str(last_event_id)) as reader:
            live = publish(client, "live")
            published.append(live)
            assert reader.events_until(live["id"]) == [*expected, as_received(live)]

    resume()


@pytest.mark.task(4)
@pytest.mark.stretch
def test_subscribers_resuming_from_different_ids_at_once(client: TestClient) -> None:
    published = publish_many(client, 4)
    with ExitStack() as stack:
        readers = {n: stack.enter_context(subscribe(client, str(n))) for n in (0, 2, 4)}
        live = publish(client, "live")
        for n, reader in readers.items():
            expected = [as_received(p) for p in published[n:]] + [as_received(live)]
            assert reader.events_until(live["id"]) == expected


# Task 5 -----------------------------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
def test_an_idle_stream_gets_heartbeat_comments(make_client: MakeClient) -> None:
    client = make_client(heartbeat_interval=0.02)
    with subscribe(client) as reader:
        first = publish(client, "before")
        assert reader.next_event() == as_received(first)
        # About 20 heartbeats fit in the 0.4 s before the next event; ask for 2 to 60.
        comments: list[Comment] = []
        with published_later(client, 0.4, "after"):
            item = reader.next_item()
            while not isinstance(item, BlankLine) or item.event is None:
                if isinstance(item, Comment):
                    comments.append(item)
                item = reader.next_item()
        # Heartbeats dispatch nothing and leave the last event id alone.
        assert item.event == MessageEvent("message", "after", last_event_id="2")
        assert 2 <= len(comments) <= 60, comments


@pytest.mark.task(5)
@pytest.mark.stretch
def test_no_heartbeat_before_the_interval_has_passed(make_client: MakeClient) -> None:
    client = make_client(heartbeat_interval=30)
    with subscribe(client) as reader, published_later(client, 0.2, "soon"):
        assert reader.next_block() == [BlankLine(MessageEvent("message", "soon", "1"))]


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("interval", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
def test_the_heartbeat_interval_must_be_positive(interval: float) -> None:
    with pytest.raises(ValueError):
        create_app(heartbeat_interval=interval)


# Task 6 -----------------------------------------------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
def test_the_subscriber_count_follows_open_streams(client: TestClient) -> None:
    broker = broker_of(client)
    assert broker.subscriber_count == 0
    with subscribe(client):
        assert broker.subscriber_count == 1
        with subscribe(client):
            assert broker.subscriber_count == 2
        assert broker.subscriber_count == 1
    assert broker.subscriber_count == 0


@pytest.mark.task(6)
@pytest.mark.stretch
def test_the_others_keep_receiving_after_one_leaves(client: TestClient) -> None:
    with subscribe(client) as staying:
        with subscribe(client) as leaving:
            first = publish(client, "for both")
            assert leaving.next_event() == as_received(first)
        second = publish(client, "for the one who stayed")
        assert staying.events_until(second["id"]) == [as_received(first), as_received(second)]
        assert broker_of(client).subscriber_count == 1


@pytest.mark.task(6)
@pytest.mark.stretch
def test_leaving_in_the_middle_of_a_replay_ends_the_subscription(
    make_client: MakeClient,
) -> None:
    client = make_client(heartbeat_interval=0.05)
    publish_many(client, 10)
    for _ in range(3):
        with subscribe(client, "0") as reader:
            assert reader.next_event().data == "event 1"
            # The client leaves with 9 events still to come.
        assert broker_of(client).subscriber_count == 0


@pytest.mark.task(6)
@pytest.mark.stretch
def test_clients_coming_and_going_leave_nothing_behind(make_client: MakeClient) -> None:
    client = make_client(heartbeat_interval=0.05)
    broker = broker_of(client)
    with ExitStack() as outer:
        stacks = [outer.enter_context(ExitStack()) for _ in range(5)]
        readers = [stack.enter_context(subscribe(client)) for stack in stacks]
        assert broker.subscriber_count == 5
        published = publish(client, "to all")
        for gone, stack in enumerate([stacks[3], stacks[0], stacks[4]], start=1):
            stack.close()
            assert broker.subscriber_count == 5 - gone
        for reader in (readers[1], readers[2]):
            assert reader.next_event() == as_received(published)
    assert broker.subscriber_count == 0
    assert publish(client, "nobody listens")["id"] == 2
