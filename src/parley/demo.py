"""The demo deployment: the parties of the 2022 talks (synthetic members only), their signing keys and
a few records, loaded through the one write path; one witness per party cosigning the log.

Public facts come from the seed reports: the second round of talks in Belarus on 3 March 2022 reached
an understanding on humanitarian corridors with a temporary ceasefire for the duration of each
operation; the Azovstal evacuations of April–May 2022 follow (``operations/scenario.py``), and the
registry of the servicemen taken prisoner after the evacuation of 16–17 May (``people/scenario.py``).
Every fact names its source (a seed, or a public statement marked as not in the seeds); every person
named here is invented.

The demo is a reconstruction: its records carry the times of the events they reconstruct (2022), and the
log holds them in that order, whichever capability tells them, so "what was known when" reads in log order.
It is loaded as a historical import: without the check that a record's time is close to the log's clock,
and held to every other rule a new record is. Everything written afterwards through the web, the API or the
CLI carries the present time.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import sessionmaker

from parley.assembly import scenario
from parley.errors import ParleyError
from parley.log.note import Signer
from parley.parties.credentials import hash_password, local_credential, new_token, token_hash
from parley.records.compose import compose
from parley.records.pipeline import Pipeline

PARTIES: list[dict[str, Any]] = [
    {"slug": "icrc", "kind": "mediator", "names": {
        "en": "International Committee of the Red Cross",
        "uk": "Міжнародний комітет Червоного Хреста",
        "ru": "Международный комитет Красного Креста"}},
    {"slug": "ua", "kind": "belligerent", "names": {
        "en": "Ukraine — Coordination Headquarters for the Treatment of Prisoners of War",
        "uk": "Україна — Координаційний штаб з питань поводження з військовополоненими",
        "ru": "Украина — Координационный штаб по вопросам обращения с военнопленными"}},
    {"slug": "ru", "kind": "belligerent", "names": {
        "en": "Russian Federation — delegation for humanitarian issues",
        "uk": "Російська Федерація — делегація з гуманітарних питань",
        "ru": "Российская Федерация — делегация по гуманитарным вопросам"}},
    {"slug": "un-ocha", "kind": "mediator", "names": {
        "en": "United Nations Office for the Coordination of Humanitarian Affairs",
        "uk": "Управління ООН з координації гуманітарних питань",
        "ru": "Управление ООН по координации гуманитарных вопросов"}},
    {"slug": "tr", "kind": "observer", "names": {
        "en": "Republic of Türkiye — observer", "uk": "Турецька Республіка — спостерігач",
        "ru": "Турецкая Республика — наблюдатель"}},
]

# (party, handle, display name, roles) — invented people.
MEMBERS: list[tuple[str, str, str, list[str]]] = [
    ("icrc", "admin", "Anna Lindqvist (demo)", ["admin"]),
    ("icrc", "mediator", "Marc Dubois (demo)", ["negotiator", "liaison"]),
    ("icrc", "auditor", "Keiko Tanaka (demo)", ["auditor"]),
    ("un-ocha", "liaison", "Samuel Okafor (demo)", ["liaison", "admin"]),
    ("ua", "admin", "Oksana Hnatiuk (demo)", ["admin"]),
    ("ua", "negotiator", "Taras Melnychuk (demo)", ["negotiator"]),
    ("ua", "registrar", "Iryna Bondar (demo)", ["registrar"]),
    ("ua", "press", "Dmytro Savchuk (demo)", ["press"]),
    ("ua", "liaison", "Petro Kravets (demo)", ["liaison"]),
    ("ru", "admin", "Yelena Sorokina (demo)", ["admin"]),
    ("ru", "negotiator", "Pavel Zimin (demo)", ["negotiator"]),
    ("ru", "registrar", "Nadezhda Orlova (demo)", ["registrar"]),
    ("ru", "liaison", "Gleb Morozov (demo)", ["liaison"]),
    # Each belligerent's public inquiry form: a service account that files what families send directly.
    ("ua", "family-desk", "Public inquiry form (service account)", ["intake"]),
    ("ru", "family-desk", "Public inquiry form (service account)", ["intake"]),
    ("tr", "observer", "Elif Aydın (demo)", ["negotiator"]),
]


@dataclass
class DemoMember:
    party: str
    handle: str
    display_name: str
    roles: list[str]
    signer: Signer
    password: str
    token: str

    @property
    def id(self) -> str:
        return f"{self.party}/{self.handle}"


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def scenario_records(origin: str, members: dict[str, DemoMember], inquiries: dict[str, str] | None = None,
                     secret: str | None = None) -> list[tuple[bytes, Any, dict[str, Any] | None]]:
    """The demo's records in log order, each signed by its author; ``inquiries`` receives the demo
    families' references and secrets. With the server's ``secret``, each member's record carries the
    member's credential (password and token hashes, the custodial key) as local data, kept in its
    transaction."""

    def credential_of(m: DemoMember) -> dict[str, Any] | None:
        if secret is None:
            return None
        return local_credential(secret, signer=m.signer, password_hash=hash_password(m.password),
                                token_hash=token_hash(m.token))

    queued: list[tuple[datetime, int, str, str, str, Any, dict[str, Any] | None]] = []
    clock = [datetime(2022, 3, 1, 9, 0, tzinfo=UTC)]

    def add(author: str, kind: str, audience: str, payload: Any, time: datetime | None = None,
            local: dict[str, Any] | None = None) -> int:
        # Setup records tick one second apart from 1 March 2022; scenario records give their own time.
        if time is None:
            clock[0] += timedelta(seconds=1)
        else:
            clock[0] = time
        queued.append((clock[0], len(queued), author, kind, audience, payload, local))
        return cast(int, Pending(len(queued) - 1))

    first = members["icrc/admin"]
    add("icrc/admin", "deployment.init", "all", {
        "party": "icrc", "party_kind": "mediator", "names": PARTIES[0]["names"], "member": "admin",
        "display_name": first.display_name, "vkey": first.signer.vkey()}, local=credential_of(first))
    for p in PARTIES[1:]:
        add("icrc/admin", "party.create", "all", {"slug": p["slug"], "kind": p["kind"], "names": p["names"]})
    for m in members.values():
        if m.id == "icrc/admin":
            continue
        # A party's first admin is registered by the mediator operating the deployment; the rest by their own admin.
        admin = f"{m.party}/admin" if f"{m.party}/admin" in members and m.handle != "admin" else "icrc/admin"
        add(admin, "member.create", "all", {"party": m.party, "handle": m.handle, "display_name": m.display_name,
                                            "roles": m.roles, "vkey": m.signer.vkey()}, local=credential_of(m))
    # The talks of the seeds (rounds, points, the communiqué, the back channel) are the Talks capability's part of
    # the demo (``parley.talks.scenario``); this note shows a narrow audience.
    clock[0] = _at("2022-03-03T18:00:00")
    add("ua/liaison", "record.note", "party:ua,party:icrc", {"text": (
        "Internal to the Ukrainian side and the ICRC: liaison contact list for corridor operations to be "
        "exchanged through the mediator. (The demo's own note, to show a narrow audience.)")})
    found = scenario(add)  # each capability's part of the demo
    if inquiries is not None:
        inquiries.update(found)
    # The log follows the time things happened, whichever capability's part tells them ("what was known
    # when" reads in log order); a record naming another by its index gets the index it ends up at.
    ordered = sorted(queued, key=lambda q: (q[0], q[1]))
    index = {q[1]: i for i, q in enumerate(ordered)}
    return [(compose(members[author].signer, origin=origin, kind=kind, audience=audience,
                     payload=(final := _resolve(payload, index)), time=when), final, local)
            for when, _, author, kind, audience, payload, local in ordered]


class Pending:
    """The index of a demo record before the records are put in time order: ``add`` answers one, and a
    payload naming that record (a receipt naming its message) gets the final index."""

    def __init__(self, queued: int) -> None:
        self.queued = queued


def _resolve(value: Any, index: dict[int, int]) -> Any:
    if isinstance(value, Pending):
        return index[value.queued]
    if isinstance(value, dict):
        return {k: _resolve(v, index) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, index) for v in value]
    return value


def build_members() -> dict[str, DemoMember]:
    out = {}
    for party, handle, name, roles in MEMBERS:
        m = DemoMember(party=party, handle=handle, display_name=name, roles=roles,
                       signer=Signer.generate(f"{party}/{handle}"), password=secrets.token_urlsafe(12),
                       token=new_token())
        out[m.id] = m
    return out


def load_demo(pipeline: Pipeline, sessions: sessionmaker, secret: str, origin: str,
              data_dir: Path) -> list[dict[str, Any]]:
    """Load the scenario into an empty log and write ``demo-credentials.json``; return the sign-ins."""
    members = build_members()
    # A historical reconstruction: the records' own 2022 times are kept (see the module's docstring).
    families: dict[str, str] = {}
    results = pipeline.submit_many(scenario_records(origin, members, families, secret), historical=True)
    errors = [r for r in results if isinstance(r, ParleyError)]
    if errors:
        raise RuntimeError(f"the demo scenario was refused: {errors[0].message}")
    keys = data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    signins = []
    for m in members.values():
        key_file = keys / f"{m.party}-{m.handle}.key"
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(m.signer.skey() + "\n")
        signins.append({"party": m.party, "member": m.id, "role": ",".join(m.roles), "display_name": m.display_name,
                        "password": m.password, "api_token": m.token, "key_file": str(key_file.resolve())})
    path = data_dir / "demo-credentials.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"sign_ins": signins, "family_inquiries": [{"reference": r, "secret": sec}
                                                             for r, sec in families.items()]},
                  f, ensure_ascii=False, indent=2)
    return signins
