"""Tests for kata 3.6: a declarative Base with conventions every model inherits.

Every database test runs on SQLite and, when KATAS_POSTGRES_URL is set, on PostgreSQL.
"""

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from declarative_base import Author, BlogPost, HTTPLog, UTCDateTime, table_name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, Engine, String, Table, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, aliased, selectinload, sessionmaker

FIXTURE_EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KATHMANDU = timezone(timedelta(hours=5, minutes=45))
TABLES = ["author", "blog_post", "http_log"]


def now() -> datetime:
    """The test's clock: the same one the README asks your timestamps to read."""
    return datetime.now(UTC)


def is_utc(value: datetime | None) -> bool:
    """A datetime, aware, with a zero offset."""
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


def add_posts_deleting_one(
    session_factory: sessionmaker[Session], *titles: str, deleted: str
) -> tuple[int, int]:
    """Commits `Ann` with posts of these titles, then soft-deletes the post titled `deleted`.

    Returns the author's id and the deleted post's id.
    """
    with session_factory() as session:
        author = Author(name="Ann", email="ann@example.com")
        author.posts = [BlogPost(title=title) for title in titles]
        session.add(author)
        session.commit()
        post = next(post for post in author.posts if post.title == deleted)
        post.soft_delete()
        session.commit()
        return author.id, post.id


# --- Task 1: table names from class names ---------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        pytest.param("Author", "author", id="one-word"),
        pytest.param("BlogPost", "blog_post", id="two-words"),
        pytest.param("HTTPLog", "http_log", id="acronym-first"),
        pytest.param("UserAPIKey", "user_api_key", id="acronym-inside"),
        pytest.param("ExportCSV", "export_csv", id="acronym-last"),
        pytest.param("URL", "url", id="acronym-only"),
        pytest.param("S3Bucket", "s3_bucket", id="digit-stays-with-its-word"),
        pytest.param("HTTP2Log", "http2_log", id="digit-after-acronym"),
        pytest.param("OrderV2", "order_v2", id="digit-at-the-end"),
        pytest.param("ABTest", "ab_test", id="short-acronym"),
        pytest.param("blogPost", "blog_post", id="lower-first-letter"),
    ],
)
def test_table_name_is_snake_case_with_acronyms_kept_whole(class_name: str, expected: str) -> None:
    assert table_name(class_name) == expected


CAPITALISED_WORDS = st.from_regex(r"[A-Z][a-z]{1,6}[0-9]{0,2}", fullmatch=True)
ACRONYMS = st.from_regex(r"[A-Z]{2,4}", fullmatch=True)


@st.composite
def class_names(draw: st.DrawFn) -> list[str]:
    """Words of a CamelCase name: capitalised words and acronyms, never two acronyms in a row
    (`HTTPAPI` has no single right answer)."""
    words = [draw(st.one_of(CAPITALISED_WORDS, ACRONYMS))]
    for _ in range(draw(st.integers(0, 3))):
        word = draw(
            CAPITALISED_WORDS if words[-1].isupper() else st.one_of(CAPITALISED_WORDS, ACRONYMS)
        )
        words.append(word)
    return words


@pytest.mark.task(1)
@settings(max_examples=50, deadline=None)
@given(words=class_names())
def test_table_name_joins_the_words_of_any_class_name(words: list[str]) -> None:
    assert table_name("".join(words)) == "_".join(word.lower() for word in words)


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("", id="empty"),
        pytest.param("2Fast", id="starts-with-a-digit"),
        pytest.param("_Private", id="starts-with-an-underscore"),
        pytest.param("Blog_Post", id="underscore"),
        pytest.param("Blog Post", id="space"),
        pytest.param("Blog-Post", id="dash"),
        pytest.param("Café", id="not-ascii"),
    ],
)
def test_table_name_refuses_what_is_not_a_class_name(bad: str) -> None:
    with pytest.raises(ValueError):
        table_name(bad)


@pytest.mark.task(1)
def test_the_models_tables_are_named_after_their_classes(engine: Engine) -> None:
    assert sorted(inspect(engine).get_table_names()) == TABLES


# --- Task 2: a naming convention for every constraint ---------------------------------------


@pytest.mark.task(2)
def test_primary_keys_are_named_pk_table(engine: Engine) -> None:
    inspector = inspect(engine)
    assert {t: inspector.get_pk_constraint(t)["name"] for t in TABLES} == {
        "author": "pk_author",
        "blog_post": "pk_blog_post",
        "http_log": "pk_http_log",
    }


@pytest.mark.task(2)
def test_the_foreign_key_is_named_fk_table_column_referred_table(engine: Engine) -> None:
    foreign_keys = inspect(engine).get_foreign_keys("blog_post")
    assert [fk["name"] for fk in foreign_keys] == ["fk_blog_post_author_id_author"]


@pytest.mark.task(2)
def test_the_unique_constraint_is_named_uq_table_column(engine: Engine) -> None:
    unique = inspect(engine).get_unique_constraints("author")
    assert [uq["name"] for uq in unique] == ["uq_author_email"]


@pytest.mark.task(2)
def test_the_index_is_named_ix_table_column(engine: Engine) -> None:
    indexes = inspect(engine).get_indexes("blog_post")
    assert [ix["name"] for ix in indexes] == ["ix_blog_post_author_id"]


@pytest.mark.task(2)
def test_check_constraints_are_named_ck_table_name(engine: Engine) -> None:
    inspector = inspect(engine)
    assert {t: [ck["name"] for ck in inspector.get_check_constraints(t)] for t in TABLES} == {
        "author": [],
        "blog_post": ["ck_blog_post_title_not_empty"],
        "http_log": ["ck_http_log_status_range"],
    }


# --- Task 3: datetimes stored and read as aware UTC -----------------------------------------


OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
AWARE_DATETIMES = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS
)


@pytest.mark.task(3)
@FIXTURE_EXAMPLES
@given(value=AWARE_DATETIMES)
def test_any_aware_datetime_comes_back_as_the_same_instant_in_utc(
    engine: Engine, stamps: Table, value: datetime
) -> None:
    with engine.connect() as connection:  # rolled back when it closes
        connection.execute(insert(stamps), {"id": 1, "at": value})
        back = connection.scalar(select(stamps.c.at))
    assert back == value
    assert is_utc(back), back


@pytest.mark.task(3)
def test_null_stays_null(engine: Engine, stamps: Table) -> None:
    with engine.begin() as connection:
        connection.execute(insert(stamps), {"id": 1, "at": None})
        assert connection.scalar(select(stamps.c.at)) is None


@pytest.mark.task(3)
def test_a_naive_datetime_is_refused_and_nothing_is_written(engine: Engine, stamps: Table) -> None:
    with engine.connect() as connection:
        with pytest.raises(StatementError) as raised:
            connection.execute(insert(stamps), {"id": 1, "at": datetime(2024, 5, 1, 12, 0)})
        assert isinstance(raised.value.orig, ValueError)
        connection.rollback()
        assert connection.scalar(select(func.count()).select_from(stamps)) == 0


@pytest.mark.task(3)
def test_process_bind_param_refuses_naive_and_sends_utc() -> None:
    utc_datetime = UTCDateTime()
    with pytest.raises(ValueError):
        utc_datetime.process_bind_param(datetime(2024, 5, 1, 12, 0), sqlite.dialect())
    sent = utc_datetime.process_bind_param(
        datetime(2024, 5, 1, 12, 0, tzinfo=KATHMANDU), postgresql.dialect()
    )
    assert sent == datetime(2024, 5, 1, 6, 15, tzinfo=UTC)
    assert is_utc(sent), sent


class NoOffset(tzinfo):
    """A time zone that does not know its offset: Python counts its datetimes as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.task(3)
def test_a_tzinfo_without_an_offset_is_naive_too() -> None:
    value = datetime(2024, 5, 1, 12, 0, tzinfo=NoOffset())
    assert value.utcoffset() is None  # naive, by Python's definition
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(value, sqlite.dialect())


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "returned",
    [
        pytest.param(datetime(2024, 5, 1, 6, 15), id="naive-from-sqlite-is-utc"),
        pytest.param(datetime(2024, 5, 1, 12, 0, tzinfo=KATHMANDU), id="aware-in-another-zone"),
    ],
)
def test_process_result_value_answers_utc(returned: datetime) -> None:
    got = UTCDateTime().process_result_value(returned, postgresql.dialect())
    assert got == datetime(2024, 5, 1, 6, 15, tzinfo=UTC)
    assert is_utc(got), got


# --- Task 4: Python annotations mapped to column types --------------------------------------


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("table", "column", "length"),
    [
        pytest.param("author", "name", 255, id="author.name-str"),
        pytest.param("blog_post", "title", 255, id="blog_post.title-str"),
        pytest.param("http_log", "path", 255, id="http_log.path-str"),
        pytest.param("author", "email", 320, id="author.email-Email"),
    ],
)
def test_string_columns_get_the_length_of_their_annotation(
    engine: Engine, table: str, column: str, length: int
) -> None:
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
    assert isinstance(columns[column], String), columns[column]
    assert columns[column].length == length


@pytest.mark.task(4)
def test_a_datetime_annotation_maps_to_utc_datetime() -> None:
    published_at = inspect(BlogPost).columns["published_at"]
    assert isinstance(published_at.type, UTCDateTime), published_at.type
    assert published_at.nullable is True


@pytest.mark.task(4)
def test_a_datetime_column_keeps_its_time_zone_where_the_database_can(engine: Engine) -> None:
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("blog_post")}
    published_at = columns["published_at"]
    assert isinstance(published_at, DateTime), published_at
    # SQLite has no time zones: its DATETIME reflects without one. PostgreSQL keeps the zone.
    assert published_at.timezone is (engine.dialect.name == "postgresql")


@pytest.mark.task(4)
def test_a_mapped_datetime_round_trips_as_utc(engine: Engine) -> None:
    published = datetime(2024, 5, 1, 12, 0, tzinfo=KATHMANDU)
    with Session(engine) as session:
        author = Author(name="Ann", email="ann@example.com")
        session.add(BlogPost(author=author, title="Hello", published_at=published))
        session.commit()
    with Session(engine) as session:
        back = session.scalars(select(BlogPost.published_at)).one()
    assert back == published
    assert is_utc(back), back


# --- Task 5: an id and timestamps for every model -------------------------------------------


@pytest.mark.task(5)
@pytest.mark.parametrize("model", [Author, BlogPost, HTTPLog], ids=lambda m: m.__name__)
def test_every_model_has_an_id_and_required_timestamps(model: type) -> None:
    mapper = inspect(model)
    columns = mapper.columns
    assert [column.name for column in mapper.primary_key] == ["id"]
    for name in ("created_at", "updated_at"):
        assert name in columns, f"{model.__name__} has no {name}"
        assert columns[name].nullable is False
        assert isinstance(columns[name].type, UTCDateTime)


@pytest.mark.task(5)
def test_the_id_is_bigint_on_postgresql_and_integer_on_sqlite() -> None:
    id_type = inspect(Author).columns["id"].type
    assert id_type.compile(dialect=postgresql.dialect()) == "BIGINT"
    assert id_type.compile(dialect=sqlite.dialect()) == "INTEGER"


@pytest.mark.task(5)
def test_ids_are_generated_on_insert_in_a_column_of_the_right_type(engine: Engine) -> None:
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("http_log")}
    expected = "BIGINT" if engine.dialect.name == "postgresql" else "INTEGER"
    assert columns["id"].compile(dialect=engine.dialect) == expected
    with Session(engine) as session:
        logs = [HTTPLog(path=f"/{n}", status=200) for n in range(3)]
        session.add_all(logs)
        session.flush()
        ids = [log.id for log in logs]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(set(ids))


@pytest.mark.task(5)
def test_created_at_and_updated_at_are_set_on_insert(engine: Engine) -> None:
    with Session(engine) as session:
        log = HTTPLog(path="/", status=200)
        session.add(log)
        before = now()
        session.commit()
        after = now()
        log_id = log.id
    with Session(engine) as session:
        stored = session.get(HTTPLog, log_id)
        assert stored is not None
        for stamp in (stored.created_at, stored.updated_at):
            assert is_utc(stamp), stamp
            assert before <= stamp <= after


@pytest.mark.task(5)
def test_updated_at_moves_on_update_and_created_at_does_not(engine: Engine) -> None:
    with Session(engine) as session:
        author = Author(name="Ann", email="ann@example.com")
        session.add(author)
        session.commit()
        created_at = author.created_at
        author.name = "Ann Smith"
        before = now()
        session.commit()
        after = now()
        author_id = author.id
    with Session(engine) as session:
        stored = session.get(Author, author_id)
        assert stored is not None
        assert stored.created_at == created_at
        assert before <= stored.updated_at <= after
        assert stored.updated_at > created_at


# --- Task 6: soft deletion ------------------------------------------------------------------


@pytest.mark.task(6)
def test_deleted_at_is_a_nullable_utc_timestamp_of_soft_deletable_models_only() -> None:
    deleted_at = inspect(BlogPost).columns["deleted_at"]
    assert deleted_at.nullable is True
    assert isinstance(deleted_at.type, UTCDateTime), deleted_at.type
    assert "deleted_at" not in inspect(Author).columns
    assert "deleted_at" not in inspect(HTTPLog).columns


@pytest.mark.task(6)
def test_soft_delete_marks_the_row_once() -> None:
    post = BlogPost(title="Hello")
    assert post.deleted_at is None
    before = now()
    post.soft_delete()
    after = now()
    first = post.deleted_at
    assert is_utc(first), first
    assert before <= first <= after
    post.soft_delete()
    assert post.deleted_at == first


@pytest.mark.task(6)
def test_a_soft_deleted_row_stays_in_the_table_with_its_time(engine: Engine) -> None:
    with Session(engine) as session:
        author = Author(name="Ann", email="ann@example.com")
        author.posts = [BlogPost(title="kept"), BlogPost(title="gone")]
        session.add(author)
        session.commit()
        gone = author.posts[1]
        before = now()
        gone.soft_delete()
        session.commit()
        after = now()
    with Session(engine) as plain:
        rows = plain.execute(select(BlogPost.title, BlogPost.deleted_at).order_by(BlogPost.id))
        (kept, kept_deleted_at), (gone_title, gone_deleted_at) = rows.all()
    assert (kept, kept_deleted_at) == ("kept", None)
    assert gone_title == "gone"
    assert is_utc(gone_deleted_at), gone_deleted_at
    assert before <= gone_deleted_at <= after


# --- Task 7 (stretch): a session factory that hides soft-deleted rows -----------------------


@pytest.mark.task(7)
@pytest.mark.stretch
def test_queries_hide_soft_deleted_rows(session_factory: sessionmaker[Session]) -> None:
    _, gone_id = add_posts_deleting_one(session_factory, "kept", "gone", deleted="gone")
    with session_factory() as session:
        assert [post.title for post in session.scalars(select(BlogPost))] == ["kept"]
        assert session.scalars(select(BlogPost.title)).all() == ["kept"]
        assert session.scalar(select(func.count()).select_from(BlogPost)) == 1
        alias = aliased(BlogPost)
        assert session.scalars(select(alias.title)).all() == ["kept"]
        assert session.get(BlogPost, gone_id) is None
        # Models without the mixin are not filtered.
        assert session.scalars(select(Author.name)).all() == ["Ann"]


@pytest.mark.task(7)
@pytest.mark.stretch
def test_the_identity_map_answers_get_before_any_filter(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        author = Author(name="Ann", email="ann@example.com")
        post = BlogPost(title="gone", author=author)
        session.add(post)
        session.commit()
        post.soft_delete()
        session.commit()
        # The session still holds the object: get() refreshes its columns (a column load, not
        # filtered) and returns it, deleted as it is. Check deleted_at, or ask the database.
        held = session.get(BlogPost, post.id)
        assert held is post
        assert held.deleted_at is not None
        assert session.get(BlogPost, post.id, populate_existing=True) is None


@pytest.mark.task(7)
@pytest.mark.stretch
def test_relationships_hide_soft_deleted_rows(session_factory: sessionmaker[Session]) -> None:
    author_id, _ = add_posts_deleting_one(session_factory, "first", "gone", "third", deleted="gone")
    with session_factory() as session:
        lazy = session.get(Author, author_id)
        assert lazy is not None
        assert [post.title for post in lazy.posts] == ["first", "third"]
    with session_factory() as session:
        eager = session.scalars(select(Author).options(selectinload(Author.posts))).one()
        assert [post.title for post in eager.posts] == ["first", "third"]


@pytest.mark.task(7)
@pytest.mark.stretch
def test_include_deleted_shows_soft_deleted_rows(session_factory: sessionmaker[Session]) -> None:
    _, gone_id = add_posts_deleting_one(session_factory, "kept", "gone", deleted="gone")
    with session_factory() as session:
        everything = (
            select(BlogPost.title).order_by(BlogPost.id).execution_options(include_deleted=True)
        )
        assert session.scalars(everything).all() == ["kept", "gone"]
        gone = session.get(BlogPost, gone_id, execution_options={"include_deleted": True})
        assert gone is not None
        assert gone.deleted_at is not None


@pytest.mark.task(7)
@pytest.mark.stretch
def test_only_sessions_from_the_factory_hide_rows(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    add_posts_deleting_one(session_factory, "kept", "gone", deleted="gone")
    with Session(engine) as plain:
        assert plain.scalars(select(BlogPost.title).order_by(BlogPost.id)).all() == [
            "kept",
            "gone",
        ]
