"""Kata 4.2: a newsletter service whose mails and clean-ups run after the response is sent."""

import logging
import uuid
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

logger = logging.getLogger("background_tasks")

WELCOME_SUBJECT = "Welcome!"


class Mailer(Protocol):
    """Sends one e-mail and blocks until the mail server answers (given: the tests pass a fake)."""

    def send(self, to: str, subject: str) -> None:
        """Sends `subject` to `to`; raises when the mail cannot be delivered."""
        ...


class SubscriberIn(BaseModel):
    """A subscription request, and the subscriber as the API returns it (given)."""

    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NewsletterIn(BaseModel):
    """A newsletter to send to every subscriber (given)."""

    subject: str = Field(min_length=1, max_length=100)


class Recipients(BaseModel):
    """How many mails a newsletter request queued (given)."""

    recipients: int


def deliver(mailer: Mailer, to: str, subject: str) -> None:
    """Sends one mail from a background task: a failure is logged with its traceback, not raised."""
    try:
        mailer.send(to, subject)
    except Exception:
        # Nobody awaits a background task: the client already has its response. Raised, the
        # exception would skip every task queued after this one and reach the server as an
        # "Exception in ASGI application"; logged here, it names the mail that was lost.
        logger.exception("could not send %r to %s", subject, to)


def create_app(mailer: Mailer, export_dir: Path) -> FastAPI:
    """Builds the newsletter app; every mail goes through `mailer`, exports through `export_dir`."""
    app = FastAPI(title="Newsletter")
    subscribers: list[str] = []

    # A plain `def` dependency runs in the threadpool: the file is written off the event loop.
    def export_file(background_tasks: BackgroundTasks) -> Path:
        # One file per request: two exports in flight must not write or remove each other's file.
        path = export_dir / f"subscribers-{uuid.uuid4().hex}.csv"
        path.write_text("".join(f"{line}\n" for line in ["email", *subscribers]), encoding="utf-8")
        # The dependency receives the request's own BackgroundTasks (the endpoint gets the same
        # object), so the removal runs once the FileResponse has been sent, not before.
        background_tasks.add_task(path.unlink, missing_ok=True)
        return path

    @app.post("/subscribers", status_code=status.HTTP_201_CREATED)
    async def subscribe(
        subscriber: SubscriberIn, background_tasks: BackgroundTasks
    ) -> SubscriberIn:
        if subscriber.email in subscribers:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail=f"{subscriber.email} is already subscribed"
            )
        subscribers.append(subscriber.email)
        # `deliver` is a plain `def`: Starlette runs it in a worker thread, so the blocking
        # mailer never stalls the event loop. Wrapped in an `async def`, it would.
        background_tasks.add_task(deliver, mailer, subscriber.email, WELCOME_SUBJECT)
        return subscriber

    @app.get("/subscribers")
    async def list_subscribers() -> list[str]:
        return subscribers

    @app.post("/newsletters", status_code=status.HTTP_202_ACCEPTED)
    async def send_newsletter(
        newsletter: NewsletterIn, background_tasks: BackgroundTasks
    ) -> Recipients:
        # Tasks run one after the other, in the order they were added.
        for email in subscribers:
            background_tasks.add_task(deliver, mailer, email, newsletter.subject)
        return Recipients(recipients=len(subscribers))

    @app.get("/subscribers/export", response_class=FileResponse)
    async def export_subscribers(path: Annotated[Path, Depends(export_file)]) -> FileResponse:
        # FastAPI attaches the request's BackgroundTasks to a returned Response whose own
        # `background` is unset: passing `background=` here would drop the dependency's task.
        return FileResponse(path, media_type="text/csv", filename="subscribers.csv")

    return app
