"""Kata 4.7: routers with prefixes, tags and dependencies, nested, and a custom route class.

An items router (timed by `TimedRoute`) and an admin router (guarded by an API key) are nested
under `/api/v1`; links are built from route names, never from hand-written paths.
"""

import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    HTTPException,
    Request,
    Response,
    Security,
    status,
)
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

API_KEY_HEADER = "X-API-Key"
TIMING_HEADER = "X-Response-Time"


class ItemIn(BaseModel):
    """What a client sends to create an item."""

    name: str = Field(min_length=1, max_length=50)
    price: float = Field(ge=0)


class Item(ItemIn):
    """An item as the API returns it."""

    id: int


class ItemStore:
    """The items of one app, in creation order; ids start at 1 and are never reused."""

    def __init__(self) -> None:
        self._items: dict[int, Item] = {}
        self._next_id = 1

    def add(self, item_in: ItemIn) -> Item:
        """Stores a new item and returns it with its id."""
        item = Item(id=self._next_id, **item_in.model_dump())
        self._items[item.id] = item
        self._next_id += 1
        return item

    def get(self, item_id: int) -> Item | None:
        """The item, or None."""
        return self._items.get(item_id)

    def all(self) -> list[Item]:
        """Every item, oldest first."""
        return list(self._items.values())

    def remove(self, item_id: int) -> bool:
        """Deletes the item; False when there was none."""
        return self._items.pop(item_id, None) is not None


def get_store(request: Request) -> ItemStore:
    """The store of the app serving this request (`app.state.store`)."""
    return request.app.state.store


Store = Annotated[ItemStore, Depends(get_store)]

# auto_error=False: a missing header reaches require_api_key as None, so that a missing key and
# a wrong key get the same answer. Declared with Security(), it shows in the OpenAPI document.
api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def require_api_key(
    request: Request, api_key: Annotated[str | None, Security(api_key_header)]
) -> None:
    """Lets the request through only with the app's API key (`app.state.api_key`)."""
    expected: str = request.app.state.api_key
    # compare_digest takes as long for a near miss as for a wild guess. On str it refuses
    # non-ASCII text with a TypeError (a 500): header values are latin-1, so compare bytes.
    if api_key is None or not secrets.compare_digest(api_key.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Invalid or missing API key",
            headers={"WWW-Authenticate": "APIKey"},
        )


class TimedRoute(APIRoute):
    """A route that reports how long its handler took in the X-Response-Time header."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wraps FastAPI's handler (parsing, dependencies, endpoint, serialisation)."""
        handler = super().get_route_handler()

        async def timed_handler(request: Request) -> Response:
            # A local of the inner function: one per request. A variable of the outer function
            # would be shared by every request this route serves at the same time.
            start = time.perf_counter()
            try:
                response = await handler(request)
            except HTTPException as exc:
                # An HTTPException leaves the handler before any response exists; its headers
                # are copied into the response the exception handler builds.
                exc.headers = {**(exc.headers or {}), TIMING_HEADER: _since(start)}
                raise
            response.headers[TIMING_HEADER] = _since(start)
            return response

        return timed_handler


def _since(start: float) -> str:
    """Seconds elapsed since `start`, as a header value."""
    return f"{time.perf_counter() - start:.6f}"


def build_items_router() -> APIRouter:
    """The items routes under /items, tagged "items", each one timed."""
    # route_class applies to the routes declared on this router, wherever it is included.
    router = APIRouter(prefix="/items", tags=["items"], route_class=TimedRoute)

    @router.get("", name="list_items")
    async def list_items(store: Store) -> list[Item]:
        return store.all()

    @router.post("", name="create_item", status_code=status.HTTP_201_CREATED)
    async def create_item(
        item_in: ItemIn, store: Store, request: Request, response: Response
    ) -> Item:
        item = store.add(item_in)
        # Built from the route's name: right under /api/v1, /shop, or wherever the router goes.
        response.headers["Location"] = str(request.url_for("read_item", item_id=item.id))
        return item

    @router.get("/{item_id}", name="read_item")
    async def read_item(item_id: int, store: Store) -> Item:
        item = store.get(item_id)
        if item is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Item {item_id} not found")
        return item

    return router


def build_admin_router() -> APIRouter:
    """The admin routes under /admin, tagged "admin", every one behind the API key."""
    # A router dependency runs before each of its routes, including routes added later.
    router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_api_key)])

    @router.get("/stats", name="admin_stats")
    async def admin_stats(store: Store) -> dict[str, int]:
        return {"items": len(store.all())}

    @router.delete("/items/{item_id}", name="delete_item", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_item(item_id: int, store: Store) -> None:
        if not store.remove(item_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Item {item_id} not found")

    return router


def create_app(*, api_key: str) -> FastAPI:
    """The app: /health, and the items and admin routers nested under /api/v1."""
    if not api_key:
        # An empty expected key would let in any request that sends an empty header.
        raise ValueError("api_key must not be empty")
    app = FastAPI(title="Custom routers", version="1.0.0")
    app.state.store = ItemStore()
    app.state.api_key = api_key

    @app.get("/health", name="health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    api = APIRouter(prefix="/api/v1")
    api.include_router(build_items_router())
    api.include_router(build_admin_router())
    app.include_router(api)
    return app
