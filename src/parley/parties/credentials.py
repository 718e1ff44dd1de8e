"""Members' local secrets: argon2 password hashes, API tokens (stored as SHA-256), and the web signing
key the server holds for each member, wrapped with AES-GCM under a key derived from the server secret.

None of this is a record: secrets never enter the log, and replay does not rebuild them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.log.note import Signer
from parley.parties.models import Credential

_hasher = PasswordHasher()
# Compared against when the member is unknown, so sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash("parley-no-such-member")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
    if row is None or not hmac.compare_digest(row[1], h):
        return None
    return row[0]


def custody_signer(session: Session, secret: str, member: str) -> Signer | None:
    cred = session.get(Credential, member)
    if cred is None or cred.custody_key is None:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = unwrap_seed(secret, member, cred.custody_key)
    return Signer.from_private_key(member, Ed25519PrivateKey.from_private_bytes(seed))


def set_custody_signer(session: Session, secret: str, signer: Signer) -> None:
    cred = credential(session, signer.name)
    cred.custody_key = wrap_seed(secret, signer.name, signer.seed())
    cred.custody_key_id = signer.key_id.hex()
