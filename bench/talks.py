"""How fast the talks API renders the points board and the diff of two joint-text versions at the size of issue 13:
a process of three belligerent parties (a negotiator each) and a mediator, 10^4 points on three tracks, each party
stating 20 positions on every point (600,000 position records), and a joint text of 10^3 versions of 50 kB each,
every version a small edit of the one before (Ukrainian, Russian and English).

Everything is built through the one write path: the deployment, the parties and members (``party.create`` and
``member.create`` by the mediator's admin), the process, tracks, points, positions and text versions are records
signed by their authors and appended with ``pipeline.submit_many`` in batches (progress on stderr: it takes
minutes at full size). Then a real server runs in another process on 127.0.0.1 and a Ukrainian negotiator reads,
over HTTP with keep-alive: the board's first page and its last page (the default page size, 200 points), the diff
of adjacent versions and of versions far apart (at least 80 % of the history between them). Each case is timed
``--requests`` times, interleaved with a baseline read on the same server by the same member
(``GET /api/talks/processes``: authentication, a session, the read policy and a small JSON answer), so that each
figure is also a ratio to the baseline measured in the same run (the machine is shared and noisy). Target: the
median of the board (both pages) and of the diff (both spans) under 50 ms. The temporary directory (database,
keys, state) is removed and the server stopped at exit.

Smaller runs: ``--points``, ``--positions`` (per party per point), ``--versions``, ``--text-kb``.
Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import last_line

from parley.log.note import Signer
from parley.parties.credentials import local_credential, new_token, token_hash
from parley.records.compose import compose
from parley.talks.kinds import sha256_text
from parley.talks.service import BOARD_PAGE
from tests.conftest import ORIGIN, SECRET, make_runtime

TARGET_MS = 50.0
PARTIES = ["ua", "ru", "pc"]  # the belligerents; "pc" is the benchmark's own third party
MEDIATOR = "icrc"
NAMES = {
    "icrc": {"en": "International Committee of the Red Cross", "uk": "Міжнародний комітет Червоного Хреста",
             "ru": "Международный комитет Красного Креста"},
    "ua": {"en": "Ukraine (benchmark)", "uk": "Україна (бенчмарк)", "ru": "Украина (бенчмарк)"},
    "ru": {"en": "Russian Federation (benchmark)", "uk": "Російська Федерація (бенчмарк)",
        "ru": "Российская Федерация (бенчмарк)"},
    "pc": {"en": "Party C (benchmark)", "uk": "Сторона C (бенчмарк)", "ru": "Сторона C (бенчмарк)"},
}
PROCESS = "icrc-talks-bench"
TRACKS = [("icrc-track-military", "Military"), ("icrc-track-humanitarian", "International humanitarian"),
          ("icrc-track-political", "Political settlement")]
TEXT = "icrc-text-communique"
READER = "ua/negotiator"



def vocabulary(text: str) -> list[str]:
    return text.split()


# Words for the texts, as a secretariat's drafts use them.
WORDS = {
    "uk": vocabulary(
        "сторони домовилися забезпечити гуманітарні коридори для евакуації цивільного населення з районів "
        "найзапекліших боїв а також доставки ліків і продуктів харчування на час проведення операції можливе "
        "тимчасове припинення вогню канали зв'язку та взаємодії будуть організовані найближчим часом "
        "відповідні логістичні процедури буде сформовано делегації погодили наступний раунд переговорів "
        "обмін військовополоненими за формулою всіх на всіх звільнення заручників повернення тіл загиблих "
        "моніторинг місії посередника гарантії безпеки для колон транспорту маршрути погоджуються "
        "щонайменше за добу до початку кожної операції сторона зобов'язується не вести вогонь по "
        "визначених пунктах збору представники міжнародного комітету супроводжують колони координаційний "
        "штаб повідомляє про кількість евакуйованих осіб медичний персонал має безперешкодний доступ "
        "пункт пропуску місто область район село уздовж лінії розмежування протягом сорока восьми годин"),
    "ru": vocabulary(
        "стороны договорились обеспечить гуманитарные коридоры для эвакуации мирного населения из районов "
        "наиболее ожесточённых боёв а также доставки лекарств и продовольствия на время проведения операции "
        "возможно временное прекращение огня каналы связи и взаимодействия будут организованы в ближайшее "
        "время соответствующие логистические процедуры будут сформированы делегации согласовали следующий "
        "раунд переговоров обмен военнопленными по формуле всех на всех освобождение заложников возвращение "
        "тел погибших мониторинг миссии посредника гарантии безопасности для колонн транспорта маршруты "
        "согласуются не позднее чем за сутки до начала каждой операции сторона обязуется не вести огонь по "
        "определённым пунктам сбора представители международного комитета сопровождают колонны "
        "медицинский персонал имеет беспрепятственный доступ пункт пропуска город область район село "
        "вдоль линии разграничения в течение сорока восьми часов"),
    "en": vocabulary(
        "the parties agreed to provide humanitarian corridors for the evacuation of civilians from "
        "the areas of the fiercest fighting as well as the delivery of medicines and food for the duration of each "
        "operation a temporary ceasefire is possible channels of communication and interaction will be "
        "organised in the near future appropriate logistics procedures will be formed the delegations agreed "
        "on the next round of talks an exchange of prisoners of war all for all release of hostages return "
        "of the bodies of the dead monitoring by the mediator's mission security guarantees for convoys of "
        "vehicles routes are agreed at least one day before each operation begins each side undertakes not "
        "to fire on the designated assembly points representatives of the international committee accompany "
        "the convoys medical personnel have unimpeded access checkpoint city region district village along "
        "the line of contact within forty eight hours"),
}
LANGS = ("uk", "ru", "en")


def sentence(rng: random.Random, lang: str, lo: int = 8, hi: int = 22) -> str:
    words = rng.choices(WORDS[lang], k=rng.randint(lo, hi))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), str(rng.randint(2, 500)))
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


# --- the joint text: versions of about text_kb kB, each a small edit of the one before ------------------------

class Draft:
    """A joint text as articles of sentences in three languages; ``edit`` changes a few words or a sentence."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng, self.size = rng, size
        self.articles: list[list[str]] = []
        article = 0
        while len(self.body().encode()) < size:
            article += 1
            lang = LANGS[article % 3]
            self.articles.append([f"Article {article}."] + [sentence(rng, lang) for _ in range(rng.randint(3, 8))])

    def body(self) -> str:
        return "\n\n".join(" ".join(a) for a in self.articles)

    def _lang(self, s: str) -> str:
        return "en" if s[:1].isascii() else ("ru" if any(c in s for c in "ыэъё") else "uk")

    def edit(self) -> str:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            a = rng.randrange(len(self.articles))
            art = self.articles[a]
            i = rng.randrange(1, len(art)) if len(art) > 1 else None
            what = rng.random()
            if i is None or what < 0.15:
                art.append(sentence(rng, LANGS[a % 3]))
            elif what < 0.65:  # a word changed, or a few
                words = art[i].split(" ")
                for _ in range(rng.randint(1, 3)):
                    words[rng.randrange(len(words))] = rng.choice(WORDS[self._lang(art[i])])
                art[i] = " ".join(words)
            elif what < 0.8:  # a clause added
                art[i] = art[i].rstrip(".;:") + ", " + sentence(rng, self._lang(art[i]), 4, 9).lower()
            elif what < 0.9:  # a sentence rewritten
                art[i] = sentence(rng, self._lang(art[i]))
            else:
                del art[i]
        # Held near the size: a sentence added or removed where it drifts.
        while len(self.body().encode()) < self.size * 0.98:
            a = rng.randrange(len(self.articles))
            self.articles[a].append(sentence(rng, LANGS[a % 3]))
        while len(self.body().encode()) > self.size * 1.02:
            art = max(self.articles, key=len)
            del art[rng.randrange(1, len(art))]
        return self.body()


# --- the deployment: a mediator and three belligerent parties, a negotiator each ------------------------------

@dataclass
class Cast:
    signers: dict[str, Signer] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def add(self, member: str) -> Signer:
        self.signers[member] = Signer.generate(member)
        self.tokens[member] = new_token()
        return self.signers[member]

    def credential(self, member: str) -> dict[str, Any]:
        return local_credential(SECRET, signer=self.signers[member], token_hash=token_hash(self.tokens[member]))


Item = tuple[bytes, Any, dict[str, Any] | None]  # what submit_many takes: the note, its payload, local data


def record(cast: Cast, author: str, kind: str, audience: list[str], payload: dict[str, Any],
           local: dict[str, Any] | None = None) -> Item:
    return compose(cast.signers[author], origin=ORIGIN, kind=kind, audience=audience, payload=payload), payload, local


def progress(what: str, done: int, total: int, t0: float) -> None:
    rate = done / max(time.perf_counter() - t0, 1e-9)
    eta = (total - done) / rate if rate else 0
    print(f"\r  {what}: {done:,}/{total:,} ({rate:,.0f}/s, {eta / 60:.1f} min left)   ", end="", file=sys.stderr,
          flush=True)
    if done == total:
        print(file=sys.stderr)


def submit(rt: Any, items: Iterator[Item], total: int, what: str, batch: int) -> float:
    """Append ``items`` through the pipeline in batches of ``batch``; every record must be accepted."""
    t0, done, chunk = time.perf_counter(), 0, []
    for item in items:
        chunk.append(item)
        if len(chunk) == batch:
            done += _submit(rt, chunk)
            progress(what, done, total, t0)
            chunk = []
    if chunk:
        done += _submit(rt, chunk)
        progress(what, done, total, t0)
    return time.perf_counter() - t0


def _submit(rt: Any, chunk: list[Item]) -> int:
    for r in rt.pipeline.submit_many(chunk):
        if isinstance(r, Exception):
            raise RuntimeError(f"a benchmark record was refused: {r}")
    return len(chunk)


def setup(rt: Any, cast: Cast) -> None:
    """The deployment's first admin (the mediator's), the parties and their negotiators, the process and its
    tracks: the mediator's admin creates every party and member (none has an admin of its own)."""
    admin = cast.add(f"{MEDIATOR}/admin")
    items = [record(cast, f"{MEDIATOR}/admin", "deployment.init", ["all"], {
        "party": MEDIATOR, "party_kind": "mediator", "names": NAMES[MEDIATOR], "member": "admin",
        "display_name": "Mediator admin (benchmark)", "vkey": admin.vkey()}, cast.credential(f"{MEDIATOR}/admin"))]
    for p in PARTIES:
        items.append(record(cast, f"{MEDIATOR}/admin", "party.create", ["all"],
                            {"slug": p, "kind": "belligerent", "names": NAMES[p]}))
    for m in [f"{MEDIATOR}/mediator", *(f"{p}/negotiator" for p in PARTIES)]:
        party, handle = m.split("/")
        s = cast.add(m)
        items.append(record(cast, f"{MEDIATOR}/admin", "member.create", ["all"], {
            "party": party, "handle": handle, "display_name": f"{handle.title()} of {party} (benchmark)",
            "roles": ["negotiator"], "vkey": s.vkey()}, cast.credential(m)))
    _submit(rt, items)
    aud = audience()
    items = [record(cast, f"{MEDIATOR}/mediator", "talks.process", aud, {
        "id": PROCESS, "title": "Talks (benchmark)", "format": "official_talks", "parties": PARTIES,
        "mediators": [MEDIATOR], "authorisation": "authorised"})]
    items += [record(cast, f"{MEDIATOR}/mediator", "talks.track", aud, {"id": tid, "process": PROCESS, "name": name})
              for tid, name in TRACKS]
    _submit(rt, items)


def audience() -> list[str]:
    return sorted(f"party:{p}" for p in [*PARTIES, MEDIATOR])


def text_versions(cast: Cast, versions: int, size: int, seed: int) -> Iterator[Item]:
    rng = random.Random(seed)
    draft = Draft(rng, size)
    authors = [f"{MEDIATOR}/mediator", *(f"{p}/negotiator" for p in PARTIES)]
    body = draft.body()
    for v in range(1, versions + 1):
        payload: dict[str, Any] = {"id": TEXT, "process": PROCESS, "title": "Joint communiqué (benchmark)",
                                   "body": body, "language": "other"}
        if v > 1:
            payload["supersedes"] = v - 1
        yield record(cast, authors[v % len(authors)] if v > 1 else authors[0], "talks.text", audience(), payload)
        previous, body = body, draft.edit()
        while body == previous:  # an edit that changed a word to itself
            body = draft.edit()


def point_id(i: int) -> str:
    return f"icrc-pt-{i:06d}"


def point_records(cast: Cast, points: int, seed: int) -> Iterator[Item]:
    rng = random.Random(seed)
    for i in range(points):
        lang = LANGS[i % 3]
        payload = {"id": point_id(i), "track": TRACKS[i % len(TRACKS)][0],
                   "title": f"{i + 1}. " + sentence(rng, lang, 3, 7).rstrip(".;:"),
                   "text": " ".join(sentence(rng, lang) for _ in range(rng.randint(1, 3)))}
        yield record(cast, f"{MEDIATOR}/mediator", "talks.point", audience(), payload)


def positions(cast: Cast, points: int, per_party: int, seed: int) -> Iterator[Item]:
    """Rounds over every point: in each, each party in turn proposes (a new wording), counter-proposes, accepts
    or rejects the latest wording another party proposed, or reserves. In the last round about 30 % of the
    points converge (one party proposes, the others accept it): those reach mutual understanding."""
    rng = random.Random(seed)
    latest: list[dict[str, tuple[str, str]]] = [{} for _ in range(points)]  # party -> (its last wording, hash)
    last: list[tuple[str, str] | None] = [None] * points  # the latest wording proposed on the point, and its hash

    def wording(i: int, base: str | None) -> str:
        lang = LANGS[i % 3]
        if base is None:
            return " ".join(sentence(rng, lang) for _ in range(rng.randint(1, 3)))
        words = base.split(" ")
        for _ in range(rng.randint(1, 4)):
            words[rng.randrange(len(words))] = rng.choice(WORDS[lang])
        if rng.random() < 0.3:  # a clause added, or the wording cut back to its first sentences when long
            words += sentence(rng, lang, 3, 8).lower().split(" ")
            if len(words) > 70:
                words = words[:rng.randint(20, 50)]
        return " ".join(words)

    for rnd in range(per_party):
        for i in range(points):
            converge = rnd == per_party - 1 and i % 10 < 3
            for n, party in enumerate(PARTIES):
                payload: dict[str, Any] = {"point": point_id(i)}
                mine, other = latest[i].get(party), last[i]
                r = rng.random()
                if converge and n > 0 and other is not None:
                    payload.update(position="accepted", sha256=other[1])
                elif converge or other is None or r < 0.12:
                    base = mine or other
                    text = wording(i, base[0] if base else None)
                    payload.update(position="proposed", text=text)
                elif r < 0.32:
                    payload.update(position="counter_proposed", text=wording(i, other[0]))
                elif r < 0.62:
                    payload.update(position="accepted", sha256=other[1])
                elif r < 0.82:
                    payload.update(position="rejected", sha256=other[1], note="Не прийнятно в цій редакції.")
                else:
                    payload.update(position="reserved", note="Reserved pending consultations.")
                if "text" in payload:
                    h = sha256_text(payload["text"])
                    if other is not None and h == other[1]:
                        payload["text"] += " (rev.)"
                        h = sha256_text(payload["text"])
                    latest[i][party] = (payload["text"], h)
                    last[i] = (payload["text"], h)
                yield record(cast, f"{party}/negotiator", "talks.position", audience(), payload)


# --- the server and the reads ---------------------------------------------------------------------------------

def start_server(tmp: Path, url: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_DATA_DIR": str(tmp), "PARLEY_SECRET_KEY": SECRET,
        "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - the server's, closed when it ends
    server = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return server, port


def wait_ready(server: subprocess.Popen[bytes], base: str, headers: dict[str, str], deadline: float,
               tmp: Path) -> None:
    while True:
        try:
            if httpx.get(f"{base}/api/talks/processes", headers=headers).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the server did not start:\n" + (tmp / "server.log").read_text()[-3000:])
        time.sleep(0.2)


@dataclass
class Case:
    name: str
    url: Callable[[int], str]
    check: Callable[[dict[str, Any]], None]
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    sample: dict[str, Any] = field(default_factory=dict)  # an answer, read during the warm-up

    def median_ms(self) -> float:
        return statistics.median(self.times) * 1e3

    def p95_ms(self) -> float:
        xs = sorted(self.times)
        return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))] * 1e3


def measure(client: httpx.Client, cases: list[Case], requests: int, warmup: int) -> None:
    """Every case ``requests`` times, interleaved (each round reads every case once, in a shuffled order), after
    ``warmup`` untimed rounds."""
    rng = random.Random(7)
    for n in range(warmup + requests):
        order = cases[:]
        rng.shuffle(order)
        for c in order:
            url = c.url(n)
            t0 = time.perf_counter()
            r = client.get(url)
            body = r.content
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                raise RuntimeError(f"GET {url}: {r.status_code} {r.text[:300]}")
            if n < warmup:
                c.sample = r.json()
                c.check(c.sample)
                continue
            c.times.append(dt)
            c.sizes.append(len(body))
        if n >= warmup:
            print(f"\r  reads: {n - warmup + 1}/{requests} rounds", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def temp_dir() -> Path:
    """A new temporary directory, removed with everything in it at exit (``_common.temp_dir``, with a prefix of
    its own so that the smoke test finds what this benchmark leaves behind)."""
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-talks-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--positions", type=int, default=20, help="positions each party states on each point")
    ap.add_argument("--versions", type=int, default=1_000, help="versions of the joint text")
    ap.add_argument("--text-kb", type=float, default=50.0, help="size of each version, kB of UTF-8")
    ap.add_argument("--requests", type=int, default=40, help="timed reads of each case")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2_000, help="records a submit_many call")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    if args.points < 1 or args.positions < 1 or args.versions < 2:
        ap.error("at least one point, one position per party and two versions")

    tmp = temp_dir()
    url = f"sqlite:///{tmp / 'parley.db'}"
    rt = make_runtime(url, tmp)
    cast = Cast()
    t_all = time.perf_counter()
    print(f"building in {tmp}: {args.points:,} points x {len(PARTIES)} parties x {args.positions} positions, "
          f"{args.versions:,} versions of {args.text_kb:g} kB", file=sys.stderr)
    try:
        setup(rt, cast)
        text_s = submit(rt, text_versions(cast, args.versions, int(args.text_kb * 1000), args.seed), args.versions,
                        "text versions", max(1, min(args.batch, 200)))
        point_s = submit(rt, point_records(cast, args.points, args.seed + 1), args.points, "points", args.batch)
        n_positions = args.points * len(PARTIES) * args.positions
        pos_s = submit(rt, positions(cast, args.points, args.positions, args.seed + 2), n_positions, "positions",
                       args.batch)
    finally:
        rt.close()
    build_s = time.perf_counter() - t_all
    print(f"built in {build_s:.0f} s: text versions {args.versions / text_s:,.0f}/s, points "
          f"{args.points / point_s:,.0f}/s, positions {n_positions / pos_s:,.0f}/s", file=sys.stderr)

    headers = {"Authorization": f"Bearer {cast.tokens[READER]}"}
    server, port = start_server(tmp, url)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        wait_ready(server, base, headers, t0 + 300 + n_positions / 500, tmp)
        start_s = time.monotonic() - t0
        print(f"server ready in {start_s:.1f} s (its start-up self-check of the log included)", file=sys.stderr)
        page = BOARD_PAGE
        last_offset = (args.points - 1) // page * page
        n_versions = args.versions
        span = max(1, int(n_versions * 0.8))
        pick = random.Random(args.seed + 3)
        adjacent = [pick.randint(1, n_versions - 1) for _ in range(args.requests + args.warmup)]
        far = [pick.randint(1, n_versions - span) for _ in range(args.requests + args.warmup)]

        def board_check(offset: int) -> Callable[[dict[str, Any]], None]:
            def check(j: dict[str, Any]) -> None:
                want = min(page, args.points - offset)
                assert j["total"] == args.points and len(j["points"]) == want, (j["total"], len(j["points"]))
                assert set(j["parties"]) == set(PARTIES) and j["texts"], "a board without positions or wordings"
            return check

        def diff_check(j: dict[str, Any]) -> None:
            assert j["pieces"] and (j["added_words"] or j["removed_words"]), "an empty diff"

        board = f"{base}/api/talks/processes/{PROCESS}/board"
        diff = f"{base}/api/talks/texts/{TEXT}/diff"
        cases = [
            Case("baseline", lambda n: f"{base}/api/talks/processes", lambda j: None),
            Case("board_first", lambda n: board, board_check(0)),
            Case("board_last", lambda n: f"{board}?offset={last_offset}", board_check(last_offset)),
            Case("diff_adjacent", lambda n: f"{diff}?from={adjacent[n]}&to={adjacent[n] + 1}", diff_check),
            Case("diff_far", lambda n: f"{diff}?from={far[n]}&to={far[n] + span}", diff_check),
        ]
        with httpx.Client(headers=headers, timeout=120) as client:
            measure(client, cases, args.requests, args.warmup)
    finally:
        server.terminate()
        server.wait()

    base_ms = cases[0].median_ms()
    print(f"{args.points:,} points x {len(PARTIES)} parties x {args.positions} positions "
          f"({n_positions:,} position records), {args.versions:,} text versions of {args.text_kb:g} kB; "
          f"{args.requests} reads of each, interleaved, by {READER} over HTTP")
    figures: dict[str, object] = {"points": args.points, "positions": n_positions, "versions": args.versions,
                                  "text_kb": args.text_kb, "build_s": round(build_s), "baseline_ms": round(base_ms, 2)}
    for c in cases:
        what = {"baseline": "GET /api/talks/processes (baseline)",
                "board_first": f"board, first page ({page} points)",
                "board_last": f"board, last page (offset {last_offset})",
                "diff_adjacent": "diff of adjacent versions",
                "diff_far": f"diff of versions {span} apart"}[c.name]
        shape = ""
        if c.name.startswith("board"):
            shape = f" ({len(c.sample['points'])} points, {len(c.sample['texts'])} wordings)"
        elif c.name.startswith("diff"):
            shape = (f" ({len(c.sample['pieces'])} pieces, +{c.sample['added_words']} "
                     f"-{c.sample['removed_words']} words)")
        print(f"{what}: median {c.median_ms():.1f} ms, p95 {c.p95_ms():.1f} ms, "
              f"{statistics.median(c.sizes) / 1000:,.0f} kB an answer{shape}, {c.median_ms() / base_ms:.1f}x the "
              "baseline")
        if c.name != "baseline":
            figures[f"{c.name}_ms"] = round(c.median_ms(), 1)
            figures[f"{c.name}_p95_ms"] = round(c.p95_ms(), 1)
            figures[f"{c.name}_ratio"] = round(c.median_ms() / base_ms, 1)
            figures[f"{c.name}_kb"] = round(statistics.median(c.sizes) / 1000)
        if c.name.startswith("diff"):
            figures[f"{c.name}_pieces"] = len(c.sample["pieces"])
    slow = [c.name for c in cases[1:] if c.median_ms() >= TARGET_MS]
    figures.update(target_ms=TARGET_MS, meets_target=not slow)
    if slow:
        print(f"over the {TARGET_MS:g} ms target (median): {', '.join(slow)}")
    last_line(**figures)


if __name__ == "__main__":
    main()
