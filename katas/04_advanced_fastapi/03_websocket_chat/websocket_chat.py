"""Kata 4.3: a chat over WebSockets with rooms, token identity and validated messages."""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, WebSocket
from pydantic import BaseModel

ROOM_PATTERN = r"^[a-z0-9-]{1,32}$"

Event = dict[str, Any]


class ClientMessage(BaseModel):
    """The only frame a client may send: one line of chat."""

    # TODO(task 4): a `text` field, stripped of surrounding whitespace, 1 to 500 characters
    # long once stripped; any other field is an error.


class ConnectionManager:
    """The open connections of one app, by room: who is where, and how to reach them."""

    def __init__(self) -> None:
        # TODO(task 1): start with no room and no connection.
        raise NotImplementedError("ConnectionManager is not written yet")

    async def connect(self, room: str, user: str, websocket: WebSocket) -> None:
        """Accepts the handshake and registers the connection in `room`."""
        # TODO(task 2): accept, then remember which user this connection belongs to.
        raise NotImplementedError("ConnectionManager.connect is not written yet")

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        """Forgets the connection; a room nobody is left in is forgotten too."""
        # TODO(task 5): remove this connection (only this one), and the room once it is empty.
        raise NotImplementedError("ConnectionManager.disconnect is not written yet")

    async def broadcast(self, room: str, event: Event) -> None:
        """Sends `event` to every connection in `room`, the sender's included."""
        # TODO(task 3): send the event as JSON to each connection of this room, and no other.
        raise NotImplementedError("ConnectionManager.broadcast is not written yet")

    def users(self, room: str) -> list[str]:
        """The users connected to `room`, sorted, one entry per open connection."""
        # TODO(task 1): an empty list for a room nobody is in.
        raise NotImplementedError("ConnectionManager.users is not written yet")

    def rooms(self) -> list[str]:
        """The rooms that have at least one connection, sorted."""
        # TODO(task 1): an empty list for a new manager.
        raise NotImplementedError("ConnectionManager.rooms is not written yet")


def create_app(tokens: Mapping[str, str]) -> FastAPI:
    """Builds a chat app whose clients identify with a token from `tokens` (token -> user)."""
    # TODO(task 1): a new FastAPI app with a new ConnectionManager on `app.state.manager`.
    # TODO(task 2): `/ws/{room}?token=...`: refuse a bad room or token with close code 1008
    #   before accepting; otherwise connect and announce {"type": "join", ...} to the room.
    # TODO(task 3): broadcast each message as {"type": "message", "room", "user", "text"}.
    # TODO(task 4): validate each frame with ClientMessage; answer a bad one with
    #   {"type": "error", "detail": [...]} to the sender only, and keep the connection.
    # TODO(task 5): on disconnect, forget the connection, then announce {"type": "leave", ...}.
    raise NotImplementedError("create_app is not written yet")
