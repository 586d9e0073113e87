"""Kata 2.3: orders sent as Pydantic request bodies, validated before any code of ours runs."""

from fastapi import FastAPI
from pydantic import BaseModel


class Customer(BaseModel):
    """Who places the order."""

    # TODO(task 1): `name` and `email`, with their constraints; refuse unknown fields.


class OrderLine(BaseModel):
    """One line of an order: a product and how many of it."""

    # TODO(task 1): `sku` and `quantity`, with their constraints; refuse unknown fields.


class OrderIn(BaseModel):
    """What a client sends to create or replace an order."""

    # TODO(task 1): `customer`, `items` and an optional `note`; refuse unknown fields.
    # TODO(task 1): refuse an order that lists the same sku twice (error at "items").


class Order(OrderIn):
    """An order as the API returns it (given)."""

    id: int


def create_app() -> FastAPI:
    """Builds a new application with its own, empty order store."""
    # TODO(task 2): POST /orders (201), GET /orders and GET /orders/{order_id}, on a store kept
    #               inside this function.
    # TODO(task 3): PUT /orders/{order_id}, with a `dry_run` query parameter.
    # TODO(task 4): PUT /orders/{order_id}/note, reading {"note": "..."}.
    raise NotImplementedError("create_app is not written yet")
