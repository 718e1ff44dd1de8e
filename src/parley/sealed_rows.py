"""Personal data in a backup: sealed under its data subjects' keys, which the backup does not hold.

The log's personal payloads are sealed under one key per data subject (``records.sealing``); the projection
tables the interface and the matcher read hold the same data in clear, and the keys sit in ``data_key``. A
backup that copied them as they are would keep a destroyed person readable for as long as the backup lives.
So a backup's database holds, for every row of a personal table, only what a destruction leaves (the row's
identity, party, audience, record indices) with its personal columns blank, and ``data_key`` without a single
key; the personal columns travel beside it in the ``sealed-rows.json`` member, each row's sealed (AES-256-GCM)
under its subjects' keys — the key of each, or HKDF over all of them, as a payload is sealed.

A restore opens them with the keys of a **key source** that forgets: a mirror (``parley mirror``: it deletes
a subject's key as soon as the log lists it destroyed), or a keys file the operator chose to write
(``parley backup --keys-out``, a copy that does *not* forget). A row whose subject's key the source lists
as destroyed stays blank: the destruction is in the log, and the restore's replay of the entries after the
backup applies it. A subject the source does not know at all stops the restore before anything is opened.

What is personal in each table is what ``person.destroy`` and ``inquiry.destroy`` blank or delete
(``people.kinds``): the same columns, so a row blank here and a tombstone agree.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, bindparam, column, select, table, update

from parley.log.sealed import record_key
from parley.people.models import NAME_KEYS, PERSON_FIELDS

FORMAT = "parley-sealed-rows/1"
MEMBER = "sealed-rows.json"
KEYS_FORMAT = "parley-data-keys/1"


@dataclass(frozen=True)
class PersonalTable:
    name: str
    key: str  # the primary key column
    refs: tuple[str, ...]  # the columns that name the row's subjects
    subjects: Callable[[Mapping[str, Any]], list[str]]
    columns: tuple[str, ...]  # personal: sealed in the member, blank in the backup's database
    blanks: Mapping[str, Any]  # a column's blank where it is not ""

    def blank(self, name: str) -> Any:
        return self.blanks.get(name, "")


PERSONAL: tuple[PersonalTable, ...] = (
    PersonalTable("person", "id", ("id",), lambda r: [f"person:{r['id']}"],
                  (*PERSON_FIELDS, *NAME_KEYS, "status", "status_date", "seriously_wounded"),
                  {"seriously_wounded": False}),
    PersonalTable("person_event", "idx", ("person",), lambda r: [f"person:{r['person']}"],
                  ("event", "date", "place", "note", "detail", "source"), {}),
    PersonalTable("match_decision", "idx", ("left", "right"), lambda r: [f"person:{r['left']}", f"person:{r['right']}"],
                  ("decision", "probability", "note"), {}),
    PersonalTable("inquiry", "id", ("id",), lambda r: [f"inquiry:{r['id']}"],
                  ("sought", "surname_key", "relationship", "status"), {"sought": "{}"}),
    PersonalTable("inquiry_decision", "idx", ("inquiry",), lambda r: [f"inquiry:{r['inquiry']}"], ("message",), {}),
    PersonalTable("inquiry_addition", "idx", ("inquiry",), lambda r: [f"inquiry:{r['inquiry']}"], ("detail",), {}),
)


class SealedRowsError(ValueError):
    """The rows cannot be sealed or opened; the message says why."""


def _aad(t: PersonalTable, pk: Any, subjects: list[str]) -> bytes:
    return json.dumps([FORMAT, t.name, pk, subjects], ensure_ascii=False).encode()


def keys_of(conn: Connection) -> dict[str, dict[str, Any]]:
    """``data_key`` as it stands: subject -> {key (bytes or None), created_idx, destroyed_idx}."""
    cols: list[Any] = [column("subject"), column("key"), column("created_idx"), column("destroyed_idx")]
    rows = list(conn.execute(select(*cols).select_from(table("data_key"))).all())
    return {s: {"key": bytes(k) if k is not None else None, "created_idx": c, "destroyed_idx": d}
            for s, k, c, d in rows}


def seal_and_blank(conn: Connection) -> dict[str, Any]:
    """Seal the personal columns of every row of ``conn``'s database (a backup's copy, in a transaction the
    caller commits) under the subjects' keys, blank them there and erase every key from ``data_key``.
    Answers the member's content. A row with personal data whose subject has no key is refused."""
    keys = keys_of(conn)
    out: dict[str, Any] = {"format": FORMAT, "tables": {}}
    for t in PERSONAL:
        cols: list[Any] = [column(c) for c in dict.fromkeys([t.key, *t.refs, *t.columns])]
        sealed = []
        for found in conn.execute(select(*cols).select_from(table(t.name)).order_by(column(t.key))).mappings():
            r: Mapping[str, Any] = dict(found)
            personal = {c: r[c] for c in t.columns}
            subjects = sorted(t.subjects(r))
            if all(v == t.blank(c) for c, v in personal.items()) or \
                    any(keys.get(x, {}).get("destroyed_idx") is not None for x in subjects):
                continue  # nothing personal in it, or a destruction's tombstone: kept as it is
            held = [keys.get(s, {}).get("key") for s in subjects]
            if any(k is None for k in held):
                missing = next(s for s, k in zip(subjects, held, strict=True) if k is None)
                raise SealedRowsError(f"{t.name} {r[t.key]!r} holds personal data, but the key of {missing} is "
                                      "missing or destroyed; the database needs checking (parley log verify)")
            nonce = os.urandom(12)
            pk = r[t.key]
            data = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
            ct = AESGCM(record_key(held, subjects)).encrypt(nonce, data, _aad(t, pk, subjects))  # type: ignore[arg-type]
            sealed.append({"key": pk, "subjects": subjects, "nonce": base64.b64encode(nonce).decode(),
                           "ct": base64.b64encode(ct).decode()})
        out["tables"][t.name] = sealed
        if sealed:
            conn.execute(update(table(t.name, column(t.key), *(column(c) for c in t.columns)))
                         .where(column(t.key) == bindparam("pk")).values({c: t.blank(c) for c in t.columns}),
                         [{"pk": row["key"]} for row in sealed])
    conn.execute(update(table("data_key", column("key"))).values(key=None))
    return out


def count(member: Mapping[str, Any]) -> int:
    return sum(len(rows) for rows in member.get("tables", {}).values())


def needed_subjects(member: Mapping[str, Any]) -> set[str]:
    return {s for rows in member.get("tables", {}).values() for row in rows for s in row["subjects"]}


def open_and_fill(conn: Connection, member: Mapping[str, Any], source: Mapping[str, bytes | None]) -> dict[str, int]:
    """Fill ``conn``'s database (a restored backup, in a transaction the caller commits) from the member:
    every key ``source`` holds goes back into ``data_key`` (unless the backup already lists it destroyed),
    and every key the backup erased must be in ``source``;
    every sealed row whose keys are all held is opened and written back, a row of a subject ``source`` lists
    as destroyed (None) stays blank. Refuses, before writing anything, if a subject the rows need is not in
    ``source`` at all, or a row does not open. Answers counts: opened, left blank, keys restored."""
    if member.get("format") != FORMAT:
        raise SealedRowsError(f"the sealed rows are not of format {FORMAT}")
    listed = keys_of(conn)
    # Every subject a row is sealed under, and every subject whose key the backup erased (not destroyed then).
    needed = needed_subjects(member) | {x for x, v in listed.items() if v["destroyed_idx"] is None}
    unknown = sorted(needed - set(source))
    if unknown:
        raise SealedRowsError(f"the key source does not know {len(unknown)} data subject(s) this backup's rows are "
                              f"sealed under (e.g. {', '.join(unknown[:3])}): give a mirror that has followed the "
                              "log past the backup, or the keys file written with it")
    by_name = {t.name: t for t in PERSONAL}
    writes: list[tuple[PersonalTable, Any, dict[str, Any]]] = []
    blank = 0
    for name, rows in member.get("tables", {}).items():
        t = by_name.get(name)
        if t is None:
            raise SealedRowsError(f"the sealed rows name an unknown table {name!r}")
        for row in rows:
            subjects = list(row["subjects"])
            held = [source[s] for s in subjects]
            if any(k is None for k in held):
                blank += 1  # destroyed since the backup: the replay of its destruction finds it blank
                continue
            try:
                data = AESGCM(record_key(held, subjects)).decrypt(  # type: ignore[arg-type]
                    base64.b64decode(row["nonce"]), base64.b64decode(row["ct"]), _aad(t, row["key"], subjects))
                values = json.loads(data)
            except (InvalidTag, ValueError, KeyError) as exc:
                raise SealedRowsError(f"the sealed row of {name} {row.get('key')!r} does not open under its "
                                      f"subjects' keys ({exc.__class__.__name__}): the keys are not this log's, or "
                                      "the backup was altered") from None
            if set(values) != set(t.columns):
                raise SealedRowsError(f"the sealed row of {name} {row['key']!r} has other columns than {name}'s")
            writes.append((t, row["key"], values))
    for t, pk, values in writes:
        conn.execute(update(table(t.name, column(t.key), *(column(c) for c in t.columns)))
                     .where(column(t.key) == bindparam("pk")).values(values), {"pk": pk})
    restored = 0
    for subject, key in source.items():
        now = listed.get(subject)
        if key is not None and now is not None and now["destroyed_idx"] is None:
            conn.execute(update(table("data_key", column("subject"), column("key")))
                         .where(column("subject") == bindparam("s")).values(key=bindparam("k")),
                         {"s": subject, "k": key})
            restored += 1
    return {"opened": len(writes), "blank": blank, "keys": restored}


def keys_file(conn: Connection, origin: str) -> bytes:
    """The data keys as ``parley backup --keys-out`` writes them (JSON): a copy of every live key that does not
    forget a destruction; keep it no longer than the shortest retention period (docs/retention.md)."""
    keys = keys_of(conn)
    body = {"format": KEYS_FORMAT, "log_origin": origin,
            "keys": [{"subject": s, "key": base64.b64encode(v["key"]).decode() if v["key"] is not None else None,
                      "created_idx": v["created_idx"], "destroyed_idx": v["destroyed_idx"]}
                     for s, v in sorted(keys.items())]}
    return json.dumps(body, indent=1).encode()


def read_keys_file(data: bytes, origin: str) -> dict[str, bytes | None]:
    try:
        body = json.loads(data)
        if body.get("format") != KEYS_FORMAT:
            raise SealedRowsError(f"not a keys file of format {KEYS_FORMAT}")
        if body.get("log_origin") != origin:
            raise SealedRowsError(f"the keys file is of log {body.get('log_origin')!r}, not {origin!r}")
        return {str(k["subject"]): base64.b64decode(k["key"]) if k["key"] is not None else None
                for k in body["keys"]}
    except SealedRowsError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SealedRowsError(f"the keys file is unreadable: {exc.__class__.__name__}") from None
