"""Members' local secrets: argon2 password hashes, API tokens (stored as SHA-256), and the web signing
key the server holds for each member, wrapped with AES-GCM under a key derived from the server secret.
Every Argon2 hash in the process (passwords and families' secrets) goes through one gate, ``HASHING``.

None of this is a record: secrets never enter the log, and replay does not rebuild them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError, Unprocessable
from parley.log.note import Signer
from parley.parties import codes as C
from parley.parties.models import Credential


class HashBusy(ParleyError):
    """Every Argon2 slot is taken and the queue is full (or the wait ran out): the request is refused, not queued."""

    status, code = 503, "busy"

    def __init__(self, retry_after: int = 2) -> None:
        super().__init__(C.HASH_BUSY)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class HashGate:
    """Bounds the Argon2 hashes computed at once in this process (each takes 64 MiB and a core for a fraction
    of a second). A request waits up to ``wait`` seconds for a slot; when ``queue`` requests already wait, it
    is refused at once, so a flood of sign-ins costs neither memory nor the server's threads."""

    def __init__(self, slots: int = 2, queue: int = 8, wait: float = 3.0) -> None:
        self._cond = threading.Condition()
        self.active = self.waiting = 0
        self.configure(slots, queue, wait)

    def configure(self, slots: int, queue: int, wait: float) -> None:
        with self._cond:
            self.slots, self.queue, self.wait = max(1, slots), max(0, queue), wait
            self._cond.notify_all()

    @contextmanager
    def slot(self, *, bounded: bool = True) -> Iterator[None]:
        """A slot for one hash. ``bounded=False`` (an admin creating a password) waits as long as it takes."""
        with self._cond:
            if self.active >= self.slots:
                if bounded and self.waiting >= self.queue:
                    raise HashBusy()
                self.waiting += 1
                try:
                    free = self._cond.wait_for(lambda: self.active < self.slots, self.wait if bounded else None)
                finally:
                    self.waiting -= 1
                if not free:
                    raise HashBusy()
            self.active += 1
        try:
            yield
        finally:
            with self._cond:
                self.active -= 1
                self._cond.notify()


# One gate for the process: web sign-in, families' secrets and new passwords share it.
HASHING = HashGate()
_hasher = PasswordHasher()
_dummy: dict[tuple[int, int, int], str] = {}


def use_hash_cost(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Argon2 parameters for new hashes, from the settings when a runtime opens (``Settings.password_hash_*``;
    the default is RFC 9106's second profile, argon2-cffi's own). A stored hash carries its own parameters, so
    hashes made with other costs still verify."""
    global _hasher  # noqa: PLW0603 — the process-wide hasher, set once at start-up (or by tests)
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _dummy_hash() -> str:
    # Compared against when there is nothing to compare with, so the answer takes as long either way.
    key = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    if key not in _dummy:
        _dummy[key] = _hasher.hash("parley-no-such-secret")
    return _dummy[key]


def argon2_hash(secret: str, *, bounded: bool = True) -> str:
    with HASHING.slot(bounded=bounded):
        return _hasher.hash(secret)


def argon2_verify(stored: str | None, secret: str) -> bool:
    """True if ``secret`` matches ``stored``; the same work is done when ``stored`` is None. May raise HashBusy."""
    with HASHING.slot():
        try:
            return _hasher.verify(stored or _dummy_hash(), secret) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def hash_password(password: str) -> str:
    return argon2_hash(password, bounded=False)


def check_password(stored: str | None, password: str) -> bool:
    return argon2_verify(stored, password)


def new_token() -> str:
    return "pt_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _wrapping_key(secret: str, member: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"parley custody v1",
                info=member.encode()).derive(secret.encode())


def wrap_seed(secret: str, member: str, seed: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_wrapping_key(secret, member)).encrypt(nonce, seed, member.encode())


def unwrap_seed(secret: str, member: str, blob: bytes) -> bytes:
    return AESGCM(_wrapping_key(secret, member)).decrypt(blob[:12], blob[12:], member.encode())


def credential(session: Session, member: str) -> Credential:
    cred = session.get(Credential, member)
    if cred is None:
        cred = Credential(member=member)
        session.add(cred)
    return cred


def member_for_token(session: Session, token: str) -> str | None:
    h = token_hash(token)
    row = session.execute(select(Credential.member, Credential.token_hash).where(Credential.token_hash == h)).first()
    if row is None or row[1] is None or not hmac.compare_digest(row[1], h):
        return None
    return row[0]


def custody_signer(session: Session, secret: str, member: str) -> Signer | None:
    cred = session.get(Credential, member)
    if cred is None or cred.custody_key is None:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = unwrap_seed(secret, member, cred.custody_key)
    return Signer.from_private_key(member, Ed25519PrivateKey.from_private_bytes(seed))


def local_credential(secret: str, *, signer: Signer | None = None, password_hash: str | None = None,
                     token_hash: str | None = None) -> dict[str, Any]:
    """Local data (``records.pipeline``: kept beside a record in its transaction, never in the log) for a
    record that gives a member a key — ``deployment.init``, ``member.create``, ``key.register``,
    ``key.rotate``: the member's password hash, API token hash, and the server-held signing key ``signer``
    wrapped under the server's secret. The record's ``apply`` keeps it (``keep_credential``), so the
    record and the credential it needs are stored together or not at all."""
    data: dict[str, Any] = {}
    if password_hash is not None:
        data["password_hash"] = password_hash
    if token_hash is not None:
        data["token_hash"] = token_hash
    if signer is not None:
        data["custody_key"] = wrap_seed(secret, signer.name, signer.seed())
        data["custody_key_id"] = signer.key_id.hex()
    return {"credential": data}


def keep_credential(session: Session, member: str, data: Mapping[str, Any], key_id: str) -> None:
    """Store ``local_credential``'s data for ``member``, whose key ``key_id`` the record just registered: a
    custodial key must be that key."""
    if "custody_key" in data and data.get("custody_key_id") != key_id:
        raise Unprocessable(C.CUSTODY_KEY_MISMATCH, field="vkey")
    cred = credential(session, member)
    for name in ("password_hash", "token_hash", "custody_key", "custody_key_id"):
        if name in data:
            setattr(cred, name, data[name])


def set_custody_signer(session: Session, secret: str, signer: Signer) -> None:
    cred = credential(session, signer.name)
    cred.custody_key = wrap_seed(secret, signer.name, signer.seed())
    cred.custody_key_id = signer.key_id.hex()
