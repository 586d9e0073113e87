"""Kata 3.5: one products table declared three ways, and read back from the database.

Declaratively (`DeclarativeProduct`), imperatively (`ImperativeProduct`), and as a Core `Table`
adopted by a declarative class (`HybridProduct`); each in a MetaData of its own.
"""

from sqlalchemy import Column, Engine, Integer, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# --- 1. Declarative ----------------------------------------------------------------------------


class Base(DeclarativeBase):
    """The declarative mapping's base; its metadata holds only its products table."""


class DeclarativeProduct(Base):
    """A product, mapped declaratively."""

    __tablename__ = "products"
    # TODO(task 1): the named unique and check constraints, in __table_args__.

    id: Mapped[int] = mapped_column(primary_key=True)
    # TODO(task 1): sku, name (indexed), description, price_cents and in_stock, as in the README.


# --- 2. Imperative -----------------------------------------------------------------------------

imperative_registry = registry()

imperative_products = Table(
    "products",
    imperative_registry.metadata,
    Column("id", Integer, primary_key=True),
    # TODO(task 2): the other columns and the named constraints (a Core Column is nullable
    #   unless you say nullable=False).
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


# TODO(task 2): map ImperativeProduct onto imperative_products with imperative_registry.


# --- 3. Hybrid: a Core Table adopted by a declarative class -------------------------------------


class HybridBase(DeclarativeBase):
    """The hybrid mapping's base; its metadata holds only hybrid_products."""


hybrid_products = Table(
    "products",
    HybridBase.metadata,
    Column("id", Integer, primary_key=True),
    # TODO(task 3): the other columns and the named constraints.
)


class HybridProduct(HybridBase):
    """A product: a declarative class that adopts an existing Table."""

    __table__ = hybrid_products


# --- 5. Reflection -----------------------------------------------------------------------------


def reflect_table(engine: Engine, name: str) -> Table:
    """The table `name` as the database has it, reflected into a new MetaData.

    Raises `sqlalchemy.exc.NoSuchTableError` when the database has no such table.
    """
    # TODO(task 5)
    raise NotImplementedError("reflect_table is not written yet")
