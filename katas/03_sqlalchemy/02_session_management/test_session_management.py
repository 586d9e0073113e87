"""Tests for kata 3.2: one session per request, all or nothing, always closed."""

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from session_management import Account, Base, Transfer, create_app, get_db
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grader.testing import just_before


def balances(engine: Engine) -> dict[str, int]:
    """owner -> balance of every account in the database, read in a session of the test's own."""
    with Session(engine) as session:
        return {a.owner: a.balance for a in session.scalars(select(Account).order_by(Account.id))}


def transfer_count(engine: Engine) -> int:
    """How many transfers the database holds."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Transfer)) or 0


def store_out_of_id_order(engine: Engine, model: type[Account] | type[Transfer]) -> None:
    """Rewrites every row of the table, newest first: PostgreSQL then stores the rows out of id
    order, so only an ORDER BY returns them by id. (SQLite keeps its rows in id order.)"""
    with engine.begin() as connection:
        for row_id in sorted(connection.scalars(select(model.id)), reverse=True):
            connection.execute(update(model).where(model.id == row_id).values(id=model.id))


def seed(engine: Engine, **opening: int) -> dict[str, int]:
    """Stores accounts (owner=balance) directly in the database; returns owner -> id."""
    with Session(engine) as session:
        accounts = [Account(owner=owner, balance=cents) for owner, cents in opening.items()]
        session.add_all(accounts)
        session.commit()
        return {account.owner: account.id for account in accounts}


# For tests whose requests never reach SQL (the factory, request validation): running them on
# PostgreSQL as well would only cost a database.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def request_for(app: FastAPI) -> Request:
    """A bare request served by `app`: what `get_db` receives from FastAPI."""
    return Request({"type": "http", "app": app})


# --- Recorders: sessions, pooled connections, the moment a response starts ---


@dataclass
class SessionLog:
    """The sessions opened through `app.state.session_factory`, and those closed since.

    With `barrier` set, opening a session waits until that many sessions are open at once.
    """

    opened: list[Session] = field(default_factory=list)
    closed: list[Session] = field(default_factory=list)
    barrier: threading.Barrier | None = None

    def open_ones(self) -> list[Session]:
        """The sessions opened and never closed."""
        return [s for s in self.opened if not any(s is c for c in self.closed)]


def record_sessions(app: FastAPI) -> SessionLog:
    """Swaps the app's session factory for a recording one with the same settings.

    The replacement is a `sessionmaker` built with your factory's own arguments (bind,
    expire_on_commit, ...), whose sessions report when they are created and closed.
    """
    log = SessionLog()
    original: sessionmaker[Session] = app.state.session_factory

    class RecordedSession(Session):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            log.opened.append(self)
            if log.barrier is not None:
                log.barrier.wait()

        def close(self) -> None:
            log.closed.append(self)
            super().close()

    app.state.session_factory = sessionmaker(class_=RecordedSession, **original.kw)
    return log


@pytest.fixture
def sessions(app: FastAPI) -> SessionLog:
    """The app's session factory, swapped for a recording one (see `record_sessions`)."""
    return record_sessions(app)


@dataclass
class PoolLog:
    """Connections the engine's pool lent out and got back (lists: appends are thread-safe)."""

    checkouts: list[object] = field(default_factory=list)
    checkins: list[object] = field(default_factory=list)

    def all_returned(self) -> bool:
        """Every connection lent out since the log started is back in the pool."""
        return len(self.checkins) == len(self.checkouts)


@pytest.fixture
def connections(engine: Engine) -> Iterator[PoolLog]:
    """Records the pool's checkouts and checkins from now on."""
    log = PoolLog()

    def on_checkout(dbapi_connection: object, *args: object) -> None:
        log.checkouts.append(dbapi_connection)

    def on_checkin(dbapi_connection: object, *args: object) -> None:
        log.checkins.append(dbapi_connection)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    yield log
    event.remove(engine, "checkout", on_checkout)
    event.remove(engine, "checkin", on_checkin)


class OnResponseStart:
    """ASGI wrapper: calls `callback(status)` just before the response starts going out."""

    def __init__(self, app: ASGIApp, callback: Callable[[int], None]) -> None:
        self.app = app
        self.callback = callback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.callback(message["status"])
            await send(message)

        await self.app(scope, receive, send_and_record)


# --- Task 1: the app owns a session factory ---


@sqlite_only
@pytest.mark.task(1)
def test_create_app_builds_a_new_bank_each_time(engine: Engine) -> None:
    first, second = create_app(engine), create_app(engine)
    assert isinstance(first, FastAPI)
    assert first is not second
    assert first.title == "Bank"


@sqlite_only
@pytest.mark.task(1)
def test_the_session_factory_is_a_sessionmaker_on_the_engine(app: FastAPI, engine: Engine) -> None:
    factory = app.state.session_factory
    assert isinstance(factory, sessionmaker)
    with factory() as session:
        assert session.get_bind() is engine


@sqlite_only
@pytest.mark.task(1)
def test_each_app_has_its_own_factory_on_its_own_engine(engine: Engine, tmp_path: Path) -> None:
    other = create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        first, second = create_app(engine), create_app(other)
        assert first.state.session_factory is not second.state.session_factory
        with second.state.session_factory() as session:
            assert session.get_bind() is other
    finally:
        other.dispose()


# --- Task 2: one session per request with get_db ---


@pytest.mark.task(2)
def test_get_db_yields_a_session_from_the_apps_factory(app: FastAPI, sessions: SessionLog) -> None:
    dependency = get_db(request_for(app))
    session = next(dependency)
    assert isinstance(session, Session)
    assert sessions.opened == [session]
    dependency.close()


@pytest.mark.task(2)
def test_get_db_commits_and_closes_when_the_request_succeeds(
    app: FastAPI, engine: Engine, sessions: SessionLog
) -> None:
    dependency = get_db(request_for(app))
    session = next(dependency)
    session.add(Account(owner="ada", balance=500))
    with pytest.raises(StopIteration):
        next(dependency)  # what FastAPI does when the endpoint has returned
    assert balances(engine) == {"ada": 500}
    assert sessions.open_ones() == []


@pytest.mark.task(2)
def test_get_db_rolls_back_closes_and_reraises_when_the_request_fails(
    app: FastAPI, engine: Engine, sessions: SessionLog
) -> None:
    dependency = get_db(request_for(app))
    session = next(dependency)
    session.add(Account(owner="ada", balance=500))
    session.flush()  # the row is in the database, inside the request's transaction
    error = RuntimeError("the endpoint failed")
    with pytest.raises(RuntimeError) as raised:
        dependency.throw(error)  # what FastAPI does when the endpoint raised
    assert raised.value is error
    assert balances(engine) == {}
    assert sessions.open_ones() == []


@pytest.mark.task(2)
def test_a_successful_request_commits_its_writes(probe_client: TestClient, engine: Engine) -> None:
    response = probe_client.post("/probe/accounts", params={"owner": ["ada", "bob"]})
    assert response.status_code == 201, response.text
    assert balances(engine) == {"ada": 0, "bob": 0}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"owner": ["ada", "bob"], "then": "refuse"}, 409, id="http-exception"),
        pytest.param({"owner": ["ada", "bob"], "then": "crash"}, 500, id="runtime-error"),
        pytest.param({"owner": ["ada", "ada"]}, 500, id="integrity-error-on-second-write"),
    ],
)
def test_a_failing_request_writes_nothing_even_after_a_flush(
    probe_client: TestClient, engine: Engine, params: dict[str, object], status: int
) -> None:
    response = probe_client.post("/probe/accounts", params=params)
    assert response.status_code == status, response.text
    assert balances(engine) == {}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("path", "params", "body", "status"),
    [
        pytest.param("/probe/accounts", {"owner": "ada"}, None, 201, id="success"),
        pytest.param(
            "/probe/accounts", {"owner": "ada", "then": "refuse"}, None, 409, id="http-exception"
        ),
        pytest.param(
            "/probe/accounts", {"owner": "ada", "then": "crash"}, None, 500, id="runtime-error"
        ),
        pytest.param("/probe/accounts", {"owner": ["ada", "ada"]}, None, 500, id="integrity-error"),
        pytest.param("/probe/validated", {}, {"owner": ""}, 422, id="invalid-body"),
    ],
)
def test_every_request_opens_one_session_and_closes_it(
    probe_client: TestClient,
    sessions: SessionLog,
    connections: PoolLog,
    path: str,
    params: dict[str, object],
    body: dict[str, object] | None,
    status: int,
) -> None:
    response = probe_client.post(path, params=params, json=body)
    assert response.status_code == status, response.text
    assert len(sessions.opened) == 1
    assert sessions.open_ones() == []
    assert connections.all_returned()


@pytest.mark.task(2)
async def test_requests_in_flight_at_once_each_get_their_own_session(
    probe_app: FastAPI,
    engine: Engine,
    sessions: SessionLog,
    connections: PoolLog,
) -> None:
    in_flight = 8
    # Opening a session waits until eight are open: the requests are provably concurrent, and a
    # session shared between requests (or opened only once) breaks the barrier.
    sessions.barrier = threading.Barrier(in_flight, timeout=10)
    transport = httpx.ASGITransport(app=probe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(
            *(client.post("/probe/accounts", params={"owner": f"o{n}"}) for n in range(in_flight))
        )
    assert [r.status_code for r in responses] == [201] * in_flight, [r.text for r in responses]
    assert len({id(session) for session in sessions.opened}) == in_flight
    assert sessions.open_ones() == []
    assert connections.all_returned()
    assert len(balances(engine)) == in_flight


# --- Task 3: accounts ---


@pytest.mark.task(3)
def test_open_an_account(client: TestClient, engine: Engine) -> None:
    response = client.post("/accounts", json={"owner": "ada", "balance": 500})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "owner": "ada", "balance": 500}
    assert isinstance(body["id"], int)
    assert balances(engine) == {"ada": 500}


@pytest.mark.task(3)
@pytest.mark.parametrize("owner", [pytest.param("x", id="1-char"), pytest.param("y" * 50, id="50")])
def test_owners_of_1_and_50_characters_are_accepted(
    client: TestClient, engine: Engine, owner: str
) -> None:
    response = client.post("/accounts", json={"owner": owner})
    assert response.status_code == 201, response.text
    assert balances(engine) == {owner: 0}


@pytest.mark.task(3)
def test_the_opening_balance_defaults_to_zero(client: TestClient) -> None:
    response = client.post("/accounts", json={"owner": "ada"})
    assert response.status_code == 201, response.text
    assert response.json()["balance"] == 0


@pytest.mark.task(3)
def test_accounts_are_listed_by_id(client: TestClient, engine: Engine) -> None:
    created = [
        client.post("/accounts", json={"owner": owner, "balance": cents}).json()
        for owner, cents in (("ada", 5), ("bob", 0), ("cy", 70))
    ]
    store_out_of_id_order(engine, Account)
    response = client.get("/accounts")
    assert response.status_code == 200, response.text
    assert response.json() == sorted(created, key=lambda account: account["id"])


@pytest.mark.task(3)
def test_read_an_account_by_id(client: TestClient) -> None:
    created = client.post("/accounts", json={"owner": "ada", "balance": 5}).json()
    response = client.get(f"/accounts/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == created


@pytest.mark.task(3)
def test_an_unknown_account_is_404(client: TestClient) -> None:
    response = client.get("/accounts/7")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Account 7 not found"}


@sqlite_only
@pytest.mark.task(3)
def test_an_account_id_that_is_not_an_integer_is_422(client: TestClient) -> None:
    response = client.get("/accounts/ada")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "account_id"]


@pytest.mark.task(3)
def test_a_second_account_for_the_same_owner_is_409_and_changes_nothing(
    client: TestClient, engine: Engine
) -> None:
    assert client.post("/accounts", json={"owner": "ada", "balance": 5}).status_code == 201
    response = client.post("/accounts", json={"owner": "ada", "balance": 900})
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "Owner ada already has an account"}
    assert balances(engine) == {"ada": 5}
    # The failed request left nothing behind that breaks the next one.
    assert client.post("/accounts", json={"owner": "bob"}).status_code == 201
    assert balances(engine) == {"ada": 5, "bob": 0}


@pytest.mark.task(3)
def test_an_owner_taken_between_a_check_and_the_insert_is_still_409(
    client: TestClient, engine: Engine, database_url: str
) -> None:
    # Just before the INSERT reaches the database, another connection commits the same owner:
    # two sign-ups racing, made certain. Only the UNIQUE constraint can tell.
    racer = create_engine(database_url)

    def open_the_same_account_first() -> None:
        with Session(racer) as other:
            other.add(Account(owner="ada", balance=1))
            other.commit()

    try:
        with just_before(engine, ("INSERT INTO ACCOUNTS",), open_the_same_account_first) as fired:
            response = client.post("/accounts", json={"owner": "ada", "balance": 500})
    finally:
        racer.dispose()
    assert fired, "no INSERT into accounts was sent"
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "Owner ada already has an account"}
    assert balances(engine) == {"ada": 1}


@sqlite_only
@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"balance": 5}, ["body", "owner"], id="missing-owner"),
        pytest.param({"owner": ""}, ["body", "owner"], id="empty-owner"),
        pytest.param({"owner": "x" * 51}, ["body", "owner"], id="owner-too-long"),
        pytest.param({"owner": "ada", "balance": -1}, ["body", "balance"], id="negative-balance"),
        pytest.param({"owner": "ada", "balance": "lots"}, ["body", "balance"], id="balance-text"),
        pytest.param({"owner": "ada", "id": 3}, ["body", "id"], id="unknown-field"),
    ],
)
def test_an_invalid_account_is_422_and_nothing_is_stored(
    client: TestClient, engine: Engine, body: dict[str, object], loc: list[str]
) -> None:
    response = client.post("/accounts", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert balances(engine) == {}


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("POST", "/accounts", {"owner": "cy"}, 201, id="open"),
        pytest.param("POST", "/accounts", {"owner": "ada"}, 409, id="open-taken-owner"),
        pytest.param("POST", "/accounts", {"owner": ""}, 422, id="open-invalid"),
        pytest.param("GET", "/accounts/1", None, 200, id="read"),
        pytest.param("GET", "/accounts/99", None, 404, id="read-unknown"),
    ],
)
def test_every_account_request_opens_one_session_and_closes_it(
    client: TestClient,
    engine: Engine,
    sessions: SessionLog,
    connections: PoolLog,
    method: str,
    path: str,
    body: dict[str, object] | None,
    status: int,
) -> None:
    seed(engine, ada=5, bob=0)
    response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert len(sessions.opened) == 1
    assert sessions.open_ones() == []
    assert connections.all_returned()


# --- Task 4: transfers, all or nothing ---


@pytest.mark.task(4)
def test_a_transfer_moves_money_and_is_stored(client: TestClient, engine: Engine) -> None:
    ids = seed(engine, ada=500, bob=100)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 200}
    response = client.post("/transfers", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"id": response.json()["id"], **body}
    assert balances(engine) == {"ada": 300, "bob": 300}
    listed = client.get("/transfers")
    assert listed.status_code == 200, listed.text
    assert listed.json() == [response.json()]


@pytest.mark.task(4)
def test_a_transfer_may_empty_the_account(client: TestClient, engine: Engine) -> None:
    ids = seed(engine, ada=500, bob=0)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 500}
    response = client.post("/transfers", json=body)
    assert response.status_code == 201, response.text
    assert balances(engine) == {"ada": 0, "bob": 500}


@pytest.mark.task(4)
def test_a_transfer_of_one_cent_is_accepted(client: TestClient, engine: Engine) -> None:
    ids = seed(engine, ada=1, bob=0)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 1}
    response = client.post("/transfers", json=body)
    assert response.status_code == 201, response.text
    assert balances(engine) == {"ada": 0, "bob": 1}


@pytest.mark.task(4)
def test_transfers_are_listed_by_id(client: TestClient, engine: Engine) -> None:
    ids = seed(engine, ada=500, bob=0)
    created = []
    for amount in (10, 20, 30):
        body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": amount}
        created.append(client.post("/transfers", json=body).json())
    store_out_of_id_order(engine, Transfer)
    assert client.get("/transfers").json() == sorted(created, key=lambda t: t["id"])


@pytest.mark.task(4)
def test_an_overdraft_is_409_and_writes_nothing(client: TestClient, engine: Engine) -> None:
    ids = seed(engine, ada=100, bob=7)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 101}
    response = client.post("/transfers", json=body)
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": f"Insufficient funds in account {ids['ada']}"}
    assert balances(engine) == {"ada": 100, "bob": 7}  # bob was not credited either
    assert transfer_count(engine) == 0


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("unknown", "named"),
    [
        pytest.param({"from_account_id": 999}, 999, id="source"),
        pytest.param({"to_account_id": 999}, 999, id="target"),
        pytest.param({"from_account_id": 998, "to_account_id": 999}, 998, id="both-source-first"),
    ],
)
def test_a_transfer_with_an_unknown_account_is_404_and_writes_nothing(
    client: TestClient, engine: Engine, unknown: dict[str, int], named: int
) -> None:
    ids = seed(engine, ada=100, bob=7)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 5, **unknown}
    response = client.post("/transfers", json=body)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Account {named} not found"}
    assert balances(engine) == {"ada": 100, "bob": 7}
    assert transfer_count(engine) == 0


@sqlite_only
@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"amount": 0}, ["body", "amount"], id="zero-amount"),
        pytest.param({"amount": -5}, ["body", "amount"], id="negative-amount"),
        pytest.param({"amount": "5 euros"}, ["body", "amount"], id="amount-text"),
        pytest.param({"amount": None}, ["body", "amount"], id="amount-null"),
        pytest.param({"to_account_id": "FROM"}, ["body"], id="same-account"),
        pytest.param({"memo": "rent"}, ["body", "memo"], id="unknown-field"),
    ],
)
def test_an_invalid_transfer_is_422_and_writes_nothing(
    client: TestClient, engine: Engine, change: dict[str, object], loc: list[str]
) -> None:
    ids = seed(engine, ada=100, bob=7)
    body: dict[str, object] = {
        "from_account_id": ids["ada"],
        "to_account_id": ids["bob"],
        "amount": 5,
    }
    body.update(change)
    if body["to_account_id"] == "FROM":
        body["to_account_id"] = ids["ada"]
    response = client.post("/transfers", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert balances(engine) == {"ada": 100, "bob": 7}
    assert transfer_count(engine) == 0


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("amount", "status"),
    [
        pytest.param(5, 201, id="transfer"),
        pytest.param(500, 409, id="overdraft"),
        pytest.param(0, 422, id="invalid"),
    ],
)
def test_every_transfer_request_opens_one_session_and_closes_it(
    client: TestClient,
    engine: Engine,
    sessions: SessionLog,
    connections: PoolLog,
    amount: int,
    status: int,
) -> None:
    ids = seed(engine, ada=100, bob=7)
    body = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": amount}
    response = client.post("/transfers", json=body)
    assert response.status_code == status, response.text
    assert len(sessions.opened) == 1
    assert sessions.open_ones() == []
    assert connections.all_returned()


_example = itertools.count()


@pytest.mark.task(4)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    opening=st.lists(st.integers(0, 100), min_size=3, max_size=3),
    moves=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 120)), max_size=6
    ),
)
def test_transfers_keep_the_books_balanced(
    client: TestClient, engine: Engine, opening: list[int], moves: list[tuple[int, int, int]]
) -> None:
    # Fresh owners for every example: the database is the test's, shared by its examples.
    run = next(_example)
    owners = [f"run{run}-{n}" for n in range(3)]
    ids = seed(engine, **dict(zip(owners, opening, strict=True)))
    expected = dict(zip(owners, opening, strict=True))
    transfers_before = transfer_count(engine)
    succeeded = 0
    for source, target, amount in moves:
        body = {
            "from_account_id": ids[owners[source]],
            "to_account_id": ids[owners[target]],
            "amount": amount,
        }
        response = client.post("/transfers", json=body)
        if source == target:
            assert response.status_code == 422, response.text
        elif amount > expected[owners[source]]:
            assert response.status_code == 409, response.text
        else:
            assert response.status_code == 201, response.text
            expected[owners[source]] -= amount
            expected[owners[target]] += amount
            succeeded += 1
    stored = balances(engine)
    assert {owner: stored[owner] for owner in owners} == expected
    assert sum(expected.values()) == sum(opening)
    assert transfer_count(engine) == transfers_before + succeeded


# --- Task 5: commit before the response ---


@pytest.mark.task(5)
@pytest.mark.parametrize("path", ["/accounts", "/transfers"])
def test_the_change_is_committed_before_the_response_starts(
    app: FastAPI, engine: Engine, path: str
) -> None:
    ids = seed(engine, ada=100, bob=7)
    body = (
        {"owner": "cy"}
        if path == "/accounts"
        else {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 5}
    )
    seen: list[tuple[int, dict[str, int]]] = []

    def look(status: int) -> None:
        # What any other connection sees of the database when the client gets its answer.
        seen.append((status, balances(engine)))

    with TestClient(OnResponseStart(app, look)) as client:
        response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    assert seen == [(201, balances(engine))]
    assert seen[0][1] != {"ada": 100, "bob": 7}  # the change was already committed


@pytest.mark.task(5)
@pytest.mark.parametrize("path", ["/accounts", "/transfers"])
def test_a_commit_that_fails_answers_500_and_stores_nothing(
    app: FastAPI, engine: Engine, path: str
) -> None:
    ids = seed(engine, ada=100, bob=7)
    body = (
        {"owner": "cy"}
        if path == "/accounts"
        else {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 5}
    )

    def refuse(session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(app.state.session_factory, "before_commit", refuse)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(path, json=body)
    # A server error, never a 201 for a write the database refused.
    assert response.status_code >= 500, response.text
    assert balances(engine) == {"ada": 100, "bob": 7}
    assert transfer_count(engine) == 0


# --- Task 6: a test database through dependency_overrides ---


@pytest.mark.task(6)
def test_get_db_can_be_overridden_with_a_test_database(engine: Engine, tmp_path: Path) -> None:
    # The app's own database cannot even be opened: only the override can make it work.
    production = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'bank.sqlite3'}")
    checkouts: list[object] = []
    event.listen(production, "checkout", lambda *args: checkouts.append(args))
    app = create_app(production)
    test_sessions = sessionmaker(bind=engine)

    def get_test_db() -> Iterator[Session]:
        with test_sessions.begin() as session:  # commits on success, rolls back on error
            yield session

    app.dependency_overrides[get_db] = get_test_db
    try:
        with TestClient(app) as client:
            ada = client.post("/accounts", json={"owner": "ada", "balance": 50}).json()
            bob = client.post("/accounts", json={"owner": "bob"}).json()
            body = {"from_account_id": ada["id"], "to_account_id": bob["id"], "amount": 20}
            assert client.post("/transfers", json=body).status_code == 201
            assert [a["balance"] for a in client.get("/accounts").json()] == [30, 20]
            assert client.get(f"/accounts/{ada['id']}").json()["balance"] == 30
            assert len(client.get("/transfers").json()) == 1
    finally:
        production.dispose()
    assert balances(engine) == {"ada": 30, "bob": 20}
    assert checkouts == []


# --- Task 7 (stretch): transfers in flight at the same time ---


@pytest.fixture
def bank_on_postgres(postgres_url: str) -> Iterator[tuple[Engine, FastAPI]]:
    """The bank's tables on a PostgreSQL database of the test's own, and your app on it."""
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine, create_app(engine)
    engine.dispose()


async def run_together(app: FastAPI, bodies: list[dict[str, int]]) -> list[httpx.Response]:
    """Sends the transfers at once; each request's session waits until all are open, so the
    requests run their SQL at the same time, each on its own connection."""
    record_sessions(app).barrier = threading.Barrier(len(bodies), timeout=10)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(await asyncio.gather(*(client.post("/transfers", json=b) for b in bodies)))


ROUNDS = 15


@pytest.mark.postgres
@pytest.mark.task(7)
@pytest.mark.stretch
async def test_opposite_transfers_at_the_same_time_all_succeed_and_add_up(
    bank_on_postgres: tuple[Engine, FastAPI],
) -> None:
    engine, app = bank_on_postgres
    ids = seed(engine, ada=10_000, bob=10_000)
    there = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 7}
    back = {"from_account_id": ids["bob"], "to_account_id": ids["ada"], "amount": 3}
    for done in range(1, ROUNDS + 1):
        responses = await run_together(app, [there, back])
        # A 500 here is typically PostgreSQL's DeadlockDetected: each transfer holds the row
        # the other one waits for.
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        # Each round moves 7 - 3 = 4 from ada to bob: any other result was computed from a
        # balance that the other transfer had already changed (a lost update).
        assert balances(engine) == {"ada": 10_000 - 4 * done, "bob": 10_000 + 4 * done}
    assert transfer_count(engine) == 2 * ROUNDS


@pytest.mark.postgres
@pytest.mark.task(7)
@pytest.mark.stretch
async def test_transfers_from_one_account_at_the_same_time_never_lose_money(
    bank_on_postgres: tuple[Engine, FastAPI],
) -> None:
    engine, app = bank_on_postgres
    ids = seed(engine, ada=10_000, bob=0, cy=0)
    to_bob = {"from_account_id": ids["ada"], "to_account_id": ids["bob"], "amount": 5}
    to_cy = {"from_account_id": ids["ada"], "to_account_id": ids["cy"], "amount": 2}
    for done in range(1, ROUNDS + 1):
        responses = await run_together(app, [to_bob, to_cy])
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        assert balances(engine) == {"ada": 10_000 - 7 * done, "bob": 5 * done, "cy": 2 * done}


@pytest.mark.postgres
@pytest.mark.task(7)
@pytest.mark.stretch
async def test_of_two_transfers_that_would_overdraw_together_one_is_refused(
    bank_on_postgres: tuple[Engine, FastAPI],
) -> None:
    engine, app = bank_on_postgres
    for done in range(1, ROUNDS + 1):
        ids = seed(engine, **{f"src{done}": 10, f"a{done}": 0, f"b{done}": 0})
        bodies = [
            {"from_account_id": ids[f"src{done}"], "to_account_id": ids[target], "amount": 6}
            for target in (f"a{done}", f"b{done}")
        ]
        # Each transfer alone is covered; both together would overdraw the source.
        responses = await run_together(app, bodies)
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
        stored = balances(engine)
        assert stored[f"src{done}"] == 4
        assert stored[f"a{done}"] + stored[f"b{done}"] == 6
