"""Tests for kata 4.10: CSV and JSON Lines exports and file downloads that stream."""

import asyncio
import csv
import hashlib
import io
import json
import os
import re
import sys
import threading
import tracemalloc
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from streaming_responses import (
    CHUNK_SIZE,
    Order,
    UnsatisfiableRange,
    create_app,
    csv_chunks,
    demo_orders,
    parse_range,
)

HEADER = "id,customer,total_cents\r\n"
CSV_PATH = "/exports/orders.csv"
JSONL_PATH = "/exports/orders.jsonl"
PATIENCE = 10  # seconds: generous; a correct solution needs a few milliseconds per step


async def within(awaitable: Awaitable[object], failure: str, seconds: float = PATIENCE) -> None:
    """Awaits `awaitable`, failing the test with `failure` after `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            await awaitable
    except TimeoutError:
        pytest.fail(f"{failure} (after {seconds} s)")


async def _all_demo_orders() -> list[Order]:
    return [order async for page in demo_orders(2_500, page_size=1_000) for order in page]


DEMO_ORDERS = asyncio.run(_all_demo_orders())  # what the `demo_client` fixture's app exports


def demo_feed() -> AsyncGenerator[Sequence[Order], None]:
    """The feed of the `demo_client` fixture's app: 2,500 demo orders in pages of 1,000."""
    return demo_orders(2_500, page_size=1_000)


# --- Helpers: feeds the tests control, and an ASGI driver that sees every chunk --------------


def page_of(first_id: int, count: int, customer: str = "Ada Lovelace") -> list[Order]:
    """`count` orders with consecutive ids from `first_id`."""
    return [
        Order(id=i, customer=customer, total_cents=i * 37 % 10_000)
        for i in range(first_id, first_id + count)
    ]


class Feed:
    """An OrderFeed for tests: every call opens a new cursor over the same pages.

    The first page comes at once; each later one waits until `gate` is set (when there is a
    gate). The pages are handed out `repeat` times over. The feed counts the cursors it opened
    (`opened`), the pages it handed out (`pulled`) and the cursors whose `finally` ran (`closed`).
    """

    def __init__(
        self,
        pages: Sequence[Sequence[Order]],
        gate: asyncio.Event | None = None,
        repeat: int = 1,
    ) -> None:
        self.pages = pages
        self.gate = gate
        self.total = len(pages) * repeat
        self.opened = 0
        self.pulled = 0
        self.closed = 0

    async def __call__(self) -> AsyncGenerator[Sequence[Order], None]:
        self.opened += 1
        try:
            for index in range(self.total):
                if index > 0 and self.gate is not None:
                    await self.gate.wait()
                self.pulled += 1
                yield self.pages[index % len(self.pages)]
                # No other await: when the client leaves, the cancellation must land in the app's
                # code, never in here, or it would close this generator by itself.
        finally:
            self.closed += 1


@dataclass
class Exchange:
    """What the driver saw of one request: status, headers, body chunks, and whether it ended."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    complete: bool = False
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def body(self) -> bytes:
        """The body received so far."""
        return b"".join(self.chunks)

    async def until(self, predicate: Callable[["Exchange"], bool]) -> None:
        """Waits until `predicate(self)` holds; every message the app sends re-checks it."""
        while not predicate(self):
            await self.progress.wait()
            self.progress.clear()


def start(
    app: FastAPI,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
    *,
    disconnect: asyncio.Event | None = None,
    keep: bool = True,
    on_chunk: Callable[[bytes], object] | None = None,
    broken_after: int | None = None,
) -> tuple[Exchange, "asyncio.Task[None]"]:
    """Starts `GET path` on `app` in a task, the way a server would, and returns the record.

    `httpx.ASGITransport` hands a response over only once it is complete; this driver records
    each `http.response.body` message as it is sent. Once `disconnect` is set, the app's next
    `receive()` answers `http.disconnect`: the client went away. With `broken_after=n`, the
    connection breaks after `n` body chunks: every later `send()` raises `OSError`, as an ASGI
    2.4 server's does when the client has gone. With `keep=False`, chunks are only counted and
    passed to `on_chunk`, never stored.
    """
    exchange = Exchange()
    route, _, query = path.partition("?")
    asgi = {"version": "3.0"} if broken_after is None else {"version": "3.0", "spec_version": "2.4"}
    scope = {
        "type": "http",
        "asgi": asgi,
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in [("host", "test"), *headers]],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await (disconnect or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]  # type: ignore[assignment]
            exchange.headers = {k.decode(): v.decode() for k, v in message["headers"]}  # type: ignore[attr-defined]
        elif message["type"] == "http.response.body":
            if broken_after is not None and len(exchange.chunks) >= broken_after:
                raise OSError("connection reset by peer")
            chunk = bytes(message.get("body", b""))  # type: ignore[arg-type]
            if chunk:
                exchange.size += len(chunk)
                if keep:
                    exchange.chunks.append(chunk)
                if on_chunk is not None:
                    on_chunk(chunk)
            exchange.complete = not message.get("more_body", False)
        exchange.progress.set()
        await asyncio.sleep(0)  # a server yields to the loop while it writes to the socket

    task = asyncio.ensure_future(app(scope, receive, send))  # type: ignore[arg-type]
    task.add_done_callback(lambda _: exchange.progress.set())  # wake `until` if the app ends
    return exchange, task


def csv_of(orders: Sequence[Order]) -> str:
    """The export of `orders` as `csv.writer` writes it, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "customer", "total_cents"])
    writer.writerows((o.id, o.customer, o.total_cents) for o in orders)
    return buffer.getvalue()


def rows_of(text: str) -> list[list[str]]:
    """The rows of a CSV text, header included."""
    return list(csv.reader(io.StringIO(text, newline="")))


def data_rows(exchange: Exchange, path: str) -> int:
    """How many orders the client has received whole so far."""
    lines = exchange.body.count(b"\n")
    return lines - 1 if path == CSV_PATH else lines


async def collect(pages: Sequence[Sequence[Order]]) -> list[str]:
    """Every chunk csv_chunks yields for these pages."""

    async def feed() -> AsyncGenerator[Sequence[Order], None]:
        for page in pages:
            yield page

    return [chunk async for chunk in csv_chunks(feed())]


# --- Task 1: the CSV generator --------------------------------------------------------------


@pytest.mark.task(1)
async def test_no_orders_is_just_the_header_line() -> None:
    assert "".join(await collect([])) == HEADER


@pytest.mark.task(1)
async def test_every_order_becomes_one_line_in_feed_order() -> None:
    pages = [page_of(1, 3), page_of(4, 2)]
    text = "".join(await collect(pages))
    assert text == HEADER + "".join(f"{i},Ada Lovelace,{i * 37}\r\n" for i in range(1, 6))


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("customer", "field"),
    [
        pytest.param("Smith, Jane", '"Smith, Jane"', id="comma"),
        pytest.param('Dwayne "The Rock" Johnson', '"Dwayne ""The Rock"" Johnson"', id="quotes"),
        pytest.param("two\r\nlines", '"two\r\nlines"', id="line-break"),
        pytest.param("Zoë Ångström", "Zoë Ångström", id="unicode-unquoted"),
    ],
)
async def test_fields_are_quoted_as_rfc_4180_says(customer: str, field: str) -> None:
    text = "".join(await collect([[Order(id=7, customer=customer, total_cents=100)]]))
    assert text == f"{HEADER}7,{field},100\r\n"


@pytest.mark.task(1)
@settings(max_examples=40, deadline=None)
@given(
    orders=st.lists(
        st.builds(
            Order, id=st.integers(), customer=st.text(max_size=20), total_cents=st.integers()
        ),
        max_size=12,
    ),
    page_size=st.integers(1, 5),
)
async def test_any_orders_round_trip_through_a_csv_reader(
    orders: list[Order], page_size: int
) -> None:
    pages = [orders[i : i + page_size] for i in range(0, len(orders), page_size)]
    rows = rows_of("".join(await collect(pages)))
    assert rows == [
        ["id", "customer", "total_cents"],
        *([str(o.id), o.customer, str(o.total_cents)] for o in orders),
    ]


@pytest.mark.task(1)
async def test_the_header_and_then_each_page_is_one_chunk() -> None:
    pages = [page_of(1, 3), page_of(4, 1), [], page_of(5, 2, customer="Smith, Jane")]
    chunks = [chunk for chunk in await collect(pages) if chunk]  # an empty page may yield ""
    assert chunks == [
        HEADER,
        *(csv_of(page).removeprefix(HEADER) for page in pages if page),
    ], "expected the header line, then exactly one chunk per page of orders"


@pytest.mark.task(1)
async def test_csv_chunks_pulls_one_page_at_a_time() -> None:
    feed = Feed([page_of(1, 10), page_of(11, 10), page_of(21, 10)])
    chunks = csv_chunks(feed())
    received = ""
    while received.count("\r\n") < 2:  # until the first order is in
        received += await anext(chunks)
    assert feed.pulled == 1
    rest = [chunk async for chunk in chunks]
    assert received + "".join(rest) == csv_of(page_of(1, 30))
    assert feed.pulled == 3


# --- Task 2: the CSV export over HTTP -------------------------------------------------------


@pytest.mark.task(2)
async def test_the_demo_feed_is_exported_whole(files_dir: Path) -> None:
    exchange, task = start(create_app(demo_feed, files_dir), CSV_PATH)
    await within(task, "the export did not finish")
    assert exchange.body == csv_of(DEMO_ORDERS).encode()
    # The given demo feed and constants are what the README says.
    assert CHUNK_SIZE == 64 * 1024
    pages = [page async for page in demo_orders()]
    assert [len(page) for page in pages] == [1_000] * 100
    assert [order.id for order in pages[0][:3]] == [1, 2, 3]
    assert pages[-1][-1].id == 100_000
    assert [len(page) async for page in demo_orders(2_001, page_size=1_000)] == [1_000, 1_000, 1]
    assert DEMO_ORDERS[0] == Order(id=1, customer="Smith, Jane", total_cents=7919)
    assert DEMO_ORDERS[-1] == Order(id=2_500, customer="Ada Lovelace", total_cents=97_500)
    assert len(DEMO_ORDERS) == 2_500


@pytest.mark.task(2)
def test_the_export_is_a_csv_attachment(demo_client: TestClient) -> None:
    response = demo_client.get(CSV_PATH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="orders.csv"'


@pytest.mark.task(2)
def test_the_export_holds_every_order_of_the_feed(demo_client: TestClient) -> None:
    response = demo_client.get(CSV_PATH)
    assert response.status_code == 200, response.text
    assert response.content == csv_of(DEMO_ORDERS).encode()
    assert len(rows_of(response.text)) == 2_501


@pytest.mark.task(2)
async def test_the_first_page_reaches_the_client_before_the_feed_ends(
    files_dir: Path,
) -> None:
    gate = asyncio.Event()
    feed = Feed([page_of(1, 1000), page_of(1001, 1000)], gate)
    exchange, task = start(create_app(feed, files_dir), CSV_PATH)
    await within(
        exchange.until(lambda ex: data_rows(ex, CSV_PATH) >= 1 or task.done()),
        "no order reached the client while the feed waited to produce its second page",
    )
    assert exchange.status == 200
    assert data_rows(exchange, CSV_PATH) >= 1, "the export ended without sending an order"
    assert feed.pulled == 1
    assert not exchange.complete
    gate.set()
    await within(task, "the export did not finish once the feed went on")
    assert exchange.body == csv_of(page_of(1, 2000)).encode()


@pytest.mark.task(2)
async def test_the_client_receives_one_chunk_per_page(files_dir: Path) -> None:
    pages = [page_of(1, 1000), page_of(1001, 1000), page_of(2001, 500)]
    exchange, task = start(create_app(Feed(pages), files_dir), CSV_PATH)
    await within(task, "the export did not finish")
    received = [chunk.decode() for chunk in exchange.chunks]
    assert len(received) == 4, f"{len(received)} body chunks for a header and three pages"
    assert received == [HEADER, *(csv_of(page).removeprefix(HEADER) for page in pages)]


@pytest.mark.task(2)
async def test_the_100k_row_export_streams_in_bounded_memory(files_dir: Path) -> None:
    customer = "Grace Brewster Murray Hopper, Rear Admiral, United States Navy (retired)"
    page = page_of(1, 1_000, customer=customer)
    pages = [page] * 100  # one page object, a hundred times: the feed itself allocates nothing
    expected = (HEADER + csv_of(page).removeprefix(HEADER) * 100).encode()
    expected_digest, expected_size = hashlib.sha256(expected).hexdigest(), len(expected)
    del expected
    app = create_app(Feed(pages), files_dir)
    digest = hashlib.sha256()
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        exchange, task = start(app, CSV_PATH, keep=False, on_chunk=digest.update)
        await within(task, "the export of 100,000 orders did not finish", seconds=120)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert exchange.complete
    assert exchange.size == expected_size  # about 8.5 MB
    assert digest.hexdigest() == expected_digest
    assert peak < 2_000_000, f"{peak} bytes allocated at the peak for a {expected_size}-byte body"


@pytest.mark.task(2)
async def test_concurrent_exports_stream_side_by_side(files_dir: Path) -> None:
    gate = asyncio.Event()
    feed = Feed([page_of(1, 1000), page_of(1001, 1000)], gate)
    app = create_app(feed, files_dir)
    started = [start(app, CSV_PATH) for _ in range(5)]
    for exchange, task in started:
        await within(
            exchange.until(lambda ex, t=task: data_rows(ex, CSV_PATH) >= 1 or t.done()),
            "an export sent no order while the feeds waited to produce their second pages",
        )
    assert [data_rows(exchange, CSV_PATH) >= 1 for exchange, _ in started] == [True] * 5
    assert (feed.opened, feed.pulled) == (5, 5)  # five cursors, each on its first page
    gate.set()
    await within(asyncio.gather(*(task for _, task in started)), "the exports did not finish")
    expected = csv_of(page_of(1, 2000)).encode()
    assert [exchange.body == expected for exchange, _ in started] == [True] * 5


# --- Task 3: stop when the client leaves -----------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize("path", [CSV_PATH, JSONL_PATH])
async def test_a_disconnect_stops_the_export_and_closes_the_feed(
    files_dir: Path, path: str
) -> None:
    feed = Feed([page_of(1, 100)], repeat=1_000)  # 100,000 orders
    disconnect = asyncio.Event()
    exchange, task = start(create_app(feed, files_dir), path, disconnect=disconnect)
    await within(
        exchange.until(lambda ex: data_rows(ex, path) >= 1 or task.done()),
        "no order reached the client",
    )
    disconnect.set()
    await within(task, "the export went on after the client left")
    assert feed.pulled < 1_000, "the export read the whole feed although the client had left"
    assert not exchange.complete
    assert feed.closed == 1, "the feed was left open: its finally had not run when the app returned"


@pytest.mark.task(3)
@pytest.mark.parametrize("path", [CSV_PATH, JSONL_PATH])
async def test_the_feed_is_closed_after_a_complete_export(files_dir: Path, path: str) -> None:
    feed = Feed([page_of(1, 5), page_of(6, 5)])
    exchange, task = start(create_app(feed, files_dir), path)
    await within(task, "the request did not finish")
    assert exchange.complete
    assert data_rows(exchange, path) == 10
    assert (feed.opened, feed.closed) == (1, 1)


@pytest.mark.task(3)
@pytest.mark.parametrize("path", [CSV_PATH, JSONL_PATH])
async def test_a_failed_send_stops_the_export_and_closes_the_feed(
    files_dir: Path, path: str
) -> None:
    feed = Feed([page_of(1, 100)], repeat=1_000)  # 100,000 orders
    _, task = start(create_app(feed, files_dir), path, broken_after=2)
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    assert done, "the export went on after the connection broke"
    task.exception()  # the app may re-raise the failed send (a server logs it); that is fine
    assert feed.pulled < 1_000, "the export read the whole feed although the connection broke"
    assert feed.closed == 1, (
        "the feed was left open after a send failed: the dependency's cleanup must run "
        "whatever the request ends with (try/finally around its yield)"
    )


# --- Task 4: JSON Lines ---------------------------------------------------------------------


@pytest.mark.task(4)
async def test_json_lines_stream_one_order_per_line(files_dir: Path) -> None:
    exchange, task = start(create_app(demo_feed, files_dir), JSONL_PATH)
    await within(task, "the request did not finish")
    assert exchange.status == 200
    assert exchange.headers["content-type"] == "application/jsonl"
    lines = exchange.body.decode().split("\n")
    assert lines[-1] == ""  # every line, the last included, ends with "\n"
    assert [Order.model_validate(json.loads(line)) for line in lines[:-1]] == DEMO_ORDERS


@pytest.mark.task(4)
async def test_a_limit_stops_early_without_pulling_more_pages(files_dir: Path) -> None:
    feed = Feed([page_of(1, 5), page_of(6, 5), page_of(11, 5)])
    exchange, task = start(create_app(feed, files_dir), f"{JSONL_PATH}?limit=5")
    await within(task, "the request did not finish")
    assert exchange.status == 200
    assert [json.loads(line)["id"] for line in exchange.body.splitlines()] == [1, 2, 3, 4, 5]
    assert (feed.pulled, feed.closed) == (1, 1)


@pytest.mark.task(4)
async def test_a_limit_of_one_sends_one_order(files_dir: Path) -> None:
    exchange, task = start(create_app(demo_feed, files_dir), f"{JSONL_PATH}?limit=1")
    await within(task, "the request did not finish")
    assert exchange.status == 200
    assert [json.loads(line)["id"] for line in exchange.body.splitlines()] == [1]


@pytest.mark.task(4)
async def test_a_limit_can_span_pages(files_dir: Path) -> None:
    exchange, task = start(create_app(demo_feed, files_dir), f"{JSONL_PATH}?limit=1001")
    await within(task, "the request did not finish")
    assert exchange.status == 200
    assert [json.loads(line)["id"] for line in exchange.body.splitlines()] == list(range(1, 1002))


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "limit",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param("ten", id="not-a-number"),
        pytest.param("1.5", id="fraction"),
    ],
)
def test_a_bad_limit_is_422_before_anything_streams(demo_client: TestClient, limit: str) -> None:
    response = demo_client.get(JSONL_PATH, params={"limit": limit})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.task(4)
async def test_the_first_json_line_arrives_before_the_feed_ends(files_dir: Path) -> None:
    gate = asyncio.Event()
    feed = Feed([page_of(1, 10), page_of(11, 10)], gate)
    exchange, task = start(create_app(feed, files_dir), JSONL_PATH)
    await within(
        exchange.until(lambda ex: data_rows(ex, JSONL_PATH) >= 1 or task.done()),
        "no order reached the client while the feed waited to produce its second page",
    )
    assert data_rows(exchange, JSONL_PATH) >= 1, "the export ended without sending an order"
    assert feed.pulled == 1
    gate.set()
    await within(task, "the request did not finish")
    assert data_rows(exchange, JSONL_PATH) == 20


@pytest.mark.task(4)
def test_the_openapi_document_describes_each_line(demo_client: TestClient) -> None:
    document = demo_client.get("/openapi.json").json()
    content = document["paths"][JSONL_PATH]["get"]["responses"]["200"]["content"]
    assert content == {"application/jsonl": {"itemSchema": {"$ref": "#/components/schemas/Order"}}}


# --- Task 5: the Range header -------------------------------------------------------------------

RANGE_SPEC = re.compile(r"bytes=(?:([0-9]+)-([0-9]*)|-([0-9]+))", re.ASCII | re.IGNORECASE)


def expected_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """What the README specifies: (first, last), None (whole file), or "416 */size"."""
    if header is None or size == 0:
        return None
    match = RANGE_SPEC.fullmatch(header)
    if match is None:
        return None
    first, last, suffix = match.groups()
    if suffix is not None:
        return f"416 */{size}" if int(suffix) == 0 else (max(size - int(suffix), 0), size - 1)
    if last and int(last) < int(first):
        return None
    if int(first) >= size:
        return f"416 */{size}"
    return int(first), size - 1 if not last else min(int(last), size - 1)


def actual_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """parse_range's answer, with UnsatisfiableRange as "416 */size"."""
    try:
        return parse_range(header, size)
    except UnsatisfiableRange as error:
        return f"416 */{error.size}"


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("header", "selected"),
    [
        pytest.param("bytes=0-499", (0, 499), id="first-500"),
        pytest.param("bytes=500-999", (500, 999), id="second-500"),
        pytest.param("bytes=-500", (9500, 9999), id="last-500"),
        pytest.param("bytes=9500-", (9500, 9999), id="from-9500"),
        pytest.param("bytes=0-0", (0, 0), id="first-byte"),
        pytest.param("bytes=-1", (9999, 9999), id="last-byte"),
        pytest.param("bytes=9000-20000", (9000, 9999), id="last-clamped"),
        pytest.param("bytes=-20000", (0, 9999), id="suffix-longer-than-file"),
        pytest.param("bytes=0-99999999999999999999", (0, 9999), id="huge-last"),
        pytest.param("Bytes=0-1", (0, 1), id="unit-case-insensitive"),
    ],
)
def test_a_single_range_selects_its_bytes(header: str, selected: tuple[int, int]) -> None:
    assert parse_range(header, 10_000) == selected


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("bytes=10000-", id="starts-at-the-end"),
        pytest.param("bytes=10000-10005", id="starts-past-the-end"),
        pytest.param("bytes=-0", id="empty-suffix"),
    ],
)
def test_a_range_that_selects_nothing_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange) as raised:
        parse_range(header, 10_000)
    assert raised.value.size == 10_000


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="absent"),
        pytest.param("", id="empty"),
        pytest.param("bytes", id="no-equals"),
        pytest.param("bytes=", id="no-range"),
        pytest.param("bytes=-", id="only-a-dash"),
        pytest.param("bytes=a-b", id="letters"),
        pytest.param("bytes=5-2", id="last-before-first"),
        pytest.param("bytes=0-1,4-5", id="two-ranges"),
        pytest.param("bytes=0-1,", id="trailing-comma"),
        pytest.param("items=0-1", id="other-unit"),
        pytest.param("bytes = 0-1", id="spaces-around-equals"),
        pytest.param("bytes=+1-2", id="plus-sign"),
        pytest.param("bytes=1_0-20", id="underscore-digits"),
        pytest.param("bytes=\u0661-\u0662", id="arabic-indic-digits"),
        pytest.param("bytes=0-1 ", id="trailing-space"),
    ],
)
def test_an_absent_or_malformed_range_means_the_whole_file(header: str | None) -> None:
    assert parse_range(header, 10_000) is None


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-5", "bytes=0-0", "bytes=5-"])
def test_an_empty_file_ignores_any_range(header: str) -> None:
    assert parse_range(header, 0) is None


well_formed = st.one_of(
    st.builds("bytes={}-{}".format, st.integers(0, 320), st.integers(0, 320)),
    st.builds("bytes={}-".format, st.integers(0, 320)),
    st.builds("bytes=-{}".format, st.integers(0, 320)),
)
any_ascii_header = st.one_of(well_formed, st.text(alphabet="bytesBYTES=-,0123456789 ", max_size=14))
any_header = st.one_of(any_ascii_header, st.text(alphabet="bytes=-0123456789\u0663", max_size=10))


@pytest.mark.task(5)
@pytest.mark.stretch
@settings(max_examples=150, deadline=None)
@given(header=any_header, size=st.integers(0, 300))
def test_parse_range_agrees_with_the_specification(header: str, size: int) -> None:
    assert actual_range(header, size) == expected_range(header, size)


# --- Task 6: files with byte ranges -----------------------------------------------------------


def payload(size: int) -> bytes:
    """`size` bytes with a period of 251 (a prime), so that a shifted slice never matches."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


@pytest.fixture
def file_client(files_dir: Path) -> TestClient:
    """A TestClient on an app with `data.bin` (10,000 bytes) and `empty.bin` in its folder."""
    (files_dir / "data.bin").write_bytes(payload(10_000))
    (files_dir / "empty.bin").write_bytes(b"")
    return TestClient(create_app(Feed([]), files_dir))


@pytest.mark.task(6)
@pytest.mark.stretch
def test_a_download_without_range_is_the_whole_file(file_client: TestClient) -> None:
    response = file_client.get("/files/data.bin")
    assert response.status_code == 200, response.text
    assert response.content == payload(10_000)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == "10000"
    assert response.headers["accept-ranges"] == "bytes"
    assert "content-range" not in response.headers


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        pytest.param("bytes=0-499", 0, 499, id="first-500"),
        pytest.param("bytes=9500-", 9500, 9999, id="open-ended"),
        pytest.param("bytes=-500", 9500, 9999, id="suffix"),
        pytest.param("bytes=1234-1234", 1234, 1234, id="one-byte"),
        pytest.param("bytes=9990-20000", 9990, 9999, id="clamped"),
    ],
)
def test_a_range_is_answered_206_with_content_range(
    file_client: TestClient, header: str, first: int, last: int
) -> None:
    response = file_client.get("/files/data.bin", headers={"Range": header})
    assert response.status_code == 206, response.text
    assert response.content == payload(10_000)[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/10000"
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "application/octet-stream"


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=20000-30000", "bytes=-0"])
def test_an_unsatisfiable_range_is_416_with_the_size(file_client: TestClient, header: str) -> None:
    response = file_client.get("/files/data.bin", headers={"Range": header})
    assert response.status_code == 416, response.text
    assert response.headers["content-range"] == "bytes */10000"


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize("header", ["bytes=5-2", "bytes=0-1,4-5", "pages=1-2", "bytes=x-"])
def test_an_ignored_range_gets_the_whole_file(file_client: TestClient, header: str) -> None:
    response = file_client.get("/files/data.bin", headers={"Range": header})
    assert response.status_code == 200, response.text
    assert response.content == payload(10_000)
    assert "content-range" not in response.headers


@pytest.mark.task(6)
@pytest.mark.stretch
def test_an_empty_file_is_an_empty_200(file_client: TestClient) -> None:
    response = file_client.get("/files/empty.bin", headers={"Range": "bytes=0-"})
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["content-length"] == "0"


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("missing.bin", id="missing"),
        pytest.param("archive", id="a-folder"),
        pytest.param("%2E%2E", id="dot-dot"),
        pytest.param("%00", id="nul-byte"),
        pytest.param("data.bin%00.txt", id="nul-inside"),
    ],
)
def test_anything_but_a_file_of_the_folder_is_404(file_client: TestClient, name: str) -> None:
    response = file_client.get(f"/files/{name}")
    assert response.status_code == 404, response.text


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_a_large_file_is_sent_in_chunks_of_at_most_64_kib(files_dir: Path) -> None:
    data = payload(1_000_000)
    (files_dir / "big.bin").write_bytes(data)
    app = create_app(Feed([]), files_dir)
    for headers, expected in [((), data), ((("Range", "bytes=1000-900000"),), data[1000:900001])]:
        exchange, task = start(app, "/files/big.bin", headers)
        await within(task, "the download did not finish")
        assert exchange.body == expected
        assert max(len(chunk) for chunk in exchange.chunks) <= 64 * 1024


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("header", "first"),
    [pytest.param("", 0, id="whole-file"), pytest.param("bytes=1000-", 1000, id="range")],
)
async def test_a_large_download_never_holds_the_file_in_memory(
    files_dir: Path, header: str, first: int
) -> None:
    size = 8_000_000
    data = payload(size)
    (files_dir / "big.bin").write_bytes(data)
    expected_digest = hashlib.sha256(data[first:]).hexdigest()
    del data
    app = create_app(Feed([]), files_dir)
    digest = hashlib.sha256()
    headers = [("Range", header)] if header else []
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        exchange, task = start(app, "/files/big.bin", headers, keep=False, on_chunk=digest.update)
        await within(task, "the download did not finish", seconds=120)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert exchange.complete
    assert (exchange.size, digest.hexdigest()) == (size - first, expected_digest)
    # Generous: a chunk-at-a-time download peaks near a few CHUNK_SIZEs, whatever the file size.
    assert peak < size // 4, f"{peak} bytes allocated at the peak to send a {size}-byte file"


class FilesystemCalls:
    """Records the filesystem calls on paths inside `folder`, and which thread made them."""

    def __init__(self, folder: Path) -> None:
        self.folder = os.fspath(folder)
        self.loop_thread = threading.get_ident()  # the thread running the test's event loop
        self.seen: list[str] = []  # every call, from any thread
        self.on_the_loop: list[str] = []

    def record(self, call: str, path: object) -> None:
        if not isinstance(path, str | bytes | os.PathLike):
            return  # a file descriptor
        name = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
        if name.startswith(self.folder):
            self.seen.append(f"{call}({name})")
            if threading.get_ident() == self.loop_thread:
                self.on_the_loop.append(f"{call}({name})")


_WATCHERS: list[FilesystemCalls] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open":  # open(), os.open() and io.open() all raise this event
        for watcher in _WATCHERS:  # empty, but while a test watches (monkeypatched)
            watcher.record("open", args[0])


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one only looks while a test watches


def _spy(watcher: FilesystemCalls, name: str) -> Callable[..., Any]:
    """`os.<name>`, recording each call with `watcher` first."""
    original = getattr(os, name)

    def spy(path: object, *args: Any, **kwargs: Any) -> Any:
        watcher.record(name, path)
        return original(path, *args, **kwargs)

    return spy


def watch_filesystem(folder: Path, monkeypatch: pytest.MonkeyPatch) -> FilesystemCalls:
    """Records open() and stat() (is_file, getsize...) in `folder` until the test ends."""
    watcher = FilesystemCalls(folder)
    for name in ("stat", "lstat"):
        monkeypatch.setattr(os, name, _spy(watcher, name))
    monkeypatch.setitem(globals(), "_WATCHERS", [watcher])
    return watcher


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_the_filesystem_is_used_only_off_the_event_loop(
    files_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (files_dir / "data.bin").write_bytes(payload(200_000))
    app = create_app(Feed([]), files_dir)
    filesystem_calls = watch_filesystem(files_dir, monkeypatch)
    for name, headers in [
        ("data.bin", []),
        ("data.bin", [("Range", "bytes=100-")]),
        ("data.bin", [("Range", "bytes=300000-")]),
        ("missing.bin", []),
        ("archive", []),
    ]:
        exchange, task = start(app, f"/files/{name}", headers)
        await within(task, "the download did not finish")
        assert exchange.status in {200, 206, 404, 416}
    assert filesystem_calls.seen, "the test saw no filesystem call at all"
    assert filesystem_calls.on_the_loop == [], (
        "blocking filesystem calls ran on the event loop, where they stall every other request: "
        "use anyio.Path / anyio.open_file, or run them in a worker thread"
    )


@pytest.mark.task(6)
@pytest.mark.stretch
def test_any_range_of_any_file_matches_the_specification(files_dir: Path) -> None:
    client = TestClient(create_app(Feed([]), files_dir))

    @settings(max_examples=40, deadline=None)
    @given(data=st.binary(max_size=300), header=any_ascii_header)
    def check(data: bytes, header: str) -> None:
        (files_dir / "f.bin").write_bytes(data)
        response = client.get("/files/f.bin", headers={"Range": header})
        expected = expected_range(header, len(data))
        if expected is None:
            assert response.status_code == 200, response.text
            assert response.content == data
        elif isinstance(expected, str):
            assert response.status_code == 416, response.text
            assert response.headers["content-range"] == f"bytes */{len(data)}"
        else:
            first, last = expected
            assert response.status_code == 206, response.text
            assert response.content == data[first : last + 1]
            assert response.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"

    check()
