"""inbound bytes in a table of their own

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:20:00

The request or email bytes move from inbound_message (raw, request_body) to inbound_content, one row
per message, so that status updates never rebuild a row holding the bytes. Existing bytes are copied
both ways: upgrade keeps the email where the worker had read it, else the request.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'inbound_content',
        sa.Column('inbound_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['inbound_id'], ['inbound_message.id'],
            name=op.f('fk_inbound_content_inbound_id_inbound_message'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('inbound_id', name=op.f('pk_inbound_content')),
    )
    op.execute(
        "INSERT INTO inbound_content (inbound_id, kind, data) "
        "SELECT id, 'email', raw FROM inbound_message WHERE raw IS NOT NULL"
    )
    op.execute(
        "INSERT INTO inbound_content (inbound_id, kind, data) "
        "SELECT id, 'request', request_body FROM inbound_message "
        "WHERE raw IS NULL AND request_body IS NOT NULL"
    )
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild would drop and re-create
    # inbound_message, and dropping it would cascade to the rows just copied.
    op.drop_column('inbound_message', 'request_body')
    op.drop_column('inbound_message', 'raw')


def downgrade() -> None:
    """Downgrade schema (the bytes go back into inbound_message's columns)."""
    op.add_column('inbound_message', sa.Column('raw', sa.LargeBinary(), nullable=True))
    op.add_column('inbound_message', sa.Column('request_body', sa.LargeBinary(), nullable=True))
    for kind, column in (('email', 'raw'), ('request', 'request_body')):
        op.execute(
            f"UPDATE inbound_message SET {column} = (SELECT c.data FROM inbound_content c "
            f"WHERE c.inbound_id = inbound_message.id AND c.kind = '{kind}')"
        )
    op.drop_table('inbound_content')
