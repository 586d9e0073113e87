"""Kata 4.10: a 100k-row CSV export, JSON Lines and byte ranges, all streamed, never buffered."""

import asyncio
import csv
import io
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response, status
from fastapi.responses import StreamingResponse
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


def _drain(buffer: io.StringIO) -> str:
    """What the writer put in `buffer` since the last drain, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


async def csv_chunks(pages: AsyncIterable[Sequence[Order]]) -> AsyncIterator[str]:
    """The CSV of the orders: the header line, then one chunk per page, each as it arrives."""
    # csv.writer speaks RFC 4180: CRLF line ends, and quotes (doubling inner quotes) exactly the
    # fields that hold a comma, a quote or a line break. Never join fields with "," by hand.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield _drain(buffer)
    async for page in pages:
        # One chunk per page: one send per row would cost an await (and, in a real server, a
        # write) for every 30 bytes; the whole export in one chunk would cost all the memory.
        writer.writerows((order.id, order.customer, order.total_cents) for order in page)
        chunk = _drain(buffer)
        if chunk:
            yield chunk


# --- Task 5: the Range header ----------------------------------------------------------------

# RFC 9110 section 14.1: a single int-range (`first-[last]`) or suffix-range (`-length`) of
# ASCII digits. re.ASCII keeps \s, \d and case folding from accepting Unicode look-alikes
# (int() happily reads "٣" or " 3_0 ").
_BYTE_RANGE = re.compile(r"bytes=(?:([0-9]+)-([0-9]*)|-([0-9]+))", re.ASCII | re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions a Range header selects in a `size`-byte file.

    None means "send the whole file": no header, an empty file, or a header this server ignores.
    Raises UnsatisfiableRange when the range is well formed but selects nothing.
    """
    if header is None or size == 0:
        return None
    match = _BYTE_RANGE.fullmatch(header)
    if match is None:
        # Malformed, another unit, or several ranges: a server MAY ignore Range (RFC 9110
        # section 14.2), and a whole 200 is always a correct answer to a GET.
        return None
    first, last, suffix = match.groups()
    if suffix is not None:
        length = int(suffix)
        if length == 0:
            raise UnsatisfiableRange(size)
        return max(size - length, 0), size - 1  # a suffix longer than the file is the file
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range-spec: ignored like any malformed header
    if start >= size:
        raise UnsatisfiableRange(size)
    end = size - 1 if not last else min(int(last), size - 1)  # a last past the end is clamped
    return start, end


# --- Task 6: file bytes -----------------------------------------------------------------------


async def _file_chunks(path: anyio.Path, first: int, last: int) -> AsyncIterator[bytes]:
    """Bytes first..last of the file, CHUNK_SIZE at a time, read in a worker thread."""
    async with await path.open("rb") as file:
        await file.seek(first)
        remaining = last - first + 1
        # An empty read ends the loop too: the file shrank while we were sending it.
        while remaining > 0 and (chunk := await file.read(min(CHUNK_SIZE, remaining))):
            remaining -= len(chunk)
            yield chunk


# --- Tasks 2 to 6: the app --------------------------------------------------------------------


def create_app(feed: OrderFeed, files_dir: Path) -> FastAPI:
    """The export service: orders from `feed` (one call per export), downloads from `files_dir`."""
    app = FastAPI(title="Exports")

    async def order_pages() -> AsyncIterator[OrderPages]:
        """One cursor per request, closed when the request ends (task 3)."""
        pages = feed()
        try:
            yield pages
        finally:
            # Starlette never closes a StreamingResponse's iterator: when the client leaves,
            # the iteration is cancelled and the generators are left to the garbage collector.
            # A yield dependency's exit code does run when the request ends (response sent,
            # failed or cancelled), so the cursor closes now, not whenever GC gets to it.
            await pages.aclose()

    Pages = Annotated[OrderPages, Depends(order_pages)]

    @app.get("/exports/orders.csv")
    async def export_csv(pages: Pages) -> StreamingResponse:
        return StreamingResponse(
            csv_chunks(pages),
            media_type="text/csv",  # Starlette adds "; charset=utf-8" to text types
            headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
        )

    @app.get("/exports/orders.jsonl")
    async def export_jsonl(
        pages: Pages, limit: Annotated[int | None, Query(ge=1)] = None
    ) -> AsyncIterable[Order]:
        # A generator endpoint with an item type: FastAPI streams it as application/jsonl,
        # validating and serialising each item with Pydantic, one line per item.
        sent = 0
        async for page in pages:
            for order in page:
                yield order
                sent += 1
                if sent == limit:
                    return  # stop before pulling another page from the cursor

    @app.get("/files/{name}")
    async def download(
        name: str, range_header: Annotated[str | None, Header(alias="range")] = None
    ) -> Response:
        # anyio.Path runs each filesystem call in a worker thread: is_file() and stat() are
        # blocking system calls, and a slow disk (or a network share) would stall every other
        # request on this event loop while they wait.
        path = anyio.Path(files_dir, name)
        # `name` cannot hold "/" (the router splits on it); "..", "." and names with a NUL byte
        # are not regular files, and is_file() answers False for all of them.
        if not await path.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="File not found")
        size = (await path.stat()).st_size
        common = {"Accept-Ranges": "bytes"}
        try:
            selected = parse_range(range_header, size)
        except UnsatisfiableRange:
            return Response(
                status_code=status.HTTP_416_RANGE_NOT_SATISFIABLE,
                headers={**common, "Content-Range": f"bytes */{size}"},
            )
        if selected is None:
            first, last, code = 0, size - 1, status.HTTP_200_OK
        else:
            (first, last), code = selected, status.HTTP_206_PARTIAL_CONTENT
            common["Content-Range"] = f"bytes {first}-{last}/{size}"
        return StreamingResponse(
            _file_chunks(path, first, last),
            status_code=code,
            media_type="application/octet-stream",
            headers={**common, "Content-Length": str(last - first + 1)},
        )

    return app
