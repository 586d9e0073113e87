"""Tests for kata 2.3: request bodies validated by Pydantic models."""

import copy
import json
import string
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from request_body import OrderIn

Json = dict[str, Any]
Loc = tuple[str | int, ...]

ORDER: Json = {
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "items": [{"sku": "PEN-001", "quantity": 2}, {"sku": "INK-042", "quantity": 1}],
}
ELEVEN_LINES = [{"sku": f"PEN-{n:03}", "quantity": 1} for n in range(11)]
DELETE = object()


def changed(path: Loc, value: object, order: Json = ORDER) -> Json:
    """A deep copy of `order` with the value at `path` replaced, added, or deleted (DELETE)."""
    result = copy.deepcopy(order)
    *parents, last = path
    target: Any = result
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return result


async def create(client: httpx.AsyncClient, body: Json = ORDER) -> Json:
    """POSTs a valid order and returns the created order."""
    response = await client.post("/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def locs(response: httpx.Response) -> list[list[str | int]]:
    """The `loc` of every error in a 422 answer, in order."""
    return [error["loc"] for error in response.json()["detail"]]


# Each case puts one bad value at `path`; the error must be reported exactly there.
INVALID = [
    pytest.param(("customer",), DELETE, id="missing-customer"),
    pytest.param(("customer", "name"), "", id="empty-name"),
    pytest.param(("customer", "name"), "x" * 101, id="name-too-long"),
    pytest.param(("customer", "email"), DELETE, id="missing-email"),
    pytest.param(("customer", "email"), "ada.example.com", id="email-without-at"),
    pytest.param(("customer", "email"), "@", id="email-only-an-at"),
    pytest.param(("customer", "email"), "@example.com", id="email-nothing-before-the-at"),
    pytest.param(("customer", "email"), "ada@", id="email-nothing-after-the-at"),
    pytest.param(("customer", "email"), "ada@example", id="email-domain-without-a-dot"),
    pytest.param(("customer", "email"), "ada@.com", id="email-dot-first-in-the-domain"),
    pytest.param(("customer", "email"), "ada@example.", id="email-dot-last-in-the-domain"),
    pytest.param(("customer", "email"), "ada@@example.com", id="email-two-ats"),
    pytest.param(("customer", "email"), "ada@ex@ample.com", id="email-at-in-the-domain"),
    pytest.param(("customer", "email"), "ada love@example.com", id="email-with-a-space"),
    pytest.param(("customer", "email"), "ada@example.com\n", id="email-trailing-newline"),
    pytest.param(("items",), [], id="no-items"),
    pytest.param(("items",), ELEVEN_LINES, id="11-items"),
    pytest.param(("items",), [ORDER["items"][0]] * 2, id="duplicate-sku"),
    pytest.param(("items",), [*ORDER["items"], ORDER["items"][0]], id="duplicate-sku-1-and-3"),
    pytest.param(
        ("items",),
        [*ELEVEN_LINES[:4], {"sku": "PEN-002", "quantity": 5}],
        id="duplicate-sku-far-apart",
    ),
    pytest.param(("items", 1, "sku"), "ink-042", id="lowercase-sku"),
    pytest.param(("items", 1, "sku"), "INK-42", id="sku-too-short"),
    pytest.param(("items", 1, "sku"), "XINK-042", id="sku-with-a-prefix"),
    pytest.param(("items", 1, "sku"), "INK-0421", id="sku-with-a-suffix"),
    pytest.param(("items", 1, "sku"), "INK-042\n", id="sku-trailing-newline"),
    pytest.param(("items", 1, "sku"), "INK042", id="sku-without-a-dash"),
    pytest.param(("items", 1, "sku"), "INK-\u0664\u0660\u0662", id="sku-with-arabic-digits"),
    pytest.param(("items", 0, "quantity"), 0, id="quantity-0"),
    pytest.param(("items", 1, "quantity"), 100, id="quantity-100"),
    pytest.param(("items", 1, "quantity"), "3", id="quantity-as-a-string"),
    pytest.param(("items", 1, "quantity"), True, id="quantity-as-a-bool"),
    pytest.param(("items", 1, "quantity"), 2.5, id="fractional-quantity"),
    pytest.param(("note",), "", id="empty-note"),
    pytest.param(("note",), "x" * 201, id="note-too-long"),
    pytest.param(("coupon",), "FREE", id="unknown-field-in-the-order"),
    pytest.param(("id",), 7, id="an-id-sent-by-the-client"),
    pytest.param(("customer", "vip"), True, id="unknown-field-in-the-customer"),
    pytest.param(("items", 1, "colour"), "red", id="unknown-field-in-a-line"),
]

# Valid orders, drawn from the README's rules (not from the model under test). Built from plain
# alphabets rather than st.from_regex: the same orders at a fraction of the generation time.
codes = st.text(string.ascii_uppercase, min_size=3, max_size=3)
skus = st.builds("{}-{:03}".format, codes, st.integers(0, 999))
words = st.text(string.ascii_lowercase + string.digits + "._-", min_size=1, max_size=12)
emails = st.builds("{}@{}.{}".format, words, words, st.sampled_from(["com", "org", "co.uk"]))
lines = st.fixed_dictionaries({"sku": skus, "quantity": st.integers(1, 99)})
valid_orders = st.fixed_dictionaries(
    {
        "customer": st.fixed_dictionaries(
            {"name": st.text(min_size=1, max_size=100), "email": emails}
        ),
        "items": st.lists(lines, min_size=1, max_size=10, unique_by=lambda line: line["sku"]),
    },
    optional={"note": st.none() | st.text(min_size=1, max_size=200)},
)
bad_quantities = (
    st.integers(max_value=0) | st.integers(min_value=100) | st.sampled_from(["7", True, 1.5, None])
)


@pytest.mark.task(1)
def test_a_valid_order_validates_and_its_note_defaults_to_none() -> None:
    assert OrderIn.model_validate(ORDER).model_dump() == {**ORDER, "note": None}


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("customer", "name"), "A", id="name-of-1"),
        pytest.param(("customer", "name"), "x" * 100, id="name-of-100"),
        pytest.param(("customer", "email"), "a@b.c", id="shortest-email"),
        pytest.param(("items",), ELEVEN_LINES[:10], id="10-items"),
        pytest.param(("items", 0, "quantity"), 1, id="quantity-1"),
        pytest.param(("items", 1, "quantity"), 99, id="quantity-99"),
        pytest.param(("items", 1, "sku"), "ZZZ-999", id="sku-last-letters-and-digits"),
        pytest.param(("note",), "x", id="note-of-1"),
        pytest.param(("note",), "x" * 200, id="note-of-200"),
        pytest.param(("note",), None, id="note-null"),
    ],
)
def test_a_value_on_the_edge_of_a_rule_is_accepted(path: Loc, value: object) -> None:
    data = changed(path, value)
    assert OrderIn.model_validate(data).model_dump() == {"note": None, **data}


@pytest.mark.task(1)
@pytest.mark.parametrize(("path", "value"), INVALID)
def test_an_invalid_order_is_refused_at_the_field_that_is_wrong(path: Loc, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        OrderIn.model_validate(changed(path, value))
    assert [error["loc"] for error in caught.value.errors()] == [path]


@pytest.mark.task(2)
async def test_create_order_answers_201_with_an_id_and_every_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 201, response.text
    assert response.json() == {**ORDER, "note": None, "id": 1}
    read = await client.get("/orders/1")
    assert read.status_code == 200, read.text
    assert read.json() == response.json()


@pytest.mark.task(2)
async def test_reading_an_unknown_order_is_404(client: httpx.AsyncClient) -> None:
    await create(client)
    response = await client.get("/orders/2")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Order 2 not found"}


@pytest.mark.task(2)
async def test_orders_are_listed_in_creation_order_with_increasing_ids(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, changed(("note",), "ring twice"))
    second = await create(client)
    response = await client.get("/orders")
    assert response.status_code == 200, response.text
    assert response.json() == [first, second]
    assert [first["id"], second["id"]] == [1, 2]


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("items", 1, "quantity"), 0, id="bad-quantity-in-a-line"),
        pytest.param(("customer", "email"), "ada", id="bad-email-in-the-customer"),
        pytest.param(("items", 0, "colour"), "red", id="unknown-field-in-a-line"),
    ],
)
async def test_an_invalid_order_is_422_at_body_and_its_path_and_nothing_is_stored(
    client: httpx.AsyncClient, path: Loc, value: object
) -> None:
    response = await client.post("/orders", json=changed(path, value))
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", *path]]
    assert (await client.get("/orders")).json() == []


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(json.dumps([ORDER]), {"content-type": "application/json"}, id="a-json-list"),
        pytest.param('{"customer": ', {"content-type": "application/json"}, id="broken-json"),
        pytest.param(json.dumps(ORDER), {"content-type": "text/plain"}, id="json-as-text-plain"),
        pytest.param(json.dumps(ORDER), {}, id="json-without-content-type"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, content: str, headers: dict[str, str]
) -> None:
    response = await client.post("/orders", content=content.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert [loc[0] for loc in locs(response)] == ["body"]
    assert (await client.get("/orders")).json() == []


# One app for all the examples: a new app per example would dominate the run. Each example reads
# back only its own order, so its cost does not grow with the store. No `explain` phase: on a
# failure it would replay the HTTP calls thousands of times to annotate the counterexample.
@pytest.mark.task(2)
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(order=valid_orders, data=st.data())
async def test_any_valid_order_round_trips_and_a_bad_quantity_is_refused_at_its_line(
    client: httpx.AsyncClient, order: Json, data: st.DataObject
) -> None:
    response = await client.post("/orders", json=order)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {"note": None, **order, "id": created["id"]}
    assert (await client.get(f"/orders/{created['id']}")).json() == created

    index = data.draw(st.integers(0, len(order["items"]) - 1), label="index")
    quantity = data.draw(bad_quantities, label="quantity")
    response = await client.post(
        "/orders", json=changed(("items", index, "quantity"), quantity, order)
    )
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", "items", index, "quantity"]]
    # Ids go up by one, so a stored bad order would have taken the next one.
    next_id = created["id"] + 1
    response = await client.get(f"/orders/{next_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Order {next_id} not found"}


@pytest.mark.task(3)
async def test_put_replaces_the_whole_order_and_keeps_its_id(client: httpx.AsyncClient) -> None:
    await create(client, changed(("note",), "ring twice"))
    other = await create(client)
    replacement = changed(("items",), [{"sku": "PAD-100", "quantity": 5}])
    response = await client.put("/orders/1", json=replacement)
    assert response.status_code == 200, response.text
    # The note was left out of the replacement: PUT resets it, it does not merge.
    assert response.json() == {**replacement, "note": None, "id": 1}
    assert (await client.get("/orders")).json() == [response.json(), other]


@pytest.mark.task(3)
async def test_put_with_dry_run_answers_the_result_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    original = await create(client)
    replacement = changed(("note",), "gift wrap")
    response = await client.put("/orders/1", params={"dry_run": "true"}, json=replacement)
    assert response.status_code == 200, response.text
    assert response.json() == {**replacement, "id": 1}
    assert (await client.get("/orders")).json() == [original]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "params",
    [pytest.param({}, id="for-real"), pytest.param({"dry_run": "true"}, id="dry-run")],
)
async def test_put_to_an_unknown_order_is_404_and_creates_nothing(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    original = await create(client)
    response = await client.put("/orders/2", params=params, json=ORDER)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Order 2 not found"}
    assert (await client.get("/orders")).json() == [original]


@pytest.mark.task(3)
async def test_put_with_an_invalid_body_is_422_and_the_order_is_unchanged(
    client: httpx.AsyncClient,
) -> None:
    original = await create(client)
    response = await client.put("/orders/1", json=changed(("items", 0, "quantity"), 0))
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", "items", 0, "quantity"]]
    assert (await client.get("/orders")).json() == [original]


@pytest.mark.task(3)
async def test_put_reports_path_query_and_body_errors_together(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/orders/first", params={"dry_run": "maybe"}, json=changed(("coupon",), "FREE")
    )
    assert response.status_code == 422, response.text
    assert sorted(map(tuple, locs(response))) == [
        ("body", "coupon"),
        ("path", "order_id"),
        ("query", "dry_run"),
    ]


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_set_note_reads_it_from_an_embedded_body(client: httpx.AsyncClient) -> None:
    await create(client)
    response = await client.put("/orders/1/note", json={"note": "Leave at the door"})
    assert response.status_code == 200, response.text
    assert response.json() == {**ORDER, "note": "Leave at the door", "id": 1}
    assert (await client.get("/orders")).json() == [response.json()]


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "note", [pytest.param("x", id="1-char"), pytest.param("x" * 200, id="200")]
)
async def test_a_note_of_1_to_200_characters_is_set(client: httpx.AsyncClient, note: str) -> None:
    await create(client)
    response = await client.put("/orders/1/note", json={"note": note})
    assert response.status_code == 200, response.text
    assert response.json()["note"] == note


@pytest.mark.task(4)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("Leave at the door", id="a-bare-string"),
        pytest.param({"note": ""}, id="empty-note"),
        pytest.param({"note": "x" * 201}, id="note-too-long"),
    ],
)
async def test_a_bad_note_is_422_at_body_note_and_the_order_is_unchanged(
    client: httpx.AsyncClient, body: object
) -> None:
    original = await create(client, changed(("note",), "ring twice"))
    response = await client.put("/orders/1/note", json=body)
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", "note"]]
    assert (await client.get("/orders")).json() == [original]


@pytest.mark.task(4)
@pytest.mark.stretch
async def test_set_note_on_an_unknown_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put("/orders/1/note", json={"note": "Leave at the door"})
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Order 1 not found"}
