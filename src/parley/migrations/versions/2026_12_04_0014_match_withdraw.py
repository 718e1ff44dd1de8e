"""match decisions reversed by a later signed record (match.withdraw): the reversing record, its party and why.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite too), as 0013 does: a batch would copy the table.
    op.add_column('match_decision', sa.Column('withdrawn_idx', sa.BigInteger(), nullable=True))
    op.add_column('match_decision', sa.Column('withdrawn_party', sa.String(length=64), nullable=False,
                                              server_default=''))
    op.add_column('match_decision', sa.Column('withdrawn_note', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    op.drop_column('match_decision', 'withdrawn_note')
    op.drop_column('match_decision', 'withdrawn_party')
    op.drop_column('match_decision', 'withdrawn_idx')
