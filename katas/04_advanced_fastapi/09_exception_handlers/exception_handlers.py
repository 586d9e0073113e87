"""Kata 4.9: every error of a shop API answered as RFC 9457 problem details."""

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, ClassVar

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://shop.example/problems/"
UNEXPECTED_DETAIL = "An unexpected error occurred. Quote the instance when you report it."

logger = logging.getLogger("exception_handlers")

# RFC 9457 section 3.1: the members every problem may carry; extensions must not reuse them.
STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
# RFC 9457 section 4: extension names start with a letter, use letters, digits and "_", and
# have three characters or more (so that the XML format can carry them too).
EXTENSION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")


# --- Given: settings, the shop's domain and its errors --------------------------------------


class Settings(BaseModel):
    """The secrets the app holds (given): none of them may ever reach a client."""

    model_config = ConfigDict(frozen=True)

    database_url: SecretStr
    reports_api_key: SecretStr


class DomainError(Exception):
    """A business rule was broken (given). Each subclass is one problem type (RFC 9457 section 4).

    `type`, `title` and `status` describe the problem type; `detail` this occurrence;
    `extensions` the problem-specific members.
    """

    type: ClassVar[str] = "about:blank"
    title: ClassVar[str | None] = None  # None: the status phrase, as about:blank requires
    status: ClassVar[int] = 400

    def __init__(self, detail: str, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class AccountNotFound(DomainError):
    """No account has this id: nothing more to say than the status code, hence about:blank."""

    status = 404

    def __init__(self, account_id: str) -> None:
        super().__init__(f"There is no account {account_id}.")


class UnknownItem(DomainError):
    """The purchase names an item the catalogue does not sell."""

    type = PROBLEM_TYPES + "unknown-item"
    title = "The catalogue has no such item."
    status = 422

    def __init__(self, sku: str) -> None:
        super().__init__(f"The catalogue does not sell {sku!r}.", sku=sku)


class OutOfCredit(DomainError):
    """The account cannot pay for the purchase (the example of RFC 9457 section 3)."""

    type = PROBLEM_TYPES + "out-of-credit"
    title = "You do not have enough credit."
    status = 403

    def __init__(self, balance: int, cost: int) -> None:
        super().__init__(
            f"Your current balance is {balance}, but that costs {cost}.", balance=balance, cost=cost
        )


PRICES = {"pen": 5, "ink": 20, "pad": 12}

Quantity = Annotated[int, Field(ge=1, le=100)]


class Account(BaseModel):
    """An account as the API returns it (given)."""

    id: str
    balance: int


class PurchaseIn(BaseModel):
    """What a client buys: item code -> quantity (given)."""

    model_config = ConfigDict(extra="forbid")

    quantities: dict[str, Quantity] = Field(min_length=1)


class Receipt(BaseModel):
    """A completed purchase (given)."""

    account: str
    cost: int
    balance: int


class Shop:
    """The domain service (given): it raises DomainError subclasses and knows nothing of HTTP."""

    def __init__(self, balances: Mapping[str, int]) -> None:
        self.balances = dict(balances)

    def account(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        if account_id not in self.balances:
            raise AccountNotFound(account_id)
        return Account(id=account_id, balance=self.balances[account_id])

    def purchase(self, account_id: str, purchase: PurchaseIn) -> Receipt:
        """Debits the account; every check runs before anything changes."""
        account = self.account(account_id)
        for sku in purchase.quantities:
            if sku not in PRICES:
                raise UnknownItem(sku)
        cost = sum(PRICES[sku] * quantity for sku, quantity in purchase.quantities.items())
        if cost > account.balance:
            raise OutOfCredit(balance=account.balance, cost=cost)
        self.balances[account_id] -= cost
        return Receipt(account=account_id, cost=cost, balance=self.balances[account_id])


class Warehouse:
    """The reporting database client (given). Its server is down, and like many drivers it puts
    the connection URL, password included, in its error message."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def daily_totals(self, api_key: str) -> dict[str, int]:
        """Would fetch today's totals; here it always fails, holding the key in a local."""
        raise ConnectionError(f"could not connect to {self.database_url}: connection refused")


# --- Task 1: the problem details response ---------------------------------------------------


def problem_response(
    status: int,
    *,
    type: str = "about:blank",
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An `application/problem+json` response whose `status` member is the HTTP status."""
    # TODO(task 1): refuse a status outside 400-599 and a missing title (ValueError); about:blank
    # takes the status phrase as its title; leave out detail and instance when they are None;
    # add each extension as a top-level member (refuse bad or standard names); send headers.
    raise NotImplementedError("problem_response is not written yet")


# --- Tasks 2 to 5: the handlers -------------------------------------------------------------


async def domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    """Any DomainError as its problem type; the request path is the instance."""
    # TODO(task 2): the problem of `exc`: its status, type, title, detail and extensions.
    raise NotImplementedError("domain_problem is not written yet")


async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """HTTPException (FastAPI's, and the router's own 404 and 405) as an about:blank problem."""
    # TODO(task 3): an about:blank problem with the exception's status, detail and headers.
    raise NotImplementedError("http_problem is not written yet")


def json_pointer(tokens: Iterable[str | int]) -> str:
    """The RFC 6901 JSON Pointer of a location: `("items", 0, "a/b")` -> `/items/0/a~1b`."""
    # TODO(task 5): "/" before each token, with "~" written "~0" and "/" written "~1".
    raise NotImplementedError("json_pointer is not written yet")


async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Every validation error of the request in one 422 problem, each with its location."""
    # TODO(task 5): one entry per error of exc.errors(): detail, location, and a pointer (body)
    # or a parameter name (path, query, header, cookie).
    raise NotImplementedError("validation_problem is not written yet")


async def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    """Any other exception: a generic 500 for the client, the whole story in the log."""
    # TODO(task 4): a new urn:uuid instance, logged with the traceback; a 500 that says nothing
    # about the exception.
    raise NotImplementedError("unexpected_problem is not written yet")


def install_problem_handlers(app: FastAPI) -> None:
    """Registers the four handlers on `app`."""
    # TODO(task 2): domain_problem for every DomainError.
    # TODO(task 3): http_problem for every HTTPException, the router's 404 and 405 included.
    # TODO(task 5): validation_problem for RequestValidationError.
    # TODO(task 4): unexpected_problem for everything else.
    raise NotImplementedError("install_problem_handlers is not written yet")


# --- Given: the app ---------------------------------------------------------------------------

AccountId = Annotated[str, Path(pattern=r"^[0-9]{5}$")]


def create_app(settings: Settings) -> FastAPI:
    """The shop API (given): two accounts, a catalogue, and a report whose database is down."""
    app = FastAPI(title="Shop")
    shop = Shop({"12345": 30, "67890": 100})
    warehouse = Warehouse(settings.database_url.get_secret_value())

    @app.get("/accounts")
    async def list_accounts(limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[Account]:
        return [shop.account(account_id) for account_id in sorted(shop.balances)][:limit]

    @app.get("/accounts/{account_id}")
    async def read_account(account_id: AccountId) -> Account:
        return shop.account(account_id)

    @app.post("/accounts/{account_id}/purchases", status_code=201)
    async def purchase(account_id: AccountId, purchase: PurchaseIn) -> Receipt:
        return shop.purchase(account_id, purchase)

    @app.get("/accounts/{account_id}/statement")
    async def statement(account_id: AccountId) -> Account:
        shop.account(account_id)
        # Statements are generated overnight; until then the endpoint says when to come back.
        raise HTTPException(
            503,
            detail="Statements are being generated; try again later.",
            headers={"Retry-After": "120"},
        )

    @app.get("/reports/daily")
    async def daily_report() -> dict[str, int]:
        api_key = settings.reports_api_key.get_secret_value()
        return warehouse.daily_totals(api_key)

    install_problem_handlers(app)
    return app
