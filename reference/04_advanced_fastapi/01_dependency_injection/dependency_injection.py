"""Kata 4.1: function, class, sub- and `yield` dependencies; the per-request cache; scopes."""

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Header, HTTPException, Query, Request, status
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


# --- The dependencies of the kata. ---


def pagination(
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> Page:
    """`?offset=&limit=`, validated once for every route that lists things."""
    return Page(offset=offset, limit=limit)


class ProductFilter:
    """`?q=&max_price=`: FastAPI reads a class's `__init__` parameters like a function's."""

    def __init__(
        self,
        q: Annotated[str | None, Query(max_length=50)] = None,
        max_price: Annotated[float | None, Query(gt=0)] = None,
    ) -> None:
        self.q = q
        self.max_price = max_price

    def matches(self, product: Product) -> bool:
        """Whether the product's name contains `q` (any case) and its price is <= `max_price`."""
        if self.q is not None and self.q.casefold() not in product.name.casefold():
            return False
        return self.max_price is None or product.price <= self.max_price


async def get_db(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[Connection]:
    """One connection per request, closed whatever happens to the request."""
    connection = await database.connect()
    # `finally`, not code after the yield: an exception raised by the endpoint (an
    # HTTPException, a validation error) is thrown in at the yield, and would skip the close.
    try:
        yield connection
    finally:
        await connection.close()


async def get_transaction(
    db: Annotated[Connection, Depends(get_db)],
) -> AsyncIterator[Transaction]:
    """A transaction on the request's connection: commit on success, roll back on any error."""
    transaction = await db.begin()
    try:
        yield transaction
    except Exception:
        await transaction.rollback()
        raise  # swallowing it would leave FastAPI without a response: always re-raise
    try:
        await transaction.commit()
    except DuplicateReference as error:
        # Only a dependency used with scope="function" exits before the response is sent, so
        # only then can a failed commit still become the client's answer.
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error


class RequireApiKey:
    """A callable instance: the key is fixed when the app is built, the header read per request."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, x_api_key: Annotated[str | None, Header()] = None) -> None:
        """Raises 401 unless the `X-API-Key` header carries the key."""
        # compare_digest takes the same time wherever the strings differ: no timing oracle.
        if x_api_key is None or not secrets.compare_digest(x_api_key.encode(), self.key.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Invalid API key",
                headers={"WWW-Authenticate": "APIKey"},
            )


async def log_request(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[None]:
    """Journals "request start" and "request end" around every request of the app."""
    database.events.append("request start")
    try:
        yield
    finally:
        database.events.append("request end")


def create_app(database: Database, *, admin_key: str) -> FastAPI:
    """The shop: products, orders, an admin router behind an API key, a request journal."""
    # An app-level dependency runs for every route, before the router's and the route's own.
    app = FastAPI(title="Shop", dependencies=[Depends(log_request)])
    app.state.database = database

    @app.get("/products")
    async def list_products(
        page: Annotated[Page, Depends(pagination)],
        product_filter: Annotated[ProductFilter, Depends()],
    ) -> ProductPage:
        matches = [product for product in CATALOG if product_filter.matches(product)]
        return ProductPage(
            total=len(matches),
            offset=page.offset,
            limit=page.limit,
            items=matches[page.offset : page.offset + page.limit],
        )

    @app.get("/orders/{order_id}")
    async def read_order(order_id: int, db: Annotated[Connection, Depends(get_db)]) -> Order:
        order = await db.fetch_order(order_id)
        if order is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Order {order_id} not found")
        return order

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    async def create_orders(
        orders: Annotated[list[OrderIn], Body(min_length=1, max_length=20)],
        # scope="function": the commit (and a 409 from it) happens before the response is sent.
        transaction: Annotated[Transaction, Depends(get_transaction, scope="function")],
    ) -> list[Order]:
        known = {product.id for product in CATALOG}
        created = []
        for order in orders:
            if order.product_id not in known:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND, detail=f"Product {order.product_id} not found"
                )
            created.append(transaction.add(order))
        return created

    @app.get("/debug/shared-connection")
    async def shared_connection(
        first: Annotated[Connection, Depends(get_db)],
        second: Annotated[Connection, Depends(get_db)],
    ) -> dict[str, bool]:
        return {"same": first is second}

    @app.get("/debug/separate-connections")
    async def separate_connections(
        first: Annotated[Connection, Depends(get_db, use_cache=False)],
        second: Annotated[Connection, Depends(get_db, use_cache=False)],
    ) -> dict[str, bool]:
        return {"same": first is second}

    # A router-level dependency guards every route of the router, and runs before the routes'
    # own dependencies: a wrong key is refused before any connection is opened.
    admin = APIRouter(prefix="/admin", dependencies=[Depends(RequireApiKey(admin_key))])

    @admin.get("/orders")
    async def admin_orders(
        page: Annotated[Page, Depends(pagination)],
        db: Annotated[Connection, Depends(get_db)],
    ) -> list[Order]:
        return await db.fetch_orders(page.offset, page.limit)

    app.include_router(admin)
    return app
