"""Tests for kata 3.5: one products table, three mappings, and reflection.

Each database test runs on SQLite and, when KATAS_POSTGRES_URL is set, on PostgreSQL. The tests
reach each mapping's table through `inspect(mapped_class).local_table`, which works for every
mapping style, and create only that table.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DataError, IntegrityError, NoSuchTableError
from sqlalchemy.orm import Session
from table_creation_methods import (
    Base,
    DeclarativeProduct,
    HybridBase,
    HybridProduct,
    ImperativeProduct,
    hybrid_products,
    imperative_products,
    imperative_registry,
    reflect_table,
)

# Each mapping's tests carry the task that builds it.
MAPPINGS = [
    pytest.param(DeclarativeProduct, marks=pytest.mark.task(1), id="declarative"),
    pytest.param(ImperativeProduct, marks=pytest.mark.task(2), id="imperative"),
    pytest.param(HybridProduct, marks=pytest.mark.task(3), id="hybrid"),
]
ALL_MAPPED = [DeclarativeProduct, ImperativeProduct, HybridProduct]

# The spec of the README: column -> (generic type class, length, nullable).
SPEC_COLUMNS = {
    "id": (Integer, None, False),
    "sku": (String, 20, False),
    "name": (String, 100, False),
    "description": (Text, None, True),
    "price_cents": (Integer, None, False),
    "in_stock": (Boolean, None, False),
}
WITH_SERVER_DEFAULT = {"price_cents", "in_stock"}
FIELDS = ["sku", "name", "description", "price_cents", "in_stock"]

# The engine fixture is shared by the examples of a property test: each example empties the table.
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def table_of(mapped: type) -> Table:
    """The Table behind a mapped class, whatever the mapping style."""
    mapper = inspect(mapped, raiseerr=False)
    if mapper is None:
        pytest.fail(f"{mapped.__name__} is not mapped yet")
    table = mapper.local_table
    assert isinstance(table, Table)
    return table


def snapshot(engine: Engine, table: str = "products") -> dict[str, Any]:
    """The table as the database describes it, in a form two databases' answers compare in.

    Types are compared by generic class and length; a unique index counts as a unique
    constraint; PostgreSQL's indexes that only back a constraint are left out; the text of a
    CHECK is compared without whitespace.
    """
    inspector = inspect(engine)
    columns = {}
    for column in inspector.get_columns(table):
        generic = column["type"].as_generic()
        columns[column["name"]] = (
            type(generic),
            getattr(generic, "length", None),
            column["nullable"],
            column["default"],
        )
    indexes = [i for i in inspector.get_indexes(table) if "duplicates_constraint" not in i]
    unique = {
        (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)
    }
    unique |= {(i["name"], tuple(i["column_names"])) for i in indexes if i["unique"]}
    return {
        "columns": columns,
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "unique": unique,
        "indexes": {(i["name"], tuple(i["column_names"])) for i in indexes if not i["unique"]},
        "checks": {
            (c["name"], "".join(c["sqltext"].split()))
            for c in inspector.get_check_constraints(table)
        },
        "foreign_keys": inspector.get_foreign_keys(table),
    }


def count_products(engine: Engine) -> int:
    """Rows in products, read on a connection of its own (committed rows only)."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(text("products")))


def values_of(product: object) -> dict[str, object]:
    """The column attributes of a loaded product."""
    return {field: getattr(product, field) for field in FIELDS}


# --- tasks 1-3: each mapping on its own ---------------------------------------------------------


@pytest.mark.task(2)
def test_the_plain_class_is_mapped_onto_imperative_products() -> None:
    assert table_of(ImperativeProduct) is imperative_products
    assert inspect(ImperativeProduct).registry is imperative_registry
    assert imperative_products.metadata is imperative_registry.metadata
    # The domain class stays plain: no declarative base, no mixin.
    assert ImperativeProduct.__mro__ == (ImperativeProduct, object)


@pytest.mark.parametrize("mapped", MAPPINGS)
def test_the_schema_matches_the_spec(engine: Engine, mapped: type) -> None:
    table_of(mapped).create(engine)
    found = snapshot(engine)
    assert {name: spec[:3] for name, spec in found["columns"].items()} == SPEC_COLUMNS
    with_default = {name for name, spec in found["columns"].items() if spec[3] is not None}
    assert with_default - {"id"} == WITH_SERVER_DEFAULT  # PostgreSQL reports id's sequence
    assert found["primary_key"] == ["id"]
    assert found["unique"] == {("uq_products_sku", ("sku",))}
    assert found["indexes"] == {("ix_products_name", ("name",))}
    assert {name for name, _ in found["checks"]} == {"ck_products_price_cents_non_negative"}
    assert found["foreign_keys"] == []


@pytest.mark.parametrize("mapped", MAPPINGS)
def test_a_product_persists_and_loads(engine: Engine, mapped: type) -> None:
    table_of(mapped).create(engine)
    given = {
        "sku": "PEN-01",
        "name": "Fountain pen",
        "description": "Blue ink, fine nib.",
        "price_cents": 2450,
        "in_stock": False,
    }
    with Session(engine) as session:
        product = mapped(**given)
        session.add(product)
        session.commit()
        product_id = product.id
    assert isinstance(product_id, int)
    with Session(engine) as session:
        loaded = session.get(mapped, product_id)
        assert loaded is not None
        assert values_of(loaded) == given


@pytest.mark.parametrize("mapped", MAPPINGS)
def test_omitted_price_and_stock_take_the_server_defaults(engine: Engine, mapped: type) -> None:
    table_of(mapped).create(engine)
    with Session(engine) as session:
        session.add(mapped(sku="INK-01", name="Ink"))
        session.commit()
    # Plain SQL that omits the columns: only a default in the schema can fill them in.
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO products (sku, name) VALUES (:sku, :name)"),
            {"sku": "PAD-01", "name": "Pad"},
        )
    with Session(engine) as session:
        loaded = session.scalars(select(mapped).order_by(mapped.sku)).all()
        assert [values_of(p) for p in loaded] == [
            {"sku": sku, "name": name, "description": None, "price_cents": 0, "in_stock": True}
            for sku, name in [("INK-01", "Ink"), ("PAD-01", "Pad")]
        ]


@pytest.mark.parametrize("mapped", MAPPINGS)
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"sku": "B-1", "name": None}, id="null-name"),
        pytest.param({"sku": None, "name": "Nameless"}, id="null-sku"),
        pytest.param({"sku": "A-1", "name": "Same sku"}, id="duplicate-sku"),
        pytest.param({"sku": "B-1", "name": "Cheap", "price_cents": -1}, id="negative-price"),
    ],
)
def test_the_database_refuses_bad_rows_and_stores_nothing(
    engine: Engine, mapped: type, fields: dict[str, object]
) -> None:
    table_of(mapped).create(engine)
    with Session(engine) as session:
        session.add(mapped(sku="A-1", name="First"))
        session.commit()
        session.add(mapped(**fields))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        assert count_products(engine) == 1
        session.add(mapped(sku="C-1", name="After the error"))  # the session works again
        session.commit()
    assert count_products(engine) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("mapped", MAPPINGS)
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"sku": "X" * 21, "name": "Long sku"}, id="sku-of-21"),
        pytest.param({"sku": "L-1", "name": "n" * 101}, id="name-of-101"),
    ],
)
def test_postgresql_refuses_strings_longer_than_the_column(
    postgres_engine: Engine, mapped: type, fields: dict[str, object]
) -> None:
    # SQLite stores any length in a VARCHAR(n) column; PostgreSQL enforces n.
    table_of(mapped).create(postgres_engine)
    with Session(postgres_engine) as session:
        session.add(mapped(**fields))
        with pytest.raises(DataError):
            session.commit()
    assert count_products(postgres_engine) == 0


# --- task 4: one table, three mappings ----------------------------------------------------------


@pytest.mark.task(4)
def test_each_mapping_has_its_own_products_table_in_its_own_metadata() -> None:
    tables = [table_of(mapped) for mapped in ALL_MAPPED]
    given = [DeclarativeProduct.__table__, imperative_products, hybrid_products]
    assert all(table is named for table, named in zip(tables, given, strict=True))
    assert [table.name for table in tables] == ["products"] * 3
    metadatas = [Base.metadata, imperative_registry.metadata, HybridBase.metadata]
    assert all(table.metadata is own for table, own in zip(tables, metadatas, strict=True))
    assert len({id(table.metadata) for table in tables}) == 3


@pytest.mark.task(4)
def test_the_three_mappings_create_identical_tables(engine: Engine) -> None:
    found = []
    for mapped in ALL_MAPPED:
        table = table_of(mapped)
        table.create(engine)
        found.append(snapshot(engine))
        table.drop(engine)
    # Compared in full: the text of each default and of the CHECK too, not just the spec's part.
    assert found[1] == found[0], "imperative differs from declarative"
    assert found[2] == found[0], "hybrid differs from declarative"


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "creator", ALL_MAPPED, ids=["from-declarative", "from-imperative", "from-hybrid"]
)
def test_rows_written_through_one_mapping_load_through_the_others(
    engine: Engine, creator: type
) -> None:
    table_of(creator).create(engine)
    for index, writer in enumerate(ALL_MAPPED):
        with Session(engine) as session:
            session.add(writer(sku=f"W-{index}", name=writer.__name__, price_cents=index))
            session.commit()
    expected = [(f"W-{i}", writer.__name__, i) for i, writer in enumerate(ALL_MAPPED)]
    for reader in ALL_MAPPED:
        with Session(engine) as session:
            rows = session.scalars(select(reader).order_by(reader.sku)).all()
            assert [(p.sku, p.name, p.price_cents) for p in rows] == expected


# Any text a column can hold (PostgreSQL refuses NUL in text), in lengths that fit the columns.
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
PRODUCTS = st.fixed_dictionaries(
    {
        # 19 characters at most: each writer prefixes its own digit to keep the skus unique.
        "sku": st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=19),
        "name": st.text(TEXT, min_size=1, max_size=100),
        "description": st.none() | st.text(TEXT, max_size=300),
    },
    optional={
        "price_cents": st.integers(min_value=0, max_value=2**31 - 1),
        "in_stock": st.booleans(),
    },
)


@pytest.mark.task(4)
@settings(max_examples=20, deadline=None, suppress_health_check=FIXTURES_OK)
@given(product=PRODUCTS)
def test_any_valid_product_reads_the_same_through_every_mapping(
    engine: Engine, product: dict[str, Any]
) -> None:
    table = table_of(DeclarativeProduct)
    table.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(table.delete())
    written = [{**product, "sku": f"{i}{product['sku']}"} for i in range(len(ALL_MAPPED))]
    with Session(engine) as session:
        session.add_all(
            writer(**fields) for writer, fields in zip(ALL_MAPPED, written, strict=True)
        )
        session.commit()
    expected = [{"price_cents": 0, "in_stock": True, **fields} for fields in written]
    for reader in ALL_MAPPED:
        with Session(engine) as session:
            loaded = session.scalars(select(reader).order_by(reader.sku)).all()
            assert [values_of(p) for p in loaded] == expected


# --- task 5: reflection -------------------------------------------------------------------------

# Portable DDL for a table no Python code of the kata declares.
SUPPLIERS_DDL = [
    """
    CREATE TABLE suppliers (
        code VARCHAR(10) NOT NULL,
        name VARCHAR(50) NOT NULL,
        note TEXT,
        CONSTRAINT pk_suppliers PRIMARY KEY (code),
        CONSTRAINT uq_suppliers_name UNIQUE (name),
        CONSTRAINT ck_suppliers_code_not_empty CHECK (code <> '')
    )
    """,
    "CREATE INDEX ix_suppliers_note ON suppliers (note)",
]


def create_suppliers(engine: Engine) -> None:
    """Creates the suppliers table with plain SQL."""
    with engine.begin() as connection:
        for ddl in SUPPLIERS_DDL:
            connection.exec_driver_sql(ddl)


def columns_of(table: Table) -> dict[str, tuple[type, int | None, bool]]:
    """column -> (generic type class, length, nullable) of a Table object."""
    return {
        column.name: (
            type(column.type.as_generic()),
            getattr(column.type, "length", None),
            bool(column.nullable),
        )
        for column in table.columns
    }


def named(table: Table, kind: type) -> set[tuple[str | None, tuple[str, ...]]]:
    """(name, columns) of the table's constraints of one kind."""
    return {
        (constraint.name, tuple(constraint.columns.keys()))
        for constraint in table.constraints
        if isinstance(constraint, kind)
    }


@pytest.mark.task(5)
def test_reflect_table_describes_a_table_no_python_code_declared(engine: Engine) -> None:
    create_suppliers(engine)
    table = reflect_table(engine, "suppliers")
    assert isinstance(table, Table)
    assert table.name == "suppliers"
    assert columns_of(table) == {
        "code": (String, 10, False),
        "name": (String, 50, False),
        "note": (Text, None, True),
    }
    assert list(table.primary_key.columns.keys()) == ["code"]
    assert named(table, UniqueConstraint) == {("uq_suppliers_name", ("name",))}
    assert {c.name for c in table.constraints if isinstance(c, CheckConstraint)} == {
        "ck_suppliers_code_not_empty"
    }
    assert {(i.name, tuple(i.columns.keys())) for i in table.indexes} == {
        ("ix_suppliers_note", ("note",))
    }


@pytest.mark.task(5)
def test_a_reflected_table_writes_and_reads_rows(engine: Engine) -> None:
    create_suppliers(engine)
    table = reflect_table(engine, "suppliers")
    with engine.begin() as connection:
        connection.execute(
            insert(table),
            [
                {"code": "INK", "name": "Ink & Co", "note": "ink"},
                {"code": "ACME", "name": "Acme", "note": None},
            ],
        )
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.code)).all()
    assert [tuple(row) for row in rows] == [("ACME", "Acme", None), ("INK", "Ink & Co", "ink")]
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(insert(table).values(code="", name="Nobody"))


@pytest.mark.task(5)
def test_reflect_table_asks_the_database_not_the_python_models(engine: Engine) -> None:
    # A products table unlike the kata's: reflection must describe this one.
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE products (code VARCHAR(10) NOT NULL PRIMARY KEY, legacy_flag INTEGER)"
        )
    assert reflect_table(engine, "products").c.keys() == ["code", "legacy_flag"]


@pytest.mark.task(5)
def test_reflect_table_sees_changes_made_since_the_last_call(engine: Engine) -> None:
    create_suppliers(engine)
    assert "phone" not in reflect_table(engine, "suppliers").c
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE suppliers ADD COLUMN phone VARCHAR(20)")
    assert columns_of(reflect_table(engine, "suppliers"))["phone"] == (String, 20, True)


@pytest.mark.task(5)
@pytest.mark.parametrize("mapped", ALL_MAPPED, ids=["declarative", "imperative", "hybrid"])
def test_reflecting_a_mapped_table_gives_back_the_spec(engine: Engine, mapped: type) -> None:
    table_of(mapped).create(engine)
    reflected = reflect_table(engine, "products")
    assert columns_of(reflected) == SPEC_COLUMNS
    assert named(reflected, UniqueConstraint) == {("uq_products_sku", ("sku",))}
    with engine.begin() as connection:
        connection.execute(insert(reflected).values(sku="R-1", name="Reflected"))
    with Session(engine) as session:
        assert values_of(session.scalars(select(mapped)).one()) == {
            "sku": "R-1",
            "name": "Reflected",
            "description": None,
            "price_cents": 0,
            "in_stock": True,
        }


@pytest.mark.task(5)
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("no_such_table", id="unknown"),
        pytest.param("products", id="declared-in-python-but-not-created"),
    ],
)
def test_reflecting_a_missing_table_raises_no_such_table_error(engine: Engine, name: str) -> None:
    with pytest.raises(NoSuchTableError):
        reflect_table(engine, name)
