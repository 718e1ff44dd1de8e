"""Starting a real deployment: the first record of an empty log (``deployment.init``) creates the
operating party and its first admin, whose credentials are printed once and never stored in clear."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from parley.errors import ParleyError
from parley.log.note import Signer
from parley.parties.credentials import hash_password, local_credential, new_token, token_hash
from parley.records.compose import compose
from parley.runtime import Runtime


@dataclass
class FirstAdmin:
    member: str
    password: str
    token: str
    vkey: str


def bootstrap(rt: Runtime, *, party: str, party_kind: str, names: dict[str, str], admin: str,
              display_name: str) -> FirstAdmin:
    signer = Signer.generate(f"{party}/{admin}")
    payload = {"party": party, "party_kind": party_kind, "names": names, "member": admin,
               "display_name": display_name, "vkey": signer.vkey()}
    note = compose(signer, origin=rt.settings.log_origin, kind="deployment.init", audience="all", payload=payload)
    password, token = secrets.token_urlsafe(15), new_token()
    # The first admin's credential is kept in the record's own transaction.
    local = local_credential(rt.settings.secret_key, signer=signer, password_hash=hash_password(password),
                             token_hash=token_hash(token))
    result = rt.pipeline.submit_many([(note, payload, local)])[0]
    if isinstance(result, ParleyError):
        raise result
    return FirstAdmin(member=signer.name, password=password, token=token, vkey=signer.vkey())
