"""Tests for kata 3.1: typed models, an engine with foreign keys on, and CRUD with select().

Database tests take `database_url` (through the `engine`, `plain_engine` and `session` fixtures),
so each runs on SQLite and, when KATAS_POSTGRES_URL is set, on PostgreSQL too.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intro_to_sqlalchemy import (
    Base,
    EmailTaken,
    Post,
    User,
    UserNotFound,
    add_post,
    change_email,
    create_schema,
    create_user,
    delete_user,
    find_user_by_email,
    get_user,
    list_posts,
    list_users,
    make_engine,
)
from sqlalchemy import (
    Engine,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session

from grader.testing import just_before

MISSING_ID = 999_999
# The engine fixture is shared by the examples of a property test: each example empties the tables.
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def columns_of(engine: Engine, table: str) -> dict[str, tuple[type, int | None, bool]]:
    """column -> (generic type class, length, nullable), as the database reports them."""
    found = {}
    for column in inspect(engine).get_columns(table):
        generic = column["type"].as_generic()
        found[column["name"]] = (
            type(generic),
            getattr(generic, "length", None),
            column["nullable"],
        )
    return found


def count_rows(engine: Engine, model: type[Base]) -> int:
    """Rows of the model's table, read on a connection of its own: only committed rows count."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def fresh_user(engine: Engine, user_id: int) -> User | None:
    """The user as another session sees it (what was committed)."""
    with Session(engine) as other:
        user = other.get(User, user_id)
        if user is not None:
            other.expunge(user)  # keep its loaded attributes usable after the session closes
        return user


# --- task 1: the models -------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param(
            "users",
            {
                "id": (Integer, None, False),
                "email": (String, 255, False),
                "name": (String, 100, False),
            },
            id="users",
        ),
        pytest.param(
            "posts",
            {
                "id": (Integer, None, False),
                "title": (String, 200, False),
                "body": (Text, None, True),
                "author_id": (Integer, None, False),
            },
            id="posts",
        ),
    ],
)
def test_columns_have_their_types_lengths_and_nullability(
    plain_engine: Engine, table: str, expected: dict[str, tuple[type, int | None, bool]]
) -> None:
    inspector = inspect(plain_engine)
    assert sorted(inspector.get_table_names()) == ["posts", "users"]
    assert columns_of(plain_engine, table) == expected
    assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]


@pytest.mark.task(1)
def test_author_id_references_users_id_on_delete_cascade(plain_engine: Engine) -> None:
    foreign_keys = inspect(plain_engine).get_foreign_keys("posts")
    assert [
        (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
        for fk in foreign_keys
    ] == [(["author_id"], "users", ["id"])]
    assert foreign_keys[0]["options"].get("ondelete", "").upper() == "CASCADE"


@pytest.mark.task(1)
def test_email_is_unique(plain_engine: Engine) -> None:
    inspector = inspect(plain_engine)
    # `unique=True` gives a UNIQUE constraint; `Index(..., unique=True)` a unique index: either.
    unique_column_sets = [c["column_names"] for c in inspector.get_unique_constraints("users")]
    unique_column_sets += [i["column_names"] for i in inspector.get_indexes("users") if i["unique"]]
    assert ["email"] in unique_column_sets


@pytest.mark.task(1)
def test_author_id_is_indexed(plain_engine: Engine) -> None:
    indexes = inspect(plain_engine).get_indexes("posts")
    assert ["author_id"] in [index["column_names"] for index in indexes]


@pytest.mark.task(1)
def test_author_and_posts_mirror_each_other_in_python() -> None:
    user = User(email="ann@example.com", name="ann")
    post = Post(title="Hello", author=user)
    assert user.posts == [post]
    assert post.body is None
    second = Post(title="Again")
    user.posts.append(second)
    assert second.author is user


# --- task 2: the engine and the schema ----------------------------------------------------------


@pytest.mark.task(2)
def test_make_engine_connects_to_the_database_of_the_url(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert isinstance(engine, Engine)
        assert engine.dialect.name == make_url(database_url).get_backend_name()
        with engine.connect() as connection:
            assert connection.scalar(select(1)) == 1
    finally:
        engine.dispose()


@pytest.mark.task(2)
def test_make_engine_refuses_a_url_it_cannot_parse() -> None:
    with pytest.raises(ArgumentError):
        make_engine("not a database url")


@pytest.mark.task(2)
def test_create_schema_creates_the_tables_and_may_run_twice(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        create_schema(engine)
        assert sorted(inspect(engine).get_table_names()) == ["posts", "users"]
    finally:
        engine.dispose()


@pytest.mark.task(2)
def test_the_database_refuses_a_post_by_an_unknown_author(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(insert(Post).values(title="Orphan", author_id=MISSING_ID))
    assert count_rows(engine, Post) == 0


@pytest.mark.task(2)
def test_every_connection_of_the_engine_enforces_foreign_keys(engine: Engine) -> None:
    # Two connections checked out at once are two distinct database connections.
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            with pytest.raises(IntegrityError):
                connection.execute(insert(Post).values(title="Orphan", author_id=MISSING_ID))
            connection.rollback()
    engine.dispose()  # the pool forgets its connections: the next one is brand new
    with engine.connect() as third, pytest.raises(IntegrityError):
        third.execute(insert(Post).values(title="Orphan", author_id=MISSING_ID))
    assert count_rows(engine, Post) == 0


# --- task 3: create and read users --------------------------------------------------------------


@pytest.mark.task(3)
def test_create_user_returns_the_user_with_an_id_and_commits(
    engine: Engine, session: Session
) -> None:
    user = create_user(session, "ann@example.com", "Ann")
    assert isinstance(user, User)
    assert isinstance(user.id, int)
    assert (user.email, user.name) == ("ann@example.com", "Ann")
    committed = fresh_user(engine, user.id)
    assert committed is not None
    assert (committed.email, committed.name) == ("ann@example.com", "Ann")


@pytest.mark.task(3)
def test_get_user_returns_the_user_or_none(session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    bob = create_user(session, "bob@example.com", "Bob")
    assert get_user(session, ann.id) is ann
    found = get_user(session, bob.id)
    assert found is not None
    assert found.email == "bob@example.com"
    assert get_user(session, MISSING_ID) is None


@pytest.mark.task(3)
def test_find_user_by_email_matches_the_exact_email(session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    create_user(session, "bob@example.com", "Bob")
    assert find_user_by_email(session, "ann@example.com") is ann
    assert find_user_by_email(session, "ANN@example.com") is None
    assert find_user_by_email(session, "ann@example") is None
    assert find_user_by_email(session, "nobody@example.com") is None


@pytest.mark.task(3)
def test_list_users_is_empty_at_first(session: Session) -> None:
    assert list_users(session) == []


@pytest.mark.task(3)
def test_list_users_orders_by_name_then_by_id(engine: Engine, session: Session) -> None:
    for email, name in [
        ("c1@example.com", "carol"),
        ("a1@example.com", "ann"),
        ("b@example.com", "bob"),
        ("a2@example.com", "ann"),
        ("c2@example.com", "carol"),
    ]:
        create_user(session, email, name)
    # Rewrite every row, newest first: PostgreSQL stores the new row versions in that order, so a
    # sort on the name alone keeps the equal names newest first. (SQLite keeps rows in id order.)
    with engine.begin() as connection:
        for user_id in sorted(connection.scalars(select(User.id)), reverse=True):
            connection.execute(update(User).where(User.id == user_id).values(name=User.name))
    session.expire_all()
    users = list_users(session)
    assert [(user.name, user.email) for user in users] == [
        ("ann", "a1@example.com"),
        ("ann", "a2@example.com"),
        ("bob", "b@example.com"),
        ("carol", "c1@example.com"),
        ("carol", "c2@example.com"),
    ]
    assert [user.id for user in users[:2]] == sorted(user.id for user in users[:2])


@pytest.mark.task(3)
def test_a_taken_email_raises_email_taken_and_stores_nothing(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    with pytest.raises(EmailTaken) as raised:
        create_user(session, "ann@example.com", "Impostor")
    assert raised.value.email == "ann@example.com"
    assert not isinstance(raised.value, IntegrityError)
    assert count_rows(engine, User) == 1
    committed = fresh_user(engine, ann.id)
    assert committed is not None
    assert committed.name == "Ann"


@pytest.mark.task(3)
def test_the_session_is_usable_after_email_taken(engine: Engine, session: Session) -> None:
    create_user(session, "ann@example.com", "Ann")
    with pytest.raises(EmailTaken):
        create_user(session, "ann@example.com", "Impostor")
    bob = create_user(session, "bob@example.com", "Bob")
    assert [user.email for user in list_users(session)] == ["ann@example.com", "bob@example.com"]
    assert fresh_user(engine, bob.id) is not None


@contextmanager
def email_taken_just_before_the_write(
    engine: Engine, database_url: str, email: str
) -> Iterator[None]:
    """Inside the block, just before the first INSERT or UPDATE on `users` that `engine` sends,
    another connection commits a user with `email`: the race of two sign-ups at once, made
    certain. Whatever your code checked before that statement, the row is now taken."""
    racer = create_engine(database_url)

    def commit_the_same_email_first() -> None:
        with racer.begin() as other:
            other.execute(insert(User).values(email=email, name="Racer"))

    try:
        with just_before(
            engine, ("INSERT INTO USERS", "UPDATE USERS"), commit_the_same_email_first
        ) as fired:
            yield
    finally:
        racer.dispose()
    assert fired, "no INSERT or UPDATE on users was sent"


@pytest.mark.task(3)
def test_an_email_taken_between_a_check_and_the_insert_is_still_email_taken(
    engine: Engine, session: Session, database_url: str
) -> None:
    with (
        email_taken_just_before_the_write(engine, database_url, "ann@example.com"),
        pytest.raises(EmailTaken) as raised,
    ):
        create_user(session, "ann@example.com", "Ann")
    assert raised.value.email == "ann@example.com"
    with engine.connect() as connection:  # only the racer's row; nothing of ours half-written
        assert connection.execute(select(User.email, User.name)).all() == [
            ("ann@example.com", "Racer")
        ]
    bob = create_user(session, "bob@example.com", "Bob")  # the session is still usable
    assert fresh_user(engine, bob.id) is not None


USER_NAMES = st.sampled_from(["ann", "bob", "cy"])
USER_EMAILS = st.sampled_from(["a@example.com", "b@example.com", "c@example.com", "d@example.org"])


@pytest.mark.task(3)
@settings(max_examples=20, deadline=None, suppress_health_check=FIXTURES_OK)
@given(signups=st.lists(st.tuples(USER_EMAILS, USER_NAMES), max_size=8))
def test_signups_behave_like_a_dict_keyed_by_email(
    engine: Engine, signups: list[tuple[str, str]]
) -> None:
    with engine.begin() as connection:  # each example starts from empty tables
        connection.execute(delete(Post))
        connection.execute(delete(User))
    model: dict[str, tuple[str, int]] = {}  # email -> (name, signup order)
    with Session(engine) as session:
        for order, (email, name) in enumerate(signups):
            if email in model:
                with pytest.raises(EmailTaken):
                    create_user(session, email, name)
            else:
                create_user(session, email, name)
                model[email] = (name, order)
        expected = sorted(model.items(), key=lambda item: item[1])
        assert [(user.email, user.name) for user in list_users(session)] == [
            (email, name) for email, (name, _) in expected
        ]
    assert count_rows(engine, User) == len(model)


# Any text a column can hold (PostgreSQL refuses NUL in text), in lengths that fit the columns.
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


@pytest.mark.task(3)
@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    email=st.text(TEXT, min_size=1, max_size=255),
    name=st.text(TEXT, min_size=1, max_size=100),
)
def test_any_email_and_name_round_trip_unchanged(engine: Engine, email: str, name: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(User))
    with Session(engine) as session:
        user_id = create_user(session, email, name).id
    with Session(engine) as session:
        found = find_user_by_email(session, email)
        assert found is not None
        assert (found.id, found.email, found.name) == (user_id, email, name)


# --- task 4: posts ------------------------------------------------------------------------------


@pytest.mark.task(4)
def test_add_post_returns_the_post_with_its_author_and_commits(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    post = add_post(session, ann.id, "Hello", "First post.")
    assert isinstance(post, Post)
    assert isinstance(post.id, int)
    assert (post.title, post.body, post.author_id) == ("Hello", "First post.", ann.id)
    assert post.author is ann
    assert count_rows(engine, Post) == 1


@pytest.mark.task(4)
def test_the_body_of_a_post_is_optional(engine: Engine, session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    post = add_post(session, ann.id, "Title only")
    assert post.body is None
    with engine.connect() as connection:
        assert connection.scalar(select(Post.body).where(Post.id == post.id)) is None


@pytest.mark.task(4)
def test_list_posts_gives_only_that_users_posts_newest_first(session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    bob = create_user(session, "bob@example.com", "Bob")
    for title, author in [("a1", ann), ("b1", bob), ("a2", ann), ("a3", ann), ("b2", bob)]:
        add_post(session, author.id, title)
    assert [post.title for post in list_posts(session, ann.id)] == ["a3", "a2", "a1"]
    assert [post.title for post in list_posts(session, bob.id)] == ["b2", "b1"]


@pytest.mark.task(4)
def test_list_posts_of_a_user_without_posts_is_empty(session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    assert list_posts(session, ann.id) == []


@pytest.mark.task(4)
def test_user_posts_loads_the_posts_in_a_new_session(engine: Engine, session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    add_post(session, ann.id, "one")
    add_post(session, ann.id, "two")
    with Session(engine) as other:
        user = other.get(User, ann.id)
        assert user is not None
        assert sorted(post.title for post in user.posts) == ["one", "two"]
        assert all(post.author is user for post in user.posts)


@pytest.mark.task(4)
def test_add_post_for_a_missing_user_raises_user_not_found_and_stores_nothing(
    engine: Engine, session: Session
) -> None:
    with pytest.raises(UserNotFound) as raised:
        add_post(session, MISSING_ID, "Orphan")
    assert raised.value.user_id == MISSING_ID
    assert count_rows(engine, Post) == 0
    ann = create_user(session, "ann@example.com", "Ann")  # the session is still usable
    assert [post.title for post in list_posts(session, ann.id)] == []


@pytest.mark.task(4)
def test_list_posts_for_a_missing_user_raises_user_not_found(session: Session) -> None:
    with pytest.raises(UserNotFound):
        list_posts(session, MISSING_ID)


# --- task 5: change and delete ------------------------------------------------------------------


@pytest.mark.task(5)
def test_change_email_commits_the_new_email(engine: Engine, session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    changed = change_email(session, ann.id, "ann@example.org")
    assert changed.id == ann.id
    assert changed.email == "ann@example.org"
    committed = fresh_user(engine, ann.id)
    assert committed is not None
    assert committed.email == "ann@example.org"
    assert find_user_by_email(session, "ann@example.com") is None
    create_user(session, "ann@example.com", "New Ann")  # the old email is free again


@pytest.mark.task(5)
def test_change_email_to_a_taken_email_raises_and_keeps_the_old_one(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    create_user(session, "bob@example.com", "Bob")
    with pytest.raises(EmailTaken) as raised:
        change_email(session, ann.id, "bob@example.com")
    assert raised.value.email == "bob@example.com"
    committed = fresh_user(engine, ann.id)
    assert committed is not None
    assert committed.email == "ann@example.com"
    # The session is usable, and what it shows agrees with the database.
    assert [user.email for user in list_users(session)] == ["ann@example.com", "bob@example.com"]
    assert change_email(session, ann.id, "ann@example.net").email == "ann@example.net"


@pytest.mark.task(5)
def test_an_email_taken_just_before_the_change_is_still_email_taken(
    engine: Engine, session: Session, database_url: str
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    with (
        email_taken_just_before_the_write(engine, database_url, "cy@example.com"),
        pytest.raises(EmailTaken) as raised,
    ):
        change_email(session, ann.id, "cy@example.com")
    assert raised.value.email == "cy@example.com"
    committed = fresh_user(engine, ann.id)
    assert committed is not None
    assert committed.email == "ann@example.com"
    assert ann.email == "ann@example.com"  # the session agrees with the database


@pytest.mark.task(5)
def test_change_email_of_a_missing_user_raises_user_not_found(session: Session) -> None:
    with pytest.raises(UserNotFound) as raised:
        change_email(session, MISSING_ID, "ghost@example.com")
    assert raised.value.user_id == MISSING_ID


@pytest.mark.task(5)
def test_delete_user_deletes_the_user_and_only_their_posts(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    bob = create_user(session, "bob@example.com", "Bob")
    for title in ("a1", "a2"):
        add_post(session, ann.id, title)
    add_post(session, bob.id, "b1")
    ann_id = ann.id
    delete_user(session, ann_id)
    assert get_user(session, ann_id) is None
    assert fresh_user(engine, ann_id) is None
    with engine.connect() as connection:
        assert connection.scalars(select(Post.title)).all() == ["b1"]
    assert [user.email for user in list_users(session)] == ["bob@example.com"]


@pytest.mark.task(5)
def test_delete_user_also_deletes_posts_the_session_never_loaded(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    ann_id = ann.id
    with engine.begin() as connection:  # posts written by someone else: not in this session
        connection.execute(insert(Post), [{"title": t, "author_id": ann_id} for t in "xyz"])
    delete_user(session, ann_id)
    assert count_rows(engine, Post) == 0
    assert count_rows(engine, User) == 0


@pytest.mark.task(5)
def test_delete_a_missing_user_raises_user_not_found(engine: Engine, session: Session) -> None:
    create_user(session, "ann@example.com", "Ann")
    with pytest.raises(UserNotFound) as raised:
        delete_user(session, MISSING_ID)
    assert raised.value.user_id == MISSING_ID
    assert count_rows(engine, User) == 1


@pytest.mark.task(5)
def test_deleting_a_user_with_plain_sql_deletes_their_posts_too(
    engine: Engine, session: Session
) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    bob = create_user(session, "bob@example.com", "Bob")
    add_post(session, ann.id, "a1")
    add_post(session, bob.id, "b1")
    ann_id = ann.id
    session.close()
    # No ORM here: only the schema's ON DELETE CASCADE (and enforced foreign keys) can help.
    with engine.begin() as connection:
        connection.execute(delete(User).where(User.id == ann_id))
    with engine.connect() as connection:
        assert connection.scalars(select(Post.title)).all() == ["b1"]


@pytest.mark.task(5)
def test_a_post_removed_from_user_posts_is_deleted(engine: Engine, session: Session) -> None:
    ann = create_user(session, "ann@example.com", "Ann")
    add_post(session, ann.id, "keep")
    drop = add_post(session, ann.id, "drop")
    ann.posts.remove(drop)
    session.commit()
    with engine.connect() as connection:
        assert connection.scalars(select(Post.title)).all() == ["keep"]
