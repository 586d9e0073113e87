"""Kata 4.3: a chat over WebSockets with rooms, token identity and validated messages."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import (
    Depends,
    FastAPI,
    Path,
    Query,
    WebSocket,
    WebSocketException,
    status,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROOM_PATTERN = r"^[a-z0-9-]{1,32}$"

Event = dict[str, Any]


class ClientMessage(BaseModel):
    """The only frame a client may send: one line of chat."""

    # extra="forbid" is what stops a client from sending {"user": "admin", ...}: the sender's
    # name comes from its token, never from the frame.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=500)


class ConnectionManager:
    """The open connections of one app, by room: who is where, and how to reach them."""

    def __init__(self) -> None:
        # room -> {connection: user}. Keyed by the connection, not the user: one person may
        # have two tabs open, and each tab must get every frame.
        self._rooms: dict[str, dict[WebSocket, str]] = {}

    async def connect(self, room: str, user: str, websocket: WebSocket) -> None:
        """Accepts the handshake and registers the connection in `room`."""
        await websocket.accept()
        self._rooms.setdefault(room, {})[websocket] = user

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        """Forgets the connection; a room nobody is left in is forgotten too.

        Synchronous on purpose: nothing can interrupt it halfway (not even the cancellation of
        a handler whose client vanished), so the manager never keeps a dead socket.
        """
        members = self._rooms.get(room, {})
        members.pop(websocket, None)
        if not members:
            self._rooms.pop(room, None)

    async def broadcast(self, room: str, event: Event) -> None:
        """Sends `event` to every connection in `room`, the sender's included."""
        # A snapshot: other handlers run while this one awaits a send, and one of them may
        # join or leave the room; iterating over the live dict would raise.
        for websocket in list(self._rooms.get(room, {})):
            await websocket.send_json(event)

    def users(self, room: str) -> list[str]:
        """The users connected to `room`, sorted, one entry per open connection."""
        return sorted(self._rooms.get(room, {}).values())

    def rooms(self) -> list[str]:
        """The rooms that have at least one connection, sorted."""
        return sorted(self._rooms)


def create_app(tokens: Mapping[str, str]) -> FastAPI:
    """Builds a chat app whose clients identify with a token from `tokens` (token -> user)."""
    app = FastAPI(title="Chat")
    # One manager per app, on app.state: a module-level manager would be shared by every app in
    # the process, so two test apps (or two mounted chats) would see each other's rooms.
    manager = ConnectionManager()
    app.state.manager = manager

    async def current_user(token: Annotated[str | None, Query()] = None) -> str:
        """The user a token belongs to; refuses the handshake otherwise."""
        user = tokens.get(token) if token is not None else None
        if user is None:
            # Raised before accept(): FastAPI answers the handshake with a close frame, so the
            # client never holds an open socket (uvicorn turns it into an HTTP 403).
            raise WebSocketException(
                code=status.WS_1008_POLICY_VIOLATION, reason="unknown or missing token"
            )
        return user

    @app.websocket("/ws/{room}")
    async def chat(
        websocket: WebSocket,
        room: Annotated[str, Path(pattern=ROOM_PATTERN)],
        user: Annotated[str, Depends(current_user)],
    ) -> None:
        await manager.connect(room, user, websocket)
        try:
            await manager.broadcast(room, {"type": "join", "room": room, "user": user})
            while True:
                # receive(), not receive_text(): a binary frame has no "text" key, and
                # receive_text() would crash the handler with a KeyError.
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                text = frame.get("text")
                if text is None:
                    detail = [{"loc": [], "msg": "Expected a text frame", "type": "frame_type"}]
                    await websocket.send_json({"type": "error", "detail": detail})
                    continue
                try:
                    message = ClientMessage.model_validate_json(text)
                except ValidationError as error:
                    # The error goes to the sender only, and the loop goes on: one bad frame
                    # must not cost the client its connection.
                    detail = error.errors(
                        include_url=False, include_context=False, include_input=False
                    )
                    await websocket.send_json({"type": "error", "detail": detail})
                    continue
                await manager.broadcast(
                    room, {"type": "message", "room": room, "user": user, "text": message.text}
                )
        finally:
            # Forget the connection first, then tell the others: the leave event must not be
            # sent to the socket that has just gone away.
            manager.disconnect(room, websocket)
        await manager.broadcast(room, {"type": "leave", "room": room, "user": user})

    return app
