"""Tests for kata 4.4: sqladmin views for users and posts, behind an admin login."""

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
from typing import Any

import httpx2
import pytest
from admin_interface import Post, User
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

# The rows the `engine` fixture seeds (conftest.py): email -> (full name, password, is_admin),
# ids 1, 2, 3 in this order; posts 1 "Hello admin" by bob, 2 "Second thoughts" by carol.
USERS = {
    "alice@example.com": ("Alice Admin", "correct horse battery staple", True),
    "bob@example.org": ("Bob Builder", "bob-the-builder", False),
    "carol@example.net": ("Carol Jones", "carol-sings-loud", False),
}
ADMIN_EMAIL = "alice@example.com"
ADMIN_PASSWORD = USERS[ADMIN_EMAIL][1]

LOGIN_URL = "http://testserver/admin/login"
# Any argon2 hash starts with this; no admin page may carry one.
HASH_MARKER = "$argon2"


def log_in(client: TestClient, email: str, password: str) -> httpx2.Response:
    return client.post(
        "/admin/login", data={"username": email, "password": password}, follow_redirects=False
    )


def user_by_email(engine: Engine, email: str) -> User | None:
    with Session(engine) as session:
        return session.scalar(select(User).where(User.email == email))


def count_rows(engine: Engine, model: type[User] | type[Post]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def password_matches(stored: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(stored, password)
    except VerificationError:
        return False


def assert_locked_out(client: TestClient, path: str = "/admin/user/list") -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == LOGIN_URL


# Task 1: the admin is mounted and demands a login.


@pytest.mark.task(1)
def test_admin_root_leads_to_the_login_page(client: TestClient) -> None:
    response = client.get("/admin")
    assert response.status_code == 200, response.text
    assert str(response.url) == LOGIN_URL
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/admin/", id="index"),
        pytest.param("/admin/user/list", id="user-list"),
        pytest.param("/admin/user/details/1", id="user-details"),
        pytest.param("/admin/user/create", id="user-create"),
        pytest.param("/admin/user/edit/1", id="user-edit"),
        pytest.param("/admin/user/export/csv", id="user-export"),
        pytest.param("/admin/post/list", id="post-list"),
    ],
)
def test_every_admin_page_redirects_to_login_without_a_session(
    client: TestClient, path: str
) -> None:
    assert_locked_out(client, path)


@pytest.mark.task(1)
def test_a_form_post_without_a_session_creates_nothing(client: TestClient, engine: Engine) -> None:
    response = client.post(
        "/admin/user/create",
        data={"email": "intruder@example.com", "full_name": "X", "password": "p" * 12},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    assert response.headers["location"] == LOGIN_URL
    assert user_by_email(engine, "intruder@example.com") is None


@pytest.mark.task(1)
def test_a_forged_session_cookie_is_not_trusted(client: TestClient) -> None:
    # Starlette's session cookie is base64 JSON plus a signature; without the secret key the
    # signature cannot be made, so a hand-written cookie must be ignored.
    forged = base64.b64encode(json.dumps({"user_id": 1}).encode()).decode()
    response = client.get(
        "/admin/user/list",
        headers={"cookie": f"session={forged}.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    assert response.headers["location"] == LOGIN_URL


# Task 2: admins log in and out; the session is re-checked on every request.


@pytest.mark.task(2)
def test_an_admin_logs_in_and_reaches_the_index(client: TestClient) -> None:
    response = log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == "http://testserver/admin/"
    index = client.get("/admin/", follow_redirects=False)
    assert index.status_code == 200, index.text
    assert "<title>Katas admin</title>" in index.text


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param(ADMIN_EMAIL, "wrong password", id="wrong-password"),
        pytest.param(ADMIN_EMAIL, ADMIN_PASSWORD.upper(), id="password-case-matters"),
        pytest.param(ADMIN_EMAIL, "", id="empty-password"),
        pytest.param("nobody@example.com", ADMIN_PASSWORD, id="unknown-email"),
        pytest.param("bob@example.org", USERS["bob@example.org"][1], id="not-an-admin"),
    ],
)
def test_bad_credentials_are_refused_with_400_and_no_session(
    client: TestClient, email: str, password: str
) -> None:
    response = log_in(client, email, password)
    assert response.status_code == 400, response.text
    assert "Invalid credentials." in response.text
    assert_locked_out(client)


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="empty-form"),
        pytest.param({"username": ADMIN_EMAIL}, id="no-password"),
        pytest.param({"password": ADMIN_PASSWORD}, id="no-username"),
    ],
)
def test_an_incomplete_login_form_is_400_not_500(client: TestClient, data: dict[str, str]) -> None:
    response = client.post("/admin/login", data=data, follow_redirects=False)
    assert response.status_code == 400, response.text
    assert_locked_out(client)


@pytest.mark.task(2)
def test_unknown_email_and_wrong_password_look_the_same(client: TestClient) -> None:
    unknown = log_in(client, "nobody@example.com", "whatever-password")
    wrong = log_in(client, ADMIN_EMAIL, "whatever-password")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.text == wrong.text


@pytest.mark.task(2)
def test_a_stored_value_that_is_not_an_argon2_hash_is_refused_not_a_500(
    client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        legacy = "5f4dcc3b5aa765d61d8327deb882cf99"  # an unsalted MD5 imported from an old system
        session.add(
            User(email="old@example.com", full_name="Old", password_hash=legacy, is_admin=True)
        )
        session.commit()
    response = log_in(client, "old@example.com", "password")
    assert response.status_code == 400, response.text
    assert_locked_out(client)


def session_cookie_texts(client: TestClient) -> list[str]:
    """Each cookie's raw value and, where it has one, its decoded base64 payload."""
    texts = []
    for value in client.cookies.values():
        texts.append(value)
        payload = value.split(".", 1)[0]
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            texts.append(base64.b64decode(payload + "=" * (-len(payload) % 4)).decode())
    return texts


@pytest.mark.task(2)
def test_the_session_cookie_carries_no_password_and_no_hash(
    admin_client: TestClient, seed_hashes: dict[str, str]
) -> None:
    texts = session_cookie_texts(admin_client)
    assert texts, "logging in set no cookie"
    for text in texts:
        assert ADMIN_PASSWORD not in text
        assert seed_hashes[ADMIN_EMAIL] not in text
        assert HASH_MARKER not in text


@pytest.mark.task(2)
def test_the_session_holds_the_admins_id_and_nothing_else(client: TestClient) -> None:
    assert log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
    payloads = []
    for text in session_cookie_texts(client):
        with contextlib.suppress(ValueError):
            payloads.append(json.loads(text))
    assert payloads == [{"user_id": 1}]


@pytest.mark.task(2)
def test_logging_in_replaces_whatever_the_session_held(client: TestClient, secret_key: str) -> None:
    # A session signed with the app's key, as an earlier visit could have left it, holding more
    # than an id: after the login it holds the admin's id and nothing else.
    earlier = base64.b64encode(json.dumps({"user_id": 2, "theme": "dark"}).encode())
    signed = TimestampSigner(secret_key).sign(earlier).decode()
    response = client.post(
        "/admin/login",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"cookie": f"session={signed}"},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    payloads = []
    for text in session_cookie_texts(client):
        with contextlib.suppress(ValueError):
            payloads.append(json.loads(text))
    assert payloads == [{"user_id": 1}]


def on_the_event_loop() -> bool:
    """Whether the calling thread is running an event loop (TestClient's portal thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.mark.task(2)
def test_login_and_the_session_check_keep_blocking_work_off_the_event_loop(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every SQL statement and every argon2 verification records whether it ran on the loop.
    blocked: list[str] = []
    original_verify = PasswordHasher.verify

    def watched_verify(self: PasswordHasher, *args: Any, **kwargs: Any) -> bool:
        if on_the_event_loop():
            blocked.append("password_hasher.verify")
        return original_verify(self, *args, **kwargs)

    def watch_statement(*args: Any) -> None:
        if on_the_event_loop():
            blocked.append(str(args[2]))  # the SQL of the statement

    monkeypatch.setattr(PasswordHasher, "verify", watched_verify)
    event.listen(engine, "before_cursor_execute", watch_statement)
    try:
        assert log_in(client, ADMIN_EMAIL, "wrong password").status_code == 400
        assert log_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
        assert client.get("/admin/user/list").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", watch_statement)
    assert blocked == [], "run the query and verify with run_in_threadpool"


@pytest.mark.task(2)
def test_logout_ends_the_session(admin_client: TestClient) -> None:
    assert admin_client.get("/admin/user/list").status_code == 200
    response = admin_client.get("/admin/logout", follow_redirects=False)
    assert response.status_code == 302, response.text
    assert_locked_out(admin_client)


@pytest.mark.task(2)
def test_a_demoted_admin_is_locked_out_on_the_next_request(
    admin_client: TestClient, engine: Engine
) -> None:
    assert admin_client.get("/admin/user/list").status_code == 200
    with Session(engine) as session:
        session.get_one(User, 1).is_admin = False
        session.commit()
    assert_locked_out(admin_client)


@pytest.mark.task(2)
def test_a_deleted_admin_is_locked_out_on_the_next_request(
    admin_client: TestClient, engine: Engine
) -> None:
    assert admin_client.get("/admin/user/list").status_code == 200
    with Session(engine) as session:
        session.delete(session.get_one(User, 1))
        session.commit()
    assert_locked_out(admin_client)


# Task 3: a user view with search, that never shows the password hash.


@pytest.mark.task(3)
def test_the_user_list_shows_every_user(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/user/list")
    assert response.status_code == 200, response.text
    for email, (full_name, _, _) in USERS.items():
        assert email in response.text
        assert full_name in response.text


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("term", "found"),
    [
        pytest.param("example.net", {"carol@example.net"}, id="by-email"),
        pytest.param("Builder", {"bob@example.org"}, id="by-full-name"),
        pytest.param("ALICE", {"alice@example.com"}, id="case-insensitive"),
        pytest.param("example", set(USERS), id="several"),
        pytest.param("nobody-matches-this", set(), id="no-match"),
    ],
)
def test_search_filters_users_by_email_and_full_name(
    admin_client: TestClient, term: str, found: set[str]
) -> None:
    response = admin_client.get("/admin/user/list", params={"search": term})
    assert response.status_code == 200, response.text
    shown = {email for email in USERS if email in response.text}
    assert shown == found


@pytest.mark.task(3)
def test_the_details_page_shows_the_user(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/user/details/2")
    assert response.status_code == 200, response.text
    assert "bob@example.org" in response.text
    assert "Bob Builder" in response.text


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/admin/", id="index"),
        pytest.param("/admin/user/list", id="list"),
        pytest.param("/admin/user/list?search=example", id="search"),
        pytest.param("/admin/user/details/1", id="details-admin"),
        pytest.param("/admin/user/details/2", id="details-user"),
        pytest.param("/admin/user/edit/2", id="edit-form"),
        pytest.param("/admin/user/create", id="create-form"),
        pytest.param("/admin/user/export/csv", id="export-csv"),
        pytest.param("/admin/user/export/json", id="export-json"),
    ],
)
def test_no_user_page_ever_shows_a_password_hash(
    admin_client: TestClient, seed_hashes: dict[str, str], path: str
) -> None:
    response = admin_client.get(path)
    assert response.status_code == 200, response.text
    assert HASH_MARKER not in response.text
    for stored in seed_hashes.values():
        assert stored not in response.text


@pytest.mark.task(3)
def test_the_user_forms_have_no_hash_field(admin_client: TestClient) -> None:
    for path in ("/admin/user/create", "/admin/user/edit/2"):
        response = admin_client.get(path)
        assert response.status_code == 200, response.text
        assert 'name="password_hash"' not in response.text


# Task 4: posts, with their author.


@pytest.mark.task(4)
def test_the_post_list_shows_titles_and_authors(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/post/list")
    assert response.status_code == 200, response.text
    for text in ("Hello admin", "bob@example.org", "Second thoughts", "carol@example.net"):
        assert text in response.text


@pytest.mark.task(4)
def test_search_filters_posts_by_title(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/post/list", params={"search": "thoughts"})
    assert response.status_code == 200, response.text
    assert "Second thoughts" in response.text
    assert "Hello admin" not in response.text


@pytest.mark.task(4)
def test_a_post_created_through_the_form_is_stored_with_its_author(
    admin_client: TestClient, engine: Engine
) -> None:
    response = admin_client.post(
        "/admin/post/create",
        data={"title": "Fresh", "body": "Written in the admin.", "author": "3", "save": "Save"},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    with Session(engine) as session:
        post = session.scalar(select(Post).where(Post.title == "Fresh"))
        assert post is not None
        assert post.body == "Written in the admin."
        assert post.author.email == "carol@example.net"


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"body": "No title.", "author": "3"}, id="no-title"),
        pytest.param({"title": "Orphan", "body": "No author."}, id="no-author"),
        pytest.param({"title": "Ghost", "author": "99"}, id="unknown-author"),
    ],
)
def test_an_invalid_post_is_400_and_nothing_is_stored(
    admin_client: TestClient, engine: Engine, fields: dict[str, str]
) -> None:
    response = admin_client.post(
        "/admin/post/create", data={**fields, "save": "Save"}, follow_redirects=False
    )
    assert response.status_code == 400, response.text
    assert count_rows(engine, Post) == 2


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/admin/post/list", id="list"),
        pytest.param("/admin/post/details/1", id="details"),
        pytest.param("/admin/post/edit/1", id="edit-form"),
        pytest.param("/admin/post/create", id="create-form"),
        pytest.param("/admin/post/export/csv", id="export-csv"),
    ],
)
def test_no_post_page_shows_a_password_hash(
    admin_client: TestClient, seed_hashes: dict[str, str], path: str
) -> None:
    response = admin_client.get(path)
    assert response.status_code == 200, response.text
    assert HASH_MARKER not in response.text
    for stored in seed_hashes.values():
        assert stored not in response.text


# Task 5 (stretch): users created and edited through the form, the password hashed on the way in.

EMAILS = itertools.count()
NEW_USER = {"email": "dave@example.com", "full_name": "Dave Dev", "password": "dave's passphrase"}


def create_user(client: TestClient, **fields: str) -> httpx2.Response:
    return client.post(
        "/admin/user/create", data={**fields, "save": "Save"}, follow_redirects=False
    )


def edit_user(client: TestClient, user_id: int, **fields: str) -> httpx2.Response:
    return client.post(
        f"/admin/user/edit/{user_id}", data={**fields, "save": "Save"}, follow_redirects=False
    )


@pytest.mark.task(5)
@pytest.mark.stretch
def test_the_create_form_asks_for_a_password(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/user/create")
    assert response.status_code == 200, response.text
    assert 'name="password"' in response.text
    assert 'type="password"' in response.text


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_user_created_through_the_form_is_stored_with_an_argon2_hash(
    admin_client: TestClient, engine: Engine
) -> None:
    response = create_user(admin_client, **NEW_USER)
    assert response.status_code == 302, response.text
    user = user_by_email(engine, NEW_USER["email"])
    assert user is not None
    assert user.full_name == "Dave Dev"
    assert user.is_admin is False
    assert user.password_hash != NEW_USER["password"]
    assert user.password_hash.startswith("$argon2id$")
    assert password_matches(user.password_hash, NEW_USER["password"])


@pytest.mark.task(5)
@pytest.mark.stretch
def test_an_admin_created_through_the_form_can_log_in(
    admin_client: TestClient, engine: Engine
) -> None:
    response = create_user(admin_client, **NEW_USER, is_admin="y")
    assert response.status_code == 302, response.text
    admin_client.get("/admin/logout")
    assert log_in(admin_client, NEW_USER["email"], NEW_USER["password"]).status_code == 302
    assert admin_client.get("/admin/user/list").status_code == 200


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"email": "dave@example.com", "full_name": "Dave"}, id="no-password"),
        pytest.param({**NEW_USER, "password": ""}, id="empty-password"),
        pytest.param({**NEW_USER, "password": "1234567"}, id="password-too-short"),
        pytest.param({"full_name": "Dave", "password": "long enough"}, id="no-email"),
        pytest.param({"email": "dave@example.com", "password": "long enough"}, id="no-name"),
    ],
)
def test_an_invalid_new_user_is_400_and_nothing_is_stored(
    admin_client: TestClient, engine: Engine, fields: dict[str, str]
) -> None:
    response = create_user(admin_client, **fields)
    assert response.status_code == 400, response.text
    assert HASH_MARKER not in response.text
    assert count_rows(engine, User) == len(USERS)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_taken_email_is_400_with_a_message_and_no_hash_on_the_page(
    admin_client: TestClient, engine: Engine
) -> None:
    response = create_user(admin_client, **{**NEW_USER, "email": "bob@example.org"})
    assert response.status_code == 400, response.text
    assert "A user with this email already exists." in response.text
    assert HASH_MARKER not in response.text
    assert count_rows(engine, User) == len(USERS)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_editing_with_an_empty_password_keeps_the_old_one(
    admin_client: TestClient, engine: Engine
) -> None:
    response = edit_user(
        admin_client, 1, email=ADMIN_EMAIL, full_name="Alice Renamed", is_admin="y", password=""
    )
    assert response.status_code == 302, response.text
    user = user_by_email(engine, ADMIN_EMAIL)
    assert user is not None
    assert user.full_name == "Alice Renamed"
    assert password_matches(user.password_hash, ADMIN_PASSWORD)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_editing_with_a_new_password_replaces_the_hash(
    admin_client: TestClient, engine: Engine
) -> None:
    response = edit_user(
        admin_client, 2, email="bob@example.org", full_name="Bob Builder", password="new secret!"
    )
    assert response.status_code == 302, response.text
    user = user_by_email(engine, "bob@example.org")
    assert user is not None
    assert password_matches(user.password_hash, "new secret!")
    assert not password_matches(user.password_hash, USERS["bob@example.org"][1])


@pytest.mark.task(5)
@pytest.mark.stretch
def test_editing_with_a_short_password_is_400_and_keeps_the_hash(
    admin_client: TestClient, engine: Engine, seed_hashes: dict[str, str]
) -> None:
    response = edit_user(
        admin_client, 2, email="bob@example.org", full_name="Bob Builder", password="short"
    )
    assert response.status_code == 400, response.text
    user = user_by_email(engine, "bob@example.org")
    assert user is not None
    assert user.password_hash == seed_hashes["bob@example.org"]


@pytest.mark.task(5)
@pytest.mark.stretch
def test_editing_to_a_taken_email_is_400_and_leaks_no_hash(
    admin_client: TestClient, engine: Engine
) -> None:
    response = edit_user(
        admin_client, 2, email="carol@example.net", full_name="Bob", password="a new password"
    )
    assert response.status_code == 400, response.text
    assert "A user with this email already exists." in response.text
    assert HASH_MARKER not in response.text
    bob = user_by_email(engine, "bob@example.org")
    assert bob is not None
    assert bob.full_name == "Bob Builder"
    assert password_matches(bob.password_hash, USERS["bob@example.org"][1])


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "password",
    [
        pytest.param("12345678", id="exactly-eight"),
        pytest.param(" " * 8, id="only-spaces"),
        pytest.param("pässwörd", id="non-ascii"),
        pytest.param("x" * 200, id="long"),
    ],
)
def test_edge_case_passwords_are_accepted_and_hashed(
    admin_client: TestClient, engine: Engine, password: str
) -> None:
    response = create_user(admin_client, **{**NEW_USER, "password": password})
    assert response.status_code == 302, response.text
    user = user_by_email(engine, NEW_USER["email"])
    assert user is not None
    assert password_matches(user.password_hash, password)


@pytest.mark.task(5)
@pytest.mark.stretch
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(password=st.text(min_size=8, max_size=40))
def test_any_password_of_eight_or_more_characters_round_trips(
    admin_client: TestClient, engine: Engine, password: str
) -> None:
    # One app for all examples: each example creates a user of its own.
    email = f"user{next(EMAILS)}@example.com"
    response = create_user(admin_client, email=email, full_name="Any", password=password)
    assert response.status_code == 302, response.text
    user = user_by_email(engine, email)
    assert user is not None
    assert user.password_hash != password
    assert password_matches(user.password_hash, password)
