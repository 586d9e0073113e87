"""Kata 4.9: every error of a shop API answered as RFC 9457 problem details."""

import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
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
    if not 400 <= status <= 599:
        raise ValueError(f"a problem reports a 4xx or 5xx status, not {status}")
    if title is None:
        if type != "about:blank":
            # A problem type is identified by its URI and summarised by its title: RFC 9457
            # section 4 requires every new type to define one.
            raise ValueError(f"the problem type {type!r} needs a title")
        # about:blank means "nothing beyond the status code": its title is the status phrase.
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            raise ValueError(f"{status} has no standard phrase: give a title") from None
    body: dict[str, object] = {"type": type, "title": title, "status": status}
    # Optional members are left out rather than sent as null: a member of the wrong JSON type
    # must be ignored by the client (RFC 9457 section 3.1).
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    for name, value in (extensions or {}).items():
        if name in STANDARD_MEMBERS or not EXTENSION_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid extension member name")
        body[name] = value
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


# --- Tasks 2 to 5: the handlers -------------------------------------------------------------


async def domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    """Any DomainError as its problem type; the request path is the instance."""
    # Not logged: a broken business rule is the client's problem, not an incident.
    return problem_response(
        exc.status,
        type=exc.type,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        extensions=exc.extensions,
    )


async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """HTTPException (FastAPI's, and the router's own 404 and 405) as an about:blank problem."""
    return problem_response(
        exc.status_code,
        detail=str(exc.detail),
        instance=request.url.path,
        # The router's 405 carries `Allow`, a 401 `WWW-Authenticate`, a 503 `Retry-After`.
        headers=exc.headers,
    )


def json_pointer(tokens: Iterable[str | int]) -> str:
    """The RFC 6901 JSON Pointer of a location: `("items", 0, "a/b")` -> `/items/0/a~1b`."""
    # "~" first: escaping "/" first would turn its "~1" into "~01".
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens)


async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Every validation error of the request in one 422 problem, each with its location."""
    errors: list[dict[str, str]] = []
    for error in exc.errors():
        location, *rest = error["loc"]
        entry = {"detail": error["msg"], "location": str(location)}
        if location == "body":
            # A body that is not JSON is located by a character offset, not by a path.
            entry["pointer"] = "" if error["type"] == "json_invalid" else json_pointer(rest)
        else:
            entry["parameter"] = str(rest[0])
        # Never copy `input` or `ctx`: they echo what the client sent, passwords included.
        errors.append(entry)
    count = len(errors)
    return problem_response(
        422,
        type=PROBLEM_TYPES + "validation-error",
        title="Your request is not valid.",
        detail=f"The request has {count} error{'s' if count != 1 else ''}.",
        instance=request.url.path,
        extensions={"errors": errors},
    )


async def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    """Any other exception: a generic 500 for the client, the whole story in the log."""
    # The client gets an opaque occurrence id and nothing else: no message, no class name,
    # no traceback. The log record carries the same id, so support can find the traceback.
    instance = uuid.uuid4().urn
    logger.error(
        "unexpected error %s on %s %s",
        instance,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(500, detail=UNEXPECTED_DETAIL, instance=instance)


def install_problem_handlers(app: FastAPI) -> None:
    """Registers the four handlers on `app`."""
    app.add_exception_handler(DomainError, domain_problem)  # subclasses are found by MRO
    # Starlette's class, not FastAPI's subclass: the router raises Starlette's own 404 and 405.
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    # `Exception` goes to ServerErrorMiddleware, the outermost layer, which re-raises after
    # answering so that the server logs it too.
    app.add_exception_handler(Exception, unexpected_problem)


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
