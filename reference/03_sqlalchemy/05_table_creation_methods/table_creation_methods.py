"""Kata 3.5: one products table declared three ways, and read back from the database.

The same table, each time in a MetaData of its own:
- declaratively, with `Mapped[]` annotations on a class (`DeclarativeProduct`);
- imperatively, a Core `Table` mapped onto a plain class (`ImperativeProduct`);
- as a Core `Table` that a declarative class adopts with `__table__` (`HybridProduct`).
"""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# --- 1. Declarative: the columns are annotated attributes of the class -------------------------


class Base(DeclarativeBase):
    """The declarative mapping's base; its metadata holds only its products table."""


class DeclarativeProduct(Base):
    """A product, mapped declaratively."""

    __tablename__ = "products"
    # Table-level constraints go in __table_args__; a constraint named here is named the same in
    # every database, which is what lets a migration drop it later.
    __table_args__ = (
        UniqueConstraint("sku", name="uq_products_sku"),
        CheckConstraint("price_cents >= 0", name="ck_products_price_cents_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(20))
    # index=True names the index ix_<table>_<column>: ix_products_name.
    name: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    # server_default is part of the DDL, so any INSERT that omits the column gets it; a Python
    # `default=` would only be applied by SQLAlchemy's own INSERTs.
    price_cents: Mapped[int] = mapped_column(server_default=text("0"))
    in_stock: Mapped[bool] = mapped_column(server_default=true())


# --- 2. Imperative: a Table, a plain class, and a registry that maps one onto the other ---------

imperative_registry = registry()

imperative_products = Table(
    "products",
    imperative_registry.metadata,
    Column("id", Integer, primary_key=True),
    # A Core Column is nullable unless told otherwise: the opposite of Mapped[str].
    Column("sku", String(20), nullable=False),
    Column("name", String(100), nullable=False, index=True),
    Column("description", Text),
    Column("price_cents", Integer, nullable=False, server_default=text("0")),
    Column("in_stock", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("sku", name="uq_products_sku"),
    CheckConstraint("price_cents >= 0", name="ck_products_price_cents_non_negative"),
)


class ImperativeProduct:
    """A product as a plain class: nothing in it knows about SQLAlchemy (given)."""

    def __init__(
        self,
        *,
        sku: str,
        name: str,
        description: str | None = None,
        price_cents: int | None = None,
        in_stock: bool | None = None,
    ) -> None:
        # None means "not given": the ORM leaves a None attribute out of the INSERT, so the
        # server defaults of price_cents and in_stock apply.
        self.sku = sku
        self.name = name
        self.description = description
        self.price_cents = price_cents
        self.in_stock = in_stock


imperative_registry.map_imperatively(ImperativeProduct, imperative_products)


# --- 3. Hybrid: a declarative class whose table was written with Core ---------------------------


class HybridBase(DeclarativeBase):
    """The hybrid mapping's base; its metadata holds only hybrid_products."""


hybrid_products = Table(
    "products",
    HybridBase.metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(20), nullable=False),
    Column("name", String(100), nullable=False, index=True),
    Column("description", Text),
    Column("price_cents", Integer, nullable=False, server_default=text("0")),
    Column("in_stock", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("sku", name="uq_products_sku"),
    CheckConstraint("price_cents >= 0", name="ck_products_price_cents_non_negative"),
)


class HybridProduct(HybridBase):
    """A product: a declarative class that adopts an existing Table."""

    # With __table__, declarative maps every column of the table as an attribute of the same
    # name and generates the keyword constructor; no Mapped[] annotations are needed.
    __table__ = hybrid_products


# --- 5. Reflection: the table as the database describes it -------------------------------------


def reflect_table(engine: Engine, name: str) -> Table:
    """The table `name` as the database has it, reflected into a new MetaData.

    Raises `sqlalchemy.exc.NoSuchTableError` when the database has no such table.
    """
    # A fresh MetaData: reflecting into one that already holds a `products` Table would hand
    # back that Python definition instead of asking the database.
    return Table(name, MetaData(), autoload_with=engine)
