"""as stated: figures with their form and source, several mediators, direct agreements, waivers, declared corridors

- ``operation.mediator`` may be NULL (an operation agreed directly between the parties concerned);
  ``operation.co_mediators``: other mediators taking part, with their roles.
- ``operation_rules.route_tolerance_m``: how far from an operation's route its places, movements and incidents
  may lie.
- ``operation_event.source``, ``incident.alleged_responsible`` and ``incident.source``; an incident's killed and
  wounded as stated (``incident.killed_figure``, ``wounded_figure``) when not exact counts.
- ``outcome_figure.figure``: a figure as stated when not an exact count; ``outcome_statement``: each outcome
  record as a whole (its source and stated total), filled here from the figures already stored.
- ``notice_waiver`` and ``declared_corridor``.

On SQLite, NOT NULL is dropped from ``operation.mediator`` by rewriting the table's definition in the schema
(SQLite's documented procedure for changes that leave the stored rows as they are), not by copying the table:
other tables refer to ``operation``, and dropping it for a copy fails their foreign keys.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
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
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_nullability("operation", "mediator", True)
    else:
        op.alter_column('operation', 'mediator', existing_type=sa.String(length=64), nullable=True)
    op.add_column('operation', sa.Column('co_mediators', sa.Text(), nullable=False, server_default=''))
    op.add_column('operation_rules', sa.Column('route_tolerance_m', sa.Integer(), nullable=True))
    op.add_column('operation_event', sa.Column('source', sa.Text(), nullable=True))
    op.add_column('incident', sa.Column('alleged_responsible', sa.String(length=64), nullable=True))
    op.add_column('incident', sa.Column('source', sa.Text(), nullable=True))
    op.add_column('incident', sa.Column('killed_figure', sa.Text(), nullable=True))
    op.add_column('incident', sa.Column('wounded_figure', sa.Text(), nullable=True))
    op.add_column('outcome_figure', sa.Column('figure', sa.Text(), nullable=True))

    op.create_table('outcome_statement',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('total', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['operation'], ['operation.id'], name=op.f('fk_outcome_statement_operation_operation')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_outcome_statement'))
    )
    with op.batch_alter_table('outcome_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_statement_operation'), ['operation'], unique=False)
    # Each outcome record already applied: its first row carries the note; its time is its timeline event's.
    op.execute(
        "INSERT INTO outcome_statement (idx, operation, party, author, at, total, source, note, audience) "
        "SELECT f.idx, f.operation, f.party, f.author, e.at, NULL, NULL, f.note, f.audience "
        "FROM outcome_figure f JOIN operation_event e ON e.idx = f.idx AND e.event = 'outcome_reported' "
        "WHERE f.line = 0")

    op.create_table('notice_waiver',
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('notice_hours', sa.Float(), nullable=False),
    sa.Column('agreed', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('operation', 'party', name=op.f('pk_notice_waiver')),
    sa.UniqueConstraint('idx', name=op.f('uq_notice_waiver_idx'))
    )
    op.create_table('declared_corridor',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('towards', sa.Text(), nullable=False),
    sa.Column('route', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.DateTime(), nullable=True),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declared_corridor')),
    sa.UniqueConstraint('idx', name=op.f('uq_declared_corridor_idx'))
    )


def downgrade() -> None:
    op.drop_table('declared_corridor')
    op.drop_table('notice_waiver')
    with op.batch_alter_table('outcome_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_statement_operation'))
    op.drop_table('outcome_statement')
    # In place, not as a copy of each table (see the module's docstring).
    op.drop_column('outcome_figure', 'figure')
    op.drop_column('incident', 'wounded_figure')
    op.drop_column('incident', 'killed_figure')
    op.drop_column('incident', 'source')
    op.drop_column('incident', 'alleged_responsible')
    op.drop_column('operation_event', 'source')
    op.drop_column('operation_rules', 'route_tolerance_m')
    op.drop_column('operation', 'co_mediators')
    # An operation agreed directly between the parties has no mediator to keep: the older schema cannot hold it.
    direct = op.get_bind().exec_driver_sql("SELECT count(*) FROM operation WHERE mediator IS NULL").scalar_one()
    if direct:
        raise RuntimeError(f"{direct} operations were agreed directly between the parties (no mediator); the schema "
                           "before revision 0008 cannot hold them")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_nullability("operation", "mediator", False)
    else:
        op.alter_column('operation', 'mediator', existing_type=sa.String(length=64), nullable=False)
