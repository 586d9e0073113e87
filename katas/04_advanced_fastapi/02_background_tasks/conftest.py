"""Fixtures for kata 4.2: fake mailers, a journal of what happened in which order, clients."""

import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from background_tasks import create_app
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One ordered record of events, shared by the app's wrapper and the mailers:
# ("response", method, path, status) once the last byte of a response has gone to the server,
# ("mail", to, subject) once a mail is delivered, ("gave up", to) when a gated mail timed out.
Journal = list[tuple[str, ...]]

BOUNCING_ADDRESS = "gone@example.com"


class FakeMailer:
    """A blocking mailer that records each delivered mail in the journal.

    Addresses in `bounce` raise `ConnectionRefusedError`, as a mail server refusing them would.
    """

    def __init__(self, journal: Journal, bounce: frozenset[str] = frozenset()) -> None:
        self.journal = journal
        self.bounce = bounce

    def send(self, to: str, subject: str) -> None:
        """Records ("mail", to, subject), or raises for a bouncing address."""
        if to in self.bounce:
            raise ConnectionRefusedError(f"550 mailbox unavailable: {to}")
        self.journal.append(("mail", to, subject))


class GatedMailer(FakeMailer):
    """A mailer whose `send` blocks until the test opens the gate, like a slow SMTP server.

    It waits at most `patience` seconds, then records ("gave up", to) and opens the gate itself:
    a mail sent on the event loop blocks the loop, and the test could never open the gate.
    """

    def __init__(
        self, journal: Journal, started: threading.Event, gate: threading.Event, patience: float
    ) -> None:
        super().__init__(journal)
        self.started = started
        self.gate = gate
        self.patience = patience

    def send(self, to: str, subject: str) -> None:
        """Signals `started`, blocks until the gate opens, then records the mail."""
        self.started.set()
        if not self.gate.wait(self.patience):
            self.journal.append(("gave up", to))
            self.gate.set()
        super().send(to, subject)


def journaled(app: ASGIApp, journal: Journal) -> ASGIApp:
    """Wraps `app` so that the journal records when each response has been completely sent."""

    async def app_with_journal(scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def send_and_record(message: Message) -> None:
            nonlocal status
            await send(message)
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                journal.append(("response", scope["method"], scope["path"], status))

        await app(scope, receive, send_and_record)

    return app_with_journal


def client_for(app: ASGIApp, journal: Journal) -> httpx.AsyncClient:
    """An async client that drives `app` in-process, journaling every response.

    `httpx.ASGITransport` returns a response only once the app has finished, background tasks
    included: the journal, not the client, tells what happened first.
    """
    transport = httpx.ASGITransport(app=journaled(app, journal))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def journal() -> Journal:
    """The ordered record of responses and mails of one test."""
    return []


@pytest.fixture
def mailer(journal: Journal) -> FakeMailer:
    """A mailer that delivers every mail."""
    return FakeMailer(journal)


@pytest.fixture
def bouncing_mailer(journal: Journal) -> FakeMailer:
    """A mailer that refuses mails to BOUNCING_ADDRESS (gone@example.com), raising."""
    return FakeMailer(journal, bounce=frozenset({BOUNCING_ADDRESS}))


@pytest.fixture
def mail_started() -> threading.Event:
    """Set by the gated mailer when a mail starts being sent."""
    return threading.Event()


@pytest.fixture
def mail_gate() -> threading.Event:
    """Opened by the test to let the gated mailer finish."""
    return threading.Event()


@pytest.fixture
def gated_mailer(
    journal: Journal, mail_started: threading.Event, mail_gate: threading.Event
) -> FakeMailer:
    """A mailer that blocks in `send` until `mail_gate` is set (5 s at most)."""
    # 5 s is a thousand times what the test needs to serve one request while the mail waits.
    return GatedMailer(journal, mail_started, mail_gate, patience=5.0)


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    """An empty folder for the app's export files."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def app(mailer: FakeMailer, export_dir: Path) -> FastAPI:
    """A new app wired to the delivering mailer and the export folder."""
    return create_app(mailer, export_dir)


@pytest.fixture
def new_client(journal: Journal) -> Callable[[ASGIApp], httpx.AsyncClient]:
    """Builds an async client on any app (or wrapped app), journaling into `journal`."""
    return lambda app: client_for(app, journal)


@pytest.fixture
async def client(
    app: FastAPI, new_client: Callable[[ASGIApp], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """An async client on `app`."""
    async with new_client(app) as test_client:
        yield test_client


@pytest.fixture
def new_mailer() -> Callable[[Journal, frozenset[str]], FakeMailer]:
    """Builds a mailer on a journal of one's own, bouncing the given addresses (for hypothesis)."""
    return FakeMailer


@pytest.fixture
def new_journaled_client() -> Callable[[ASGIApp, Journal], httpx.AsyncClient]:
    """Builds an async client journaling into a journal of one's own (for hypothesis)."""
    return client_for
