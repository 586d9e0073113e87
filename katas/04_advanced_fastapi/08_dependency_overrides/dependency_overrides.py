"""Kata 4.8: settings, database and payment client as dependencies, and overrides for tests."""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Protocol

import httpx
from fastapi import Depends, FastAPI, Request, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, ForeignKey
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


# --- The dependencies of the kata: yours to write. ---


def get_settings() -> Settings:
    """The settings, read from the environment once per process."""
    # TODO(task 1): build Settings() once and hand the same object to every caller.
    raise NotImplementedError("get_settings is not written yet")


def get_engine(settings: Annotated[Settings, Depends(get_settings)]) -> Engine:
    """One engine, hence one connection pool, per database URL for the life of the process."""
    # TODO(task 2): create_engine(settings.database_url), once per URL.
    raise NotImplementedError("get_engine is not written yet")


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request, closed (and rolled back if uncommitted) when the request ends."""
    # TODO(task 2): yield a Session on the engine, and close it when the request ends.
    raise NotImplementedError("get_session is not written yet")
    yield  # makes this a generator, as a yield dependency is; it goes with the raise


def get_http_client(request: Request) -> httpx.Client:
    """The app's one HTTP client, opened and closed by the lifespan."""
    # TODO(task 3): the client the lifespan put in the request's state.
    raise NotImplementedError("get_http_client is not written yet")


def get_payment_client(
    settings: Annotated[Settings, Depends(get_settings)],
    http: Annotated[httpx.Client, Depends(get_http_client)],
) -> PaymentClient:
    """The real payment client, on the app's HTTP client and the configured provider URL."""
    # TODO(task 3): an HttpPaymentClient.
    raise NotImplementedError("get_payment_client is not written yet")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Opens one pooled HTTP client for the app's life; requests see it as `request.state.http`."""
    # TODO(task 3): open an httpx.Client for the app's life and yield {"http": client}.
    raise NotImplementedError("lifespan is not written yet")
    yield  # makes this an async generator, as a lifespan is; it goes with the raise


def create_app() -> FastAPI:
    """The shop; everything it talks to comes in through a dependency."""
    # TODO(task 1): a new FastAPI(title="Shop", lifespan=lifespan) with GET /info.
    # TODO(task 2): GET /products and GET /orders/{order_id} through get_session.
    # TODO(task 3): POST /orders: check, charge through get_payment_client, then store.
    raise NotImplementedError("create_app is not written yet")


@contextmanager
def overridden(
    app: FastAPI, overrides: Mapping[Callable[..., Any], Callable[..., Any]]
) -> Iterator[FastAPI]:
    """Applies `overrides` to `app` for the `with` block, then restores the previous ones."""
    # TODO(task 4): apply the overrides, yield the app, and put back exactly what was there
    # before, even when the block raises or another overridden() encloses this one.
    raise NotImplementedError("overridden is not written yet")
    yield app  # makes this a generator, as @contextmanager wants; it goes with the raise
