"""Tests for kata 4.3: a WebSocket chat with rooms, token identity and validated messages.

Several clients are connected at once (nested `with client.websocket_connect(...)`). A receive
waits until a frame arrives, so to prove that a client got *nothing* the tests make something
else happen next and check that it is the very next frame that client receives.
"""

import contextlib
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi import FastAPI, WebSocketDisconnect
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from websocket_chat import ConnectionManager, create_app

# A chat test that waits for a frame which never comes would hang: fail it quickly instead.
pytestmark = pytest.mark.timeout(10)


def url(room: str = "general", token: str | None = "t-alice") -> str:
    """The chat endpoint of `room`, with `token` in the query string (none when None)."""
    return f"/ws/{room}" if token is None else f"/ws/{room}?token={token}"


def joined(user: str, room: str = "general") -> dict[str, str]:
    return {"type": "join", "room": room, "user": user}


def left(user: str, room: str = "general") -> dict[str, str]:
    return {"type": "leave", "room": room, "user": user}


def said(user: str, text: str, room: str = "general") -> dict[str, str]:
    return {"type": "message", "room": room, "user": user, "text": text}


def manager_of(app: FastAPI) -> ConnectionManager:
    manager = app.state.manager
    assert isinstance(manager, ConnectionManager)
    return manager


def assert_error_frame(frame: dict[str, Any], locs: list[list[str | int]]) -> None:
    assert frame["type"] == "error", frame
    assert [error["loc"] for error in frame["detail"]] == locs, frame
    assert all(isinstance(error["msg"], str) and error["msg"] for error in frame["detail"]), frame
    # Nothing beyond loc, msg and an optional type: no echo of the refused input, no docs URL,
    # no context (which may hold objects that are not even JSON).
    assert all(set(error) <= {"loc", "msg", "type"} for error in frame["detail"]), frame


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_each_app_has_its_own_empty_connection_manager(tokens: dict[str, str]) -> None:
    first, second = create_app(tokens), create_app(tokens)
    assert manager_of(first) is not manager_of(second)
    assert manager_of(first).rooms() == []
    assert manager_of(first).users("general") == []


@pytest.mark.task(1)
def test_two_apps_do_not_share_rooms(tokens: dict[str, str]) -> None:
    first, second = create_app(tokens), create_app(tokens)
    with (
        TestClient(first) as one,
        TestClient(second) as two,
        one.websocket_connect(url()) as alice,
        two.websocket_connect(url(token="t-bob")) as bob,
    ):
        assert alice.receive_json() == joined("alice")
        assert bob.receive_json() == joined("bob")
        bob.send_json({"text": "anyone?"})
        assert bob.receive_json() == said("bob", "anyone?")
        alice.send_json({"text": "just me"})
        assert alice.receive_json() == said("alice", "just me")
        assert manager_of(first).users("general") == ["alice"]
        assert manager_of(second).users("general") == ["bob"]


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_a_known_token_is_accepted_and_announced_to_its_owner(
    client: TestClient, app: FastAPI
) -> None:
    with client.websocket_connect(url(token="t-carol")) as carol:
        assert carol.receive_json() == joined("carol")
        assert manager_of(app).users("general") == ["carol"]
        assert manager_of(app).rooms() == ["general"]


@pytest.mark.task(2)
def test_a_newcomer_is_announced_to_everyone_in_the_room(client: TestClient) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        with client.websocket_connect(url(token="t-bob")) as bob:
            assert bob.receive_json() == joined("bob")
            assert alice.receive_json() == joined("bob")


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="missing-token"),
        pytest.param("", id="empty-token"),
        pytest.param("t-mallory", id="unknown-token"),
        pytest.param("alice", id="a-user-name-is-not-a-token"),
        pytest.param("T-ALICE", id="tokens-are-case-sensitive"),
    ],
)
def test_an_unauthorised_client_is_refused_with_1008_before_accept(
    client: TestClient, app: FastAPI, token: str | None
) -> None:
    # websocket_connect raises on entering when the server closes instead of accepting.
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(token=token)):
        pass
    assert refused.value.code == 1008
    assert manager_of(app).rooms() == []


@pytest.mark.task(2)
def test_a_refused_client_is_never_announced(client: TestClient, app: FastAPI) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        with pytest.raises(WebSocketDisconnect), client.websocket_connect(url(token="t-eve")):
            pass
        alice.send_json({"text": "hello?"})
        assert alice.receive_json() == said("alice", "hello?")
        assert manager_of(app).users("general") == ["alice"]


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "room",
    [
        pytest.param("General", id="upper-case"),
        pytest.param("chat_room", id="underscore"),
        pytest.param("caf%C3%A9", id="non-ascii"),
        pytest.param("r" * 33, id="too-long"),
    ],
)
def test_an_invalid_room_name_is_refused_with_1008(
    client: TestClient, app: FastAPI, room: str
) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(room)):
        pass
    assert refused.value.code == 1008
    assert manager_of(app).rooms() == []


@pytest.mark.task(2)
@pytest.mark.parametrize("room", ["a", "r" * 32, "team-42"])
def test_valid_room_names_are_accepted(client: TestClient, app: FastAPI, room: str) -> None:
    with client.websocket_connect(url(room)) as alice:
        assert alice.receive_json() == joined("alice", room)
        assert manager_of(app).rooms() == [room]


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
def test_a_message_reaches_everyone_in_the_room_the_sender_included(client: TestClient) -> None:
    with (
        client.websocket_connect(url()) as alice,
        client.websocket_connect(url(token="t-bob")) as bob,
        client.websocket_connect(url(token="t-carol")) as carol,
    ):
        assert [alice.receive_json() for _ in range(3)] == [
            joined("alice"),
            joined("bob"),
            joined("carol"),
        ]
        assert [bob.receive_json() for _ in range(2)] == [joined("bob"), joined("carol")]
        assert carol.receive_json() == joined("carol")

        bob.send_json({"text": "hi all"})
        for member in (alice, bob, carol):
            assert member.receive_json() == said("bob", "hi all")

        carol.send_json({"text": "hi bob"})
        for member in (alice, bob, carol):
            assert member.receive_json() == said("carol", "hi bob")


@pytest.mark.task(3)
def test_rooms_are_isolated(client: TestClient, app: FastAPI) -> None:
    with (
        client.websocket_connect(url("general")) as alice,
        client.websocket_connect(url("random", "t-carol")) as carol,
    ):
        assert alice.receive_json() == joined("alice", "general")
        assert carol.receive_json() == joined("carol", "random")

        alice.send_json({"text": "general news"})
        assert alice.receive_json() == said("alice", "general news", "general")
        carol.send_json({"text": "random thought"})
        # carol's next frame is her own message, not alice's, and the other way round.
        assert carol.receive_json() == said("carol", "random thought", "random")
        alice.send_json({"text": "still general"})
        assert alice.receive_json() == said("alice", "still general", "general")

        assert manager_of(app).rooms() == ["general", "random"]
        assert manager_of(app).users("general") == ["alice"]
        assert manager_of(app).users("random") == ["carol"]


@pytest.mark.task(3)
def test_a_user_connected_twice_gets_every_message_on_both_connections(
    client: TestClient, app: FastAPI
) -> None:
    with (
        client.websocket_connect(url()) as laptop,
        client.websocket_connect(url()) as phone,
        client.websocket_connect(url(token="t-bob")) as bob,
    ):
        assert [laptop.receive_json() for _ in range(3)] == [
            joined("alice"),
            joined("alice"),
            joined("bob"),
        ]
        assert [phone.receive_json() for _ in range(2)] == [joined("alice"), joined("bob")]
        assert bob.receive_json() == joined("bob")
        assert manager_of(app).users("general") == ["alice", "alice", "bob"]

        bob.send_json({"text": "which alice?"})
        for connection in (laptop, phone, bob):
            assert connection.receive_json() == said("bob", "which alice?")


@pytest.mark.task(3)
def test_concurrent_senders_everyone_gets_every_message_in_each_senders_order(
    client: TestClient,
) -> None:
    users = ["alice", "bob", "carol", "dave"]
    per_user = 10
    with ExitStack() as stack:
        sessions = []
        for user in users:
            sessions.append(stack.enter_context(client.websocket_connect(url(token=f"t-{user}"))))
            for session in sessions:  # everyone already in the room sees the newcomer
                assert session.receive_json() == joined(user)
        # All four handlers now receive and broadcast at the same time on the app's loop.
        for n in range(per_user):
            for user, session in zip(users, sessions, strict=True):
                session.send_json({"text": f"{user} #{n}"})
        for session in sessions:
            frames = [session.receive_json() for _ in range(len(users) * per_user)]
            assert all(frame["type"] == "message" for frame in frames), frames
            for user in users:
                assert [f["text"] for f in frames if f["user"] == user] == [
                    f"{user} #{n}" for n in range(per_user)
                ]


# Task 4 -------------------------------------------------------------------------------------

INVALID_FRAMES = [
    pytest.param('{"text": "unterminated', [[]], id="not-json"),
    pytest.param('["hi"]', [[]], id="json-array"),
    pytest.param('"hi"', [[]], id="json-string"),
    pytest.param("{}", [["text"]], id="missing-text"),
    pytest.param('{"text": 42}', [["text"]], id="text-not-a-string"),
    pytest.param('{"text": ""}', [["text"]], id="empty-text"),
    pytest.param('{"text": " \\t\\n "}', [["text"]], id="blank-text"),
    pytest.param('{"text": "' + "x" * 501 + '"}', [["text"]], id="text-too-long"),
    pytest.param('{"text": "hi", "user": "bob"}', [["user"]], id="spoofed-user"),
    pytest.param('{"text": "hi", "room": "admin"}', [["room"]], id="extra-field"),
]


@pytest.mark.task(4)
@pytest.mark.parametrize(("raw", "locs"), INVALID_FRAMES)
def test_an_invalid_message_gets_an_error_frame_and_the_connection_stays_open(
    client: TestClient, raw: str, locs: list[list[str | int]]
) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        alice.send_text(raw)
        assert_error_frame(alice.receive_json(), locs)
        alice.send_json({"text": "sorry"})
        assert alice.receive_json() == said("alice", "sorry")


@pytest.mark.task(4)
def test_an_invalid_message_is_neither_broadcast_nor_its_error_shown_to_others(
    client: TestClient,
) -> None:
    with (
        client.websocket_connect(url()) as alice,
        client.websocket_connect(url(token="t-bob")) as bob,
    ):
        assert [alice.receive_json() for _ in range(2)] == [joined("alice"), joined("bob")]
        assert bob.receive_json() == joined("bob")
        alice.send_json({"text": "hi", "user": "bob"})
        assert_error_frame(alice.receive_json(), [["user"]])
        alice.send_json({"text": "hi"})
        assert bob.receive_json() == said("alice", "hi")
        assert alice.receive_json() == said("alice", "hi")


@pytest.mark.task(4)
def test_a_binary_frame_gets_an_error_frame_and_the_connection_stays_open(
    client: TestClient,
) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        alice.send_bytes(b'{"text": "hi"}')
        assert_error_frame(alice.receive_json(), [[]])
        alice.send_json({"text": "as text"})
        assert alice.receive_json() == said("alice", "as text")


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("text", "broadcast"),
    [
        pytest.param("  padded\t", "padded", id="stripped"),
        pytest.param("x", "x", id="one-character"),
        pytest.param("x" * 500, "x" * 500, id="500-characters"),
        pytest.param("  " + "x" * 500 + "\n", "x" * 500, id="500-after-stripping"),
        pytest.param("héllo wörld ✓ 中文 🎉", "héllo wörld ✓ 中文 🎉", id="unicode"),
    ],
)
def test_valid_text_is_stripped_and_broadcast(
    client: TestClient, text: str, broadcast: str
) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        alice.send_json({"text": text})
        assert alice.receive_json() == said("alice", broadcast)


# Letters, digits, punctuation and symbols from any script, plus the three whitespace characters
# the README names: whether a text is blank does not depend on how your code strips it.
VISIBLE = st.characters(codec="utf-8", categories=("L", "N", "P", "S"))
CHAT_TEXT = st.text(alphabet=VISIBLE | st.sampled_from(" \t\n"), max_size=40) | st.builds(
    lambda n, pad: pad + "y" * n + pad, st.integers(495, 505), st.sampled_from(["", " "])
)


@pytest.mark.task(4)
def test_any_text_is_broadcast_stripped_or_refused_with_an_error_frame(
    tokens: dict[str, str],
) -> None:
    # One app and one connection for all the examples: hypothesis calls `check` many times.
    with TestClient(create_app(tokens)) as client, client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")

        @settings(max_examples=30, deadline=None)
        @given(text=CHAT_TEXT)
        def check(text: str) -> None:
            alice.send_json({"text": text})
            frame = alice.receive_json()
            stripped = text.strip(" \t\n")
            if 1 <= len(stripped) <= 500:
                assert frame == said("alice", stripped)
            else:
                assert_error_frame(frame, [["text"]])

        check()


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
def test_a_client_that_leaves_is_forgotten_and_announced(client: TestClient, app: FastAPI) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        with (
            client.websocket_connect(url(token="t-bob")) as bob,
            client.websocket_connect(url(token="t-carol")) as carol,
        ):
            assert [alice.receive_json() for _ in range(2)] == [joined("bob"), joined("carol")]
            assert [bob.receive_json() for _ in range(2)] == [joined("bob"), joined("carol")]
            assert carol.receive_json() == joined("carol")
            # Close, then wait for the others to hear about it: leaving the `with` block at once
            # would also cancel bob's handler (TestClient does), maybe before it could tell them.
            bob.close()
            assert alice.receive_json() == left("bob")
            assert carol.receive_json() == left("bob")
            assert manager_of(app).users("general") == ["alice", "carol"]


@pytest.mark.task(5)
def test_the_room_keeps_working_after_a_client_left(client: TestClient, app: FastAPI) -> None:
    with client.websocket_connect(url()) as alice:
        assert alice.receive_json() == joined("alice")
        with client.websocket_connect(url(token="t-bob")) as bob:
            assert bob.receive_json() == joined("bob")
            assert alice.receive_json() == joined("bob")
            bob.close()
            assert alice.receive_json() == left("bob")
        # bob's socket is gone for good now: a broadcast that still tried to reach it would
        # break alice's handler instead of answering her.
        alice.send_json({"text": "bye bob"})
        assert alice.receive_json() == said("alice", "bye bob")
        assert manager_of(app).users("general") == ["alice"]


@pytest.mark.task(5)
def test_the_last_client_leaving_removes_the_room(client: TestClient, app: FastAPI) -> None:
    with client.websocket_connect(url("quiet")) as alice:
        assert alice.receive_json() == joined("alice", "quiet")
        alice.close()
    assert manager_of(app).rooms() == []
    assert manager_of(app).users("quiet") == []


@pytest.mark.task(5)
def test_closing_one_of_two_connections_keeps_the_other(client: TestClient, app: FastAPI) -> None:
    with (
        client.websocket_connect(url()) as laptop,
        client.websocket_connect(url(token="t-bob")) as bob,
    ):
        assert [laptop.receive_json() for _ in range(2)] == [joined("alice"), joined("bob")]
        assert bob.receive_json() == joined("bob")
        with client.websocket_connect(url()) as phone:
            assert phone.receive_json() == joined("alice")
            assert laptop.receive_json() == joined("alice")
            assert bob.receive_json() == joined("alice")
            phone.close()
            assert laptop.receive_json() == left("alice")
            assert bob.receive_json() == left("alice")
        assert manager_of(app).users("general") == ["alice", "bob"]
        bob.send_json({"text": "still there, alice?"})
        assert laptop.receive_json() == said("bob", "still there, alice?")
        assert bob.receive_json() == said("bob", "still there, alice?")


@pytest.mark.task(5)
async def test_a_vanished_client_is_forgotten_even_though_nothing_can_be_sent_to_it(
    app: FastAPI,
) -> None:
    # The endpoint driven the way a server drives it, for a client whose network dropped: once
    # the disconnect has been received, every send raises (uvicorn's does: the socket is gone).
    # TestClient cannot show this: it accepts sends to a closed socket without complaint.
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1006}]
    sent: list[dict[str, Any]] = []
    gone = False

    async def receive() -> dict[str, Any]:
        nonlocal gone
        message = incoming.pop(0)
        gone = message["type"] == "websocket.disconnect"
        return message

    async def send(message: dict[str, Any]) -> None:
        if gone:
            raise OSError("the client has gone away")
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/ws/general",
        "raw_path": b"/ws/general",
        "root_path": "",
        "query_string": b"token=t-alice",
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "subprotocols": [],
        "state": {},
    }
    with contextlib.suppress(Exception):  # the error of the failed send may come out, or not
        await app(scope, receive, send)
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.send"]
    assert manager_of(app).rooms() == []
    assert manager_of(app).users("general") == []
