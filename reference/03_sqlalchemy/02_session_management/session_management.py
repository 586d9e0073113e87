"""Kata 3.2: a bank whose every request runs in one session: all of it is committed, or none.

`create_app(engine)` keeps a `sessionmaker` on `app.state.session_factory`; `get_db` opens one
session per request from it, commits when the request succeeds, rolls back when it fails, and
always closes it.
"""

from collections.abc import Iterator
from typing import Annotated, Self

from fastapi import Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import CheckConstraint, Engine, ForeignKey, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

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
    # Read the factory at request time, from the app serving the request: several apps (and
    # the tests' replacement factory) can live in one process.
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:  # `with` closes the session whatever happens
        try:
            yield session
        except BaseException:
            # The request failed: an HTTPException, a validation error, a bug. Undo every
            # write of the request, flushed or not, then let the error go on to its handler.
            session.rollback()
            raise
        session.commit()


# The session parameter of every route: `session: SessionDep`.
# `scope="function"` ends the dependency as soon as the endpoint returns: the commit runs before
# the response is sent, so a commit that fails becomes the error response instead of happening
# after a 201 is already on its way (the default scope exits after the response).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def create_app(engine: Engine) -> FastAPI:
    """A new bank API on `engine`, with its own session factory."""
    app = FastAPI(title="Bank")
    app.state.session_factory = sessionmaker(bind=engine)

    @app.post("/accounts", status_code=status.HTTP_201_CREATED)
    def open_account(body: AccountIn, session: SessionDep) -> AccountOut:
        account = Account(owner=body.owner, balance=body.balance)
        session.add(account)
        try:
            # Flush now: the UNIQUE constraint answers here, inside the endpoint, where it can
            # become a 409 (and the id is needed for the answer anyway).
            session.flush()
        except IntegrityError:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail=f"Owner {body.owner} already has an account"
            ) from None
        return AccountOut.model_validate(account)

    @app.get("/accounts")
    def list_accounts(session: SessionDep) -> list[AccountOut]:
        accounts = session.scalars(select(Account).order_by(Account.id))
        return [AccountOut.model_validate(account) for account in accounts]

    @app.get("/accounts/{account_id}")
    def read_account(account_id: int, session: SessionDep) -> AccountOut:
        account = session.get(Account, account_id)
        if account is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Account {account_id} not found")
        return AccountOut.model_validate(account)

    @app.post("/transfers", status_code=status.HTTP_201_CREATED)
    def create_transfer(body: TransferIn, session: SessionDep) -> TransferOut:
        for account_id in (body.from_account_id, body.to_account_id):
            if session.get(Account, account_id) is None:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND, detail=f"Account {account_id} not found"
                )
        transfer = Transfer(
            from_account_id=body.from_account_id,
            to_account_id=body.to_account_id,
            amount=body.amount,
        )
        session.add(transfer)
        # The arithmetic runs in SQL (balance = balance + :change), not in Python: a transfer
        # that read the balance, added in Python and wrote it back would overwrite what another
        # transfer wrote in between (a lost update). Each UPDATE locks its row until the commit,
        # so the two rows are updated in one fixed order, by id: two opposite transfers at once
        # then queue on the same first row, instead of each holding the row the other one
        # waits for (on PostgreSQL, a DeadlockDetected error and a 500).
        changes = sorted([(body.from_account_id, -body.amount), (body.to_account_id, body.amount)])
        try:
            for account_id, change in changes:
                session.execute(
                    update(Account)
                    .where(Account.id == account_id)
                    .values(balance=Account.balance + change)
                )
        except IntegrityError:
            # The CHECK constraint refused the debit; whatever this request already wrote (the
            # transfer row, perhaps the credit) is taken back by get_db's rollback.
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"Insufficient funds in account {body.from_account_id}",
            ) from None
        return TransferOut.model_validate(transfer)

    @app.get("/transfers")
    def list_transfers(session: SessionDep) -> list[TransferOut]:
        transfers = session.scalars(select(Transfer).order_by(Transfer.id))
        return [TransferOut.model_validate(transfer) for transfer in transfers]

    return app
