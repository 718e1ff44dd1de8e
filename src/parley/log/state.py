"""What the log last released, kept outside the database it protects.

A checkpoint is *released* once anyone outside the server may hold it: acknowledged in a receipt,
served at ``/log/checkpoint`` or in a record's proof, or sent to a witness. Before any of that, the
pipeline records it in the **state file** ``DATA_DIR/log.state`` (beside ``log.key``): the signed
checkpoint note itself, so the file needs no trust of its own (it verifies with the log key). The
log then refuses to start, and refuses to sign, anything not consistent with it. This is the
checkpoint lock of Sunlight and Tessera: the lock is advanced only after the data it commits to is
durable, and before the checkpoint is published.

Write order of one append batch (``records/pipeline.py``)::

    BEGIN (write lock) → entries, nodes, checkpoint row, head → COMMIT
      → state file: tmp file, fsync, rename, fsync the directory
        → receipts, /log/checkpoint, witnesses

Crash windows:

- **Before COMMIT**: nothing stored, nothing released; the state file is unchanged.
- **After COMMIT, before the rename**: the database is *ahead* of the state file by the batch (a
  leftover ``.log.state.*`` temporary file may remain; it is ignored and removed). Nothing of the
  batch was acknowledged or served. On start (``reconcile``) and on the next append the log checks
  that the database's tree at the state's size has the state's root and that the newer checkpoint is
  consistent with it (RFC 6962 consistency proof), then moves the state forward.
- **After the rename, before the directory fsync**: after a power loss the rename may be undone;
  the same as the previous case, since nothing was released before the directory fsync returned.
- **After the directory fsync, before the receipts**: state and database agree; the callers got no
  receipt and resubmit (a duplicate gets the original receipt).
- **The database loses committed batches** (an older backup restored, a replica that lagged, a
  storage layer that lied about fsync, rows deleted by hand): the database is *behind* the state
  file. The log refuses to start and to append (``StateError``): appending would sign a second
  history for sizes it already released, which every witness refuses and every auditor reports as a
  fork. The operator restores a database that holds the released size.

A state write that fails (disk full) leaves the batch stored but unacknowledged; the next append
retries it through the "database ahead" path. Between the commit and the state write a checkpoint
row exists that is not yet released: the store never hands out a checkpoint beyond
``released_size()`` (``store.latest_checkpoint``), so it is neither served nor sent to witnesses.

Backups: the log key is backed up; the state file is never restored from a backup. Restoring it with
an older database would make the server sign over sizes it already released, exactly what it exists
to prevent; kept live, it makes the server refuse the older database until one holding the released
size is restored.

Several processes appending to one database write the file under an exclusive ``flock`` on
``log.state.lock`` and only ever forward: appends are ordered by the database's write lock, the file by
this lock. The data directory must be local to the processes that share it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parley.errors import Unavailable
from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, Signer, Verifier, open_note, sign_note

log = logging.getLogger(__name__)
STATE_FILE = "log.state"
LOCK_FILE = "log.state.lock"


class StateError(RuntimeError):
    """The database and the log's state file disagree in a way the log must not paper over."""


class LogUnavailable(Unavailable):
    """The log refuses writes: its self-check failed or its database is behind what it released."""

    code = "log_unavailable"


@dataclass(frozen=True)
class Released:
    size: int
    root: bytes
    note: bytes


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATE_FILE


def write_durably(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file, and the
    new one survives a power loss once this returns: temporary file, fsync, rename, fsync the directory."""
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        os.fsync(directory)
    finally:
        os.close(directory)


def missing_entries(db_size: int, released: int) -> str:
    """The entries a database of ``db_size`` lacks of a released log of ``released``: "entries 10 to 14 (5
    entries) are", as a sentence's subject."""
    n = released - db_size
    return f"entry {db_size} (1 entry) is" if n == 1 else \
        f"entries {db_size} to {released - 1} ({n} entries) are"


def rollback_message(path: Path, released: int, db_size: int) -> str:
    return (
        f"the database holds a log of {db_size} entries, but this log already released a checkpoint for "
        f"{released} entries (recorded in {path}): {missing_entries(db_size, released)} released but not in "
        "this database. The database was rolled back: an older backup was "
        "restored, a replica lagged, or rows were deleted. Parley will not start or append, because the "
        f"next append would sign a second, different history for sizes up to {released}, which the "
        "witnesses refuse and every auditor reports as a fork. Restore a backup that holds at least "
        f"{released} entries (or the lost entries), then start again. Do not delete {path.name}: that "
        "only hides the rollback from this server, not from the witnesses and auditors."
    )


class LogState:
    """The state file of one log: read (cached by the file's identity), checked and moved forward."""

    def __init__(self, path: Path, verifier: Verifier, origin: str) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(LOCK_FILE)
        self.verifier = verifier
        self.origin = origin
        self._mutex = threading.Lock()
        self._cached: tuple[tuple[int, int, int], Released] | None = None

    @classmethod
    def for_signer(cls, data_dir: Path, signer: Signer, origin: str) -> LogState:
        return cls(state_path(data_dir), Verifier.from_vkey(signer.vkey()), origin)

    # -- reading ----------------------------------------------------------------------------------
    def parse(self, note: bytes) -> Released:
        try:
            text, _, _ = open_note(note, [self.verifier])
            cp = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise StateError(f"the log's state file {self.path} does not hold a checkpoint signed by this "
                             f"log's key: {exc}") from exc
        if cp.origin != self.origin:
            raise StateError(f"the log's state file {self.path} is for log {cp.origin!r}, not {self.origin!r}")
        return Released(cp.size, cp.root_hash, note)

    def exists(self) -> bool:
        return self.path.exists()

    def current(self) -> Released:
        """The last released checkpoint (re-read whenever the file changed, e.g. by another process)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StateError(f"the log's state file {self.path} is missing; if this deployment is new or was "
                             "just upgraded, run 'parley init' to create it") from None
        ident = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._cached
        if cached is not None and cached[0] == ident:
            return cached[1]
        released = self.parse(self.path.read_bytes())
        self._cached = (ident, released)
        return released

    def released_size(self) -> int:
        return self.current().size

    # -- writing ----------------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._mutex:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing the descriptor releases the lock

    def create(self, note: bytes) -> Released:
        """Write the first state (``parley init``); refuses to replace an existing one."""
        new = self.parse(note)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            if self.path.exists():
                raise StateError(f"the log's state file {self.path} already exists")
            write_durably(self.path, note)
            self._remember(new)
        return new

    def advance(self, note: bytes, *, signed: Released | None = None) -> Released:
        """Record ``note`` as released, durably, unless the file already holds this or a larger
        checkpoint (another process got there first: appends are ordered by the database lock).
        ``signed``: the size and root the caller just signed ``note`` over with this log's key (the
        appender), so the note is not parsed and verified again."""
        new = signed if signed is not None and signed.note == note else self.parse(note)
        with self._exclusive():
            cur = self.current() if self.path.exists() else None
            if cur is not None and new.size <= cur.size:
                if new.size == cur.size and new.root != cur.root:
                    raise StateError(f"the log signed two different roots for size {new.size}; the state file "
                                     f"{self.path} keeps the one it released")
                return cur
            write_durably(self.path, note)
            self._remember(new)
        return new

    def _remember(self, written: Released) -> None:
        """Cache what this process just wrote under the file's new identity: the next ``current()`` needs
        neither to read the file again nor to verify the note's signature a second time."""
        st = os.stat(self.path)
        self._cached = ((st.st_ino, st.st_mtime_ns, st.st_size), written)

    # -- checks -----------------------------------------------------------------------------------
    def check_database(self, nodes: merkle.NodeSource, db_size: int, db_root: bytes | None) -> Released:
        """Is a database tree of ``db_size`` leaves (root ``db_root``, its newest signed checkpoint)
        the released one or an extension of it? Raises ``StateError`` if not; returns the state."""
        cur = self.current()
        if cur.size > db_size:
            raise StateError(rollback_message(self.path, cur.size, db_size))
        if cur.size == 0:
            return cur
        if cur.size == db_size:
            if db_root != cur.root:
                raise StateError(f"the database's checkpoint for size {db_size} has a different root from the "
                                 f"one this log released ({self.path}): its tables were altered")
            return cur
        try:
            merkle.verify_consistency(cur.size, db_size, merkle.consistency_proof(nodes, cur.size, db_size),
                                      cur.root, db_root or b"")
        except (merkle.ProofError, LookupError) as exc:
            raise StateError(f"the database's tree of {db_size} entries is not an extension of the checkpoint "
                             f"this log released for size {cur.size} ({self.path}): {exc}") from exc
        return cur


def empty_checkpoint(signer: Signer, origin: str) -> bytes:
    """The checkpoint of the empty log: the state of a deployment before its first record."""
    return sign_note(Checkpoint(origin, 0, merkle.EMPTY_ROOT).text(), signer)
