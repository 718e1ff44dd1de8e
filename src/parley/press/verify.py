"""Check a released statement's bundle (``/api/public/statements/<id>``) without an account and without the
network: ``parley log verify-statement FILE``.

What it proves, given the log's verifier key (``--log-key``; else the bundle's own, which the report says):

- each record is included in a checkpoint signed by that key (its C2SP tlog-proof), and its payload is the one its
  signed text names by hash;
- the version's text is what the approval approved: the approval's SHA-256 is that of the draft's text
  (``press.kinds.text_hash``), for the same statement and version; the two records are by two different members of
  the same party; a withdrawal, if any, names the statement;
- the text the bundle shows is the draft's;
- with ``--keys FILE`` (verifier keys a party's member or auditor reads from the log), each record's signature by
  its author's key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from parley.errors import ParleyError
from parley.log.note import NoteError, Verifier, parse_signed
from parley.log.proof import TlogProofError, parse_tlog_proof, verify_tlog_proof
from parley.press.kinds import released_text, text_hash
from parley.records.format import RecordText


@dataclass
class Report:
    statement: str = ""
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    log_key_from_bundle: bool = False
    signatures_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(bundle: dict[str, Any], *, log_key: str | None = None, keys: list[str] | None = None) -> Report:
    r = Report(statement=str(bundle.get("statement", "")))
    if bundle.get("format") != "parley.statement/v1":
        r.problems.append("not a Parley statement bundle (format parley.statement/v1)")
        return r
    r.log_key_from_bundle = log_key is None
    try:
        log_verifier = Verifier.from_vkey(log_key or str(bundle["log_key"]))
    except (KeyError, ValueError, NoteError) as exc:
        r.problems.append(f"the log key cannot be read: {exc}")
        return r
    verifiers: dict[tuple[str, bytes], Verifier] = {}
    for vkey in keys or []:
        v = Verifier.from_vkey(vkey)
        verifiers[(v.name, v.key_id)] = v
    parsed: dict[str, list[tuple[dict[str, str], dict[str, Any], str]]] = {}
    for rec in bundle.get("records") or []:
        idx = rec.get("index")
        try:
            note = str(rec["note"]).encode()
            cp = verify_tlog_proof(parse_tlog_proof(str(rec["proof"]).encode()), note, log_verifier)
            if parse_tlog_proof(str(rec["proof"]).encode()).index != idx:
                raise TlogProofError("the proof is for another index")
            text, sigs, signed = parse_signed(note)
            signed_text = RecordText.parse(text)
            fields = {"kind": signed_text.kind, "author": signed_text.author, "party": signed_text.party}
            payload_text = str(rec["payload"])
            if signed_text.payload_hash != hashlib.sha256(payload_text.encode()).hexdigest():
                r.problems.append(f"record {idx}: the payload is not the one its signed text names")
                continue
            author = fields.get("author", "")
            if verifiers:
                sig = next((sg for sg in sigs if sg.name == author), None)
                key = verifiers.get((author, sig.key_id)) if sig is not None else None
                if key is None or sig is None or not key.verify(signed, sig.sig):
                    r.problems.append(f"record {idx}: not signed by a key given for {author}")
                    continue
                r.signatures_checked += 1
            parsed.setdefault(fields.get("kind", ""), []).append((fields, json.loads(payload_text), author))
            r.checked.append(f"record {idx} ({fields.get('kind')}) is in the log's checkpoint of size {cp.size}")
        except (KeyError, TypeError, ValueError, NoteError, TlogProofError, ParleyError) as exc:
            r.problems.append(f"record {idx}: {exc}")
    drafts, approvals = parsed.get("statement.draft", []), parsed.get("statement.approve", [])
    if len(drafts) != 1 or len(approvals) != 1:
        r.problems.append("a released statement is one version and its approval")
        return r
    (dfields, draft, dauthor), (afields, approval, aauthor) = drafts[0], approvals[0]
    if draft.get("statement") != r.statement or approval.get("statement") != r.statement:
        r.problems.append("the records are of another statement")
    if approval.get("version") != draft.get("version") or approval.get("sha256") != text_hash(draft):
        r.problems.append("the approval is not of this version's text")
    if dauthor == aauthor:
        r.problems.append("the version was approved by its own author")
    if dfields.get("party") != afields.get("party") or dfields.get("party") != bundle.get("party"):
        r.problems.append("the draft and the approval are not of the same party")
    if released_text(draft) != bundle.get("text"):
        r.problems.append("the text shown is not the text signed")
    for wfields, withdrawal, _ in parsed.get("statement.withdraw", []):
        if withdrawal.get("statement") != r.statement or wfields.get("party") != dfields.get("party"):
            r.problems.append("a withdrawal of another statement")
    if r.ok:
        r.checked.append(f"version {draft.get('version')} by {dauthor}, approved by {aauthor}: SHA-256 "
                         f"{approval.get('sha256')}")
    return r
