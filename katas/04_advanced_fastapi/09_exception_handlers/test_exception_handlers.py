"""Tests for kata 4.9: domain, HTTP, validation and unexpected errors as RFC 9457 problems."""

import asyncio
import json
import logging
import re
import uuid
from http import HTTPStatus

import httpx
import pytest
from exception_handlers import (
    PROBLEM_TYPES,
    UNEXPECTED_DETAIL,
    DomainError,
    Settings,
    create_app,
    json_pointer,
    problem_response,
)
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

PROBLEM_JSON = "application/problem+json"
VALIDATION_ERROR = PROBLEM_TYPES + "validation-error"
ERROR_STATUSES = [code for code in HTTPStatus if 400 <= code <= 599]
HEX = "[0-9a-f]"
URN_UUID = re.compile(rf"urn:uuid:{HEX}{{8}}-{HEX}{{4}}-4{HEX}{{3}}-[89ab]{HEX}{{3}}-{HEX}{{12}}")


def body_of(response: httpx.Response) -> dict[str, object]:
    """The problem document of a response, after checking its media type."""
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    document = json.loads(response.content)
    assert isinstance(document, dict), response.text
    return document


def resolve(document: object, pointer: str) -> object:
    """The value an RFC 6901 JSON Pointer designates in `document` (KeyError when none)."""
    if pointer == "":
        return document
    assert pointer.startswith("/"), pointer
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, list):
            document = document[int(token)]
        else:
            assert isinstance(document, dict), (document, token)
            document = document[token]
    return document


def errors_of(response: httpx.Response) -> list[dict[str, str]]:
    """The `errors` member of a validation problem."""
    document = body_of(response)
    assert document["type"] == VALIDATION_ERROR, response.text
    errors = document["errors"]
    assert isinstance(errors, list), response.text
    return errors


def balance(client: TestClient, account_id: str) -> int:
    """The account's balance, read through the API."""
    response = client.get(f"/accounts/{account_id}")
    assert response.status_code == 200, response.text
    return response.json()["balance"]


# --- Task 1: the problem details response ---------------------------------------------------


@pytest.mark.task(1)
def test_problem_response_is_problem_json_with_the_status_member() -> None:
    response = problem_response(
        403,
        type="https://example.com/probs/out-of-credit",
        title="You do not have enough credit.",
        detail="Your current balance is 30, but that costs 50.",
        instance="/account/12345/msgs/abc",
    )
    assert response.status_code == 403
    assert response.media_type == PROBLEM_JSON
    assert response.headers["content-type"] == PROBLEM_JSON
    assert json.loads(response.body) == {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc",
    }


@pytest.mark.task(1)
def test_absent_detail_and_instance_are_left_out_not_null() -> None:
    response = problem_response(404)
    assert json.loads(response.body) == {"type": "about:blank", "title": "Not Found", "status": 404}


@pytest.mark.task(1)
def test_an_empty_detail_is_still_given() -> None:
    response = problem_response(400, detail="", instance="")
    assert json.loads(response.body) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "",
        "instance": "",
    }


@pytest.mark.task(1)
@settings(max_examples=25, deadline=None)
@given(code=st.sampled_from(ERROR_STATUSES))
def test_about_blank_takes_the_status_phrase_as_title(code: HTTPStatus) -> None:
    response = problem_response(int(code))
    document = json.loads(response.body)
    assert response.status_code == code
    assert document == {"type": "about:blank", "title": code.phrase, "status": int(code)}


@pytest.mark.task(1)
def test_extensions_become_top_level_members_and_headers_are_sent() -> None:
    response = problem_response(
        403,
        type="https://example.com/probs/out-of-credit",
        title="You do not have enough credit.",
        extensions={"balance": 30, "accounts": ["/account/12345", "/account/67890"]},
        headers={"Content-Language": "en"},
    )
    assert json.loads(response.body) == {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "balance": 30,
        "accounts": ["/account/12345", "/account/67890"],
    }
    assert response.headers["content-language"] == "en"


@pytest.mark.task(1)
def test_a_problem_type_other_than_about_blank_needs_a_title() -> None:
    with pytest.raises(ValueError):
        problem_response(403, type="https://example.com/probs/out-of-credit")


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "code",
    [
        pytest.param(200, id="success"),
        pytest.param(302, id="redirect"),
        pytest.param(399, id="just-below-4xx"),
        pytest.param(600, id="past-5xx"),
    ],
)
def test_a_status_outside_4xx_and_5xx_is_refused(code: int) -> None:
    with pytest.raises(ValueError):
        problem_response(code, title="Not a problem")


@pytest.mark.task(1)
@pytest.mark.parametrize("code", [400, 599])
def test_the_first_and_last_error_statuses_are_accepted(code: int) -> None:
    response = problem_response(code, title="Edge")
    assert response.status_code == code
    assert json.loads(response.body) == {"type": "about:blank", "title": "Edge", "status": code}


@pytest.mark.task(1)
def test_a_status_without_a_phrase_needs_a_title() -> None:
    with pytest.raises(ValueError):
        problem_response(499)
    response = problem_response(499, title="Client Closed Request")
    assert json.loads(response.body)["title"] == "Client Closed Request"


@pytest.mark.task(1)
@pytest.mark.parametrize("name", ["type", "title", "status", "detail", "instance"])
def test_an_extension_cannot_replace_a_standard_member(name: str) -> None:
    with pytest.raises(ValueError):
        problem_response(400, extensions={name: "sneaky"})


@pytest.mark.task(1)
@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet="aZ09_-. é", min_size=0, max_size=5))
def test_extension_names_follow_rfc_9457(name: str) -> None:
    valid = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{2,}", name) is not None
    valid = valid and name not in {"type", "title", "status", "detail", "instance"}
    if valid:
        response = problem_response(400, extensions={name: 1})
        assert json.loads(response.body)[name] == 1
    else:
        with pytest.raises(ValueError):
            problem_response(400, extensions={name: 1})


# --- Task 2: domain errors --------------------------------------------------------------------


@pytest.mark.task(2)
def test_a_purchase_within_the_balance_succeeds(client: TestClient) -> None:
    response = client.post("/accounts/12345/purchases", json={"quantities": {"pen": 2}})
    assert response.status_code == 201, response.text
    assert response.json() == {"account": "12345", "cost": 10, "balance": 20}


@pytest.mark.task(2)
def test_out_of_credit_is_a_403_problem_with_its_extensions(client: TestClient) -> None:
    response = client.post("/accounts/12345/purchases", json={"quantities": {"ink": 2}})
    assert response.status_code == 403, response.text
    assert body_of(response) == {
        "type": "https://shop.example/problems/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": "Your current balance is 30, but that costs 40.",
        "instance": "/accounts/12345/purchases",
        "balance": 30,
        "cost": 40,
    }


@pytest.mark.task(2)
def test_unknown_item_is_a_422_problem_naming_the_item(client: TestClient) -> None:
    response = client.post("/accounts/67890/purchases", json={"quantities": {"gum": 1}})
    assert response.status_code == 422, response.text
    assert body_of(response) == {
        "type": "https://shop.example/problems/unknown-item",
        "title": "The catalogue has no such item.",
        "status": 422,
        "detail": "The catalogue does not sell 'gum'.",
        "instance": "/accounts/67890/purchases",
        "sku": "gum",
    }


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/accounts/99999", id="read"),
        pytest.param("POST", "/accounts/99999/purchases", id="purchase"),
        pytest.param("GET", "/accounts/99999/statement", id="statement"),
    ],
)
def test_a_missing_account_is_an_about_blank_404(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, json={"quantities": {"pen": 1}})
    assert response.status_code == 404, response.text
    assert body_of(response) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no account 99999.",
        "instance": path,
    }


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "quantities",
    [
        pytest.param({"ink": 2}, id="out-of-credit"),
        pytest.param({"pen": 1, "gum": 1}, id="unknown-item"),
    ],
)
def test_a_refused_purchase_changes_nothing(client: TestClient, quantities: dict[str, int]) -> None:
    response = client.post("/accounts/12345/purchases", json={"quantities": quantities})
    assert response.status_code in (403, 422), response.text
    assert balance(client, "12345") == 30


class AccountClosed(DomainError):
    """A domain error the shop did not know when the handlers were written."""

    type = PROBLEM_TYPES + "account-closed"
    title = "The account is closed."
    status = 409


@pytest.mark.task(2)
def test_any_domain_error_subclass_is_answered_by_the_one_handler(
    app_settings: Settings,
) -> None:
    app = create_app(app_settings)

    @app.post("/accounts/{account_id}/close")
    async def close_account(account_id: str) -> None:
        raise AccountClosed(f"Account {account_id} was closed in 2024.", closed_on="2024-05-01")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/accounts/12345/close")
    assert response.status_code == 409, response.text
    assert body_of(response) == {
        "type": "https://shop.example/problems/account-closed",
        "title": "The account is closed.",
        "status": 409,
        "detail": "Account 12345 was closed in 2024.",
        "instance": "/accounts/12345/close",
        "closed_on": "2024-05-01",
    }


class Refused(DomainError):
    """A domain error that keeps every default: about:blank, status 400, no title."""


@pytest.mark.task(2)
def test_a_domain_error_with_the_defaults_is_an_about_blank_400(app_settings: Settings) -> None:
    app = create_app(app_settings)

    @app.get("/refused")
    async def refused() -> None:
        raise Refused("No.")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/refused")
    assert response.status_code == 400, response.text
    assert body_of(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "No.",
        "instance": "/refused",
    }


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("quantities", "cost"),
    [
        pytest.param({"pad": 2}, 24, id="pads"),
        pytest.param({"pen": 2, "ink": 1}, 30, id="the-whole-balance"),
    ],
)
def test_a_purchase_up_to_the_balance_is_debited(
    client: TestClient, quantities: dict[str, int], cost: int
) -> None:
    response = client.post("/accounts/12345/purchases", json={"quantities": quantities})
    assert response.status_code == 201, response.text
    assert response.json() == {"account": "12345", "cost": cost, "balance": 30 - cost}


@pytest.mark.task(2)
def test_domain_errors_are_not_logged_as_server_errors(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/accounts/12345/purchases", json={"quantities": {"ink": 2}})
    assert response.status_code == 403, response.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- Task 3: HTTP errors ------------------------------------------------------------------------


@pytest.mark.task(3)
def test_an_unknown_path_is_an_about_blank_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404, response.text
    assert body_of(response) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/nowhere",
    }


@pytest.mark.task(3)
def test_a_wrong_method_is_a_405_problem_that_keeps_allow(client: TestClient) -> None:
    response = client.delete("/accounts")
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET"
    assert body_of(response) == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "Method Not Allowed",
        "instance": "/accounts",
    }


@pytest.mark.task(3)
def test_an_http_exception_keeps_its_detail_and_headers(client: TestClient) -> None:
    response = client.get("/accounts/12345/statement")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "120"
    assert body_of(response) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Statements are being generated; try again later.",
        "instance": "/accounts/12345/statement",
    }


# --- Task 5: validation errors ------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
def test_an_invalid_body_lists_every_error_with_a_pointer(client: TestClient) -> None:
    response = client.post(
        "/accounts/12345/purchases",
        json={"quantities": {"pen": 0, "ink": "two"}, "coupon": "FREE"},
    )
    assert response.status_code == 422, response.text
    assert body_of(response) == {
        "type": VALIDATION_ERROR,
        "title": "Your request is not valid.",
        "status": 422,
        "detail": "The request has 3 errors.",
        "instance": "/accounts/12345/purchases",
        "errors": [
            {
                "detail": "Input should be greater than or equal to 1",
                "location": "body",
                "pointer": "/quantities/pen",
            },
            {
                "detail": "Input should be a valid integer, unable to parse string as an integer",
                "location": "body",
                "pointer": "/quantities/ink",
            },
            {
                "detail": "Extra inputs are not permitted",
                "location": "body",
                "pointer": "/coupon",
            },
        ],
    }


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_valid_limit_still_lists_accounts(client: TestClient) -> None:
    response = client.get("/accounts", params={"limit": "1"})
    assert response.status_code == 200, response.text
    assert response.json() == [{"id": "12345", "balance": 30}]
    assert client.get("/accounts", params={"limit": "50"}).status_code == 200
    too_many = client.get("/accounts", params={"limit": "51"})
    assert too_many.status_code == 422, too_many.text


@pytest.mark.task(5)
@pytest.mark.stretch
def test_invalid_parameters_are_named_not_pointed_at(client: TestClient) -> None:
    response = client.get("/accounts", params={"limit": "0"})
    assert response.status_code == 422, response.text
    assert body_of(response) == {
        "type": VALIDATION_ERROR,
        "title": "Your request is not valid.",
        "status": 422,
        "detail": "The request has 1 error.",
        "instance": "/accounts",
        "errors": [
            {
                "detail": "Input should be greater than or equal to 1",
                "location": "query",
                "parameter": "limit",
            }
        ],
    }


@pytest.mark.task(5)
@pytest.mark.stretch
def test_path_query_and_body_errors_are_listed_together(client: TestClient) -> None:
    response = client.post("/accounts/12a45/purchases", json={"quantities": {}})
    assert response.status_code == 422, response.text
    assert errors_of(response) == [
        {
            "detail": "String should match pattern '^[0-9]{5}$'",
            "location": "path",
            "parameter": "account_id",
        },
        {
            "detail": "Dictionary should have at least 1 item after validation, not 0",
            "location": "body",
            "pointer": "/quantities",
        },
    ]


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b'{"quantities": {"pen": 1', "JSON decode error", id="not-json"),
        pytest.param(b"", "Field required", id="no-body"),
        pytest.param(
            b"[1, 2]",
            "Input should be a valid dictionary or object to extract fields from",
            id="not-an-object",
        ),
    ],
)
def test_a_body_that_is_wrong_as_a_whole_points_at_the_whole_document(
    client: TestClient, content: bytes, message: str
) -> None:
    response = client.post(
        "/accounts/12345/purchases",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert errors_of(response) == [{"detail": message, "location": "body", "pointer": ""}]
    assert body_of(response)["detail"] == "The request has 1 error."


@pytest.mark.task(5)
@pytest.mark.stretch
def test_an_invalid_purchase_changes_nothing(client: TestClient) -> None:
    response = client.post("/accounts/12345/purchases", json={"quantities": {"pen": 2, "ink": 0}})
    assert response.status_code == 422, response.text
    assert balance(client, "12345") == 30


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("tokens", "pointer"),
    [
        pytest.param([], "", id="whole-document"),
        pytest.param(["quantities", "pen"], "/quantities/pen", id="plain"),
        pytest.param(["items", 0, "qty"], "/items/0/qty", id="array-index"),
        pytest.param(["a/b"], "/a~1b", id="slash"),
        pytest.param(["m~n"], "/m~0n", id="tilde"),
        pytest.param(["~1"], "/~01", id="tilde-then-one"),
        pytest.param([""], "/", id="empty-key"),
    ],
)
def test_json_pointer_escapes_as_rfc_6901_says(tokens: list[str | int], pointer: str) -> None:
    assert json_pointer(tokens) == pointer


@pytest.mark.task(5)
@pytest.mark.stretch
@settings(max_examples=50, deadline=None)
@given(document=st.dictionaries(st.text(max_size=6), st.integers(), min_size=1, max_size=4))
def test_json_pointer_of_any_key_resolves_to_its_value(document: dict[str, int]) -> None:
    for key, value in document.items():
        assert resolve({"quantities": document}, json_pointer(["quantities", key])) == value


@pytest.mark.task(5)
@pytest.mark.stretch
def test_every_pointer_resolves_to_an_offending_value(app_settings: Settings) -> None:
    client = TestClient(create_app(app_settings))
    bad_values = st.sampled_from([0, 101, -3, "many", 1.5, None, [1]])

    @settings(max_examples=30, deadline=None)
    @given(
        good=st.dictionaries(st.text(max_size=5), st.integers(1, 100), max_size=3),
        bad=st.dictionaries(st.text(max_size=5), bad_values, min_size=1, max_size=3),
    )
    def check(good: dict[str, int], bad: dict[str, object]) -> None:
        quantities = {**good, **bad}
        sent = {"quantities": quantities}
        response = client.post("/accounts/12345/purchases", json=sent)
        assert response.status_code == 422, response.text
        errors = errors_of(response)
        assert {error["location"] for error in errors} == {"body"}
        pointers = [error["pointer"] for error in errors]
        assert sorted(pointers) == sorted(json_pointer(["quantities", key]) for key in bad)
        for pointer in pointers:
            assert resolve(sent, pointer) in bad.values()

    check()
    assert balance(client, "12345") == 30


# --- Task 4: unexpected errors ------------------------------------------------------------------


@pytest.mark.task(4)
def test_an_unexpected_error_is_a_generic_500_problem(client: TestClient) -> None:
    response = client.get("/reports/daily")
    assert response.status_code == 500, response.text
    document = body_of(response)
    instance = document.pop("instance")
    assert document == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": UNEXPECTED_DETAIL,
    }
    assert isinstance(instance, str)
    assert URN_UUID.fullmatch(instance), instance
    assert uuid.UUID(instance.removeprefix("urn:uuid:")).version == 4


@pytest.mark.task(4)
def test_a_500_leaks_no_secret_and_no_traceback(
    client: TestClient, secrets: tuple[str, ...]
) -> None:
    response = client.get("/reports/daily")
    assert response.status_code == 500, response.text
    exposed = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in secrets:
        assert secret not in exposed
    for internal in ("Traceback", "ConnectionError", "connection refused", ".py", "postgresql"):
        assert internal not in exposed


@pytest.mark.task(4)
def test_the_error_is_logged_with_its_traceback_and_instance(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.get("/reports/daily")
    assert response.status_code == 500, response.text
    instance = body_of(response)["instance"]
    records = [
        r
        for r in caplog.records
        if r.name.partition(".")[0] == "exception_handlers" and r.levelno == logging.ERROR
    ]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    record = records[0]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ConnectionError)
    assert isinstance(instance, str)
    assert instance in record.getMessage()


@pytest.mark.task(4)
def test_the_app_keeps_serving_after_a_500(client: TestClient) -> None:
    assert client.get("/reports/daily").status_code == 500
    response = client.get("/accounts/67890")
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "67890", "balance": 100}


@pytest.mark.task(4)
async def test_concurrent_failures_get_distinct_instances_each_logged(
    async_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    responses = await asyncio.gather(*(async_client.get("/reports/daily") for _ in range(10)))
    assert [r.status_code for r in responses] == [500] * 10
    instances = {body_of(r)["instance"] for r in responses}
    assert len(instances) == 10
    logged = {
        instance
        for instance in instances
        for record in caplog.records
        if record.levelno == logging.ERROR and str(instance) in record.getMessage()
    }
    assert logged == instances
