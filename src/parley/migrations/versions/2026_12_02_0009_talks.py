"""talks: processes, status, actors and their name keys, meetings and their changes, tracks, points, proposed
texts, positions (history and current), statements, joint texts, versions and sign-offs, implementation; and
``operation.implements``, the talks points an operation carries out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:07:52
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('talks_actor',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('names', sa.Text(), nullable=False),
    sa.Column('acts_for', sa.String(length=64), nullable=True),
    sa.Column('body', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_actor'))
    )
    op.create_table('talks_process',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=24), nullable=False),
    sa.Column('parties', sa.Text(), nullable=False),
    sa.Column('mediators', sa.Text(), nullable=False),
    sa.Column('intermediaries', sa.Text(), nullable=False),
    sa.Column('authorisation', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('updated_idx', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_process'))
    )
    op.create_table('talks_actor_key',
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor'], ['talks_actor.id'], name=op.f('fk_talks_actor_key_actor_talks_actor')),
    sa.PrimaryKeyConstraint('actor', 'key', name=op.f('pk_talks_actor_key'))
    )
    with op.batch_alter_table('talks_actor_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_actor_key_key'), ['key'], unique=False)

    op.create_table('talks_meeting',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('venue', sa.Text(), nullable=True),
    sa.Column('scheduled_start', sa.DateTime(), nullable=True),
    sa.Column('scheduled_note', sa.String(length=200), nullable=False),
    sa.Column('actual_start', sa.DateTime(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('duration_figure', sa.Text(), nullable=True),
    sa.Column('duration_note', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('delegations', sa.Text(), nullable=False),
    sa.Column('participants', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('updated_idx', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_meeting_process_talks_process')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_meeting'))
    )
    with op.batch_alter_table('talks_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_meeting_process'), ['process'], unique=False)

    op.create_table('talks_statement',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('meeting', sa.String(length=64), nullable=True),
    sa.Column('point', sa.String(length=64), nullable=True),
    sa.Column('joint_text', sa.String(length=64), nullable=True),
    sa.Column('joint_version', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('speaker', sa.String(length=64), nullable=True),
    sa.Column('on_behalf', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('said_on', sa.Date(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('source_kind', sa.String(length=32), nullable=False),
    sa.Column('confirmation', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_statement_process_talks_process')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_talks_statement'))
    )
    with op.batch_alter_table('talks_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_statement_process'), ['process'], unique=False)

    op.create_table('talks_status',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_status_process_talks_process')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_talks_status'))
    )
    with op.batch_alter_table('talks_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_status_process'), ['process'], unique=False)

    op.create_table('talks_text',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('agreed_version', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('updated_idx', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_text_process_talks_process')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_text'))
    )
    with op.batch_alter_table('talks_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_text_process'), ['process'], unique=False)

    op.create_table('talks_track',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_track_process_talks_process')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_track'))
    )
    with op.batch_alter_table('talks_track', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_track_process'), ['process'], unique=False)

    op.create_table('talks_meeting_change',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('meeting', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting'], ['talks_meeting.id'], name=op.f('fk_talks_meeting_change_meeting_talks_meeting')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_talks_meeting_change'))
    )
    with op.batch_alter_table('talks_meeting_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_meeting_change_meeting'), ['meeting'], unique=False)

    op.create_table('talks_point',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=False),
    sa.Column('track', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('agreed_sha256', sa.String(length=64), nullable=True),
    sa.Column('agreed_idx', sa.BigInteger(), nullable=True),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('updated_idx', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['process'], ['talks_process.id'], name=op.f('fk_talks_point_process_talks_process')),
    sa.ForeignKeyConstraint(['track'], ['talks_track.id'], name=op.f('fk_talks_point_track_talks_track')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks_point'))
    )
    with op.batch_alter_table('talks_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_point_process'), ['process'], unique=False)
        batch_op.create_index(batch_op.f('ix_talks_point_track'), ['track'], unique=False)
        batch_op.create_index('ix_talks_point_readers', ['process', 'audience', 'party', 'idx'], unique=False)

    op.create_table('talks_signoff',
    sa.Column('text', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('meeting', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['text'], ['talks_text.id'], name=op.f('fk_talks_signoff_text_talks_text')),
    sa.PrimaryKeyConstraint('text', 'version', 'party', name=op.f('pk_talks_signoff'))
    )
    op.create_table('talks_text_version',
    sa.Column('text', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['text'], ['talks_text.id'], name=op.f('fk_talks_text_version_text_talks_text')),
    sa.PrimaryKeyConstraint('text', 'version', name=op.f('pk_talks_text_version'))
    )
    op.create_table('talks_current',
    sa.Column('point', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.String(length=24), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['point'], ['talks_point.id'], name=op.f('fk_talks_current_point_talks_point')),
    sa.PrimaryKeyConstraint('point', 'party', name=op.f('pk_talks_current'))
    )
    op.create_table('talks_implementation',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('point', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['point'], ['talks_point.id'], name=op.f('fk_talks_implementation_point_talks_point')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_talks_implementation'))
    )
    with op.batch_alter_table('talks_implementation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_implementation_point'), ['point'], unique=False)

    op.create_table('talks_point_text',
    sa.Column('point', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['point'], ['talks_point.id'], name=op.f('fk_talks_point_text_point_talks_point')),
    sa.PrimaryKeyConstraint('point', 'sha256', name=op.f('pk_talks_point_text'))
    )
    op.create_table('talks_position',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('point', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('position', sa.String(length=24), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('meeting', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=130), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['point'], ['talks_point.id'], name=op.f('fk_talks_position_point_talks_point')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_talks_position'))
    )
    with op.batch_alter_table('talks_position', schema=None) as batch_op:
        batch_op.create_index('ix_talks_position_point', ['point', 'idx'], unique=False)

    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('implements', sa.Text(), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.drop_column('implements')

    with op.batch_alter_table('talks_position', schema=None) as batch_op:
        batch_op.drop_index('ix_talks_position_point')

    op.drop_table('talks_position')
    op.drop_table('talks_point_text')
    with op.batch_alter_table('talks_implementation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_implementation_point'))

    op.drop_table('talks_implementation')
    op.drop_table('talks_current')
    op.drop_table('talks_text_version')
    op.drop_table('talks_signoff')
    with op.batch_alter_table('talks_point', schema=None) as batch_op:
        batch_op.drop_index('ix_talks_point_readers')
        batch_op.drop_index(batch_op.f('ix_talks_point_track'))
        batch_op.drop_index(batch_op.f('ix_talks_point_process'))

    op.drop_table('talks_point')
    with op.batch_alter_table('talks_meeting_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_meeting_change_meeting'))

    op.drop_table('talks_meeting_change')
    with op.batch_alter_table('talks_track', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_track_process'))

    op.drop_table('talks_track')
    with op.batch_alter_table('talks_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_text_process'))

    op.drop_table('talks_text')
    with op.batch_alter_table('talks_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_status_process'))

    op.drop_table('talks_status')
    with op.batch_alter_table('talks_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_statement_process'))

    op.drop_table('talks_statement')
    with op.batch_alter_table('talks_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_meeting_process'))

    op.drop_table('talks_meeting')
    with op.batch_alter_table('talks_actor_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talks_actor_key_key'))

    op.drop_table('talks_actor_key')
    op.drop_table('talks_process')
    op.drop_table('talks_actor')
