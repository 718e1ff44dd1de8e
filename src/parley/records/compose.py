"""Writing a record as a member: build the record text for a payload and sign it with the member's key.
Used by the web (custodial key), the CLI (the member's own key file) and the demo loader."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from parley.log.note import Signer, sign_note
from parley.records.format import Audience, RecordText, now_text, payload_hash
from parley.records.sealing import new_salt, salted


def compose(signer: Signer, *, origin: str, kind: str, audience: str | Sequence[str], payload: Any,
            refs: Sequence[str] = (), time: datetime | None = None) -> bytes:
    """Return the signed note of a record authored by ``signer`` (whose key name is '<party>/<member>').

    A payload of a kind that carries personal data (``records.sealing.salted``) gets a random ``salt`` if it has
    none, added to the dict itself: the caller submits the very payload it passed."""
    if isinstance(payload, dict) and salted(kind) and not payload.get("salt"):
        payload["salt"] = new_salt()
    party = signer.name.split("/", 1)[0]
    tokens = audience.split(",") if isinstance(audience, str) else list(audience)
    rec = RecordText(origin=origin, kind=kind, author=signer.name, party=party, time=now_text(time),
                     audience=Audience.parse(",".join(tokens)), payload_hash=payload_hash(payload),
                     refs=tuple(refs))
    return sign_note(rec.text(), signer)
