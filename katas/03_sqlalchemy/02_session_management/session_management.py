"""Kata 3.2: a bank whose every request runs in one session: all of it is committed, or none."""

from collections.abc import Iterator
from typing import Annotated, Self

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import CheckConstraint, Engine, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# --- Given: the tables and the schemas of the API. ---


class Base(DeclarativeBase):
    """The bank's tables (this kata's own metadata)."""


class Account(Base):
    """A bank account; the database refuses a negative balance."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(50), unique=True)
    balance: Mapped[int]  # in cents


class Transfer(Base):
    """Money moved from one account to another."""

    __tablename__ = "transfers"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int]  # in cents


class AccountIn(BaseModel):
    """A new account: its owner and the opening deposit, in cents."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=50)
    balance: int = Field(default=0, ge=0)


class AccountOut(BaseModel):
    """An account as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    owner: str
    balance: int


class TransferIn(BaseModel):
    """A transfer request: a positive amount, in cents, between two different accounts."""

    model_config = ConfigDict(extra="forbid")

    from_account_id: int
    to_account_id: int
    amount: int = Field(gt=0)

    @model_validator(mode="after")
    def accounts_differ(self) -> Self:
        """A transfer to the same account is refused."""
        if self.from_account_id == self.to_account_id:
            raise ValueError("from_account_id and to_account_id must differ")
        return self


class TransferOut(BaseModel):
    """A stored transfer as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    from_account_id: int
    to_account_id: int
    amount: int


# --- The session per request, and the app: yours to write. ---


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed if the request succeeds, rolled back if it fails,
    closed either way."""
    # TODO(task 2): open a session with request.app.state.session_factory(), yield it; commit
    #   when the request succeeds, roll back and re-raise when an exception comes in at the
    #   yield, and close the session whatever happens.
    raise NotImplementedError("get_db is not written yet")
    yield  # makes this a generator, as a yield dependency is; it goes with the raise


# The session parameter of every route: `session: SessionDep`.
# TODO(task 5): make get_db end (and commit) before the response is sent.
SessionDep = Annotated[Session, Depends(get_db)]


def create_app(engine: Engine) -> FastAPI:
    """A new bank API on `engine`, with its own session factory."""
    # TODO(task 1): a new FastAPI(title="Bank") whose state.session_factory is a sessionmaker
    #   bound to `engine`.
    # TODO(task 3): POST /accounts, GET /accounts, GET /accounts/{account_id}.
    # TODO(task 4): POST /transfers and GET /transfers, all or nothing.
    # TODO(task 7): transfers in flight at once: no lost update, no deadlock (rows in id order).
    # TODO(task 6): every route takes its session from get_db, so tests can override it.
    raise NotImplementedError("create_app is not written yet")
