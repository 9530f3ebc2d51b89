"""The ORM mapping of the shop's tables, and the engine for a database URL or DSN."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from sqlalchemy import DateTime, Engine, ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _utcnow() -> datetime:
    """Now, as the naive UTC timestamp the tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The shop's declarative base."""


class UserRecord(Base):
    """A row of ``users``."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class OrderRecord(Base):
    """A row of ``orders``; the total is decimal text."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class OrderLineRecord(Base):
    """A row of ``order_lines``; the unit price is decimal text."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    sku: Mapped[str] = mapped_column(String(100))
    qty: Mapped[int]
    unit_price: Mapped[str] = mapped_column(String(20))


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL, or for a libpq DSN (``host=... dbname=...``)."""
    if "://" in url and not url.startswith(("postgresql://", "postgres://")):
        return create_engine(url)
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(url))
