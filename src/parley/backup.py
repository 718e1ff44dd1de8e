"""Backups of a running deployment, verified after writing, and restores into a new deployment only.

A backup is one tar file (mode 0600) of three members:

- ``manifest.json``: the format, when it was made, the backend, the log's origin and *verifier* key, the
  log's size, root and newest signed checkpoint in the copy, the checkpoint the log had released when the
  backup began (its state file), and the database member's name, length and SHA-256;
- the database: ``parley.db`` (SQLite, a consistent copy made with SQLite's online backup API in one
  step, which reads one snapshot of the WAL and does not hold writers up) or ``parley.pgdump``
  (PostgreSQL: ``pg_dump --format=custom``, one repeatable-read snapshot), its personal columns blank and
  its data keys erased;
- ``sealed-rows.json``: those personal columns, each row sealed under its data subjects' keys
  (``parley.sealed_rows``), which the backup does not hold: a restore opens them with a mirror's keys (it
  forgets destroyed ones) or a keys file written with the backup (``keys_out``). A person destroyed after
  the backup is then destroyed in it too.

It holds **no secret key**: not the log's signing key (``log.key``), not ``PARLEY_SECRET_KEY``, not a
witness's key. Those are backed up separately, once, encrypted (``docs/operations.md``). Nor does it hold
``log.state``: a restore takes the released checkpoint from where it lives, never from an older copy.
The rest of the database (records that are not personal, members, password hashes, operations) is in clear:
the file is to be kept encrypted.

After writing, the backup is read back from the file and checked: the member's hash, then the log's
self-check (``log/selfcheck.py``) on a copy of the database: every entry, node and checkpoint recomputed
from the stored leaves, the newest checkpoint signed by the log key at the head, and the tree at the
size the log had released when the backup began has the released root — so the copy holds every record
acknowledged before the backup began (a receipt is given only after the state file moved). PostgreSQL's
copy is checked in a scratch database restored from the dump (created and dropped on the same server,
or ``verify_url``).

A restore (``restore``) goes into a new data directory (and, on PostgreSQL, an empty database) only,
and writes the state file from the newest checkpoint the log is known to have released (the old
server's ``log.state``, an auditor's or a witness's saved checkpoint, a mirror's), never from the backup.

The log can never go back, so a restore must end where the parties already are. With a **mirror**
(``parley mirror``, ``parley/mirror/``) it fetches every entry the mirror holds after the backup (record
notes from entry bundles, payloads as the log stored them from payload bundles) and the data keys the mirror
holds, checks each payload against the hash its record signs (``mirror.store.check_payload``: a sealed one
opened with its key) and the tree they make with the backup's against the mirror's checkpoint (signed by the
log key, cosigned per the witness policy if given) and every other known checkpoint, and only then stores the
keys the backup lacks and appends the entries through the pipeline as a replay (``parley log replay``'s: sealed
payloads stored as they were): the same leaves, the same tree, every table rebuilt as when they were first
written, destructions included (an entry destroyed since is appended as stored and not applied; the
tombstones of what was all destroyed are made from the notes: ``docs/retention.md``). Nothing is appended if
any check fails. If the restored log
is still behind the newest released checkpoint (no mirror, or a mirror behind it) the result names the missing
entries; the server then refuses to start (the state file says so), or, when only a witness knows the larger
tree, serves reads and refuses writes (``log.behind_witnesses``, ``logserver/publish.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, make_url, select, text

from parley.db import create_private, make_engine, private_dir, session_factory
from parley.log.models import LogCheckpoint, LogHead
from parley.log.note import Signer, Verifier
from parley.log.policy import Policy, PolicyError
from parley.log.selfcheck import SelfCheckReport, check_log
from parley.log.state import STATE_FILE, LogState, Released, StateError, missing_entries, write_durably
from parley import sealed_rows
from parley.mirror.client import TileReader
from parley.mirror.store import MirrorError
from parley.records.kinds import Kind
from parley.settings import Settings

FORMAT = "parley-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "parley.db"
PG_MEMBER = "parley.pgdump"
CHUNK = 1 << 20

# progress(phase, done, total): a phase's description, units done, and its total if known.
Progress = Callable[[str, int, int | None], None]


class BackupError(RuntimeError):
    """A backup could not be made, read, verified or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: str
    created_at: str
    backend: str
    log_origin: str
    log_vkey: str
    size: int
    root: str  # hex
    checkpoint: str  # the copy's newest signed checkpoint note
    released_at_start: str  # the state file's signed checkpoint when the backup began
    member: str
    member_bytes: int
    member_sha256: str
    # The personal columns, sealed under keys the backup does not hold (``parley.sealed_rows``); absent from
    # a backup written before they were sealed.
    sealed_member: str = ""
    sealed_bytes: int = 0
    sealed_sha256: str = ""
    sealed_rows: int = 0

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError(f"not a Parley backup of format {FORMAT} (found {raw.get('format')!r})")
            return cls(**raw)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"the backup's manifest is unreadable: {exc}") from None


def _noop(phase: str, done: int, total: int | None) -> None:
    pass


def _pg_url(url: str) -> str:
    """A libpq URL (for pg_dump and pg_restore) from Parley's database URL, without its password (which
    goes in PGPASSWORD, not on a command line every user of the machine can read)."""
    return make_url(url).set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_env(url: str) -> dict[str, str]:
    password = make_url(url).password
    return {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (or not on PATH); a PostgreSQL backup needs pg_dump and "
                          "pg_restore of the server's major version or newer (Debian: apt-get install "
                          "postgresql-client)")
    return found


def _run(args: Sequence[str], url: str) -> None:
    # The program is pg_dump or pg_restore found on PATH; the arguments are a URL and paths, no shell.
    done = subprocess.run(list(args), capture_output=True, text=True, check=False, env=_pg_env(url))  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[-1].split("?", 1)[0])


def copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of the live database ``src`` into a new file ``dst`` (0600, a single file, no WAL).

    One backup step (``pages=-1``) reads one snapshot of the WAL; writers go on meanwhile. A stepwise
    copy would restart on every write by another connection and might never finish under load."""
    if not src.exists():
        raise BackupError(f"the database {src} does not exist")
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=60)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {src}: {exc}") from None
    finally:
        source.close()


def _single_file(path: Path) -> None:
    """Leave the SQLite file ``path`` in rollback-journal mode: one self-contained file, no -wal beside it."""
    c = sqlite3.connect(path)
    try:
        c.execute("PRAGMA journal_mode=DELETE")
    finally:
        c.close()


def _file_sha256(path: Path, progress: Progress, phase: str) -> tuple[int, str]:
    h, size, total = hashlib.sha256(), 0, path.stat().st_size
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            size += len(block)
            progress(phase, size, total)
    return size, h.hexdigest()


def _head(url: str) -> tuple[int, bytes, bytes]:
    """The size, root and newest checkpoint note of the log in the database at ``url``."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with session_factory(engine)() as s:
            head = s.get(LogHead, 1)
            size = head.size if head is not None else 0
            row = s.execute(select(LogCheckpoint).where(LogCheckpoint.size == size)).scalar_one_or_none()
            if row is None:
                if size == 0:
                    from parley.log import merkle

                    return 0, merkle.EMPTY_ROOT, b""
                raise BackupError(f"the copy's log has {size} entries but no checkpoint for them")
            return size, bytes(row.root_hash), bytes(row.note)
    finally:
        engine.dispose()


def check_copy(url: str, verifier: Verifier, origin: str, released: bytes | None,
               progress: Progress = _noop) -> SelfCheckReport:
    """The log's self-check on a copied database, against the checkpoint ``released`` (a signed note) if
    given: the copy must hold that tree (every record acknowledged when it was released)."""
    engine = make_engine(url, pool_size=1, max_overflow=1)
    try:
        with tempfile.TemporaryDirectory(prefix="parley-check-") as tmp:
            state = None
            if released:
                path = Path(tmp) / STATE_FILE
                path.write_bytes(released)
                state = LogState(path, verifier, origin)
            return check_log(session_factory(engine), verifier, origin, state,
                             progress=lambda done, total: progress("verifying the copy's log", done, total))
    finally:
        engine.dispose()


def create_backup(settings: Settings, out: Path, *, progress: Progress = _noop,
                  verify_url: str | None = None, keys_out: Path | None = None) -> Manifest:
    """Back up the deployment of ``settings`` into the new file ``out``, then verify the file. Its personal
    columns are sealed under the data subjects' keys and no key is in it (``parley.sealed_rows``); with
    ``keys_out`` the keys are also written to that new file (0600), a copy that does not forget a destruction."""
    from parley.runtime import load_log_key, log_state

    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} already exists; a backup never replaces a file")
    if not out.parent.is_dir():
        raise BackupError(f"the directory {out.parent} does not exist")
    try:
        signer = load_log_key(settings)
        state = log_state(settings, signer)
        released = state.current()  # before the copy begins: the copy must hold at least this
    except (RuntimeError, StateError) as exc:
        raise BackupError(str(exc)) from None
    if keys_out is not None and Path(keys_out).exists():
        raise BackupError(f"{keys_out} already exists; a keys file is never replaced")
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".parley-backup-") as tmp:
        work = Path(tmp)
        if backend == "sqlite":
            member = work / SQLITE_MEMBER
            progress("copying the database", 0, None)
            copy_sqlite(_sqlite_path(settings.database_url), member)
            progress("copying the database", 1, 1)
            sealed = _seal_copy(f"sqlite:///{member}", settings.log_origin, keys_out, progress)
            _vacuum(member)  # the blanked values' old pages are not left in the file
            size, root, note = _head(f"sqlite:///{member}")
            _single_file(member)  # reading it through Parley's engine turned WAL on again
        else:
            member = work / PG_MEMBER
            pg_dump = pg_tool("pg_dump")
            pg_tool("pg_restore")
            progress("dumping the database (pg_dump)", 0, None)
            first = work / "live.pgdump"
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(first),
                  "--dbname", _pg_url(settings.database_url)], settings.database_url)
            progress("dumping the database (pg_dump)", 1, 1)
            # Sealed in a scratch database restored from the dump, then dumped again from there: the live
            # database is never changed, and the member holds the blanked rows only. With --verify-url (a role
            # that may not create databases) that database serves for this too, and is emptied again after.
            sequences = _sequences(verify_url) if verify_url is not None else set()
            with _restored(backend, first, verify_url, settings.database_url, progress) as scratch:
                sealed = _seal_copy(scratch, settings.log_origin, keys_out, progress)
                size, root, note = _head(scratch)  # the dump's, as verification checks again
                _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(member),
                      "--dbname", _pg_url(scratch)], scratch)
                if verify_url is not None:
                    _drop_restored(scratch, sequences)
            first.unlink()
        sealed_file = work / sealed_rows.MEMBER
        sealed_file.write_bytes(json.dumps(sealed, separators=(",", ":")).encode())
        sealed_bytes, sealed_digest = _file_sha256(sealed_file, progress, "hashing the sealed rows")
        nbytes, digest = _file_sha256(member, progress, "hashing the copy")
        manifest = Manifest(format=FORMAT, created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            backend=backend, log_origin=settings.log_origin, log_vkey=signer.vkey(),
                            size=size, root=root.hex(), checkpoint=note.decode(),
                            released_at_start=released.note.decode(), member=member.name,
                            member_bytes=nbytes, member_sha256=digest, sealed_member=sealed_file.name,
                            sealed_bytes=sealed_bytes, sealed_sha256=sealed_digest,
                            sealed_rows=sealed_rows.count(sealed))
        _write_archive(out, work / "backup.tar", manifest, [member, sealed_file], progress)
    verify_backup(out, Verifier.from_vkey(signer.vkey()), progress=progress, verify_url=verify_url,
                  scratch_on=settings.database_url)
    return manifest


def _seal_copy(url: str, origin: str, keys_out: Path | None, progress: Progress) -> dict[str, Any]:
    """Seal and blank the personal columns of the copy at ``url`` and erase its keys (``parley.sealed_rows``),
    first writing the keys to the new file ``keys_out`` if asked. Answers the sealed rows."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        progress("sealing the personal data", 0, None)
        with engine.begin() as conn:
            if keys_out is not None:
                try:
                    create_private(Path(keys_out), sealed_rows.keys_file(conn, origin))
                except FileExistsError:
                    raise BackupError(f"{keys_out} already exists; a keys file is never replaced") from None
            try:
                sealed = sealed_rows.seal_and_blank(conn)
            except sealed_rows.SealedRowsError as exc:
                raise BackupError(str(exc)) from None
        progress("sealing the personal data", 1, 1)
        return sealed
    finally:
        engine.dispose()


def _vacuum(path: Path) -> None:
    """Fold the WAL into the SQLite file and rebuild it: what the sealing blanked is in no page of it."""
    c = sqlite3.connect(path)
    try:
        c.execute("PRAGMA journal_mode=DELETE")
        c.execute("PRAGMA secure_delete=ON")
        c.execute("VACUUM")
    finally:
        c.close()


def _write_archive(out: Path, tmp: Path, manifest: Manifest, members: Sequence[Path], progress: Progress) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
            total = sum(m.stat().st_size for m in members)
            progress("writing the backup", 0, total)
            for member in members:
                info = tarfile.TarInfo(member.name)
                info.size, info.mode, info.mtime = member.stat().st_size, 0o600, int(time.time())
                with open(member, "rb") as src:
                    tar.addfile(info, src)
            progress("writing the backup", total, total)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, out)  # never over an existing file, even one made meanwhile
    except FileExistsError:
        raise BackupError(f"{out} already exists; a backup never replaces a file") from None
    directory = os.open(out.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_manifest(backup: Path) -> Manifest:
    try:
        with tarfile.open(backup, mode="r:") as tar:
            f = tar.extractfile(MANIFEST)
            if f is None:
                raise BackupError(f"{backup} has no {MANIFEST}")
            return Manifest.from_json(f.read())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{backup} is not a readable Parley backup: {exc}") from None


def extract_member(backup: Path, manifest: Manifest, dst: Path, progress: Progress = _noop) -> None:
    """Copy the database member to ``dst`` (a new file, 0600), checking its length and hash."""
    h, n = hashlib.sha256(), 0
    try:
        with tarfile.open(backup, mode="r:") as tar:
            src = tar.extractfile(manifest.member)
            if src is None:
                raise BackupError(f"{backup} has no {manifest.member}")
            fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                while block := src.read(CHUNK):
                    h.update(block)
                    n += len(block)
                    f.write(block)
                    progress("reading the backup", n, manifest.member_bytes)
                f.flush()
                os.fsync(f.fileno())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{backup} is not a readable Parley backup: {exc}") from None
    if n != manifest.member_bytes or h.hexdigest() != manifest.member_sha256:
        raise BackupError(f"the backup's {manifest.member} is damaged: it does not have the length and SHA-256 "
                          "its manifest records")


@contextmanager
def _restored(backend: str, member: Path, verify_url: str | None, scratch_on: str | None,
              progress: Progress) -> Iterator[str]:
    """The database of a backup's member, ready to read: the SQLite file itself, or the dump restored
    into ``verify_url`` (an empty database) or a scratch database made beside the one it came from."""
    if backend == "sqlite":
        yield f"sqlite:///{member}"
        return
    pg_restore = pg_tool("pg_restore")
    if verify_url is not None:
        _require_empty(verify_url)
        progress("restoring the dump to check it", 0, None)
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", _pg_url(verify_url),
              str(member)], verify_url)
        yield verify_url
        return
    if scratch_on is None or not scratch_on.startswith("postgresql"):
        raise BackupError("checking a PostgreSQL backup needs a database to restore it into: pass --verify-url "
                          "(an empty database) or set PARLEY_DATABASE_URL to the server it came from")
    admin = make_engine(scratch_on, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    name = f"parley_verify_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no right to create one: say what to do instead
        admin.dispose()
        raise BackupError(f"could not create a scratch database to check the dump ({exc.__class__.__name__}); "
                          "pass --verify-url with an empty database") from None
    try:
        url = make_url(scratch_on).set(database=name).render_as_string(hide_password=False)
        progress("restoring the dump to check it", 0, None)
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", _pg_url(url),
              str(member)], url)
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sequences(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            return set(inspect(c).get_sequence_names())
    finally:
        engine.dispose()


def _drop_restored(url: str, sequences: set[str]) -> None:
    """Empty ``url`` again of what a restore of Parley's dump put in it (it held no table before): its
    tables (their indexes and owned sequences with them) and any sequence that was not there before."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            q = c.dialect.identifier_preparer
            for name in inspect(c).get_table_names():
                c.execute(text(f"DROP TABLE IF EXISTS {q.quote(name)} CASCADE"))
            for name in set(inspect(c).get_sequence_names()) - sequences:
                c.execute(text(f"DROP SEQUENCE IF EXISTS {q.quote(name)}"))
    finally:
        engine.dispose()


def _require_empty(url: str) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            tables = inspect(c).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError(f"the database {make_url(url).render_as_string(hide_password=True)} is not empty "
                          f"({len(tables)} tables); a restore goes into a new, empty database only")


def verify_backup(backup: Path, verifier: Verifier, *, progress: Progress = _noop, verify_url: str | None = None,
                  scratch_on: str | None = None) -> tuple[Manifest, SelfCheckReport]:
    """Read ``backup`` back and check it: the manifest names this log's key, the member has its recorded
    hash, and the log's self-check passes on the copy, which holds the tree the log had released when
    the backup began. Raises ``BackupError`` with the first problems otherwise."""
    manifest = read_manifest(backup)
    if manifest.log_vkey != verifier.vkey():
        raise BackupError("the backup is of another log (its manifest names another log key)")
    with tempfile.TemporaryDirectory(prefix="parley-verify-") as tmp:
        member = Path(tmp) / manifest.member
        extract_member(backup, manifest, member, progress)
        with _restored(manifest.backend, member, verify_url, scratch_on, progress) as url:
            report = check_copy(url, verifier, manifest.log_origin, manifest.released_at_start.encode() or None,
                                progress)
            size, root, _ = _head(url)
    if not report.ok:
        more = f" (and {report.problem_count - 5} more)" if report.problem_count > 5 else ""
        raise BackupError("the backup does not verify: " + "; ".join(report.problems[:5]) + more)
    if (size, root.hex()) != (manifest.size, manifest.root):
        raise BackupError(f"the backup's log is at size {size}, but its manifest says {manifest.size}")
    if manifest.sealed_member:
        held = read_sealed(backup, manifest)
        if sealed_rows.count(held) != manifest.sealed_rows:
            raise BackupError(f"the backup's sealed rows number {sealed_rows.count(held)}, but its manifest says "
                              f"{manifest.sealed_rows}")
    return manifest, report


def read_sealed(backup: Path, manifest: Manifest) -> dict[str, Any]:
    """The backup's sealed rows (``parley.sealed_rows``), checked against the manifest's length and hash."""
    try:
        with tarfile.open(backup, mode="r:") as tar:
            src = tar.extractfile(manifest.sealed_member)
            if src is None:
                raise BackupError(f"{backup} has no {manifest.sealed_member}")
            data = src.read(manifest.sealed_bytes + 1)
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{backup} is not a readable Parley backup: {exc}") from None
    if len(data) != manifest.sealed_bytes or hashlib.sha256(data).hexdigest() != manifest.sealed_sha256:
        raise BackupError(f"the backup's {manifest.sealed_member} is damaged: it does not have the length and "
                          "SHA-256 its manifest records")
    try:
        held: dict[str, Any] = json.loads(data)
    except ValueError:
        raise BackupError(f"the backup's {manifest.sealed_member} is not JSON") from None
    return held


# -- restore ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    released: Released  # the newest checkpoint the log is known to have released
    size: int  # the restored log's size
    missing: str | None  # "entries a to b (n entries) are", when the restored log is behind ``released``
    appended: int = 0  # entries fetched from the mirror and appended after the backup's
    mirror_size: int | None = None  # the size of the mirror's checkpoint, if a mirror was read


def _released_from(paths: Sequence[Path], state: LogState) -> list[Released]:
    found = []
    for path in paths:
        try:
            found.append(state.parse(Path(path).read_bytes()))
        except OSError as exc:
            raise BackupError(f"cannot read the checkpoint {path}: {exc}") from None
        except StateError as exc:
            raise BackupError(f"{path}: {exc}") from None
    return found


def _new_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} exists and is not empty; a restore goes into a new data directory only "
                          "(it never overwrites a deployment, live or not)")


def restore_backup(backup: Path, data_dir: Path, log_key: Path, checkpoints: Sequence[Path], *,
                   database_url: str | None = None, backup_is_latest: bool = False,
                   mirror: TileReader | None = None, kinds: Mapping[str, Kind] | None = None,
                   policy: Policy | None = None, published: bool = True, keys_file: Path | None = None,
                   progress: Progress = _noop) -> RestoreResult:
    """Restore ``backup`` into the new data directory ``data_dir`` (SQLite there, or the empty PostgreSQL
    database ``database_url``), with the log key from ``log_key`` and the state file written from the
    newest of ``checkpoints`` (signed checkpoint notes: the old ``log.state``, an auditor's or witness's
    copy); only with ``backup_is_latest`` from the backup's own newest checkpoint.

    With a ``mirror`` (and ``kinds``, the record kinds the log accepts), every entry the mirror holds after
    the backup is fetched, checked against every signed checkpoint known (the mirror's, cosigned per
    ``policy`` if given, and ``checkpoints``) and only then appended through the pipeline, as a replay,
    with the same leaves; ``published``: the checkpoints signed meanwhile are published (no witness
    policy), else the server's publisher has them cosigned when it starts.

    The backup's personal columns are sealed and its data keys erased (``parley.sealed_rows``): they are
    opened with the keys the ``mirror`` lists (it forgets destroyed ones) and, for subjects it does not list,
    those of ``keys_file`` (``parley backup --keys-out``). Without either, a backup holding personal data
    is refused before anything is written."""
    data_dir = Path(data_dir)
    manifest = read_manifest(backup)
    try:
        signer = Signer.from_skey(Path(log_key).read_text().strip())
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the log key {log_key}: {exc}") from None
    if signer.vkey() != manifest.log_vkey:
        raise BackupError(f"{log_key} is not the key of the log in this backup ({manifest.log_vkey})")
    verifier = Verifier.from_vkey(signer.vkey())
    _new_data_dir(data_dir)
    if manifest.backend == "sqlite" and database_url is not None and not database_url.startswith("sqlite"):
        raise BackupError("this is a SQLite backup: it restores into the data directory, not into PostgreSQL")
    if manifest.backend == "postgresql":
        if database_url is None or not database_url.startswith("postgresql"):
            raise BackupError("this is a PostgreSQL backup: pass --database-url with a new, empty database")
        _require_empty(database_url)
    probe = LogState(data_dir / STATE_FILE, verifier, manifest.log_origin)
    known = _released_from(checkpoints, probe)
    mirrored = _mirror_checkpoint(mirror, probe, policy) if mirror is not None else None
    if mirror is not None and kinds is None:
        raise BackupError("a restore from a mirror needs the log's record kinds")
    if not known and not backup_is_latest and mirrored is None:
        raise BackupError("say which checkpoint the log last released: --checkpoint the old server's log.state, "
                          "a party's auditor's saved checkpoint or a witness's; only if none exists anywhere, "
                          "--backup-is-latest (docs/operations.md)")
    own = probe.parse(manifest.checkpoint.encode()) if manifest.checkpoint else None
    by_size: dict[int, Released] = {}
    for r in [*known, *([own] if own is not None else []), *([mirrored] if mirrored is not None else [])]:
        if r.size in by_size and by_size[r.size].root != r.root:
            raise BackupError(f"two checkpoints signed by this log for size {r.size} have different roots: the "
                              "log forked; do not restore before this is investigated")
        by_size.setdefault(r.size, r)
    released_known = [*known, *([mirrored] if mirrored is not None else [])]
    newest_known = max(released_known, key=lambda r: r.size) if released_known else own
    if newest_known is None:
        raise BackupError("the backup holds no checkpoint and none was given")
    held = read_sealed(backup, manifest) if manifest.sealed_member else None
    source = _key_source(mirror, keys_file, manifest.log_origin) if held is not None else {}
    unknown = sorted(sealed_rows.needed_subjects(held) - set(source)) if held is not None else []
    if unknown:
        raise BackupError(f"this backup's personal data is sealed under the keys of {len(unknown)} data subject(s) "
                          f"that no key source gives (e.g. {', '.join(unknown[:3])}): --mirror, a mirror that has "
                          "followed the log past the backup, or --keys, the keys file written with the backup; "
                          "nothing was written")

    with tempfile.TemporaryDirectory(prefix="parley-restore-") as tmp:
        member = Path(tmp) / manifest.member
        extract_member(backup, manifest, member, progress)
        if manifest.backend == "sqlite":
            report = check_copy(f"sqlite:///{member}", verifier, manifest.log_origin, None, progress)
            if not report.ok:
                raise BackupError("the backup does not verify: " + "; ".join(report.problems[:5]))
        private_dir(data_dir, narrow=True)
        if manifest.backend == "sqlite":
            target = f"sqlite:///{(data_dir / SQLITE_MEMBER).resolve()}"
            _single_file(member)  # no -wal left behind in the temporary directory
            shutil.move(str(member), data_dir / SQLITE_MEMBER)
        else:
            assert database_url is not None
            progress("restoring the dump (pg_restore)", 0, None)
            _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--dbname",
                  _pg_url(database_url), str(member)], database_url)
            target = database_url
            report = check_copy(target, verifier, manifest.log_origin, None, progress)
            if not report.ok:
                raise BackupError("the restored database does not verify: " + "; ".join(report.problems[:5]))
    if held is not None:
        _open_sealed(target, held, source, progress)
    appended = 0
    if mirrored is not None:
        assert kinds is not None
        appended = _append_from_mirror(target, signer, manifest.log_origin, kinds, mirror, mirrored,  # type: ignore[arg-type]
                                       [r for r in released_known if r is not mirrored], published, progress)
    write_durably(data_dir / "log.key", (signer.skey() + "\n").encode())
    size, _, own_note = _head(target)
    # The state file holds the newest released checkpoint; the log's own note for it where the restored
    # tree reaches it (the one the log signed: Ed25519 signs the same checkpoint text the same way).
    write_durably(data_dir / STATE_FILE, own_note if newest_known.size == size and own_note else newest_known.note)
    missing = None
    if newest_known.size > size:
        missing = missing_entries(size, newest_known.size)
    else:
        _check_extends(target, probe, size)
    return RestoreResult(manifest, newest_known, size, missing, appended,
                         mirrored.size if mirrored is not None else None)


def _key_source(mirror: TileReader | None, keys_file: Path | None, origin: str) -> dict[str, bytes | None]:
    """The data keys a restore opens the sealed rows with: the mirror's (None once destroyed), then the keys
    file's for subjects the mirror does not list."""
    keys: dict[str, bytes | None] = {}
    if keys_file is not None:
        try:
            keys.update(sealed_rows.read_keys_file(Path(keys_file).read_bytes(), origin))
        except OSError as exc:
            raise BackupError(f"cannot read the keys file {keys_file}: {exc.strerror or exc}") from None
        except sealed_rows.SealedRowsError as exc:
            raise BackupError(f"{keys_file}: {exc}") from None
    if mirror is not None:
        try:
            keys.update({x: k.key for x, k in mirror.data_keys().items()})
        except (MirrorError, ValueError) as exc:
            raise BackupError(f"the mirror could not list the data keys: {exc}") from None
    return keys


def _open_sealed(url: str, held: Mapping[str, Any], source: Mapping[str, bytes | None], progress: Progress) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        progress("opening the sealed personal data", 0, sealed_rows.count(held))
        with engine.begin() as conn:
            try:
                done = sealed_rows.open_and_fill(conn, held, source)
            except sealed_rows.SealedRowsError as exc:
                raise BackupError(f"{exc}; the restored database must not be served: restore again into a new "
                                  "directory (--mirror, or --keys with the keys file written with the backup)") \
                    from None
        progress("opening the sealed personal data", done["opened"], sealed_rows.count(held))
    finally:
        engine.dispose()


def _mirror_checkpoint(mirror: TileReader, state: LogState, policy: Policy | None) -> Released:
    """The mirror's checkpoint: signed by this log (and cosigned per ``policy``, if given)."""
    try:
        note = mirror.checkpoint()
    except MirrorError as exc:
        raise BackupError(f"the mirror did not answer: {exc}") from None
    try:
        found = state.parse(note)
    except StateError as exc:
        raise BackupError(f"the mirror's checkpoint: {exc}") from None
    if policy is not None:
        try:
            policy.verify_checkpoint(note)
        except PolicyError as exc:
            raise BackupError(f"the mirror's checkpoint is not cosigned as the witness policy requires: {exc}") \
                from None
    return found


def _append_from_mirror(url: str, signer: Signer, origin: str, kinds: Mapping[str, Kind], mirror: TileReader,
                        mirrored: Released, checkpoints: Sequence[Released], published: bool,
                        progress: Progress) -> int:
    """Fetch the entries the mirror holds after the restored log, check that with the restored tree they
    make exactly the trees of the mirror's checkpoint and of every other known checkpoint they reach,
    then append them through the pipeline (a replay: signatures, standing and schemas checked again, the
    tables rebuilt). Nothing is appended unless every check passes. Returns how many were appended."""
    from parley.db import writing
    from parley.log import merkle
    from parley.log.sealed import Destructions
    from parley.log.store import DbNodes, NodeCache
    from parley.mirror.store import check_payload, note_field
    from parley.records import sealing
    from parley.records.pipeline import Pipeline, Receipt

    start = _head(url)[0]
    engine = make_engine(url, pool_size=1, max_overflow=1)
    try:
        with session_factory(engine)() as s:
            nodes = DbNodes(s, NodeCache())
            if mirrored.size <= start:
                # The mirror is behind the backup: it must hold a prefix of the same tree.
                if mirrored.size and merkle.root_hash(nodes, mirrored.size) != mirrored.root:
                    raise BackupError(f"the mirror's checkpoint for size {mirrored.size} has another root than the "
                                      "backup's tree: the log forked; do not restore before this is investigated")
                return 0
            progress("fetching entries from the mirror", 0, mirrored.size - start)
            try:
                entries = mirror.entries(start, mirrored.size, mirrored.size)
                keys = mirror.data_keys()
            except (MirrorError, ValueError) as exc:
                raise BackupError(f"the mirror could not serve entries {start} to {mirrored.size - 1}: {exc}") from None
            if len(entries) != mirrored.size - start:
                raise BackupError(f"the mirror served {len(entries)} entries, not {mirrored.size - start}")
            progress("fetching entries from the mirror", len(entries), len(entries))
            pending: dict[tuple[int, int], bytes] = {}

            class Tree:
                @staticmethod
                def full_nodes(keys: Sequence[tuple[int, int]]) -> list[bytes]:
                    old = [k for k in keys if k not in pending]
                    got = dict(zip(old, nodes.full_nodes(old), strict=True)) if old else {}
                    return [pending[k] if k in pending else got[k] for k in keys]

            # Each payload as the mirror stores it (plain, sealed or destroyed), checked as the mirror checked
            # it: a sealed one opened with the mirror's key for it, a destroyed one only with a later destroying
            # record among the entries. Replayed as stored, under the keys carried over (``parley log replay``).
            destructions = Destructions()
            items: list[tuple[bytes, Any, None, str]] = []
            for i, (note, payload) in enumerate(entries):
                idx = start + i
                try:
                    kept, plain, by = check_payload(idx, note, payload, keys)
                    destructions.saw(idx, note_field(note, "kind"))
                except (MirrorError, ValueError) as exc:
                    raise BackupError(f"the mirror serves {exc}; nothing was appended") from None
                if by is not None:
                    destructions.claim(idx, by)
                    items.append((note, None, None, kept.decode()))  # appended as it was, nothing applied
                elif plain is not None:
                    items.append((note, json.loads(plain), None, kept.decode()))
                leaf = merkle.leaf_hash(note)
                pending[(0, idx)] = leaf
                for level, n, h in merkle.appended_nodes(Tree, idx, leaf):
                    pending[(level, n)] = h
            for r in [mirrored, *checkpoints]:
                if start < r.size <= mirrored.size and merkle.root_hash(Tree, r.size) != r.root:
                    raise BackupError(f"the entries the mirror serves do not make the tree the log signed for size "
                                      f"{r.size} (another root): the mirror's copy is not the log's; nothing was "
                                      "appended")
            problems = destructions.problems(mirrored.size, mirrored.size - 1)
            if problems:
                raise BackupError(f"the mirror serves entry {problems[0][0]} as destroyed: {problems[0][1]}; nothing "
                                  "was appended")
        # The keys of the subjects the backup does not know (made after it), as the mirror holds them: a
        # destroyed one without its key, so the destruction replayed finds it.
        with writing(session_factory(engine)) as s:
            sealing.carry_keys(s, [(x, k.key, k.created_idx, k.destroyed_idx if k.key is None else None)
                                   for x, k in keys.items()])
    finally:
        engine.dispose()
    engine = make_engine(url, pool_size=1, max_overflow=1)
    try:
        pipeline = Pipeline(session_factory(engine), signer, origin, kinds=kinds, cache=NodeCache(),
                            auto_publish=published)
        done = 0
        try:
            for i in range(0, len(items), 2048):
                chunk = items[i : i + 2048]
                results = pipeline.submit_many(chunk, replay=True)
                for j, res in enumerate(results):
                    idx = start + i + j
                    if not isinstance(res, Receipt) or res.index != idx:
                        why = res.message if not isinstance(res, Receipt) else f"it landed at {res.index}"
                        raise BackupError(f"entry {idx} from the mirror was refused on replay ({why}): the restored "
                                          f"database holds entries up to {idx - 1} only and must not be served; "
                                          "restore again into a new directory once this is understood")
                done += len(chunk)
                progress("appending the mirror's entries", done, len(entries))
        finally:
            pipeline.close()
        # Persons and inquiries whose every record came destroyed: their tombstones, from the notes.
        from parley.people.retention import restore_tombstones

        with writing(session_factory(engine)) as s:
            restore_tombstones(s)
    finally:
        engine.dispose()
    size, root, _ = _head(url)
    if (size, root) != (mirrored.size, mirrored.root):
        raise BackupError(f"after appending, the restored log is at size {size} with another root than the "
                          "mirror's checkpoint: do not serve this directory")
    return len(entries)


def _check_extends(url: str, state: LogState, size: int) -> None:
    """The restored tree extends the released checkpoint (``LogState.check_database``)."""
    from parley.log.store import DbNodes, NodeCache

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with session_factory(engine)() as s:
            row = s.get(LogCheckpoint, size) if size else None
            root = bytes(row.root_hash) if row is not None else None
            try:
                state.check_database(DbNodes(s, NodeCache()), size, root or b"")
            except StateError as exc:
                raise BackupError(f"the restored log is not an extension of the released checkpoint: {exc}") from None
    finally:
        engine.dispose()


__all__ = ["BackupError", "Manifest", "RestoreResult", "check_copy", "create_backup", "read_manifest",
           "restore_backup", "verify_backup"]
