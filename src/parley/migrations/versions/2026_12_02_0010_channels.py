"""standing channels: ``standing_channel``, and ``channel_message.channel`` for a message to one (its
``operation`` then NULL).

On SQLite, NOT NULL is dropped from ``channel_message.operation`` by rewriting the table's definition in the schema,
as revision 0008 does for ``operation.mediator`` (``channel_receipt`` refers to ``channel_message``, so the table is
not copied).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:16:47
"""

import re

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _sqlite_nullability(table: str, column: str, nullable: bool) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).scalar_one()
    pattern = re.compile(rf"(\n\s*\"?{column}\"?\s+VARCHAR\(\d+\))( NOT NULL)?,")
    match = pattern.search(sql)
    assert match is not None, f"{table}.{column} not found in its definition"
    new = pattern.sub(lambda m: m.group(1) + ("" if nullable else " NOT NULL") + ",", sql, count=1)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?", (new, table))
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    op.create_table('standing_channel',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('parties', sa.Text(), nullable=False),
    sa.Column('mediator', sa.String(length=64), nullable=True),
    sa.Column('members', sa.Text(), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=True),
    sa.Column('point', sa.String(length=64), nullable=True),
    sa.Column('urgent_read_minutes', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_channel'))
    )
    op.add_column('channel_message', sa.Column('channel', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_channel_message_channel'), 'channel_message', ['channel'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_nullability("channel_message", "operation", True)
    else:
        op.alter_column('channel_message', 'operation', existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    standing = op.get_bind().exec_driver_sql("SELECT count(*) FROM channel_message WHERE operation IS NULL").scalar_one()
    if standing:
        raise RuntimeError(f"{standing} messages went to standing channels; the schema before revision 0010 cannot "
                           "hold them")
    op.drop_index(op.f('ix_channel_message_channel'), table_name='channel_message')
    op.drop_column('channel_message', 'channel')
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_nullability("channel_message", "operation", False)
    else:
        op.alter_column('channel_message', 'operation', existing_type=sa.String(length=64), nullable=False)
    op.drop_table('standing_channel')
