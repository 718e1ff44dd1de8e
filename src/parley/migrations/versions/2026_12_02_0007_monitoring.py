"""monitoring: observations of captives and access to places of detention

- ``person_event.detail`` and ``person_event.source``: a ``person.monitor`` observation (proof of life,
  contact, conditions) keeps the means of a contact or whether the conditions are known, and its source.
- ``access_request``: a mediator's request for access to a place of detention and the holding party's answer
  (``place.access_request``, ``place.access_answer``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('source', sa.Text(), nullable=False, server_default=''))
    op.create_table('access_request',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('place_name', sa.String(length=200), nullable=False),
    sa.Column('place_lat', sa.Float(), nullable=True),
    sa.Column('place_lon', sa.Float(), nullable=True),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('answer_by', sa.DateTime(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('answer_idx', sa.BigInteger(), nullable=True),
    sa.Column('answer_author', sa.String(length=130), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('visit_on', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('answer_source', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_request')),
    sa.UniqueConstraint('idx', name=op.f('uq_access_request_idx'))
    )
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_request_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_request_party'), ['party'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_request_party'))
        batch_op.drop_index(batch_op.f('ix_access_request_holder'))
    op.drop_table('access_request')
    with op.batch_alter_table('person_event', schema=None) as batch_op:
        batch_op.drop_column('source')
        batch_op.drop_column('detail')
