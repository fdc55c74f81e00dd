"""inbound bytes compressed with lz4 on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:05:00

A webhook request (about 2.4 KB) is just over PostgreSQL's 2 KB compression threshold, so every stored
body is compressed; lz4 does that in a fraction of the CPU of the default pglz. Only new values are
compressed the new way. A server built without lz4 keeps its default, and SQLite has nothing to change.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(
        sa.text("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    )
    return found.first() is not None


def upgrade() -> None:
    """Upgrade schema."""
    if _lz4_available():
        op.execute("ALTER TABLE inbound_content ALTER COLUMN data SET COMPRESSION lz4")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inbound_content ALTER COLUMN data SET COMPRESSION default")
