"""Tests for kata 2.4: response models that filter output, status codes, documented errors."""

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2  # TestClient's responses are httpx2 ones (Starlette's preferred client)
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from response_models import UserInDB, UserStore, create_app, verify_password

PASSWORD = "correct horse battery"
ADA = {
    "username": "ada",
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "bio": "Wrote the first program.",
    "password": PASSWORD,
}
BOB = {**ADA, "username": "bob", "email": "bob@example.com", "full_name": "Bob", "bio": "Hi."}
PUBLIC_FIELDS = {"id", "username", "email", "full_name", "bio"}
CHALLENGE = 'Basic realm="users"'
LOOKUP_WAIT = 5.0  # seconds a RendezvousStore lookup in a thread waits for an overlapping one
# Hypothesis examples share one app (built once per test): sign up under fresh usernames.
ONE_APP = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def sign_up(client: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    """Creates a user through the API and returns the response body."""
    response = client.post("/users", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def shown(payload: dict[str, Any], user_id: int) -> dict[str, Any]:
    """What the API must show of a user signed up with `payload`: all but the password."""
    return {key: value for key, value in payload.items() if key != "password"} | {"id": user_id}


def spellings(secret: str) -> set[str]:
    """The ways a string can appear in a JSON body: raw, and JSON-escaped with or without ASCII."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def assert_not_shown(response: httpx2.Response, *secrets: str) -> None:
    """Fails when the response body carries any of `secrets`, in any spelling."""
    request = f"{response.request.method} {response.request.url.path}"
    for secret in secrets:
        for spelling in spellings(secret):
            assert spelling not in response.text, f"{request} shows {secret!r}: {response.text}"


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a `{"$ref": "#/components/schemas/X"}` points to (or the schema itself)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def response_schema(document: dict[str, Any], path: str, method: str, code: str) -> dict[str, Any]:
    """The resolved JSON schema documented for one response of one operation."""
    responses = document["paths"][path][method]["responses"]
    assert code in responses, f"{method.upper()} {path} documents only {sorted(responses)}"
    return resolve(document, responses[code]["content"]["application/json"]["schema"])


class RendezvousStore(UserStore):
    """A store whose first two `by_username` lookups made off the event loop's thread wait for
    each other (up to LOOKUP_WAIT seconds).

    When two sign-ups check a name in worker threads (a plain `def` endpoint runs in one), both
    lookups meet here and both answer "free" before either user is stored: the race happens on
    every run, not once in a while. A lookup on the event loop's thread never waits: nothing else
    can run until it returns (and waiting would stall the loop).
    """

    def __init__(self) -> None:
        super().__init__()
        self.loop_thread = threading.current_thread()  # built inside the test's event loop
        self.barrier = threading.Barrier(2, timeout=LOOKUP_WAIT)
        self.lock = threading.Lock()
        self.lookups = 0
        self.thread_lookups = 0

    def by_username(self, username: str) -> UserInDB | None:
        with self.lock:
            self.lookups += 1
            in_a_worker = threading.current_thread() is not self.loop_thread
            self.thread_lookups += in_a_worker
            waits = in_a_worker and self.thread_lookups <= 2
        found = super().by_username(username)
        if waits:
            # Answer only once the other lookup has looked too (a broken barrier: no second
            # lookup overlapped this one).
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()
        return found


# Task 1 ---------------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_sign_up_answers_201_with_the_public_fields_only(client: TestClient) -> None:
    response = client.post("/users", json=ADA)
    assert response.status_code == 201, response.text
    assert response.json() == shown(ADA, 1)


@pytest.mark.task(1)
def test_the_store_keeps_a_hash_that_verifies_never_the_password(
    client: TestClient, store: UserStore
) -> None:
    sign_up(client, ADA)
    stored = store.users[1]
    assert stored.username == "ada"
    assert PASSWORD not in stored.password_hash
    assert verify_password(PASSWORD, stored.password_hash)
    assert not verify_password("not the password", stored.password_hash)


@pytest.mark.task(1)
def test_apps_built_without_a_store_do_not_share_users() -> None:
    with TestClient(create_app()) as first, TestClient(create_app()) as second:
        assert sign_up(first, ADA)["id"] == 1
        assert sign_up(second, ADA)["id"] == 1


@pytest.mark.task(1)
def test_ids_start_at_1_and_go_up_by_one(client: TestClient) -> None:
    assert sign_up(client, ADA)["id"] == 1
    assert sign_up(client, BOB)["id"] == 2


@pytest.mark.task(1)
def test_a_client_cannot_choose_its_id_or_its_hash(client: TestClient, store: UserStore) -> None:
    forged = {**ADA, "id": 99, "password_hash": "scrypt$00$00"}
    assert sign_up(client, forged) == shown(ADA, 1)
    assert verify_password(PASSWORD, store.users[1].password_hash)


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"password": None}, "password", id="password-null"),
        pytest.param({"password": "x" * 7}, "password", id="password-too-short"),
        pytest.param({"password": "x" * 65}, "password", id="password-too-long"),
        pytest.param({"password": 12345678}, "password", id="password-not-a-string"),
        pytest.param({"username": "Ada"}, "username", id="username-not-lowercase"),
        pytest.param({"username": "ad"}, "username", id="username-too-short"),
        pytest.param({"email": "ada.example.com"}, "email", id="email-without-at"),
        pytest.param({"full_name": "x" * 101}, "full_name", id="full-name-too-long"),
        pytest.param({"email": "x" * 243 + "@example.com"}, "email", id="email-of-255"),
        pytest.param({"bio": "x" * 501}, "bio", id="bio-too-long"),
    ],
)
def test_an_invalid_sign_up_is_422_and_nothing_is_stored(
    client: TestClient, store: UserStore, changes: dict[str, Any], field: str
) -> None:
    response = client.post("/users", json={**ADA, **changes})
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    assert store.users == {}


@pytest.mark.task(1)
def test_a_missing_password_is_422_and_nothing_is_stored(
    client: TestClient, store: UserStore
) -> None:
    body = {key: value for key, value in ADA.items() if key != "password"}
    response = client.post("/users", json=body)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "password"]]
    assert store.users == {}


@pytest.mark.task(1)
def test_a_taken_username_is_409_and_the_first_user_is_untouched(
    client: TestClient, store: UserStore
) -> None:
    sign_up(client, ADA)
    response = client.post("/users", json={**BOB, "username": "ada", "password": "another one"})
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "Username 'ada' is taken"}
    assert list(store.users) == [1]
    assert store.users[1].email == "ada@example.com"
    assert verify_password(PASSWORD, store.users[1].password_hash)


@pytest.mark.task(1)
async def test_concurrent_sign_ups_for_one_username_create_one_user(
    async_client: httpx.AsyncClient, store: UserStore
) -> None:
    bodies = [{**ADA, "email": f"ada{n}@example.com"} for n in range(20)]
    responses = await asyncio.gather(*(async_client.post("/users", json=b) for b in bodies))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19, [response.text for response in responses]
    assert len(store.users) == 1
    # The 19 refused sign-ups used up no id.
    response = await async_client.post("/users", json=BOB)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == 2


@pytest.mark.task(1)
async def test_two_sign_ups_checking_one_username_at_once_create_one_user() -> None:
    store = RendezvousStore()
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(
            client.post("/users", json=ADA),
            client.post("/users", json={**ADA, "email": "ada2@example.com"}),
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409], [response.text for response in responses]
    assert [user.username for user in store.users.values()] == ["ada"]
    assert store.lookups >= 2, "look usernames up with store.by_username (the README's seam)"


@pytest.mark.task(1)
def test_a_refused_sign_up_uses_up_no_id(client: TestClient) -> None:
    assert sign_up(client, ADA)["id"] == 1
    assert client.post("/users", json=ADA).status_code == 409
    assert client.post("/users", json={**BOB, "password": "short"}).status_code == 422
    assert sign_up(client, BOB)["id"] == 2


@pytest.mark.task(1)
@settings(ONE_APP, max_examples=10)
@given(password=st.text(min_size=8, max_size=64))
def test_any_valid_password_is_stored_as_a_hash_and_never_answered(
    client: TestClient, store: UserStore, usernames: Iterator[str], password: str
) -> None:
    payload = {**ADA, "username": next(usernames), "password": password}
    created = sign_up(client, payload)
    assert created == shown(payload, created["id"])
    stored_hash = store.users[created["id"]].password_hash
    assert stored_hash != password
    assert verify_password(password, stored_hash)


# Task 2 ---------------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_read_a_user_shows_the_public_fields_only(client: TestClient) -> None:
    sign_up(client, ADA)
    response = client.get("/users/1")
    assert response.status_code == 200, response.text
    assert response.json() == shown(ADA, 1)


@pytest.mark.task(2)
def test_users_are_listed_in_sign_up_order_without_secrets(client: TestClient) -> None:
    sign_up(client, ADA)
    sign_up(client, BOB)
    response = client.get("/users")
    assert response.status_code == 200, response.text
    assert response.json() == [shown(ADA, 1), shown(BOB, 2)]


@pytest.mark.task(2)
def test_users_are_listed_in_sign_up_order_not_by_name(client: TestClient) -> None:
    names = ["zoe", "ada", "mia"]
    for name in names:
        sign_up(client, {**ADA, "username": name, "email": f"{name}@example.com"})
    response = client.get("/users")
    assert response.status_code == 200, response.text
    assert [user["username"] for user in response.json()] == names
    assert [user["id"] for user in response.json()] == [1, 2, 3]


@pytest.mark.task(2)
def test_a_new_app_lists_no_users(client: TestClient) -> None:
    response = client.get("/users")
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.task(2)
@pytest.mark.parametrize("user_id", ["1", "42"])
def test_an_unknown_user_is_404_with_a_detail(client: TestClient, user_id: str) -> None:
    response = client.get(f"/users/{user_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"User {user_id} not found"}


@pytest.mark.task(2)
def test_a_user_id_that_is_not_an_integer_is_422(client: TestClient) -> None:
    response = client.get("/users/ada")
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["path", "user_id"]]


# Task 3 ---------------------------------------------------------------------------------------


@pytest.mark.task(3)
def test_profile_fields_never_sent_are_left_out_of_every_answer(client: TestClient) -> None:
    bare = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}
    expected = {"id": 1, "username": "ada", "email": "ada@example.com"}
    assert sign_up(client, bare) == expected
    assert client.get("/users/1").json() == expected
    assert client.get("/users").json() == [expected]


@pytest.mark.task(3)
def test_a_field_sent_as_null_is_answered_as_null(client: TestClient) -> None:
    payload = {"username": "ada", "email": "ada@example.com", "bio": None, "password": PASSWORD}
    expected = {"id": 1, "username": "ada", "email": "ada@example.com", "bio": None}
    assert sign_up(client, payload) == expected
    assert client.get("/users/1").json() == expected
    assert client.get("/users").json() == [expected]


@pytest.mark.task(3)
@settings(ONE_APP, max_examples=10)
@given(
    profile=st.fixed_dictionaries(
        {},
        optional={
            "full_name": st.none() | st.text(max_size=30),
            "bio": st.none() | st.text(max_size=30),
        },
    )
)
def test_each_user_is_answered_with_exactly_the_fields_it_was_sent(
    client: TestClient, usernames: Iterator[str], profile: dict[str, str | None]
) -> None:
    username = next(usernames)
    payload = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    created = sign_up(client, payload | profile)
    expected = shown(payload, created["id"]) | profile
    assert created == expected
    assert client.get(f"/users/{created['id']}").json() == expected
    assert client.get("/users").json()[-1] == expected


# Task 4 ---------------------------------------------------------------------------------------


@pytest.mark.task(4)
def test_delete_answers_204_with_an_empty_body(client: TestClient, store: UserStore) -> None:
    sign_up(client, ADA)
    response = client.delete("/users/1")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert store.users == {}
    assert client.get("/users/1").status_code == 404


@pytest.mark.task(4)
def test_delete_removes_only_that_user(client: TestClient) -> None:
    sign_up(client, ADA)
    sign_up(client, BOB)
    assert client.delete("/users/1").status_code == 204
    assert client.get("/users").json() == [shown(BOB, 2)]


@pytest.mark.task(4)
def test_the_id_of_a_deleted_user_is_never_handed_out_again(client: TestClient) -> None:
    sign_up(client, ADA)
    sign_up(client, BOB)
    assert client.delete("/users/2").status_code == 204
    carol = {**ADA, "username": "carol", "email": "carol@example.com"}
    assert sign_up(client, carol) == shown(carol, 3)
    assert client.get("/users").json() == [shown(ADA, 1), shown(carol, 3)]


@pytest.mark.task(4)
def test_deleting_a_missing_user_is_404(client: TestClient) -> None:
    response = client.delete("/users/7")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "User 7 not found"}


@pytest.mark.task(4)
def test_deleting_twice_is_404_the_second_time(client: TestClient) -> None:
    sign_up(client, ADA)
    assert client.delete("/users/1").status_code == 204
    response = client.delete("/users/1")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "User 1 not found"}


@pytest.mark.task(4)
def test_a_deleted_username_is_free_again_under_a_new_id(client: TestClient) -> None:
    sign_up(client, ADA)
    assert client.delete("/users/1").status_code == 204
    assert sign_up(client, ADA) == shown(ADA, 2)
    assert client.get("/users/1").status_code == 404


# Task 5 ---------------------------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("path", "method", "code"),
    [
        pytest.param("/users", "post", "409", id="sign-up-409"),
        pytest.param("/users/{user_id}", "get", "404", id="read-404"),
        pytest.param("/users/{user_id}", "delete", "404", id="delete-404"),
    ],
)
def test_error_responses_are_documented_with_their_body(
    document: dict[str, Any], path: str, method: str, code: str
) -> None:
    schema = response_schema(document, path, method, code)
    assert schema["properties"]["detail"]["type"] == "string", schema
    assert schema["required"] == ["detail"], schema


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("path", "method", "code"),
    [
        pytest.param("/users", "post", "201", id="sign-up-201"),
        pytest.param("/users/{user_id}", "delete", "204", id="delete-204"),
    ],
)
def test_success_codes_are_documented_instead_of_200(
    document: dict[str, Any], path: str, method: str, code: str
) -> None:
    responses = document["paths"][path][method]["responses"]
    assert code in responses, responses
    assert "200" not in responses, responses


@pytest.mark.task(5)
def test_204_is_documented_without_a_body(document: dict[str, Any]) -> None:
    assert "content" not in document["paths"]["/users/{user_id}"]["delete"]["responses"]["204"]


@pytest.mark.task(5)
@pytest.mark.parametrize(
    ("path", "method", "code"),
    [
        pytest.param("/users", "post", "201", id="sign-up"),
        pytest.param("/users", "get", "200", id="list"),
        pytest.param("/users/{user_id}", "get", "200", id="read"),
    ],
)
def test_documented_users_have_the_public_fields_only(
    document: dict[str, Any], path: str, method: str, code: str
) -> None:
    schema = response_schema(document, path, method, code)
    if schema.get("type") == "array":
        schema = resolve(document, schema["items"])
    assert set(schema["properties"]) == PUBLIC_FIELDS, schema


@pytest.mark.task(5)
def test_the_document_never_mentions_the_hash(document: dict[str, Any]) -> None:
    assert "password_hash" not in json.dumps(document)


# Task 6 (stretch) -----------------------------------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
def test_me_with_the_right_password_shows_that_user(client: TestClient) -> None:
    sign_up(client, ADA)
    sign_up(client, BOB)
    response = client.get("/users/me", auth=("bob", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.json() == shown(BOB, 2)


@pytest.mark.task(6)
@pytest.mark.stretch
def test_me_shows_a_user_as_every_other_route_does(client: TestClient) -> None:
    sign_up(client, {"username": "ada", "email": "ada@example.com", "password": PASSWORD})
    response = client.get("/users/me", auth=("ada", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.json() == client.get("/users/1").json()


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("ada", "wrong password", id="wrong-password"),
        pytest.param("ada", PASSWORD.upper(), id="password-in-other-case"),
        pytest.param("nobody", PASSWORD, id="unknown-user"),
        pytest.param("", "", id="empty-credentials"),
    ],
)
def test_wrong_credentials_are_401_with_a_basic_challenge(
    client: TestClient, username: str, password: str
) -> None:
    sign_up(client, ADA)
    response = client.get("/users/me", auth=(username, password))
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response.headers["www-authenticate"] == CHALLENGE


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Bearer abc", id="other-scheme"),
        pytest.param("Basic !!!", id="not-base64"),
    ],
)
def test_missing_credentials_are_401_with_a_basic_challenge(
    client: TestClient, authorization: str | None
) -> None:
    sign_up(client, ADA)
    headers = {} if authorization is None else {"authorization": authorization}
    response = client.get("/users/me", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == CHALLENGE


@pytest.mark.task(6)
@pytest.mark.stretch
def test_me_documents_its_401_with_its_body(document: dict[str, Any]) -> None:
    schema = response_schema(document, "/users/me", "get", "401")
    assert schema["properties"]["detail"]["type"] == "string", schema
    assert schema["required"] == ["detail"], schema


@pytest.mark.task(6)
@pytest.mark.stretch
def test_me_documents_the_public_fields_only(document: dict[str, Any]) -> None:
    schema = response_schema(document, "/users/me", "get", "200")
    assert set(schema["properties"]) == PUBLIC_FIELDS, schema


# Task 7 (stretch) -----------------------------------------------------------------------------


@pytest.mark.task(7)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"password": "hunter2"}, "password", id="password-too-short"),
        pytest.param({"password": "hunter2" * 10}, "password", id="password-too-long"),
        pytest.param({"password": 31415926535}, "password", id="password-not-a-string"),
        pytest.param({"email": "hunter2"}, "email", id="bad-email"),
    ],
)
def test_validation_errors_keep_their_shape_but_never_echo_the_input(
    client: TestClient, store: UserStore, changes: dict[str, Any], field: str
) -> None:
    response = client.post("/users", json={**ADA, **changes})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [["body", field]]
    for error in errors:
        assert {"type", "loc", "msg"} <= error.keys(), error
        assert "input" not in error, error
    assert "hunter2" not in response.text
    assert "31415926535" not in response.text
    assert store.users == {}


@pytest.mark.task(7)
@pytest.mark.stretch
def test_every_validation_error_is_answered_not_only_the_first(
    client: TestClient, store: UserStore
) -> None:
    response = client.post("/users", json={**ADA, "email": "hunter2", "password": "hunter2"})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert sorted(error["loc"] for error in errors) == [["body", "email"], ["body", "password"]]
    for error in errors:
        assert {"type", "loc", "msg"} <= error.keys(), error
        assert "input" not in error, error
    assert "hunter2" not in response.text
    assert store.users == {}


@pytest.mark.task(7)
@pytest.mark.stretch
def test_a_validation_error_is_fastapis_own_minus_the_input(client: TestClient) -> None:
    response = client.post("/users", json={**ADA, "password": "hunter2"})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [
            {
                "type": "string_too_short",
                "loc": ["body", "password"],
                "msg": "String should have at least 8 characters",
                "ctx": {"min_length": 8},
            }
        ]
    }


@pytest.mark.task(7)
@pytest.mark.stretch
def test_a_path_error_keeps_its_shape_without_the_input(client: TestClient) -> None:
    response = client.get("/users/hunter2")
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["path", "user_id"]
    assert error["type"] == "int_parsing"
    assert "input" not in error, error


@pytest.mark.task(7)
@pytest.mark.stretch
def test_a_body_sent_as_text_is_422_without_echoing_it(
    client: TestClient, store: UserStore
) -> None:
    response = client.post(
        "/users", content=json.dumps(ADA), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422, response.text
    assert_not_shown(response, PASSWORD)
    assert store.users == {}


@pytest.mark.task(7)
@pytest.mark.stretch
def test_a_password_that_is_not_valid_unicode_is_422_not_500(
    client: TestClient, store: UserStore
) -> None:
    # "\ud800" is a lone surrogate: valid JSON, but no UTF-8 encoder can write it back out.
    body = json.dumps({**ADA, "password": "\ud800" + PASSWORD})
    response = client.post("/users", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "password"]]
    assert_not_shown(response, PASSWORD)
    assert store.users == {}


@pytest.mark.task(7)
@pytest.mark.stretch
@settings(ONE_APP, max_examples=25)
# Every password ends in "~", which no answer of this API contains unless it echoes a password:
# a match is a leak, never a coincidence with the rest of the body.
@given(password=st.text(max_size=70).map(lambda text: text + "~"))
def test_no_answer_ever_shows_a_password_or_its_hash(
    client: TestClient, store: UserStore, usernames: Iterator[str], password: str
) -> None:
    username = next(usernames)
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    created = client.post("/users", json=body)
    if not 8 <= len(password) <= 64:
        assert created.status_code == 422, created.text
        assert_not_shown(created, password)
        return
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    stored_hash = store.users[user_id].password_hash
    answers = [
        created,
        client.get("/users"),
        client.get(f"/users/{user_id}"),
        client.get("/users/me", auth=(username, password)),
        client.get("/users/me", auth=(username, password + "!")),
        client.post("/users", json=body),
        client.delete(f"/users/{user_id}"),
    ]
    for answer in answers:
        assert_not_shown(answer, password, stored_hash)
