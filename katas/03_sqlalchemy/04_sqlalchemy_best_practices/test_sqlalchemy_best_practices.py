"""Tests for kata 3.4: the engine, indexes, no N+1, bound parameters, 409s, bulk inserts.

Every database test runs on SQLite and, when KATAS_POSTGRES_URL is set, on PostgreSQL.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy_best_practices import (
    Base,
    DuplicateEmailError,
    InvalidBatchError,
    Post,
    User,
    UserIn,
    UserRepository,
    create_app,
    make_engine,
)

from grader.testing import count_statements, just_before

FIXTURE_EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def names_in_database(engine: Engine) -> list[str]:
    """The users' names that another session sees (committed rows only), in id order."""
    with Session(engine) as other:
        return list(other.scalars(select(User.name).order_by(User.id)))


def add_users_with_posts(engine: Engine, posts_per_user: list[int]) -> None:
    """Commits `user 00`, `user 01`, ... with that many posts each (`post 0.0`, `post 0.1`...)."""
    with Session(engine) as other:
        for n, count in enumerate(posts_per_user):
            user = User(name=f"user {n:02d}", email=f"user{n}@example.com")
            user.posts = [Post(title=f"post {n}.{p}") for p in range(count)]
            other.add(user)
        other.commit()


def user_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    """Valid rows for `add_many`: `user <n>` / `user<n>@example.com`."""
    return [
        {"name": f"user {n}", "email": f"user{n}@example.com"} for n in range(start, start + count)
    ]


def substrings(text: str) -> st.SearchStrategy[str]:
    """Non-empty substrings of `text`."""
    return st.integers(0, len(text) - 1).flatmap(
        lambda start: st.integers(start + 1, len(text)).map(lambda end: text[start:end])
    )


# --- Task 1: an engine that keeps its promises on both databases ---------------------------


@pytest.mark.task(1)
def test_make_engine_connects_to_the_url_it_is_given(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert engine.url.render_as_string(hide_password=False) == database_url
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.task(1)
def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Post(user_id=999, title="An orphan"))
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.task(1)
def test_a_released_savepoint_is_still_undone_by_the_outer_rollback(
    engine: Engine, session: Session
) -> None:
    with session.begin_nested():
        session.add(User(name="Ann", email="ann@example.com"))
    session.rollback()
    assert names_in_database(engine) == []


# --- Task 2: the indexes and constraints the queries need -----------------------------------


@pytest.mark.task(2)
def test_posts_user_id_is_indexed(engine: Engine) -> None:
    indexes = inspect(engine).get_indexes("posts")
    assert any(index["column_names"][:1] == ["user_id"] for index in indexes), indexes


@pytest.mark.task(2)
def test_users_email_is_unique_in_the_schema(engine: Engine) -> None:
    inspector = inspect(engine)
    unique = [c["column_names"] for c in inspector.get_unique_constraints("users")]
    unique += [i["column_names"] for i in inspector.get_indexes("users") if i["unique"]]
    assert ["email"] in unique, unique


@pytest.mark.task(2)
def test_the_database_refuses_two_users_with_the_same_email(session: Session) -> None:
    session.add(User(name="Ann", email="ann@example.com"))
    session.flush()
    session.add(User(name="Another Ann", email="ann@example.com"))
    with pytest.raises(IntegrityError):
        session.flush()


# --- Task 3: users with their posts, without an N+1 -----------------------------------------


@pytest.mark.task(3)
def test_list_with_posts_returns_users_and_their_posts_in_id_order(
    engine: Engine, session: Session
) -> None:
    add_users_with_posts(engine, [2, 0, 3])
    # Rewrite every user, newest first: PostgreSQL then stores the rows out of id order, so
    # only an ORDER BY returns them by id. (SQLite keeps its rows in id order.)
    with engine.begin() as connection:
        for user_id in sorted(connection.scalars(select(User.id)), reverse=True):
            connection.execute(update(User).where(User.id == user_id).values(id=User.id))
    users = UserRepository(session).list_with_posts()
    assert [(user.name, [post.title for post in user.posts]) for user in users] == [
        ("user 00", ["post 0.0", "post 0.1"]),
        ("user 01", []),
        ("user 02", ["post 2.0", "post 2.1", "post 2.2"]),
    ]


@pytest.mark.task(3)
def test_list_with_posts_of_an_empty_database_is_empty(session: Session) -> None:
    assert UserRepository(session).list_with_posts() == []


@pytest.mark.task(3)
def test_listing_50_users_with_their_posts_takes_at_most_two_queries(
    engine: Engine, session: Session
) -> None:
    add_users_with_posts(engine, [3] * 50)
    session.connection()  # BEGIN now: the transaction's start is not what is counted
    with count_statements(engine) as statements:
        users = UserRepository(session).list_with_posts()
        titles = [post.title for user in users for post in user.posts]
    assert len(users) == 50
    assert len(titles) == 150
    assert len(statements) <= 2, f"{len(statements)} queries:\n" + "\n".join(statements[:4])


@pytest.mark.task(3)
def test_posts_are_loaded_with_the_users_and_readable_after_the_session_closes(
    engine: Engine,
) -> None:
    add_users_with_posts(engine, [1, 2])
    with Session(engine) as short_lived:
        users = UserRepository(short_lived).list_with_posts()
    # Detached now: a collection that was not loaded would raise DetachedInstanceError.
    assert [[post.title for post in user.posts] for user in users] == [
        ["post 0.0"],
        ["post 1.0", "post 1.1"],
    ]


# --- Task 4: search with bound parameters ---------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("alice", ["alice", "Alice Smith", "ALICE"], id="ignores-ascii-case"),
        pytest.param("LICE S", ["Alice Smith"], id="upper-case-term"),
        pytest.param("%", ["100% pure"], id="percent-is-literal"),
        pytest.param("%%", [], id="two-percents-match-nothing"),
        pytest.param("_", ["a_b", "under__score"], id="underscore-is-literal"),
        pytest.param("a_b", ["a_b"], id="underscore-is-not-any-character"),
        pytest.param("'", ["O'Brien", "' OR 1=1 --", "x'); DROP TABLE users; --"], id="quote"),
        pytest.param("' OR 1=1 --", ["' OR 1=1 --"], id="or-1-equals-1"),
        pytest.param('"', ['say "hi"'], id="double-quote"),
        pytest.param("\\", ["back\\slash"], id="backslash"),
        pytest.param("/", ["slash/path"], id="slash"),
        pytest.param("zzz", [], id="no-match"),
    ],
)
def test_search_treats_the_term_as_plain_text(
    session: Session, awkward_names: list[str], term: str, expected: list[str]
) -> None:
    assert [user.name for user in UserRepository(session).search(term)] == expected


@pytest.mark.task(4)
def test_sql_in_a_search_term_is_never_run(
    engine: Engine, session: Session, awkward_names: list[str]
) -> None:
    found = UserRepository(session).search("x'); DROP TABLE users; --")
    assert [user.name for user in found] == ["x'); DROP TABLE users; --"]
    assert names_in_database(engine) == awkward_names


@pytest.mark.task(4)
@FIXTURE_EXAMPLES
@given(data=st.data())
def test_search_finds_exactly_the_names_that_contain_the_term(
    session: Session, awkward_names: list[str], data: st.DataObject
) -> None:
    names = awkward_names
    ascii_text = st.text(st.characters(codec="ascii", exclude_characters="\x00"), min_size=1)
    term = data.draw(st.one_of(ascii_text, st.sampled_from(names).flatmap(substrings)))
    found = UserRepository(session).search(term)
    assert [user.name for user in found] == [n for n in names if term.lower() in n.lower()]


@pytest.mark.task(4)
@FIXTURE_EXAMPLES
@given(
    name=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=100)
)
def test_any_name_is_stored_verbatim_and_found_by_itself(session: Session, name: str) -> None:
    session.add(User(name=name, email="someone@example.com"))
    session.flush()
    session.expire_all()  # read the name back from the database, not from memory
    try:
        assert [user.name for user in UserRepository(session).search(name)] == [name]
    finally:
        session.rollback()


@pytest.mark.task(4)
def test_an_empty_search_term_is_refused_before_any_query(engine: Engine, session: Session) -> None:
    with count_statements(engine) as statements, pytest.raises(ValueError):
        UserRepository(session).search("")
    assert statements == []


@pytest.mark.task(4)
def test_get_users_searches_by_name(client: TestClient, awkward_names: list[str]) -> None:
    response = client.get("/users", params={"name": "%"})
    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 5, "name": "100% pure", "email": "awkward4@example.com"}]


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "params", [pytest.param({}, id="missing"), pytest.param({"name": ""}, id="empty")]
)
def test_get_users_without_a_name_is_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/users", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "name"]


# --- Task 5: a taken email is a domain error and a 409 --------------------------------------


@pytest.mark.task(5)
def test_add_flushes_the_user_and_leaves_the_commit_to_the_caller(
    engine: Engine, session: Session
) -> None:
    user = UserRepository(session).add(UserIn(name="Ann", email="ann@example.com"))
    assert isinstance(user.id, int)
    assert (user.name, user.email) == ("Ann", "ann@example.com")
    assert names_in_database(engine) == []
    session.commit()
    assert names_in_database(engine) == ["Ann"]


@pytest.mark.task(5)
def test_a_taken_email_raises_duplicate_email_error(session: Session) -> None:
    repository = UserRepository(session)
    repository.add(UserIn(name="Ann", email="ann@example.com"))
    with pytest.raises(DuplicateEmailError) as raised:
        repository.add(UserIn(name="Another Ann", email="ann@example.com"))
    assert str(raised.value) == "A user with email ann@example.com already exists"


@pytest.mark.task(5)
def test_a_failed_add_keeps_earlier_work_and_the_session_usable(
    engine: Engine, session: Session
) -> None:
    repository = UserRepository(session)
    repository.add(UserIn(name="Ann", email="ann@example.com"))  # flushed, not committed
    with pytest.raises(DuplicateEmailError):
        repository.add(UserIn(name="Another Ann", email="ann@example.com"))
    repository.add(UserIn(name="Bob", email="bob@example.com"))
    session.commit()
    assert names_in_database(engine) == ["Ann", "Bob"]


@pytest.mark.task(5)
def test_post_users_creates_a_user(engine: Engine, client: TestClient) -> None:
    response = client.post("/users", json={"name": "Ann", "email": "ann@example.com"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "name": "Ann", "email": "ann@example.com"}
    assert isinstance(body["id"], int)
    short = client.post("/users", json={"name": "A", "email": "a@example.com"})
    assert short.status_code == 201, short.text
    assert names_in_database(engine) == ["Ann", "A"]


@pytest.mark.task(5)
def test_post_a_taken_email_is_409_with_a_clear_body(engine: Engine, client: TestClient) -> None:
    first = client.post("/users", json={"name": "Ann", "email": "ann@example.com"})
    assert first.status_code == 201, first.text
    again = client.post("/users", json={"name": "Another Ann", "email": "ann@example.com"})
    assert again.status_code == 409, again.text
    assert again.json() == {"detail": "A user with email ann@example.com already exists"}
    after = client.post("/users", json={"name": "Bob", "email": "bob@example.com"})
    assert after.status_code == 201, after.text
    assert names_in_database(engine) == ["Ann", "Bob"]


@pytest.mark.task(5)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "Ann"}, id="missing-email"),
        pytest.param({"name": "Ann", "email": "not-an-email"}, id="bad-email"),
        pytest.param({"name": "", "email": "ann@example.com"}, id="empty-name"),
        pytest.param({"name": "x" * 101, "email": "ann@example.com"}, id="name-too-long"),
        pytest.param({"name": "A\x00nn", "email": "ann@example.com"}, id="nul-in-name"),
        pytest.param({"name": "Ann", "email": "a@b.io", "admin": True}, id="unknown-field"),
    ],
)
def test_post_an_invalid_user_is_422_and_writes_nothing(
    engine: Engine, client: TestClient, body: dict[str, Any]
) -> None:
    response = client.post("/users", json=body)
    assert response.status_code == 422, response.text
    assert names_in_database(engine) == []


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """Your `make_engine` on a PostgreSQL database of the test's own, with the tables."""
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@contextmanager
def email_committed_just_before_the_insert(engine: Engine, email: str) -> Iterator[list[str]]:
    """Inside the block, just before the first INSERT into `users` that `engine` sends, another
    connection commits a user with `email`: two sign-ups racing, made certain. Whatever your
    code checked before that INSERT, the email is now taken."""
    racer = create_engine(engine.url)

    def commit_the_same_email_first() -> None:
        with racer.begin() as other:
            other.execute(insert(User).values(name="Racer", email=email))

    try:
        with just_before(engine, ("INSERT INTO USERS",), commit_the_same_email_first) as fired:
            yield fired
    finally:
        racer.dispose()


# On SQLite a transaction that has read holds a lock that keeps any other writer from committing
# until it ends: the race cannot happen there, so these two run on PostgreSQL only.
@pytest.mark.postgres
@pytest.mark.task(5)
def test_an_email_taken_between_a_check_and_the_insert_is_still_a_duplicate(
    postgres_engine: Engine,
) -> None:
    with Session(postgres_engine) as session:
        repository = UserRepository(session)
        repository.add(UserIn(name="Ann", email="ann@example.com"))  # the caller's earlier work
        with (
            email_committed_just_before_the_insert(postgres_engine, "bob@example.com") as fired,
            pytest.raises(DuplicateEmailError) as raised,
        ):
            repository.add(UserIn(name="Bob", email="bob@example.com"))
        assert fired, "no INSERT into users was sent"
        assert str(raised.value) == "A user with email bob@example.com already exists"
        repository.add(UserIn(name="Cy", email="cy@example.com"))  # the session still works
        session.commit()
    assert sorted(names_in_database(postgres_engine)) == ["Ann", "Cy", "Racer"]


@pytest.mark.postgres
@pytest.mark.task(5)
def test_post_an_email_taken_by_a_racing_request_is_409(postgres_engine: Engine) -> None:
    with (
        TestClient(create_app(postgres_engine)) as client,
        email_committed_just_before_the_insert(postgres_engine, "ann@example.com") as fired,
    ):
        response = client.post("/users", json={"name": "Ann", "email": "ann@example.com"})
    assert fired, "no INSERT into users was sent"
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "A user with email ann@example.com already exists"}
    assert names_in_database(postgres_engine) == ["Racer"]


# --- Task 6: bulk inserts, all or nothing ---------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
def test_add_many_inserts_every_row_and_returns_the_count(engine: Engine, session: Session) -> None:
    assert UserRepository(session).add_many(user_rows(3)) == 3
    session.commit()
    assert names_in_database(engine) == ["user 0", "user 1", "user 2"]


@pytest.mark.task(6)
@pytest.mark.stretch
def test_add_many_of_no_rows_inserts_nothing(engine: Engine, session: Session) -> None:
    assert UserRepository(session).add_many([]) == 0
    session.commit()
    assert names_in_database(engine) == []


@pytest.mark.task(6)
@pytest.mark.stretch
def test_add_many_sends_far_fewer_statements_than_rows(engine: Engine, session: Session) -> None:
    session.connection()  # BEGIN now: the transaction's start is not what is counted
    with count_statements(engine) as statements:
        inserted = UserRepository(session).add_many(user_rows(200))
    assert inserted == 200
    assert len(statements) <= 5, f"{len(statements)} statements:\n" + "\n".join(statements[:4])
    session.commit()
    assert len(names_in_database(engine)) == 200


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param({"name": "Ann"}, id="missing-email"),
        pytest.param({"name": "Ann", "email": "not-an-email"}, id="bad-email"),
        pytest.param({"name": "", "email": "ann@example.com"}, id="empty-name"),
        pytest.param({"name": "x" * 101, "email": "ann@example.com"}, id="name-too-long"),
        pytest.param({"name": "A\x00nn", "email": "ann@example.com"}, id="nul-in-name"),
        pytest.param({"name": "Ann", "email": "a@b.io", "admin": True}, id="unknown-field"),
        pytest.param("Ann <ann@example.com>", id="not-a-mapping"),
        pytest.param({"name": "Again", "email": "user0@example.com"}, id="email-twice-in-batch"),
    ],
)
def test_a_bad_row_rejects_the_whole_batch_before_anything_is_sent(
    engine: Engine, session: Session, bad_row: Any
) -> None:
    batch = [*user_rows(2), bad_row, *user_rows(2, start=2)]
    session.connection()  # BEGIN now: the transaction's start is not what is counted
    with count_statements(engine) as statements, pytest.raises(InvalidBatchError) as raised:
        UserRepository(session).add_many(batch)
    assert raised.value.index == 2
    assert statements == []
    session.commit()  # a caller that commits anyway must find nothing half-written
    assert names_in_database(engine) == []


@pytest.mark.task(6)
@pytest.mark.stretch
def test_a_bad_first_row_is_reported_at_index_0(engine: Engine, session: Session) -> None:
    with pytest.raises(InvalidBatchError) as raised:
        UserRepository(session).add_many([{"name": "", "email": "a@b.io"}, *user_rows(2)])
    assert raised.value.index == 0
    session.commit()
    assert names_in_database(engine) == []


@pytest.mark.task(6)
@pytest.mark.stretch
def test_a_batch_with_a_taken_email_writes_none_of_its_rows(
    engine: Engine, session: Session
) -> None:
    session.add(User(name="Ann", email="ann@example.com"))
    session.commit()
    session.add(User(name="Pending", email="pending@example.com"))
    session.flush()  # earlier work of the caller, not committed yet
    repository = UserRepository(session)
    with pytest.raises(DuplicateEmailError):
        repository.add_many([*user_rows(2), {"name": "Ann again", "email": "ann@example.com"}])
    assert repository.add_many(user_rows(1, start=5)) == 1
    session.commit()
    assert names_in_database(engine) == ["Ann", "Pending", "user 5"]
