"""Tests for kata 4.2: mails and clean-ups queued with BackgroundTasks run after the response."""

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from background_tasks import Mailer, create_app, deliver
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Journal = list[tuple[str, ...]]  # see conftest.py
NewClient = Callable[[ASGIApp], httpx.AsyncClient]
NewJournaledClient = Callable[[ASGIApp, Journal], httpx.AsyncClient]
NewMailer = Callable[[Journal, frozenset[str]], Mailer]

WELCOME = "Welcome!"
GONE = "gone@example.com"  # the address the bouncing mailer refuses


def response(method: str, path: str, status: int) -> tuple[str, ...]:
    """The journal entry of a completely sent response."""
    return ("response", method, path, status)


def mail(to: str, subject: str) -> tuple[str, ...]:
    """The journal entry of a delivered mail."""
    return ("mail", to, subject)


def mails(journal: Journal) -> Journal:
    """The delivered mails of the journal, in delivery order."""
    return [entry for entry in journal if entry[0] == "mail"]


def files_in(folder: Path) -> list[str]:
    """The names of the files in `folder`."""
    return sorted(path.name for path in folder.iterdir())


def logged_errors(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The ERROR records of the kata's `background_tasks` logger (or a child of it)."""
    return [
        record
        for record in records
        if record.name.partition(".")[0] == "background_tasks" and record.levelno == logging.ERROR
    ]


async def subscribe_all(client: httpx.AsyncClient, *emails: str) -> None:
    """Subscribes each address, asserting each is created."""
    for email in emails:
        created = await client.post("/subscribers", json={"email": email})
        assert created.status_code == 201, created.text


# --- Task 1: a welcome mail after the response -------------------------------------------------


@pytest.mark.task(1)
async def test_subscribe_answers_201_with_the_subscriber(client: httpx.AsyncClient) -> None:
    created = await client.post("/subscribers", json={"email": "ann@example.com"})
    assert created.status_code == 201, created.text
    assert created.json() == {"email": "ann@example.com"}


@pytest.mark.task(1)
async def test_the_welcome_mail_is_sent_after_the_response(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    created = await client.post("/subscribers", json={"email": "ann@example.com"})
    assert created.status_code == 201, created.text
    assert journal == [
        response("POST", "/subscribers", 201),
        mail("ann@example.com", WELCOME),
    ]


@pytest.mark.task(1)
async def test_subscribers_are_listed_in_subscription_order(client: httpx.AsyncClient) -> None:
    await subscribe_all(client, "cy@example.com", "ann@example.com", "bob@example.com")
    listed = await client.get("/subscribers")
    assert listed.status_code == 200, listed.text
    assert listed.json() == ["cy@example.com", "ann@example.com", "bob@example.com"]


@pytest.mark.task(1)
async def test_a_second_subscription_is_409_and_sends_no_second_mail(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    await subscribe_all(client, "ann@example.com")
    again = await client.post("/subscribers", json={"email": "ann@example.com"})
    assert again.status_code == 409, again.text
    assert again.json() == {"detail": "ann@example.com is already subscribed"}
    assert mails(journal) == [mail("ann@example.com", WELCOME)]
    assert (await client.get("/subscribers")).json() == ["ann@example.com"]


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-email"),
        pytest.param({"email": "ann.example.com"}, id="no-at-sign"),
        pytest.param({"email": "ann@@example.com"}, id="two-at-signs"),
        pytest.param({"email": "ann@localhost"}, id="no-dot-in-domain"),
        pytest.param({"email": "ann smith@example.com"}, id="space"),
        pytest.param({"email": "a" * 243 + "@example.com"}, id="longer-than-254"),
        pytest.param({"email": 42}, id="not-a-string"),
    ],
)
async def test_an_invalid_subscription_is_422_stores_nothing_and_sends_nothing(
    client: httpx.AsyncClient, journal: Journal, body: dict[str, object]
) -> None:
    refused = await client.post("/subscribers", json=body)
    assert refused.status_code == 422, refused.text
    assert [error["loc"] for error in refused.json()["detail"]] == [["body", "email"]]
    assert journal == [response("POST", "/subscribers", 422)]
    assert (await client.get("/subscribers")).json() == []


@pytest.mark.task(1)
async def test_a_body_that_is_not_json_is_422_and_sends_nothing(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    refused = await client.post(
        "/subscribers", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert refused.status_code == 422, refused.text
    assert mails(journal) == []
    assert (await client.get("/subscribers")).json() == []


@pytest.mark.task(1)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(emails=st.lists(st.from_regex(r"[ab]{1,2}@x\.io", fullmatch=True), max_size=8))
async def test_each_address_gets_one_welcome_mail_right_after_its_own_response(
    new_mailer: NewMailer,
    new_journaled_client: NewJournaledClient,
    export_dir: Path,
    emails: list[str],
) -> None:
    journal: Journal = []
    app = create_app(new_mailer(journal, frozenset()), export_dir)
    expected: Journal = []
    async with new_journaled_client(app, journal) as client:
        for email in emails:
            first_time = mail(email, WELCOME) not in expected
            answer = await client.post("/subscribers", json={"email": email})
            if first_time:
                assert answer.status_code == 201, answer.text
                expected += [response("POST", "/subscribers", 201), mail(email, WELCOME)]
            else:
                assert answer.status_code == 409, answer.text
                expected.append(response("POST", "/subscribers", 409))
    assert journal == expected


# --- Task 2: the blocking mailer stays off the event loop --------------------------------------


@pytest.mark.task(2)
async def test_other_requests_are_served_while_a_mail_is_being_sent(
    gated_mailer: Mailer,
    mail_started: threading.Event,
    mail_gate: threading.Event,
    export_dir: Path,
    new_client: NewClient,
    journal: Journal,
) -> None:
    async with new_client(create_app(gated_mailer, export_dir)) as client:
        signup = asyncio.create_task(client.post("/subscribers", json={"email": "ann@example.com"}))
        assert await asyncio.to_thread(mail_started.wait, 5), "the welcome mail never started"
        # The mail is stuck in the mailer: only an event loop that is still free answers this.
        listed = await client.get("/subscribers")
        blocked_the_loop = ("gave up", "ann@example.com") in journal
        mail_gate.set()
        created = await signup
    assert not blocked_the_loop, "the mail blocked the event loop: let it run in a thread"
    assert listed.status_code == 200, listed.text
    assert listed.json() == ["ann@example.com"]
    assert created.status_code == 201, created.text
    assert mails(journal) == [mail("ann@example.com", WELCOME)]


@pytest.mark.task(2)
async def test_concurrent_subscriptions_each_get_exactly_one_welcome_mail(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    emails = [f"user{n}@example.com" for n in range(20)]
    answers = await asyncio.gather(
        *(client.post("/subscribers", json={"email": email}) for email in emails)
    )
    assert [answer.status_code for answer in answers] == [201] * 20
    assert sorted(mails(journal)) == sorted(mail(email, WELCOME) for email in emails)
    assert sorted((await client.get("/subscribers")).json()) == sorted(emails)


# --- Task 3: a newsletter, many tasks in order -------------------------------------------------


@pytest.mark.task(3)
async def test_a_newsletter_is_accepted_with_the_number_of_recipients(
    client: httpx.AsyncClient,
) -> None:
    await subscribe_all(client, "ann@example.com", "bob@example.com")
    accepted = await client.post("/newsletters", json={"subject": "News"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"recipients": 2}


@pytest.mark.task(3)
async def test_newsletter_mails_go_out_after_the_response_in_subscription_order(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    emails = ["cy@example.com", "ann@example.com", "bob@example.com", "dee@example.com"]
    await subscribe_all(client, *emails)
    journal.clear()
    accepted = await client.post("/newsletters", json={"subject": "Spring news"})
    assert accepted.status_code == 202, accepted.text
    assert journal == [
        response("POST", "/newsletters", 202),
        *(mail(email, "Spring news") for email in emails),
    ]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "subject",
    [pytest.param("!", id="one-character"), pytest.param("x" * 100, id="100-characters")],
)
async def test_a_subject_of_1_to_100_characters_is_sent(
    client: httpx.AsyncClient, journal: Journal, subject: str
) -> None:
    await subscribe_all(client, "ann@example.com")
    accepted = await client.post("/newsletters", json={"subject": subject})
    assert accepted.status_code == 202, accepted.text
    assert mails(journal)[-1] == mail("ann@example.com", subject)


@pytest.mark.task(3)
async def test_a_newsletter_without_subscribers_sends_nothing(
    client: httpx.AsyncClient, journal: Journal
) -> None:
    accepted = await client.post("/newsletters", json={"subject": "Anyone?"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"recipients": 0}
    assert journal == [response("POST", "/newsletters", 202)]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-subject"),
        pytest.param({"subject": ""}, id="empty-subject"),
        pytest.param({"subject": "x" * 101}, id="subject-too-long"),
        pytest.param({"subject": ["News"]}, id="subject-not-a-string"),
    ],
)
async def test_an_invalid_newsletter_is_422_and_sends_nothing(
    client: httpx.AsyncClient, journal: Journal, body: dict[str, object]
) -> None:
    await subscribe_all(client, "ann@example.com")
    journal.clear()
    refused = await client.post("/newsletters", json=body)
    assert refused.status_code == 422, refused.text
    assert [error["loc"] for error in refused.json()["detail"]] == [["body", "subject"]]
    assert journal == [response("POST", "/newsletters", 422)]


# --- Task 4: a clean-up queued by a dependency -------------------------------------------------


@pytest.mark.task(4)
async def test_the_export_is_a_csv_attachment_of_the_subscribers(
    client: httpx.AsyncClient,
) -> None:
    await subscribe_all(client, "cy@example.com", "ann@example.com")
    exported = await client.get("/subscribers/export")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].partition(";")[0] == "text/csv"
    assert exported.headers["content-disposition"] == 'attachment; filename="subscribers.csv"'
    assert exported.text == "email\ncy@example.com\nann@example.com\n"


@pytest.mark.task(4)
async def test_the_export_of_no_subscribers_has_only_the_header_line(
    client: httpx.AsyncClient,
) -> None:
    exported = await client.get("/subscribers/export")
    assert exported.status_code == 200, exported.text
    assert exported.text == "email\n"


@pytest.mark.task(4)
async def test_the_export_file_exists_while_it_is_sent_and_is_removed_after(
    app: FastAPI, export_dir: Path, new_client: NewClient
) -> None:
    files_when_sending: list[list[str]] = []

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_look(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"].endswith("/export"):
                files_when_sending.append(files_in(export_dir))
            await send(message)

        await app(scope, receive, send_and_look)

    async with new_client(watching) as client:
        await subscribe_all(client, "ann@example.com")
        exported = await client.get("/subscribers/export")
    assert exported.status_code == 200, exported.text
    assert len(files_when_sending) == 1
    assert len(files_when_sending[0]) == 1, "exactly one export file while the response is sent"
    assert files_in(export_dir) == [], "the export file is still there after the response"


@pytest.mark.task(4)
async def test_concurrent_exports_are_complete_and_leave_no_file_behind(
    client: httpx.AsyncClient, export_dir: Path
) -> None:
    emails = [f"user{n}@example.com" for n in range(50)]
    await subscribe_all(client, *emails)
    exports = await asyncio.gather(*(client.get("/subscribers/export") for _ in range(10)))
    expected = "".join(f"{line}\n" for line in ["email", *emails])
    for exported in exports:
        assert exported.status_code == 200, exported.text
        assert exported.text == expected
    assert files_in(export_dir) == []


@pytest.mark.task(4)
async def test_two_exports_in_flight_at_once_each_send_their_own_file(
    app: FastAPI, export_dir: Path, new_client: NewClient
) -> None:
    # Each export is held just before its response starts (its file is written by then) until
    # both are: the second export's file is written while the first one's is still being sent.
    held = asyncio.Queue[str]()
    release = asyncio.Event()

    async def holding(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_when_released(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"].endswith("/export"):
                held.put_nowait(scope["path"])
                await release.wait()
            await send(message)

        await app(scope, receive, send_when_released)

    async with new_client(holding) as client, asyncio.timeout(10):
        await subscribe_all(client, "ann@example.com")
        first = asyncio.create_task(client.get("/subscribers/export"))
        await held.get()  # the first export is written, not yet sent
        await subscribe_all(client, "bob@example.com")
        second = asyncio.create_task(client.get("/subscribers/export"))
        await held.get()  # the second one too: both are in flight
        release.set()
        first_export, second_export = await first, await second
    assert first_export.status_code == 200, first_export.text
    assert first_export.text == "email\nann@example.com\n"
    assert second_export.status_code == 200, second_export.text
    assert second_export.text == "email\nann@example.com\nbob@example.com\n"
    assert files_in(export_dir) == []


# --- Task 5: a failing task is logged and stops nothing ----------------------------------------


@pytest.mark.task(5)
def test_deliver_sends_one_mail(journal: Journal, mailer: Mailer) -> None:
    assert deliver(mailer, "ann@example.com", "Hi") is None
    assert journal == [mail("ann@example.com", "Hi")]


@pytest.mark.task(5)
def test_deliver_logs_a_failure_with_its_traceback_and_returns(
    bouncing_mailer: Mailer, journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    assert deliver(bouncing_mailer, GONE, "Hi") is None
    errors = logged_errors(caplog.records)
    assert len(errors) == 1, caplog.text
    assert GONE in errors[0].getMessage()
    assert errors[0].exc_info is not None, "log the traceback: logger.exception(...)"
    assert errors[0].exc_info[0] is ConnectionRefusedError
    assert journal == []


@pytest.mark.task(5)
def test_deliver_logs_no_error_when_the_mail_goes_out(
    mailer: Mailer, caplog: pytest.LogCaptureFixture
) -> None:
    deliver(mailer, "ann@example.com", "Hi")
    assert logged_errors(caplog.records) == []


@pytest.mark.task(5)
async def test_a_failing_welcome_mail_does_not_change_the_response(
    bouncing_mailer: Mailer,
    export_dir: Path,
    new_client: NewClient,
    journal: Journal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with new_client(create_app(bouncing_mailer, export_dir)) as client:
        created = await client.post("/subscribers", json={"email": GONE})
        listed = await client.get("/subscribers")
    assert created.status_code == 201, created.text
    assert created.json() == {"email": GONE}
    assert listed.json() == [GONE]
    assert journal == [
        response("POST", "/subscribers", 201),
        response("GET", "/subscribers", 200),
    ]
    errors = logged_errors(caplog.records)
    assert len(errors) == 1, caplog.text
    assert GONE in errors[0].getMessage()


@pytest.mark.task(5)
async def test_a_bounced_newsletter_mail_does_not_stop_the_mails_after_it(
    bouncing_mailer: Mailer,
    export_dir: Path,
    new_client: NewClient,
    journal: Journal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with new_client(create_app(bouncing_mailer, export_dir)) as client:
        await subscribe_all(client, "ann@example.com", GONE, "bob@example.com")
        journal.clear()
        caplog.clear()
        accepted = await client.post("/newsletters", json={"subject": "News"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"recipients": 3}
    assert journal == [
        response("POST", "/newsletters", 202),
        mail("ann@example.com", "News"),
        mail("bob@example.com", "News"),
    ]
    errors = logged_errors(caplog.records)
    assert len(errors) == 1, caplog.text
    assert GONE in errors[0].getMessage()


class ErrorRecorder(logging.Handler):
    """Collects the records of a logger (caplog is per test; hypothesis runs many examples)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keeps the record."""
        self.records.append(record)


@pytest.mark.task(5)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # Each example builds an app and sends up to 13 requests; shrinking a failure would replay
    # hundreds of them for an example that is at most six addresses long already.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    audience=st.lists(
        st.tuples(st.from_regex(r"[a-z]{1,6}@example\.(com|org)", fullmatch=True), st.booleans()),
        unique_by=lambda pair: pair[0],
        max_size=6,
    )
)
async def test_every_mail_that_does_not_bounce_is_delivered_in_order(
    new_mailer: NewMailer,
    new_journaled_client: NewJournaledClient,
    export_dir: Path,
    audience: list[tuple[str, bool]],
) -> None:
    bounced = [email for email, bounces in audience if bounces]
    delivered = [email for email, bounces in audience if not bounces]
    journal: Journal = []
    app = create_app(new_mailer(journal, frozenset(bounced)), export_dir)
    recorder = ErrorRecorder()
    logging.getLogger("background_tasks").addHandler(recorder)
    try:
        async with new_journaled_client(app, journal) as client:
            await subscribe_all(client, *(email for email, _ in audience))
            journal.clear()
            recorder.records.clear()
            accepted = await client.post("/newsletters", json={"subject": "News"})
    finally:
        logging.getLogger("background_tasks").removeHandler(recorder)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"recipients": len(audience)}
    assert mails(journal) == [mail(email, "News") for email in delivered]
    assert len(recorder.records) == len(bounced)
    for record, email in zip(recorder.records, bounced, strict=True):
        assert email in record.getMessage()
