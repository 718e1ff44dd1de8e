"""sealing: personal payloads sealed under per-subject data keys, and persons destroyed

- ``data_key``: one AES-256 key per data subject (``person:<id>``, ``inquiry:<ref>``), NULL once destroyed,
  with the index of the destroying record (``records.sealing``).
- ``entry_subject``: which log entries name which subject.
- ``person.destroyed_idx``: the ``person.destroy`` record that made the row a tombstone.

Entries stored before this revision are sealed here: each personal entry gets its subjects' keys (made now)
and its payload is stored as the sealed envelope. The signed notes do not change. Going down opens them
again (the payloads of destroyed subjects stay destroyed).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:00:00
"""

import json
import os

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The personal kinds of this revision and where their payloads name their subjects (``Kind.subjects``).
SUBJECT_FIELDS = {
    "person.register": (("person", "id"),),
    "person.update": (("person", "id"),),
    "person.event": (("person", "person"),),
    "match.decide": (("person", "left"), ("person", "right")),
    "inquiry.file": (("inquiry", "id"),),
    "inquiry.decide": (("inquiry", "inquiry"), ("person", "person")),
}
CHUNK = 2000


def _subjects(kind: str, payload: dict) -> list[str]:
    return sorted({f"{prefix}:{payload[f]}" for prefix, f in SUBJECT_FIELDS[kind] if isinstance(payload.get(f), str)})


def upgrade() -> None:
    op.create_table('data_key',
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=True),
    sa.Column('created_idx', sa.BigInteger(), nullable=False),
    sa.Column('destroyed_idx', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_data_key'))
    )
    op.create_table('entry_subject',
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('subject', 'idx', name=op.f('pk_entry_subject'))
    )
    op.add_column('person', sa.Column('destroyed_idx', sa.BigInteger(), nullable=True))
    _seal_existing()


def _seal_existing() -> None:
    from parley.records.sealing import seal

    conn = op.get_bind()
    entry = sa.table("log_entry", sa.column("idx", sa.BigInteger), sa.column("kind", sa.String),
                     sa.column("payload", sa.Text), sa.column("payload_hash", sa.String))
    keys: dict[str, bytes] = {}
    pos = 0
    while True:
        rows = conn.execute(sa.select(entry.c.idx, entry.c.kind, entry.c.payload, entry.c.payload_hash)
                            .where(entry.c.idx >= pos, entry.c.kind.in_(list(SUBJECT_FIELDS)))
                            .order_by(entry.c.idx).limit(CHUNK)).all()
        if not rows:
            break
        updates, named, new_keys = [], [], []
        for idx, kind, payload, payload_hash in rows:
            subjects = _subjects(kind, json.loads(payload))
            for subject in subjects:
                if subject not in keys:
                    keys[subject] = os.urandom(32)
                    new_keys.append({"subject": subject, "key": keys[subject], "created_idx": idx})
                named.append({"subject": subject, "idx": idx})
            if subjects:
                updates.append({"i": idx, "p": seal([keys[s] for s in subjects], subjects, payload_hash,
                                                     payload.encode())})
        if new_keys:
            conn.execute(sa.text("INSERT INTO data_key (subject, key, created_idx) VALUES (:subject, :key, :created_idx)"),
                         new_keys)
        if named:
            conn.execute(sa.text("INSERT INTO entry_subject (subject, idx) VALUES (:subject, :idx)"), named)
        if updates:
            conn.execute(sa.text("UPDATE log_entry SET payload = :p WHERE idx = :i"), updates)
        pos = rows[-1][0] + 1


def downgrade() -> None:
    from parley.records.sealing import is_sealed, load_keys_conn, unseal

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT idx, payload, payload_hash FROM log_entry WHERE payload LIKE :p"),
                        {"p": '{"parley_sealed":%'}).all()
    keys = load_keys_conn(conn)
    updates = [{"i": idx, "p": unseal(payload, keys, payload_hash).decode()} for idx, payload, payload_hash in rows
               if is_sealed(payload) and all(keys.get(s) for s in json.loads(payload)["subjects"])]
    if updates:
        conn.execute(sa.text("UPDATE log_entry SET payload = :p WHERE idx = :i"), updates)
    op.drop_column('person', 'destroyed_idx')
    op.drop_table('entry_subject')
    op.drop_table('data_key')
