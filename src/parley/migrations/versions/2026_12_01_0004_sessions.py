"""sessions: server-side web sessions and sign-in attempt limits

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signin_failure',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member', sa.String(length=130), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_failure'))
    )
    with op.batch_alter_table('signin_failure', schema=None) as batch_op:
        batch_op.create_index('ix_signin_failure_address_at', ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_failure_at'), ['at'], unique=False)
        batch_op.create_index('ix_signin_failure_member_at', ['member', 'at'], unique=False)

    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('member', sa.String(length=130), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_session_member'), ['member'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_member'))
        batch_op.drop_index(batch_op.f('ix_web_session_expires_at'))

    op.drop_table('web_session')
    with op.batch_alter_table('signin_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_failure_member_at')
        batch_op.drop_index(batch_op.f('ix_signin_failure_at'))
        batch_op.drop_index('ix_signin_failure_address_at')

    op.drop_table('signin_failure')
