"""Kata 4.1: function, class, sub- and `yield` dependencies; the per-request cache; scopes."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Query, Request
from pydantic import BaseModel, Field

# --- Given: the catalog, the orders, and a fake async database that journals every step. ---


class Product(BaseModel):
    """A product of the catalog."""

    id: int
    name: str
    price: float


CATALOG: tuple[Product, ...] = tuple(
    Product(id=number, name=name, price=price)
    for number, (name, price) in enumerate(
        [
            ("Ballpoint pen", 1.5),
            ("Fountain pen", 24.0),
            ("Pencil", 0.8),
            ("Pencil case", 7.5),
            ("Notebook A5", 4.5),
            ("Notebook A4", 6.0),
            ("Sticky notes", 2.2),
            ("Stapler", 9.9),
            ("Staples", 1.2),
            ("Paper clips", 1.2),
            ("Highlighter", 1.9),
            ("Eraser", 0.6),
            ("Ruler", 1.1),
            ("Scissors", 5.4),
            ("Glue stick", 1.7),
            ("Envelopes", 3.3),
            ("Printer paper", 8.0),
            ("Marker", 2.4),
            ("Sharpener", 0.9),
            ("Desk lamp", 29.0),
            ("Ink cartridge", 12.5),
            ("Index cards", 2.1),
            ("Binder", 4.2),
            ("Clipboard", 3.6),
            ("Calculator", 15.0),
        ],
        start=1,
    )
)


@dataclass(frozen=True)
class Page:
    """Which slice of a list to answer."""

    offset: int
    limit: int


class ProductPage(BaseModel):
    """One page of the products that match a filter."""

    total: int
    offset: int
    limit: int
    items: list[Product]


class OrderIn(BaseModel):
    """An order as a client sends it."""

    reference: str = Field(min_length=1, max_length=20, pattern=r"^[A-Z0-9-]+$")
    product_id: int
    quantity: int = Field(ge=1, le=10)


class Order(OrderIn):
    """A stored order."""

    id: int


class DuplicateReference(Exception):
    """Raised by `Transaction.commit()` when an order's reference is already taken."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"Duplicate reference {reference}")
        self.reference = reference


class Database:
    """An in-memory stand-in for an async database driver; `events` journals every step.

    `barrier` lets a test hold queries until that many are in flight at once.
    """

    def __init__(self, barrier: asyncio.Barrier | None = None) -> None:
        self.events: list[str] = []
        self.orders: dict[int, Order] = {}
        self.open_connections = 0
        self.peak_connections = 0
        self.barrier = barrier
        self._connection_numbers = itertools.count(1)
        self._order_ids = itertools.count(1)

    def next_order_id(self) -> int:
        """A new order id, like a database sequence: never reused, even after a rollback."""
        return next(self._order_ids)

    def insert(self, order: OrderIn) -> Order:
        """Stores an order at once, without a connection (for seeding tests)."""
        stored = Order(id=self.next_order_id(), **order.model_dump())
        self.orders[stored.id] = stored
        return stored

    async def connect(self) -> "Connection":
        """Opens a connection; journals "db open"."""
        await asyncio.sleep(0)  # a real driver would wait for the network here
        self.open_connections += 1
        self.peak_connections = max(self.peak_connections, self.open_connections)
        self.events.append("db open")
        return Connection(self, next(self._connection_numbers))


class Connection:
    """An open connection; every query on a closed one raises `RuntimeError`."""

    def __init__(self, database: Database, number: int) -> None:
        self.database = database
        self.number = number
        self.closed = False

    async def fetch_order(self, order_id: int) -> Order | None:
        """The stored order with that id, or None."""
        await self._query()
        return self.database.orders.get(order_id)

    async def fetch_orders(self, offset: int, limit: int) -> list[Order]:
        """A slice of the stored orders, by id."""
        await self._query()
        return sorted(self.database.orders.values(), key=lambda o: o.id)[offset : offset + limit]

    async def begin(self) -> "Transaction":
        """Starts a transaction; journals "tx begin"."""
        await self._query()
        self.database.events.append("tx begin")
        return Transaction(self)

    async def close(self) -> None:
        """Closes the connection; journals "db close" (closing twice does nothing)."""
        if not self.closed:
            self.closed = True
            self.database.open_connections -= 1
            self.database.events.append("db close")

    async def _query(self) -> None:
        if self.closed:
            raise RuntimeError(f"connection {self.number} is closed")
        if self.database.barrier is not None:
            await self.database.barrier.wait()


class Transaction:
    """Orders added to a transaction are stored on commit, all or none."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.staged: list[Order] = []
        self.finished = False

    def add(self, order: OrderIn) -> Order:
        """Stages an order (with its id) to be stored on commit."""
        staged = Order(id=self.connection.database.next_order_id(), **order.model_dump())
        self.staged.append(staged)
        return staged

    async def commit(self) -> None:
        """Stores the staged orders; journals "tx commit".

        A reference already stored, or used twice, rolls the whole transaction back (journals
        "tx rollback") and raises `DuplicateReference`: nothing is stored.
        """
        database = self.connection.database
        taken = {order.reference for order in database.orders.values()}
        for order in self.staged:
            if order.reference in taken:
                await self.rollback()
                raise DuplicateReference(order.reference)
            taken.add(order.reference)
        database.orders.update((order.id, order) for order in self.staged)
        self.finished = True
        database.events.append("tx commit")

    async def rollback(self) -> None:
        """Drops the staged orders; journals "tx rollback" (once: a finished one stays put)."""
        if not self.finished:
            self.finished = True
            self.staged.clear()
            self.connection.database.events.append("tx rollback")


def get_database(request: Request) -> Database:
    """The `Database` that `create_app` stored on the application."""
    return request.app.state.database


# --- The dependencies of the kata: yours to write. ---


def pagination(
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> Page:
    """`?offset=&limit=`, validated once for every route that lists things."""
    # TODO(task 1): return the Page. The parameters are already declared: FastAPI reads a
    # dependency's parameters from the request exactly like an endpoint's.
    raise NotImplementedError("pagination is not written yet")


class ProductFilter:
    """`?q=&max_price=`: FastAPI reads a class's `__init__` parameters like a function's."""

    def __init__(
        self,
        q: Annotated[str | None, Query(max_length=50)] = None,
        max_price: Annotated[float | None, Query(gt=0)] = None,
    ) -> None:
        # TODO(task 2): keep q and max_price on the instance.
        raise NotImplementedError("ProductFilter is not written yet")

    def matches(self, product: Product) -> bool:
        """Whether the product's name contains `q` (any case) and its price is <= `max_price`."""
        # TODO(task 2): a missing q or max_price does not filter.
        raise NotImplementedError("ProductFilter.matches is not written yet")


async def get_db(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[Connection]:
    """One connection per request, closed whatever happens to the request."""
    # TODO(task 3): `await database.connect()`, yield the connection, and close it whatever
    # happens to the request.
    raise NotImplementedError("get_db is not written yet")
    yield  # makes this an async generator, as a yield dependency is; it goes with the raise


async def get_transaction(
    db: Annotated[Connection, Depends(get_db)],
) -> AsyncIterator[Transaction]:
    """A transaction on the request's connection: commit on success, roll back on any error."""
    # TODO(task 5): `await db.begin()`, yield the transaction; roll back and re-raise on an
    # exception, commit otherwise, and turn a DuplicateReference into a 409.
    raise NotImplementedError("get_transaction is not written yet")
    yield  # makes this an async generator, as a yield dependency is; it goes with the raise


class RequireApiKey:
    """A callable instance: the key is fixed when the app is built, the header read per request."""

    def __init__(self, key: str) -> None:
        # TODO(task 6): keep the key.
        raise NotImplementedError("RequireApiKey is not written yet")

    def __call__(self, x_api_key: Annotated[str | None, Header()] = None) -> None:
        """Raises 401 unless the `X-API-Key` header carries the key."""
        # TODO(task 6): compare with secrets.compare_digest; 401 with WWW-Authenticate: APIKey.
        raise NotImplementedError("RequireApiKey is not written yet")


async def log_request(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[None]:
    """Journals "request start" and "request end" around every request of the app."""
    # TODO(task 6): append "request start" to database.events, yield, then "request end",
    # also when the request fails.
    raise NotImplementedError("log_request is not written yet")
    yield  # makes this an async generator, as a yield dependency is; it goes with the raise


def create_app(database: Database, *, admin_key: str) -> FastAPI:
    """The shop: products, orders, an admin router behind an API key, a request journal."""
    # TODO(task 1): build FastAPI(title="Shop"), store `database` on app.state.database (the
    # given get_database reads it there), and add GET /products with the pagination dependency.
    # TODO(task 2): add the ProductFilter to GET /products.
    # TODO(task 3): GET /orders/{order_id} through get_db.
    # TODO(task 4): GET /debug/shared-connection and GET /debug/separate-connections.
    # TODO(task 5): POST /orders through get_transaction, with scope="function".
    # TODO(task 6): an admin APIRouter guarded by RequireApiKey(admin_key); log_request on the app.
    raise NotImplementedError("create_app is not written yet")
