"""Kata 4.6: a database engine and an HTTP client opened once by the lifespan, shared, closed."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EngineFactory = Callable[[], AsyncEngine]
ClientFactory = Callable[[], httpx.AsyncClient]

NOT_OPEN = "Resources are not open: the app's lifespan has not run"


class Base(DeclarativeBase):
    """This kata's declarative base (given)."""


class ProductRow(Base):
    """A product and its price in euros (given)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    price: Mapped[float]


class ProductIn(BaseModel):
    """A product as a client creates it (given)."""

    name: str = Field(min_length=1, max_length=50)
    price: float = Field(gt=0)


class Product(ProductIn):
    """A product as the API returns it (given)."""

    model_config = ConfigDict(from_attributes=True)

    id: int


class Price(BaseModel):
    """A product's price converted to another currency (given)."""

    product_id: int
    currency: str
    amount: float


class State(TypedDict):
    """What the lifespan yields; every request sees it as `request.state.engine` / `.client`."""

    engine: AsyncEngine
    client: httpx.AsyncClient


async def get_engine(request: Request) -> AsyncEngine:
    """The engine the lifespan opened (a dependency); 503 when the lifespan has not run."""
    # A sub-app mounted with app.mount() never runs its own lifespan, and neither does an app
    # driven by httpx.ASGITransport alone: say so, rather than fail with an AttributeError.
    engine: AsyncEngine | None = getattr(request.state, "engine", None)
    if engine is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NOT_OPEN)
    return engine


async def get_client(request: Request) -> httpx.AsyncClient:
    """The rates service's client the lifespan opened (a dependency); 503 when it has not run."""
    client: httpx.AsyncClient | None = getattr(request.state, "client", None)
    if client is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NOT_OPEN)
    return client


def create_app(engine_factory: EngineFactory, client_factory: ClientFactory) -> FastAPI:
    """Builds the app; its lifespan opens one engine and one client per run, and closes them."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        # The exit stack remembers what is open so far. Whether startup fails half-way, the app
        # shuts down, or one close raises, leaving the block closes everything already opened,
        # in reverse order (client, then engine), and lets the exception through.
        async with AsyncExitStack() as stack:
            engine = engine_factory()
            stack.push_async_callback(engine.dispose)
            async with engine.begin() as connection:
                # The tests run this line, but coverage cannot see it: SQLAlchemy's greenlet
                # switch in begin() hides the next line from a tracer not told about greenlets.
                await connection.run_sync(Base.metadata.create_all)  # pragma: no cover
            client = await stack.enter_async_context(client_factory())
            # Yielded state is copied into every request's `request.state`; unlike module
            # globals, it belongs to this run of this app only.
            yield {"engine": engine, "client": client}

    app = FastAPI(title="Prices", lifespan=lifespan)

    @app.post("/products", status_code=status.HTTP_201_CREATED)
    async def create_product(
        product_in: ProductIn, engine: Annotated[AsyncEngine, Depends(get_engine)]
    ) -> Product:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            row = ProductRow(**product_in.model_dump())
            session.add(row)
            await session.commit()
        return Product.model_validate(row)

    @app.get("/products/{product_id}/price")
    async def read_price(
        product_id: int,
        currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")],
        client: Annotated[httpx.AsyncClient, Depends(get_client)],
        engine: Annotated[AsyncEngine, Depends(get_engine)],
    ) -> Price:
        async with AsyncSession(engine) as session:
            row = await session.get(ProductRow, product_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"Product {product_id} not found")
        try:
            answer = await client.get(f"/rates/{currency}")
        except httpx.HTTPError as error:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Rates service unavailable") from error
        if answer.status_code == status.HTTP_404_NOT_FOUND:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No rate for {currency}")
        if answer.is_error:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Rates service unavailable")
        amount = round(row.price * answer.json()["rate"], 2)
        return Price(product_id=product_id, currency=currency, amount=amount)

    return app
