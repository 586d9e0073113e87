"""Kata 2.3: orders sent as Pydantic request bodies, validated before any code of ours runs."""

import itertools
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Customer(BaseModel):
    """Who places the order."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OrderLine(BaseModel):
    """One line of an order: a product and how many of it."""

    model_config = ConfigDict(extra="forbid")

    # `[0-9]`, not `\d`: Pydantic checks `pattern` with Rust's regex engine, where `\d` matches
    # any Unicode digit, so "INK-٤٠٢" (Arabic-Indic digits) would pass.
    sku: str = Field(pattern=r"^[A-Z]{3}-[0-9]{3}$")
    # strict: in lax mode Pydantic turns "3" into 3 and true into 1, which a client never meant.
    quantity: int = Field(ge=1, le=99, strict=True)


class OrderIn(BaseModel):
    """What a client sends to create or replace an order."""

    # Configuration is per model: "forbid" here does not reach Customer or OrderLine, which need
    # their own, or their unknown keys are dropped without a word.
    model_config = ConfigDict(extra="forbid")

    customer: Customer
    items: list[OrderLine] = Field(min_length=1, max_length=10)
    note: str | None = Field(default=None, min_length=1, max_length=200)

    # A rule across the elements of a list, which no `Field` constraint can express. Its errors
    # are reported at this field ("items"); a model_validator would report them at the model.
    @field_validator("items")
    @classmethod
    def _refuse_duplicate_skus(cls, items: list[OrderLine]) -> list[OrderLine]:
        seen: set[str] = set()
        for line in items:
            if line.sku in seen:
                # A ValueError becomes a 422 error of type "value_error" at this field's loc.
                raise ValueError(f"duplicate sku {line.sku}")
            seen.add(line.sku)
        return items


class Order(OrderIn):
    """An order as the API returns it."""

    id: int


def create_app() -> FastAPI:
    """Builds a new application with its own, empty order store."""
    app = FastAPI(title="Orders")
    orders: dict[int, Order] = {}
    # A counter, not `len(orders) + 1`: a length-based id is handed out again as soon as anything
    # is ever removed from the store.
    ids = itertools.count(1)

    def find(order_id: int) -> Order:
        if order_id not in orders:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Order {order_id} not found")
        return orders[order_id]

    # FastAPI reads a parameter annotated with a BaseModel from the JSON body, and validates it
    # before the function is called: a bad body never reaches this code, so nothing is stored.
    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    async def create_order(order_in: OrderIn) -> Order:
        order = Order(id=next(ids), **order_in.model_dump())
        orders[order.id] = order
        return order

    @app.get("/orders")
    async def list_orders() -> list[Order]:
        return list(orders.values())

    @app.get("/orders/{order_id}")
    async def read_order(order_id: int) -> Order:
        return find(order_id)

    # Three sources, told apart by the signature alone: `order_id` is in the path template, a
    # BaseModel is the body, and any other simple type (`dry_run`) is a query parameter.
    @app.put("/orders/{order_id}")
    async def replace_order(order_id: int, order_in: OrderIn, dry_run: bool = False) -> Order:
        find(order_id)
        # PUT replaces the whole resource: a field the client left out takes its default
        # (merging only the sent fields is PATCH's job).
        order = Order(id=order_id, **order_in.model_dump())
        if not dry_run:
            orders[order_id] = order
        return order

    # A lone `str` parameter would be read from the query string, and `Body()` alone expects the
    # bare JSON string "..." as the whole body; `embed=True` reads it from `{"note": "..."}`.
    @app.put("/orders/{order_id}/note")
    async def set_note(
        order_id: int,
        note: Annotated[str, Body(embed=True, min_length=1, max_length=200)],
    ) -> Order:
        order = find(order_id).model_copy(update={"note": note})
        orders[order_id] = order
        return order

    return app
