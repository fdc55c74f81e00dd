"""Shared pieces for table models: naming convention, timestamps, JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Stable constraint names so Alembic migrations are reproducible and reversible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

# JSON everywhere, JSONB on PostgreSQL.
JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the one clock the app reads; tests freeze it)."""
    return datetime.now(UTC)


def ts_column(**kw: Any) -> Column:
    """A timezone-aware timestamp column (a fresh Column per model field)."""
    return Column(DateTime(timezone=True), **kw)


# Primary keys are 32-bit INTEGER on PostgreSQL; a larger id from a URL cannot exist (and would raise).
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """True when `value` can be a primary key (so lookups never overflow the column)."""
    return 0 < value <= MAX_ID
