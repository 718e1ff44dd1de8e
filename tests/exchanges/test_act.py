"""The act of transfer as a reader holds it: the text of the PDF in each language (labels, each side's spelling,
every record hash, the counts, the mediators), a first page that is not blank, the QR payloads and their SVGs, and
a 500-person act. Synthetic persons only. No database."""

from __future__ import annotations

import hashlib
import io
import re
import time
from dataclasses import replace

import pypdf
import pypdfium2 as pdfium
import pytest
import segno
from defusedxml import ElementTree

from parley.exchanges.act import LABELS, Act, ActCount, ActPerson, act_payload, document, qr_payload, qr_svg, render

SVG_NS = "{http://www.w3.org/2000/svg}"
TITLES = {lang: labels["title"] for lang, labels in LABELS.items()}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def person(n: int, sender: dict[str, str], receiver: dict[str, str] | None, wounded: bool = False) -> ActPerson:
    return ActPerson(n=n, sender=sender, receiver=receiver, handed_over=f"2026-05-01T10:{n % 60:02}:00Z",
                     index=1000 + n, record_hash=sha(f"receipt {n}"), seriously_wounded=wounded)


PERSONS = (
    person(1, {"surname": "Тестенко", "first_name": "Петро", "patronymic": "Іванович", "birth_date": "1990-01-02",
               "rank": "солдат", "service_number": "ТТ-000001", "category": "soldier"},
           {"surname": "Тестенко", "first_name": "Пётр", "patronymic": "Иванович", "birth_date": "1990-01-02",
            "rank": "рядовой", "service_number": "", "category": "soldier"}),
    person(2, {"surname": "Коваленко", "first_name": "Тест", "patronymic": "", "birth_date": "1985-07-30",
               "rank": "лейтенант", "service_number": "", "category": "officer"},
           {"surname": "Коваленко", "first_name": "Тест", "patronymic": "", "birth_date": "1985-07-31",
            "rank": "лейтенант", "service_number": "", "category": "officer"}, wounded=True),
    # A record with a field the act does not print: it must not reach the paper.
    person(3, {"surname": "Зразкова", "first_name": "Тестина", "patronymic": "Олексіївна", "birth_date": "1979-03-04",
               "rank": "", "service_number": "", "category": "civilian", "phone": "+380000000000"}, None),
)

ACT = Act(origin="parley.example/log", exchange="ex-test-1", title="Обмін (тест)", stage=2, kind="prisoners",
          formula="3 for 3", sender="Сторона А", receiver="Сторона Б", mediators=["Посередник Тест"],
          # Markup characters are printed as written, never read as Typst.
          place="КПП «Тест» #1 *a* _b_ $c$ <d> @e",
          time="2026-05-01T10:00:00Z – 2026-05-01T10:30:00Z", persons=PERSONS,
          counts=[ActCount("Сторона А", "3", "at least 2"), ActCount("Сторона Б", "about 3", "2–4")], tally=3,
          last_index=1003, last_hash=sha("receipt 3"))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {lang: render(ACT, lang) for lang in LABELS}


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_the_act_reads_in_its_language(pdfs, lang):
    text = text_of(pdfs[lang])
    assert TITLES[lang] in text
    assert not [TITLES[other] for other in TITLES if other != lang and TITLES[other] in text]
    for label in ("sender_record", "receiver_record", "signature", "formula", "tally"):
        assert LABELS[lang][label] in text
    # Each side's own spelling, as written, in every language of the act.
    assert "Тестенко Петро Іванович" in text and "Тестенко Пётр Иванович" in text
    assert "1985-07-30" in text and "1985-07-31" in text
    assert LABELS[lang]["no_record"] in text
    assert LABELS[lang]["wounded"] in text
    for p in PERSONS:
        assert p.record_hash in text
        assert str(p.index) in text
    assert ACT.last_hash in text
    for c in ACT.counts:
        assert c.party in text and c.sent in text and c.received in text
    assert re.search(rf"{LABELS[lang]['tally']}: 3\b", text)
    assert "Посередник Тест" in text and "Сторона А" in text and "Сторона Б" in text
    assert ACT.place in text and ACT.time in text and ACT.formula in text and ACT.exchange in text
    assert f"{LABELS[lang]['page']} 1 {LABELS[lang]['of']} 1" in text
    # Only the fields of the act: a field the act does not know is not printed.
    assert "+380000000000" not in text


def test_the_first_page_is_not_blank(pdfs):
    page = pdfium.PdfDocument(pdfs["uk"])[0]
    pixels = page.render(scale=1, grayscale=True).to_numpy()
    dark = (pixels < 128).mean()
    assert 0.01 < dark < 0.5, dark


def test_the_same_act_renders_to_the_same_bytes(pdfs):
    assert render(ACT, "uk") == pdfs["uk"]
    assert pdfs["uk"] != pdfs["ru"]


def test_only_three_languages():
    for lang in ("de", "", "UK", "ua"):
        with pytest.raises(ValueError, match="not"):
            render(ACT, lang)


def test_qr_payload():
    h = sha("x")
    assert qr_payload("parley.example/log", 42, h) == f"parley:parley.example/log:42:{h}"
    assert qr_payload("parley.example/log", 42, h.upper()) == f"parley:parley.example/log:42:{h}"
    assert act_payload(ACT) == f"parley:parley.example/log:1003:{ACT.last_hash}:ex-test-1:2"
    assert act_payload(replace(ACT, exchange="a:b c")).endswith(":a%3Ab%20c:2")
    for bad in ("", h[:-1], h + "0", "g" * 64):
        with pytest.raises(ValueError, match="SHA-256"):
            qr_payload("o", 1, bad)
    with pytest.raises(ValueError, match="index"):
        qr_payload("o", -1, h)
    with pytest.raises(ValueError, match="SHA-256"):
        render(replace(ACT, persons=[replace(PERSONS[0], record_hash="abc")]), "en")


def modules_drawn(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The dark modules an SVG of ``qr_svg`` draws: its size and the (x, y) of each, read back from the path."""
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    _, _, width, height = (int(v) for v in root.get("viewBox").split())
    assert width == height == int(root.get("width")) == int(root.get("height"))
    path = root.find(f"{SVG_NS}path")
    dark = set()
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.get("d")):
        dark.update((int(x) + i, int(y)) for i in range(int(w)))
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", path.get("d"))
    return width, dark


def test_every_qr_is_a_well_formed_svg_of_its_payload():
    data = document(ACT, "en")
    svgs = [(p["qr"], qr_payload(ACT.origin, p["index"], p["hash"])) for p in data["persons"]]
    svgs.append((data["qr"], act_payload(ACT)))
    assert len({svg for svg, _ in svgs}) == len(svgs)
    for svg, payload in svgs:
        assert svg == qr_svg(payload)
        size, dark = modules_drawn(svg)
        # The drawing is segno's symbol for the payload, module for module, on a one-module border.
        matrix = segno.make_qr(payload, error="m", boost_error=False, mask=0).matrix
        assert size == len(matrix) + 2
        assert dark == {(x + 1, y + 1) for y, row in enumerate(matrix) for x, bit in enumerate(row) if bit}


def test_remains_are_counted_by_bodies():
    act = replace(ACT, kind="remains", formula="all for all", persons=[], tally=0, bodies=12)
    for lang in ("uk", "en"):
        text = text_of(render(act, lang))
        assert f"{LABELS[lang]['bodies']}: 12" in text
        assert LABELS[lang]["persons"] not in text
    assert "тіла загиблих" in text_of(render(act, "uk"))


def test_an_act_of_500_persons():
    persons = [replace(PERSONS[i % 3], n=i + 1, index=5000 + i, record_hash=sha(f"r{i}")) for i in range(500)]
    act = replace(ACT, persons=persons, tally=500, last_index=5499, last_hash=sha("r499"))
    start = time.perf_counter()
    pdf = render(act, "ru")
    assert time.perf_counter() - start < 20
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 10
    # The table's header repeats on every page of persons; the last page numbers itself.
    assert LABELS["ru"]["receiver_record"] in reader.pages[1].extract_text()
    last = reader.pages[-1].extract_text()
    assert f"{LABELS['ru']['page']} {pages} {LABELS['ru']['of']} {pages}" in last
    assert sha("r499") in last or sha("r499") in reader.pages[-2].extract_text()


def _gone(pid: int) -> bool:
    """The process ended (a zombie nobody reaps here counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_act_worker_ends_when_its_server_is_killed(tmp_path):
    """A server killed outright cannot stop its act worker: the worker sees it is gone and ends by itself."""
    import subprocess
    import sys

    script = ("import os, sys\n"
              "from parley.exchanges import act\n"
              "pid = act._worker_pool().submit(os.getpid).result(timeout=60)\n"
              "print(pid, flush=True)\n"
              "os._exit(9)  # as if killed: no clean-up of any kind\n")
    # Files, not pipes: a worker left behind would hold a pipe open, and the run would wait for it.
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        code = subprocess.run([sys.executable, "-c", script], check=False, stdout=out, stderr=err,
                              timeout=120).returncode
    assert code == 9, (tmp_path / "err").read_text()
    worker = int((tmp_path / "out").read_text().split()[0])
    deadline = time.monotonic() + 10
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(worker), "the act worker outlived the server that started it"
