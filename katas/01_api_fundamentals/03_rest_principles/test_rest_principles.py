"""Tests for kata 1.3: a `books` resource done by the book."""

import asyncio
import copy
import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import ValidationError
from rest_principles import BookIn, create_app, merge_patch

Json = dict[str, Any]
Shelve = Callable[[int], Awaitable[list[Json]]]

DUNE: Json = {"isbn": "9780441013593", "title": "Dune", "author": "Frank Herbert"}
EMMA: Json = {
    "isbn": "9780141439587",
    "title": "Emma",
    "author": "Jane Austen",
    "year": 1815,
    "tags": ["classic", "romance"],
    "publisher": {"name": "Penguin", "city": "London"},
}
DEFAULTS: Json = {"year": None, "tags": [], "publisher": None}
MERGE_PATCH = {"content-type": "application/merge-patch+json"}
STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]*"')
# Hypothesis: no `explain` phase (on a failure it would replay the HTTP calls many times over).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]


async def create(client: httpx.AsyncClient, body: Json = DUNE) -> httpx.Response:
    """POSTs a valid book and returns the 201 response."""
    response = await client.post("/books", json=body)
    assert response.status_code == 201, response.text
    return response


def location(response: httpx.Response) -> str:
    """The absolute URL in a response's `Location` header (it may be sent relative)."""
    assert "location" in response.headers, f"no Location header in {dict(response.headers)}"
    return urljoin(str(response.url), response.headers["location"])


async def merge(
    client: httpx.AsyncClient, url: str, patch: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Sends `patch` as a JSON merge patch."""
    return await client.patch(
        url, content=json.dumps(patch), headers={**MERGE_PATCH, **(headers or {})}
    )


async def books(client: httpx.AsyncClient) -> list[Json]:
    """Every book of the collection (fewer than a page in these tests)."""
    response = await client.get("/books", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()


def links(response: httpx.Response) -> dict[str, str]:
    """The RFC 8288 `Link` header as {relation: absolute URL}, resolved against the request URL."""
    found: dict[str, str] = {}
    for match in re.finditer(r"<([^>]*)>([^<]*)", response.headers.get("link", "")):
        target, params = match.groups()
        rel = re.search(r'(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))', params, re.IGNORECASE)
        assert rel, f"a link without a rel parameter: {match.group(0)!r}"
        for relation in (rel.group(1) or rel.group(2)).lower().split():
            assert relation not in found, f"two links with rel={relation!r}"
            found[relation] = urljoin(str(response.url), target)
    return found


def allowed(response: httpx.Response) -> set[str]:
    """The methods of an `Allow` header."""
    return {method.strip().upper() for method in response.headers["allow"].split(",")}


def rfc7396(target: Any, patch: Any) -> Any:
    """The tests' own model of a JSON merge patch, straight from RFC 7396 section 2."""
    if not isinstance(patch, dict):
        return patch
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = rfc7396(result.get(name), value)
    return result


def written(body: Json) -> Json:
    """What the API must answer for a valid body: the body with every default filled in."""
    return BookIn.model_validate(body).model_dump(mode="json")


# Task 1 ------------------------------------------------------------------------------------------


@pytest.mark.task(1)
async def test_create_answers_201_with_the_book_and_the_location_of_the_new_resource(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/books", json=DUNE)
    assert response.status_code == 201, response.text
    book = response.json()
    assert isinstance(book["id"], str)
    assert book["id"]
    assert book == {**DUNE, **DEFAULTS, "id": book["id"]}
    assert httpx.URL(location(response)).path == f"/books/{book['id']}"


@pytest.mark.task(1)
async def test_the_location_answers_the_book_that_was_created(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    response = await client.get(location(created))
    assert response.status_code == 200, response.text
    assert response.json() == {**EMMA, "id": created.json()["id"]}


@pytest.mark.task(1)
async def test_a_publisher_without_a_city_gets_a_null_city(client: httpx.AsyncClient) -> None:
    created = await create(client, {**DUNE, "publisher": {"name": "Chilton"}})
    assert created.json()["publisher"] == {"name": "Chilton", "city": None}


@pytest.mark.task(1)
async def test_books_are_listed_in_creation_order_with_distinct_ids(
    client: httpx.AsyncClient,
) -> None:
    bodies = [DUNE, EMMA, {**DUNE, "isbn": "9780547928227", "title": "The Hobbit"}]
    created = [(await create(client, body)).json() for body in bodies]
    assert len({book["id"] for book in created}) == 3
    response = await client.get("/books")
    assert response.status_code == 200, response.text
    assert response.json() == created


@pytest.mark.task(1)
async def test_two_apps_share_no_books() -> None:
    first, second = (httpx.ASGITransport(app=create_app()) for _ in range(2))
    async with (
        httpx.AsyncClient(transport=first, base_url="http://test") as one,
        httpx.AsyncClient(transport=second, base_url="http://test") as other,
    ):
        await create(one)
        assert await books(other) == []
        # The same ISBN is free in the other app: its store is its own.
        await create(other)


@pytest.mark.task(1)
@pytest.mark.parametrize("book_id", ["nope", "1", "0b6e8f0e-5c3a-4f7e-9a57-3d0c0f4b2e11"])
async def test_an_unknown_id_is_404_with_a_detail(client: httpx.AsyncClient, book_id: str) -> None:
    await create(client)
    response = await client.get(f"/books/{book_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Book {book_id} not found"}


INVALID_BOOKS = [
    pytest.param({k: v for k, v in DUNE.items() if k != "title"}, id="missing-title"),
    pytest.param({k: v for k, v in DUNE.items() if k != "isbn"}, id="missing-isbn"),
    pytest.param({**DUNE, "title": ""}, id="empty-title"),
    pytest.param({**DUNE, "isbn": "978044101359"}, id="isbn-of-12-digits"),
    pytest.param({**DUNE, "isbn": "978-0441013593"}, id="isbn-with-a-hyphen"),
    pytest.param({**DUNE, "isbn": "\u0669" * 13}, id="isbn-of-arabic-indic-digits"),
    pytest.param({**DUNE, "year": 1000}, id="year-before-print"),
    pytest.param({**DUNE, "year": "1965"}, id="year-as-a-string"),
    pytest.param({**DUNE, "tags": "sf"}, id="tags-not-a-list"),
    pytest.param({**DUNE, "publisher": {"city": "Philadelphia"}}, id="publisher-without-name"),
    pytest.param({**DUNE, "subtitle": "A novel"}, id="unknown-member"),
    pytest.param({**DUNE, "id": "mine"}, id="an-id-sent-by-the-client"),
    # Just past each limit of the given models.
    pytest.param({**DUNE, "year": 2101}, id="year-after-2100"),
    pytest.param({**DUNE, "title": "x" * 201}, id="title-of-201"),
    pytest.param({**DUNE, "author": "x" * 101}, id="author-of-101"),
    pytest.param({**DUNE, "tags": ["t"] * 11}, id="eleven-tags"),
    pytest.param({**DUNE, "tags": ["x" * 31]}, id="tag-of-31"),
    pytest.param({**DUNE, "publisher": {"name": "x" * 101}}, id="publisher-name-of-101"),
    pytest.param({**DUNE, "publisher": {"name": "P", "city": "x" * 101}}, id="city-of-101"),
]


# A PUT sends a whole book: one without its title is not a partial update, it is invalid.
INVALID_FOR_PUT = {"missing-title", "empty-title", "unknown-member", "an-id-sent-by-the-client"}


@pytest.mark.task(1)
async def test_a_book_at_every_limit_of_the_models_is_stored(client: httpx.AsyncClient) -> None:
    body = {
        "isbn": "9780441013593",
        "title": "x" * 200,
        "author": "y" * 100,
        "year": 2100,
        "tags": ["t" * 30] * 10,
        "publisher": {"name": "p" * 100, "city": "C"},
    }
    created = await create(client, body)
    assert created.json() == {**body, "id": created.json()["id"]}
    oldest = await create(client, {**DUNE, "isbn": "9780000000001", "year": 1450})
    assert oldest.json()["year"] == 1450


@pytest.mark.task(1)
@pytest.mark.parametrize("body", INVALID_BOOKS)
async def test_an_invalid_book_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, body: Json
) -> None:
    response = await client.post("/books", json=body)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert await books(client) == []


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"isbn": ', id="broken-json"),
        pytest.param(json.dumps([DUNE]).encode(), id="a-list"),
        pytest.param(b'"Dune"', id="a-string"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "/books", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert await books(client) == []


# Task 2 ------------------------------------------------------------------------------------------


@pytest.mark.task(2)
async def test_a_second_book_with_the_same_isbn_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    first = (await create(client)).json()
    response = await client.post("/books", json={**EMMA, "isbn": DUNE["isbn"]})
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": f"A book with ISBN {DUNE['isbn']} already exists"}
    assert await books(client) == [first]


@pytest.mark.task(2)
async def test_an_invalid_body_with_a_taken_isbn_is_422_not_409(client: httpx.AsyncClient) -> None:
    first = (await create(client)).json()
    response = await client.post("/books", json={**DUNE, "title": ""})
    assert response.status_code == 422, response.text
    assert await books(client) == [first]


@pytest.mark.task(2)
async def test_concurrent_creates_of_one_isbn_let_exactly_one_through(
    client: httpx.AsyncClient,
) -> None:
    bodies = [{**DUNE, "title": f"Dune, copy {n}"} for n in range(10)]
    responses = await asyncio.gather(*(client.post("/books", json=body) for body in bodies))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 9, [response.text for response in responses]
    winner = next(response for response in responses if response.status_code == 201)
    assert await books(client) == [winner.json()]


# Task 3 ------------------------------------------------------------------------------------------


@pytest.mark.task(3)
async def test_put_replaces_the_book_and_keeps_its_id_and_place(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, EMMA)
    after = (await create(client)).json()
    replacement = {**EMMA, "title": "Emma: A Novel", "tags": ["classic"]}
    response = await client.put(location(created), json=replacement)
    assert response.status_code == 200, response.text
    replaced = {**replacement, "id": created.json()["id"]}
    assert response.json() == replaced
    assert (await client.get(location(created))).json() == replaced
    assert await books(client) == [replaced, after]


@pytest.mark.task(3)
async def test_put_is_not_a_merge_optional_fields_left_out_take_their_defaults(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, EMMA)
    replacement = {k: EMMA[k] for k in ("isbn", "title", "author")}
    response = await client.put(location(created), json=replacement)
    assert response.status_code == 200, response.text
    assert response.json() == {**replacement, **DEFAULTS, "id": created.json()["id"]}


@pytest.mark.task(3)
async def test_put_twice_leaves_the_same_state_as_put_once(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    replacement = {**DUNE, "isbn": EMMA["isbn"], "year": 1965}
    once = await client.put(location(created), json=replacement)
    state = await books(client)
    twice = await client.put(location(created), json=replacement)
    assert once.status_code == twice.status_code == 200, twice.text
    assert once.json() == twice.json()
    assert await books(client) == state


@pytest.mark.task(3)
async def test_put_never_creates_an_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put("/books/nope", json=DUNE)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Book nope not found"}
    assert await books(client) == []


@pytest.mark.task(3)
@pytest.mark.parametrize("body", [param for param in INVALID_BOOKS if param.id in INVALID_FOR_PUT])
async def test_put_with_an_invalid_body_is_422_and_changes_nothing(
    client: httpx.AsyncClient, body: Json
) -> None:
    created = await create(client, EMMA)
    response = await client.put(location(created), json=body)
    assert response.status_code == 422, response.text
    assert await books(client) == [created.json()]


@pytest.mark.task(3)
async def test_put_that_takes_another_books_isbn_is_409_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    dune = (await create(client)).json()
    emma = await create(client, EMMA)
    response = await client.put(location(emma), json={**EMMA, "isbn": DUNE["isbn"]})
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": f"A book with ISBN {DUNE['isbn']} already exists"}
    assert await books(client) == [dune, emma.json()]


# Task 4 ------------------------------------------------------------------------------------------


@pytest.mark.task(4)
async def test_delete_answers_204_with_no_body_and_the_book_is_gone(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)
    kept = (await create(client, EMMA)).json()
    response = await client.delete(location(created))
    assert response.status_code == 204, response.text
    assert response.content == b""
    gone = await client.get(location(created))
    assert gone.status_code == 404, gone.text
    assert gone.json() == {"detail": f"Book {created.json()['id']} not found"}
    assert await books(client) == [kept]


@pytest.mark.task(4)
async def test_deleting_twice_or_an_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    created = await create(client)
    assert (await client.delete(location(created))).status_code == 204
    again = await client.delete(location(created))
    assert again.status_code == 404, again.text
    unknown = await client.delete("/books/nope")
    assert unknown.status_code == 404, unknown.text
    assert unknown.json() == {"detail": "Book nope not found"}


@pytest.mark.task(4)
async def test_a_deleted_books_isbn_is_free_again(client: httpx.AsyncClient) -> None:
    created = await create(client)
    await client.delete(location(created))
    again = await create(client)
    assert again.json()["id"] != created.json()["id"]


@pytest.mark.task(4)
async def test_a_new_book_never_gets_the_id_of_a_deleted_one(client: httpx.AsyncClient) -> None:
    first = await create(client)
    second = (await create(client, EMMA)).json()
    await client.delete(location(first))
    newer = [(await create(client, {**DUNE, "isbn": f"978000000000{n}"})).json() for n in (1, 2)]
    ids = [first.json()["id"], second["id"], *(book["id"] for book in newer)]
    assert len(set(ids)) == 4, ids
    assert await books(client) == [second, *newer]


# Task 5 ------------------------------------------------------------------------------------------

# RFC 7396, Appendix A, every example.
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [pytest.param(*example, id=f"A{n}") for n, example in enumerate(RFC_EXAMPLES, start=1)],
)
def test_merge_patch_gives_the_results_of_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("abc", max_size=2), children, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text("abc", max_size=2), json_values, max_size=4)


@pytest.mark.task(5)
@settings(max_examples=50, deadline=None)
@given(target=json_values | json_objects, patch=json_values | json_objects)
def test_merge_patch_keeps_its_arguments_and_what_it_does_not_name_and_is_idempotent(
    target: Any, patch: Any
) -> None:
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert (target, patch) == (target_before, patch_before), "an argument was modified"
    assert result == rfc7396(target, patch)
    assert merge_patch(result, patch) == result
    if isinstance(target, dict) and isinstance(patch, dict):
        for name, value in target.items():
            if name not in patch:
                assert result[name] == value
        for name, value in patch.items():
            assert (name in result) == (value is not None)


# Task 6 ------------------------------------------------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_patch_changes_only_the_members_it_names(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    response = await merge(client, location(created), {"title": "Emma (annotated)"})
    assert response.status_code == 200, response.text
    patched = {**created.json(), "title": "Emma (annotated)"}
    assert response.json() == patched
    assert (await client.get(location(created))).json() == patched


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_null_removes_a_member_so_the_field_takes_its_default(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, EMMA)
    response = await merge(client, location(created), {"year": None, "tags": None})
    assert response.status_code == 200, response.text
    assert response.json() == {**created.json(), "year": None, "tags": []}


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_nested_objects_are_merged_member_by_member(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    moved = await merge(client, location(created), {"publisher": {"city": "Oxford"}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["publisher"] == {"name": "Penguin", "city": "Oxford"}
    cleared = await merge(client, location(created), {"publisher": {"city": None}})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["publisher"] == {"name": "Penguin", "city": None}


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_arrays_are_replaced_whole(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    response = await merge(client, location(created), {"tags": ["satire"]})
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["satire"]


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    response = await merge(client, location(created), {})
    assert response.status_code == 200, response.text
    assert response.json() == created.json()


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"title": None}, id="null-for-a-required-field"),
        pytest.param({"isbn": "123"}, id="bad-isbn"),
        pytest.param({"year": "1965"}, id="year-as-a-string"),
        pytest.param({"id": "mine"}, id="an-id"),
        pytest.param({"subtitle": "A novel"}, id="unknown-member"),
        pytest.param({"publisher": {"city": "Oslo"}}, id="publisher-without-name"),
        pytest.param({"publisher": {"name": "Ace", "country": "US"}}, id="unknown-nested-member"),
        pytest.param([], id="an-array-replaces-the-whole-book"),
        pytest.param("Dune", id="a-string-replaces-the-whole-book"),
        pytest.param(None, id="null-replaces-the-whole-book"),
    ],
)
async def test_a_patch_whose_result_is_not_a_valid_book_is_422_and_changes_nothing(
    client: httpx.AsyncClient, patch: object
) -> None:
    created = await create(client)  # no publisher: a publisher patch must bring its name
    response = await merge(client, location(created), patch)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert await books(client) == [created.json()]


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_a_patch_that_takes_another_books_isbn_is_409_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    dune = (await create(client)).json()
    emma = await create(client, EMMA)
    response = await merge(client, location(emma), {"isbn": DUNE["isbn"]})
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": f"A book with ISBN {DUNE['isbn']} already exists"}
    assert await books(client) == [dune, emma.json()]


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"content-type": "application/json"}, id="application-json"),
        pytest.param({"content-type": "application/json-patch+json"}, id="json-patch"),
        pytest.param({"content-type": "text/plain"}, id="text-plain"),
        pytest.param({}, id="no-content-type"),
    ],
)
async def test_a_patch_in_another_media_type_is_415_with_accept_patch(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = await create(client)
    response = await client.patch(
        location(created), content=json.dumps({"title": "Dune Messiah"}), headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.json() == {"detail": "Unsupported Media Type"}
    assert response.headers["accept-patch"] == "application/merge-patch+json"
    assert await books(client) == [created.json()]


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "content_type",
    ["application/merge-patch+json; charset=utf-8", "Application/Merge-Patch+JSON"],
)
async def test_the_merge_patch_media_type_ignores_case_and_parameters(
    client: httpx.AsyncClient, content_type: str
) -> None:
    created = await create(client)
    response = await client.patch(
        location(created), content=b'{"year": 1965}', headers={"content-type": content_type}
    )
    assert response.status_code == 200, response.text
    assert response.json()["year"] == 1965


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_patch_on_an_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await merge(client, "/books/nope", {"title": "Dune"})
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Book nope not found"}


# Readable names (a failing sequence of calls gets printed), with some non-ASCII letters.
names = st.text("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789éßñ", min_size=1, max_size=8)
patches = st.fixed_dictionaries(
    {},
    optional={
        "title": st.none() | names,
        "year": st.none() | st.integers(1450, 2100),
        "tags": st.none() | st.lists(names, max_size=3),
        "publisher": st.none()
        | st.fixed_dictionaries(
            {}, optional={"name": st.none() | names, "city": st.none() | names}
        ),
    },
)


# One app and one book for all the examples: each example patches the book as it left it.
@pytest.mark.task(6)
@pytest.mark.stretch
@settings(
    max_examples=25,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(patch=patches)
async def test_any_merge_patch_answers_what_rfc_7396_says_or_422(
    client: httpx.AsyncClient, patch: Json
) -> None:
    shelved = await books(client)
    book = shelved[0] if shelved else (await create(client, EMMA)).json()
    url = f"/books/{book['id']}"
    merged = rfc7396({k: v for k, v in book.items() if k != "id"}, patch)
    response = await merge(client, url, patch)
    try:
        expected = written(merged)
    except ValidationError:
        assert response.status_code == 422, response.text
        assert await books(client) == [book]
        return
    assert response.status_code == 200, response.text
    assert response.json() == {**expected, "id": book["id"]}


# Task 7 ------------------------------------------------------------------------------------------


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_every_answer_with_a_book_carries_a_strong_etag(client: httpx.AsyncClient) -> None:
    created = await create(client, EMMA)
    url = location(created)
    answers = {
        "POST": created,
        "GET": await client.get(url),
        "PUT": await client.put(url, json={**EMMA, "year": 1816}),
        "PATCH": await merge(client, url, {"year": 1815}),
    }
    for method, response in answers.items():
        assert response.status_code in (200, 201), response.text
        etag = response.headers.get("etag", "")
        assert STRONG_ETAG.fullmatch(etag), f"{method} answered ETag {etag!r}"


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_the_etag_stays_while_the_book_does_not_change(client: httpx.AsyncClient) -> None:
    created = await create(client)
    first = await client.get(location(created))
    second = await client.get(location(created))
    assert created.headers["etag"] == first.headers["etag"] == second.headers["etag"]


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_the_etag_changes_with_the_representation_and_a_write_answers_the_new_one(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, EMMA)
    url = location(created)
    replaced = await client.put(url, json={**EMMA, "title": "Emma: A Novel"})
    patched = await merge(client, url, {"tags": ["classic"]})
    etags = [response.headers["etag"] for response in (created, replaced, patched)]
    assert len(set(etags)) == 3, etags
    assert (await client.get(url)).headers["etag"] == patched.headers["etag"]


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "publisher",
    [
        pytest.param({"name": "Penguin", "city": "Oxford"}, id="the-city-changes"),
        pytest.param({"name": "Penguin"}, id="the-city-goes"),
        pytest.param({"name": "Vintage", "city": "London"}, id="the-name-changes"),
    ],
)
async def test_the_etag_changes_when_only_a_nested_member_changes(
    client: httpx.AsyncClient, publisher: Json
) -> None:
    created = await create(client, EMMA)
    url = location(created)
    replaced = await client.put(url, json={**EMMA, "publisher": publisher})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] != created.headers["etag"]
    assert (await client.get(url)).headers["etag"] == replaced.headers["etag"]
    revalidated = await client.get(url, headers={"if-none-match": created.headers["etag"]})
    assert revalidated.status_code == 200, "an old ETag must not match the changed book"


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "field",
    [
        pytest.param("{etag}", id="the-etag"),
        pytest.param("W/{etag}", id="the-etag-as-weak"),
        pytest.param('"stale", {etag}', id="in-a-list"),
        pytest.param("*", id="star"),
    ],
)
async def test_if_none_match_that_matches_is_304_with_no_body_and_the_etag(
    client: httpx.AsyncClient, field: str
) -> None:
    created = await create(client)
    etag = created.headers["etag"]
    response = await client.get(
        location(created), headers={"if-none-match": field.format(etag=etag)}
    )
    assert response.status_code == 304, response.text
    assert response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_if_none_match_with_an_old_etag_answers_200_and_the_book(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)
    url = location(created)
    changed = await merge(client, url, {"year": 1965})
    response = await client.get(url, headers={"if-none-match": created.headers["etag"]})
    assert response.status_code == 200, response.text
    assert response.json() == changed.json()
    assert response.headers["etag"] == changed.headers["etag"]


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_if_none_match_on_an_unknown_book_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/books/nope", headers={"if-none-match": "*"})
    assert response.status_code == 404, response.text


# Task 8 ------------------------------------------------------------------------------------------

WRITES = {
    "PUT": lambda client, url, headers: client.put(
        url, json={**EMMA, "title": "Emma: A Novel"}, headers=headers
    ),
    "PATCH": lambda client, url, headers: merge(client, url, {"title": "Emma: A Novel"}, headers),
    "DELETE": lambda client, url, headers: client.delete(url, headers=headers),
}
write_methods = pytest.mark.parametrize("method", list(WRITES))


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_a_stale_if_match_is_412_and_nothing_changes(
    client: httpx.AsyncClient, method: str
) -> None:
    created = await create(client, EMMA)
    url = location(created)
    current = await merge(client, url, {"year": 1816})  # someone else's change
    response = await WRITES[method](client, url, {"if-match": created.headers["etag"]})
    assert response.status_code == 412, response.text
    assert response.json() == {"detail": "Precondition Failed"}
    assert await books(client) == [current.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_an_if_match_that_matches_lets_the_write_through(
    client: httpx.AsyncClient, method: str
) -> None:
    for field in ("{etag}", '"stale", {etag}', "*"):
        created = await create(client, EMMA)
        header = field.format(etag=created.headers["etag"])
        response = await WRITES[method](client, location(created), {"if-match": header})
        assert response.status_code in (200, 204), f"If-Match: {header}: {response.text}"
        assert await books(client) != [created.json()]
        await client.delete(location(created))  # the next round starts from no book again


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_a_weak_etag_never_satisfies_if_match(client: httpx.AsyncClient, method: str) -> None:
    created = await create(client, EMMA)
    response = await WRITES[method](
        client, location(created), {"if-match": f"W/{created.headers['etag']}"}
    )
    assert response.status_code == 412, response.text
    assert await books(client) == [created.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_an_if_none_match_that_matches_makes_a_write_412(
    client: httpx.AsyncClient, method: str
) -> None:
    created = await create(client, EMMA)
    for header in ("*", created.headers["etag"], f'"stale", W/{created.headers["etag"]}'):
        response = await WRITES[method](client, location(created), {"if-none-match": header})
        assert response.status_code == 412, f"If-None-Match: {header}: {response.text}"
        assert await books(client) == [created.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_an_if_none_match_that_does_not_match_lets_the_write_through(
    client: httpx.AsyncClient, method: str
) -> None:
    created = await create(client, EMMA)
    response = await WRITES[method](client, location(created), {"if-none-match": '"stale"'})
    assert response.status_code in (200, 204), response.text
    assert await books(client) != [created.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@write_methods
async def test_preconditions_on_an_unknown_book_are_ignored_it_is_404(
    client: httpx.AsyncClient, method: str
) -> None:
    for header in ("if-match", "if-none-match"):
        response = await WRITES[method](client, "/books/nope", {header: "*"})
        assert response.status_code == 404, f"{header}: *: {response.text}"
        assert response.json() == {"detail": "Book nope not found"}


@pytest.mark.task(8)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "method",
    [
        pytest.param("PUT", id="PUT-with-an-invalid-body"),
        pytest.param("PATCH", id="PATCH-with-an-invalid-result"),
    ],
)
async def test_a_stale_if_match_is_412_even_when_the_body_is_invalid(
    client: httpx.AsyncClient, method: str
) -> None:
    created = await create(client)
    url = location(created)
    current = await merge(client, url, {"year": 1965})
    stale = {"if-match": created.headers["etag"]}
    if method == "PUT":
        response = await client.put(url, json={"title": ""}, headers=stale)
    else:
        response = await merge(client, url, {"title": None}, stale)
    assert response.status_code == 412, response.text
    assert await books(client) == [current.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(
    "if_match", [pytest.param(False, id="no-if-match"), pytest.param(True, id="stale-if-match")]
)
async def test_a_body_that_is_not_json_is_422_whatever_the_preconditions(
    client: httpx.AsyncClient, method: str, if_match: bool
) -> None:
    # FastAPI decodes the JSON before any dependency runs: nothing can answer 412 first.
    created = await create(client)
    url = location(created)
    current = await merge(client, url, {"year": 1965})
    content_type = "application/json" if method == "PUT" else MERGE_PATCH["content-type"]
    headers = {"content-type": content_type}
    if if_match:
        headers["if-match"] = created.headers["etag"]
    response = await client.request(method, url, content=b'{"title": ', headers=headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert await books(client) == [current.json()]


@pytest.mark.task(8)
@pytest.mark.stretch
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_concurrent_writes_with_one_etag_let_exactly_one_through(
    client: httpx.AsyncClient, method: str
) -> None:
    created = await create(client, EMMA)
    url = location(created)
    if_match = {"if-match": created.headers["etag"]}
    titles = [f"Emma, draft {n}" for n in range(10)]
    if method == "PUT":
        sends = [client.put(url, json={**EMMA, "title": t}, headers=if_match) for t in titles]
    else:
        sends = [merge(client, url, {"title": t}, if_match) for t in titles]
    responses = await asyncio.gather(*sends)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * 9, statuses
    winner = next(response for response in responses if response.status_code == 200)
    assert await books(client) == [winner.json()]


# Task 9 ------------------------------------------------------------------------------------------


@pytest.mark.task(9)
@pytest.mark.stretch
async def test_the_list_answers_twenty_books_by_default_and_links_the_next_page(
    client: httpx.AsyncClient, shelve: Shelve
) -> None:
    shelf = await shelve(23)
    response = await client.get("/books")
    assert response.status_code == 200, response.text
    assert response.json() == shelf[:20]
    rels = links(response)
    assert {"first", "last", "next"} <= rels.keys(), response.headers.get("link")
    assert "prev" not in rels
    following = await client.get(rels["next"])
    assert following.json() == shelf[20:]
    assert "next" not in links(following)
    assert (await client.get(rels["first"])).json() == shelf[:20]


@pytest.mark.task(9)
@pytest.mark.stretch
async def test_limit_and_offset_choose_the_page(client: httpx.AsyncClient, shelve: Shelve) -> None:
    shelf = await shelve(5)
    response = await client.get("/books", params={"limit": 2, "offset": 1})
    assert response.status_code == 200, response.text
    assert response.json() == shelf[1:3]
    rels = links(response)
    assert (await client.get(rels["next"])).json() == shelf[3:5]
    assert (await client.get(rels["prev"])).json() == shelf[0:2]
    assert (await client.get(rels["last"])).json()[-1] == shelf[-1]


@pytest.mark.task(9)
@pytest.mark.stretch
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7])
async def test_next_visits_every_book_once_in_order_and_prev_walks_back_from_the_last_page(
    client: httpx.AsyncClient, shelve: Shelve, limit: int
) -> None:
    shelf = await shelve(5)
    url: str | None = f"/books?limit={limit}"
    seen: list[Json] = []
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert 0 < len(page) <= limit, f"a page of {len(page)} books for limit={limit}"
        seen += page
        pages += 1
        assert pages <= len(shelf), "the next links never end"
        url = links(response).get("next")
    assert seen == shelf
    assert pages == math.ceil(len(shelf) / limit)
    url = links(await client.get("/books", params={"limit": limit}))["last"]
    # Back from the last page: contiguous slices, each starting before the one after it.
    starts: list[int] = []
    visited: set[str] = set()
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert 0 < len(page) <= limit, f"a page of {len(page)} books for limit={limit}"
        start = shelf.index(page[0])
        assert page == shelf[start : start + len(page)], "a page that is not a slice of the list"
        assert not starts or start < starts[-1], "prev does not go back"
        starts.append(start)
        visited |= {book["id"] for book in page}
        url = links(response).get("prev")
    assert starts[0] + limit >= len(shelf), "the last page does not reach the last book"
    assert starts[-1] == 0
    assert visited == {book["id"] for book in shelf}


@pytest.mark.task(9)
@pytest.mark.stretch
async def test_an_empty_collection_is_one_empty_page_with_first_and_last(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/books", params={"limit": 5})
    assert response.status_code == 200, response.text
    assert response.json() == []
    rels = links(response)
    assert {"first", "last"} <= rels.keys(), response.headers.get("link")
    assert not {"next", "prev"} & rels.keys()
    for rel in ("first", "last"):
        assert (await client.get(rels[rel])).json() == []


# One app per size of collection; the examples only read it.
@pytest.mark.task(9)
@pytest.mark.stretch
@pytest.mark.parametrize("shelf", [0, 1, 6], indirect=True)
@settings(
    max_examples=15,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(limit=st.integers(1, 7), offset=st.integers(0, 8))
async def test_any_page_and_its_links_agree_with_the_collection(
    client: httpx.AsyncClient, shelf: list[Json], limit: int, offset: int
) -> None:
    response = await client.get("/books", params={"limit": limit, "offset": offset})
    assert response.status_code == 200, response.text
    assert response.json() == shelf[offset : offset + limit]
    rels = links(response)
    assert ("next" in rels) == (offset + limit < len(shelf)), response.headers.get("link")
    assert ("prev" in rels) == (offset > 0), response.headers.get("link")
    assert (await client.get(rels["first"])).json() == shelf[:limit]
    last = await client.get(rels["last"])
    assert "next" not in links(last)
    assert last.json()[-1:] == shelf[-1:]
    assert len(last.json()) <= limit
    if "next" in rels:
        after = offset + limit
        assert (await client.get(rels["next"])).json() == shelf[after : after + limit]
    if "prev" in rels:
        before = max(offset - limit, 0)
        assert (await client.get(rels["prev"])).json() == shelf[before : before + limit]


@pytest.mark.task(9)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": "0"}, id="limit-0"),
        pytest.param({"limit": "101"}, id="limit-101"),
        pytest.param({"limit": "-1"}, id="negative-limit"),
        pytest.param({"limit": "ten"}, id="limit-not-a-number"),
        pytest.param({"limit": "2.5"}, id="fractional-limit"),
        pytest.param({"offset": "-1"}, id="negative-offset"),
        pytest.param({"offset": "first"}, id="offset-not-a-number"),
    ],
)
async def test_bad_paging_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/books", params=params)
    assert response.status_code == 422, response.text


# Task 10 -----------------------------------------------------------------------------------------


@pytest.mark.task(10)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        pytest.param("DELETE", "collection", {"GET", "POST"}, id="DELETE-the-collection"),
        pytest.param("PUT", "collection", {"GET", "POST"}, id="PUT-the-collection"),
        pytest.param("PATCH", "collection", {"GET", "POST"}, id="PATCH-the-collection"),
        pytest.param("POST", "book", {"GET", "PUT", "PATCH", "DELETE"}, id="POST-a-book"),
        pytest.param("POST", "unknown", {"GET", "PUT", "PATCH", "DELETE"}, id="POST-unknown-id"),
    ],
)
async def test_a_method_the_resource_does_not_support_is_405_with_all_its_methods_in_allow(
    client: httpx.AsyncClient, method: str, target: str, expected: set[str]
) -> None:
    book_url = location(await create(client))
    url = {"collection": "/books", "book": book_url, "unknown": "/books/nope"}[target]
    response = await client.request(method, url)
    assert response.status_code == 405, response.text
    assert response.json() == {"detail": "Method Not Allowed"}
    assert expected <= allowed(response), response.headers["allow"]
    assert method not in allowed(response)


@pytest.mark.task(10)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("probe", "url"),
    [
        pytest.param("DELETE", "/books", id="collection"),
        pytest.param("POST", "/books/nope", id="book"),
    ],
)
async def test_every_method_in_allow_is_really_allowed(
    client: httpx.AsyncClient, probe: str, url: str
) -> None:
    refused = await client.request(probe, url)
    assert refused.status_code == 405, refused.text
    for method in allowed(refused):
        response = await client.request(method, url)
        assert response.status_code != 405, f"{method} {url} is in Allow but answers 405"


# Task 11 -----------------------------------------------------------------------------------------

ISBNS = [DUNE["isbn"], EMMA["isbn"], "9780547928227"]  # few, so that conflicts happen
book_bodies = st.fixed_dictionaries(
    {"isbn": st.sampled_from(ISBNS), "title": names, "author": names},
    optional={
        "year": st.none() | st.integers(1450, 2100),
        "tags": st.lists(names, max_size=3),
        "publisher": st.none()
        | st.fixed_dictionaries({"name": names}, optional={"city": st.none() | names}),
    },
)
any_patches = (
    patches.map(lambda patch: patch)
    | st.fixed_dictionaries({"isbn": st.sampled_from(ISBNS)})
    | st.sampled_from([None, [], "Dune", {"id": "mine"}])
)
if_match_kinds = st.sampled_from(["none", "current", "stale", "star"])


class BooksMachine(RuleBasedStateMachine):
    """Drives one app with random calls and checks every answer against a dict of books.

    Books are known by the URL their creation answered in `Location`, never by a guessed id.
    """

    urls = Bundle("urls")

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=create_app())
        self.client = httpx.AsyncClient(transport=transport, base_url="http://test")
        self.model: dict[str, Json] = {}  # URL -> the book, in creation order, deleted ones gone
        self.ids: dict[str, str] = {}  # URL -> id, of every book ever created
        self.etags: dict[str, str] = {}  # URL -> the ETag last answered with the book
        self.tagged: dict[tuple[str, str], Json] = {}  # (URL, ETag) -> the book sent with it

    def teardown(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.close()

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.runner.run(self.client.request(method, url, **kwargs))

    def answered(self, url: str, response: httpx.Response) -> None:
        """Records a book the API answered, checking its ETag is a strong validator."""
        book, etag = response.json(), response.headers.get("etag", "")
        assert STRONG_ETAG.fullmatch(etag), f"ETag {etag!r}"
        # One strong ETag names one representation: the same ETag again means the same book.
        assert self.tagged.setdefault((url, etag), book) == book, f"ETag {etag} reused"
        self.model[url] = book
        self.etags[url] = etag

    def if_match_header(self, url: str, if_match: str) -> dict[str, str]:
        """The If-Match header of a kind: none, the current ETag, a stale one, or `*`."""
        if if_match == "none":
            return {}
        if if_match == "star":
            return {"if-match": "*"}
        if if_match == "current":
            return {"if-match": self.etags[url]}
        old = [etag for (u, etag) in self.tagged if u == url and etag != self.etags[url]]
        return {"if-match": old[-1] if old else '"never-sent"'}

    def gone(self, url: str, response: httpx.Response) -> bool:
        """Whether the book was deleted, checking the 404 the API must then answer."""
        if url in self.model:
            return False
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": f"Book {self.ids[url]} not found"}
        return True

    def refused(self, if_match: str, response: httpx.Response) -> bool:
        """Whether the If-Match was stale, checking the 412 the API must then answer."""
        if if_match != "stale":
            return False
        assert response.status_code == 412, response.text
        assert response.json() == {"detail": "Precondition Failed"}
        return True

    def taken(self, url: str | None, isbn: str, response: httpx.Response) -> bool:
        """Whether another book has the ISBN, checking the 409 the API must then answer."""
        if not any(book["isbn"] == isbn for other, book in self.model.items() if other != url):
            return False
        assert response.status_code == 409, response.text
        assert response.json() == {"detail": f"A book with ISBN {isbn} already exists"}
        return True

    @rule(target=urls, body=book_bodies)
    def create(self, body: Json) -> Any:
        response = self.send("POST", "/books", json=body)
        if self.taken(None, body["isbn"], response):
            return multiple()
        assert response.status_code == 201, response.text
        book = response.json()
        assert book == {**written(body), "id": book["id"]}
        url = urljoin(str(response.url), response.headers["location"])
        assert httpx.URL(url).path == f"/books/{book['id']}"
        assert book["id"] not in self.ids.values(), f"id {book['id']} was given twice"
        self.ids[url] = book["id"]
        self.answered(url, response)
        return url

    @precondition(lambda self: bool(self.model))  # not all along while the store is empty
    @rule(body=st.sampled_from([param.values[0] for param in INVALID_BOOKS]))
    def create_invalid(self, body: Json) -> None:
        response = self.send("POST", "/books", json=body)
        assert response.status_code == 422, response.text

    @rule(url=urls, revalidate=st.booleans())
    def read(self, url: str, revalidate: bool) -> None:
        headers = {"if-none-match": self.etags[url]} if revalidate else {}
        response = self.send("GET", url, headers=headers)
        if self.gone(url, response):
            return
        if revalidate:
            assert response.status_code == 304, response.text
            assert response.content == b""
        else:
            assert response.status_code == 200, response.text
            assert response.json() == self.model[url]
        assert response.headers["etag"] == self.etags[url]

    @rule(url=urls, body=book_bodies, if_match=if_match_kinds)
    def replace(self, url: str, body: Json, if_match: str) -> None:
        response = self.send("PUT", url, json=body, headers=self.if_match_header(url, if_match))
        if (
            self.gone(url, response)
            or self.refused(if_match, response)
            or self.taken(url, body["isbn"], response)
        ):
            return
        assert response.status_code == 200, response.text
        assert response.json() == {**written(body), "id": self.ids[url]}
        self.answered(url, response)

    @rule(url=urls, patch=any_patches, if_match=if_match_kinds)
    def patch(self, url: str, patch: Any, if_match: str) -> None:
        headers = {**MERGE_PATCH, **self.if_match_header(url, if_match)}
        response = self.send("PATCH", url, content=json.dumps(patch), headers=headers)
        if self.gone(url, response) or self.refused(if_match, response):
            return
        current = {k: v for k, v in self.model[url].items() if k != "id"}
        try:
            expected = written(rfc7396(current, patch))
        except ValidationError:
            assert response.status_code == 422, response.text
            return
        if self.taken(url, expected["isbn"], response):
            return
        assert response.status_code == 200, response.text
        assert response.json() == {**expected, "id": self.ids[url]}
        self.answered(url, response)

    @rule(url=urls, if_match=if_match_kinds)
    def delete(self, url: str, if_match: str) -> None:
        response = self.send("DELETE", url, headers=self.if_match_header(url, if_match))
        if self.gone(url, response) or self.refused(if_match, response):
            return
        assert response.status_code == 204, response.text
        assert response.content == b""
        del self.model[url]

    @rule(limit=st.integers(1, 3))
    def walk_the_pages(self, limit: int) -> None:
        url: str | None = f"/books?limit={limit}"
        seen: list[Json] = []
        while url is not None and len(seen) <= len(self.model):
            response = self.send("GET", url)
            assert response.status_code == 200, response.text
            seen += response.json()
            url = links(response).get("next")
        assert seen == list(self.model.values())

    @invariant()
    def the_collection_is_the_model(self) -> None:
        response = self.send("GET", "/books", params={"limit": 100})
        assert response.status_code == 200, response.text
        assert response.json() == list(self.model.values())


# No shrinking: a failure prints the whole sequence of calls that broke the API (ten steps at
# most); shrinking it would replay sequences, each on a new app, for minutes.
@pytest.mark.task(11)
@pytest.mark.stretch
def test_any_sequence_of_calls_answers_like_a_dict_of_books() -> None:
    run_state_machine_as_test(
        BooksMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
