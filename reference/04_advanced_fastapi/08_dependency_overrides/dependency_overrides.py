"""Kata 4.8: settings, database and payment client as dependencies, and overrides for tests."""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from typing import Annotated, Any, Protocol

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# --- Given: settings, tables, schemas and the payment provider's client. ---


class Settings(BaseSettings):
    """The shop's configuration, read from `SHOP_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SHOP_")

    app_name: str = "Shop"
    currency: str = "EUR"
    database_url: str = "sqlite:///./shop.db"
    payment_url: str = "https://payments.example.com"
    max_order_cents: int = 50_000


class Base(DeclarativeBase):
    """The shop's tables."""


class Product(Base):
    """A product for sale."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    price_cents: Mapped[int]


class Order(Base):
    """A paid order."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    total_cents: Mapped[int]
    currency: Mapped[str]
    charge_id: Mapped[str]


class Info(BaseModel):
    """What `GET /info` answers."""

    name: str
    currency: str


class ProductOut(BaseModel):
    """A product as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    price_cents: int


class OrderIn(BaseModel):
    """An order as a client sends it."""

    product_id: int
    quantity: int = Field(ge=1, le=100)
    card_token: str = Field(min_length=1, max_length=100)


class OrderOut(BaseModel):
    """A stored order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int
    quantity: int
    total_cents: int
    currency: str
    charge_id: str


class PaymentDeclined(Exception):
    """The provider refused the charge."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentUnavailable(Exception):
    """The provider could not be reached, or answered something unexpected."""


class PaymentClient(Protocol):
    """What the shop needs from a payment provider."""

    def charge(self, *, amount_cents: int, currency: str, card_token: str) -> str:
        """Charges the card and returns the charge id; raises `PaymentDeclined` or
        `PaymentUnavailable`."""


class HttpPaymentClient:
    """The real provider's client: `POST {base_url}/charges` with a JSON body."""

    def __init__(self, http: httpx.Client, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    def charge(self, *, amount_cents: int, currency: str, card_token: str) -> str:
        """201 `{"id": ...}` is a charge; 402 `{"reason": ...}` a decline; the rest unavailable."""
        body = {"amount_cents": amount_cents, "currency": currency, "card_token": card_token}
        try:
            response = self.http.post(f"{self.base_url}/charges", json=body)
        except httpx.TransportError as error:
            raise PaymentUnavailable(f"cannot reach the provider: {error!r}") from error
        if response.status_code == status.HTTP_402_PAYMENT_REQUIRED:
            raise PaymentDeclined(response.json()["reason"])
        if response.status_code != status.HTTP_201_CREATED:
            raise PaymentUnavailable(f"the provider answered {response.status_code}")
        return str(response.json()["id"])


# --- The dependencies of the kata. ---


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment once per process."""
    return Settings()


@lru_cache
def _engine_for(url: str) -> Engine:
    return create_engine(url)


def get_engine(settings: Annotated[Settings, Depends(get_settings)]) -> Engine:
    """One engine, hence one connection pool, per database URL for the life of the process."""
    # Keyed by the URL, not by the Settings object: an overridden Settings pointing at another
    # database gets its own engine, and an engine per request would mean a pool per request.
    return _engine_for(settings.database_url)


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request, closed (and rolled back if uncommitted) when the request ends."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_http_client(request: Request) -> httpx.Client:
    """The app's one HTTP client, opened and closed by the lifespan."""
    return request.state.http


def get_payment_client(
    settings: Annotated[Settings, Depends(get_settings)],
    http: Annotated[httpx.Client, Depends(get_http_client)],
) -> PaymentClient:
    """The real payment client, on the app's HTTP client and the configured provider URL."""
    return HttpPaymentClient(http, settings.payment_url)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Opens one pooled HTTP client for the app's life; requests see it as `request.state.http`."""
    with httpx.Client(timeout=10.0) as http:
        yield {"http": http}


def create_app() -> FastAPI:
    """The shop; everything it talks to comes in through a dependency."""
    app = FastAPI(title="Shop", lifespan=lifespan)

    @app.get("/info")
    async def read_info(settings: Annotated[Settings, Depends(get_settings)]) -> Info:
        return Info(name=settings.app_name, currency=settings.currency)

    # Plain `def` endpoints: the session and the payment client block, so FastAPI runs these
    # in its threadpool instead of on the event loop.
    @app.get("/products")
    def list_products(session: Annotated[Session, Depends(get_session)]) -> list[ProductOut]:
        products = session.scalars(select(Product).order_by(Product.id))
        return [ProductOut.model_validate(product) for product in products]

    @app.get("/orders/{order_id}")
    def read_order(order_id: int, session: Annotated[Session, Depends(get_session)]) -> OrderOut:
        order = session.get(Order, order_id)
        if order is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Order {order_id} not found")
        return OrderOut.model_validate(order)

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    def create_order(
        order_in: OrderIn,
        settings: Annotated[Settings, Depends(get_settings)],
        session: Annotated[Session, Depends(get_session)],
        payments: Annotated[PaymentClient, Depends(get_payment_client)],
    ) -> OrderOut:
        product = session.get(Product, order_in.product_id)
        if product is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"Product {order_in.product_id} not found"
            )
        total = product.price_cents * order_in.quantity
        # Every check that can refuse the order comes before the charge: money is the one
        # thing a rollback cannot give back.
        if total > settings.max_order_cents:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"Order total {total} exceeds the limit of {settings.max_order_cents}",
            )
        try:
            charge_id = payments.charge(
                amount_cents=total, currency=settings.currency, card_token=order_in.card_token
            )
        except PaymentDeclined as error:
            raise HTTPException(
                status.HTTP_402_PAYMENT_REQUIRED, detail=f"Payment declined: {error.reason}"
            ) from error
        except PaymentUnavailable as error:
            raise HTTPException(
                status.HTTP_502_BAD_GATEWAY, detail="Payment provider unavailable"
            ) from error
        order = Order(
            product_id=product.id,
            quantity=order_in.quantity,
            total_cents=total,
            currency=settings.currency,
            charge_id=charge_id,
        )
        session.add(order)
        session.commit()
        return OrderOut.model_validate(order)

    return app


@contextmanager
def overridden(
    app: FastAPI, overrides: Mapping[Callable[..., Any], Callable[..., Any]]
) -> Iterator[FastAPI]:
    """Applies `overrides` to `app` for the `with` block, then restores the previous ones."""
    # A copy, not a reference: the dict is about to change, and the snapshot must not.
    previous = dict(app.dependency_overrides)
    app.dependency_overrides.update(overrides)
    try:
        yield app
    finally:
        # Restore the snapshot, not an empty dict and not a `pop` of our keys: an enclosing
        # `overridden` (or a fixture) may have overridden the same dependency first.
        app.dependency_overrides.clear()
        app.dependency_overrides.update(previous)
