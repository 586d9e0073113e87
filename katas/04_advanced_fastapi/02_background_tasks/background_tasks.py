"""Kata 4.2: a newsletter service whose mails and clean-ups run after the response is sent."""

import logging
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
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
    # TODO(task 5): call mailer.send(to, subject); on any Exception, log it on `logger` at ERROR
    # level with the traceback and a message naming `to`, and return normally.
    raise NotImplementedError("deliver is not written yet")


def create_app(mailer: Mailer, export_dir: Path) -> FastAPI:
    """Builds the newsletter app; every mail goes through `mailer`, exports through `export_dir`."""
    # TODO(task 1): POST /subscribers (201, 409 for a repeat) and GET /subscribers; queue the
    # welcome mail on the request's BackgroundTasks so that it is sent after the response.
    # TODO(task 2): mailer.send blocks: make sure it never runs on the event loop.
    # TODO(task 3): POST /newsletters (202): one queued mail per subscriber, in order.
    # TODO(task 4): GET /subscribers/export: a dependency writes the CSV file into export_dir and
    # queues its removal; the endpoint answers a FileResponse of it.
    # TODO(task 5): queue every mail through `deliver`.
    raise NotImplementedError("create_app is not written yet")
