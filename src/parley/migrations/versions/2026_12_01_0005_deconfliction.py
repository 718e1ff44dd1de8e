"""deconfliction: bounded, recorded checks against zones and operations a member may not read

- ``deconfliction_check`` (local): every dry-run check, who, when, where, how many conflicts; limits per member.
- ``deconfliction_alert`` (projection): proposals that met a zone or an operation their proposer may not read,
  read by its owner and the mediators.
- ``inquiry_secret`` (local): the verifier of a family's secret, moved out of ``inquiry`` (and out of the
  signed ``inquiry.file`` payload, which no longer carries it). Existing verifiers are carried over.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deconfliction_check',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('min_lon', sa.Float(), nullable=False),
    sa.Column('min_lat', sa.Float(), nullable=False),
    sa.Column('max_lon', sa.Float(), nullable=False),
    sa.Column('max_lat', sa.Float(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=True),
    sa.Column('shown', sa.Integer(), nullable=True),
    sa.Column('unseen', sa.Integer(), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deconfliction_check'))
    )
    with op.batch_alter_table('deconfliction_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deconfliction_check_at'), ['at'], unique=False)
        batch_op.create_index('ix_deconfliction_check_member_at', ['member', 'at'], unique=False)

    op.create_table('deconfliction_alert',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('proposer', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('mediator', sa.String(length=64), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('overlap_km2', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['operation'], ['operation.id'], name=op.f('fk_deconfliction_alert_operation_operation')),
    sa.PrimaryKeyConstraint('idx', 'seq', name=op.f('pk_deconfliction_alert'))
    )
    with op.batch_alter_table('deconfliction_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deconfliction_alert_operation'), ['operation'], unique=False)
        batch_op.create_index(batch_op.f('ix_deconfliction_alert_owner'), ['owner'], unique=False)

    op.create_table('inquiry_secret',
    sa.Column('inquiry', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['inquiry'], ['inquiry.id'], name=op.f('fk_inquiry_secret_inquiry_inquiry')),
    sa.PrimaryKeyConstraint('inquiry', name=op.f('pk_inquiry_secret'))
    )
    # Families keep following their inquiries: the verifiers move to the local table before the column goes.
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+), not a batch copy of the table: other tables refer to
    # ``inquiry``, and dropping it for a copy would break their foreign keys.
    op.execute("INSERT INTO inquiry_secret (inquiry, secret_hash) SELECT id, secret_hash FROM inquiry")
    op.drop_column('inquiry', 'secret_hash')


def downgrade() -> None:
    # In place as well (see upgrade); an inquiry without a verifier gets an empty one, which matches no secret.
    op.add_column('inquiry', sa.Column('secret_hash', sa.String(length=200), nullable=False, server_default=''))
    op.execute("UPDATE inquiry SET secret_hash = (SELECT s.secret_hash FROM inquiry_secret s "
               "WHERE s.inquiry = inquiry.id) WHERE id IN (SELECT inquiry FROM inquiry_secret)")
    op.drop_table('inquiry_secret')

    with op.batch_alter_table('deconfliction_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deconfliction_alert_owner'))
        batch_op.drop_index(batch_op.f('ix_deconfliction_alert_operation'))
    op.drop_table('deconfliction_alert')

    with op.batch_alter_table('deconfliction_check', schema=None) as batch_op:
        batch_op.drop_index('ix_deconfliction_check_member_at')
        batch_op.drop_index(batch_op.f('ix_deconfliction_check_at'))
    op.drop_table('deconfliction_check')
