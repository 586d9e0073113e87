"""Kata 4.10: a 100k-row CSV export, JSON Lines and byte ranges, all streamed, never buffered."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Sequence
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

CHUNK_SIZE = 64 * 1024
CSV_HEADER = ("id", "customer", "total_cents")


# --- Given: orders and where they come from ---------------------------------------------------


class Order(BaseModel):
    """One order, as the exports write it (given)."""

    id: int
    customer: str
    total_cents: int


OrderPages = AsyncGenerator[Sequence[Order], None]
# A feed opens a new cursor on the orders at each call, and yields them page by page, the way
# `AsyncResult.partitions()` or `yield_per` hand out database rows. The app calls it once per
# export; the tests pass feeds they control.
OrderFeed = Callable[[], OrderPages]

CUSTOMERS = ("Ada Lovelace", "Smith, Jane", 'Dwayne "The Rock" Johnson', "Zoë Ångström")


async def demo_orders(count: int = 100_000, page_size: int = 1_000) -> OrderPages:
    """`count` made-up orders, `page_size` at a time (given: an OrderFeed for trying the app)."""
    for start in range(1, count + 1, page_size):
        yield [
            Order(id=i, customer=CUSTOMERS[i % len(CUSTOMERS)], total_cents=i * 7919 % 100_000)
            for i in range(start, min(start + page_size, count + 1))
        ]
        await asyncio.sleep(0)  # a real cursor waits for the database between pages


class UnsatisfiableRange(Exception):
    """A well-formed Range that selects no byte of the file: the answer is 416 (given)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"no byte of a {size}-byte file is in that range")
        self.size = size


# --- Task 1: the CSV generator --------------------------------------------------------------


async def csv_chunks(pages: AsyncIterable[Sequence[Order]]) -> AsyncIterator[str]:
    """The CSV of the orders: the header line, then one chunk per page, each as it arrives."""
    # TODO(task 1): write CSV_HEADER, then each page's rows (id, customer, total_cents) with
    # csv.writer into an io.StringIO; yield what was written after the header and after each
    # page, and never read a page before the previous one has been yielded.
    raise NotImplementedError("csv_chunks is not written yet")
    yield ""  # makes this function an async generator, as the signature promises


# --- Task 5: the Range header ----------------------------------------------------------------


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions a Range header selects in a `size`-byte file.

    None means "send the whole file": no header, an empty file, or a header this server ignores.
    Raises UnsatisfiableRange when the range is well formed but selects nothing.
    """
    # TODO(task 5): accept exactly `bytes=first-last`, `bytes=first-` and `bytes=-suffix` (ASCII
    # digits, the unit in any case); clamp, ignore or refuse as the README says.
    raise NotImplementedError("parse_range is not written yet")


# --- Tasks 2 to 6: the app --------------------------------------------------------------------


def create_app(feed: OrderFeed, files_dir: Path) -> FastAPI:
    """The export service: orders from `feed` (one call per export), downloads from `files_dir`."""
    # TODO(task 2): GET /exports/orders.csv: a StreamingResponse of csv_chunks over a new feed().
    # TODO(task 3): open the feed in a yield dependency and aclose() it in a finally, so that
    # it is closed when the export ends, fails, or the client goes away.
    # TODO(task 4): GET /exports/orders.jsonl?limit=: an async generator endpoint that is
    # annotated `-> AsyncIterable[Order]`.
    # TODO(task 6): GET /files/{name}: the file from files_dir, streamed CHUNK_SIZE at a time,
    # with byte ranges (200, 206, 416) and 404 for anything that is not a file there; every
    # filesystem call (is_file, stat, open, read) in a worker thread, off the event loop.
    raise NotImplementedError("create_app is not written yet")
