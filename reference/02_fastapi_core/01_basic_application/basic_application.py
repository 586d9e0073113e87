"""Kata 2.1: an application factory with a root, a health check and an in-memory item store."""

import itertools

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, Field


class ItemIn(BaseModel):
    """What a client sends to create an item (given: request bodies are kata 2.3)."""

    name: str = Field(min_length=1, max_length=50)
    price: float = Field(ge=0)


class Item(ItemIn):
    """An item as the API returns it."""

    id: int


def create_app() -> FastAPI:
    """Builds a new application with its own, empty item store."""
    app = FastAPI(title="Basic application", version="1.0.0")
    # The store is a local of the factory: each app closes over its own dict, so tests (and
    # workers) that build several apps never see each other's items. A module-level dict would
    # be shared by every app in the process.
    items: dict[int, Item] = {}
    # Ids come from a counter, not from `len(items) + 1`: once anything can be removed, a
    # length-based id is handed out a second time.
    ids = itertools.count(1)

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"message": "Hello, katas"}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/items", status_code=status.HTTP_201_CREATED)
    async def create_item(item_in: ItemIn) -> Item:
        item = Item(id=next(ids), **item_in.model_dump())
        items[item.id] = item
        return item

    @app.get("/items")
    async def list_items() -> list[Item]:
        return list(items.values())

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> Item:
        if item_id not in items:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Item {item_id} not found")
        return items[item_id]

    return app
