"""Public figures computed from the log, never typed in: what each party released of each completed exchange (the
persons it sent and received, as it stated them), each side's figure kept apart and, where both sides released the
same exchange, what one says it sent beside what the other says it received; what each party released of its own
records (``figures.release``): persons evacuated by operations, by category and destination, as its outcome report
stated them, and its inquiries filed, answered and closed up to a day — the same figures over time.

A figure that could point at fewer than five people (it allows one to four) is shown as "fewer than 5", never as
its number: in the JSON as ``{"fewer_than": 5}``, in the CSV as ``<5``.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.records.figures import Figure

SMALL = 5  # a cell that could point at fewer people than this is suppressed
HXL = {"released_at": "#date+released", "party": "#org+party", "exchange": "#activity+code", "kind": "#activity+type",
       "sent": "#affected+sent", "received": "#affected+received", "record": "#meta+record"}


@dataclass
class Release:
    exchange: str
    kind: str
    party: str
    released_at: datetime
    sent: Figure
    received: Figure
    record: int


@dataclass
class _Read:
    """The public release records read so far from one database, parsed: appended to as the log grows, never read
    again (``_read``)."""

    upto: int = -1  # the log's last index read
    upto_hash: str | None = None  # that record's hash: another database at the same address starts afresh
    releases: list[Release] = field(default_factory=list)
    evacuations: list[dict[str, Any]] = field(default_factory=list)
    inquiries: list[dict[str, Any]] = field(default_factory=list)


_READ: dict[str, _Read] = {}
_READ_LOCK = threading.Lock()


def _read(s: Session) -> _Read:
    """Every public release record, parsed, read incrementally: only the rows written since the last call (the
    releases' projections are written in log order, so a row past the last index read is a new one). A database
    that went back, or another database behind the same address, is read again from the start."""
    from sqlalchemy import func

    from parley.exchanges.models import Exchange, ExchangeStatus
    from parley.log.models import LogEntry
    from parley.press.models import FigureRelease

    bind: Any = s.get_bind()
    url = str(bind.url)
    with _READ_LOCK:
        r = _READ.get(url) or _Read()
        if r.upto >= 0 and s.scalar(select(LogEntry.record_hash).where(LogEntry.idx == r.upto)) != r.upto_hash:
            r = _Read()
        size = s.scalar(select(func.max(LogEntry.idx)))
        if size is None or size <= r.upto:
            _READ[url] = r
            return r
        for st, kind in s.execute(select(ExchangeStatus, Exchange.kind)
                                  .join(Exchange, Exchange.id == ExchangeStatus.exchange)
                                  .where(ExchangeStatus.status == "released", ExchangeStatus.idx > r.upto,
                                         ExchangeStatus.idx <= size).order_by(ExchangeStatus.idx)):
            f = json.loads(st.figures or "{}")
            r.releases.append(Release(st.exchange, kind, st.party, st.at, Figure.model_validate(f["sent"]),
                                      Figure.model_validate(f["received"]), st.idx))
        for fr in s.execute(select(FigureRelease).where(FigureRelease.idx > r.upto, FigureRelease.idx <= size)
                            .order_by(FigureRelease.idx)).scalars():
            f = json.loads(fr.figures)
            if fr.subject == "inquiries":
                r.inquiries.append({"party": fr.party, "until": f["until"], "filed": f["filed"],
                                    "answered": f["answered"], "closed": f["closed"], "record": fr.idx})
                continue
            day = fr.of_day.date().isoformat()
            for m in f.get("moved", []):
                r.evacuations.append({"party": fr.party, "operation": fr.operation, "day": day,
                                      "category": m["category"], "destination": m["destination"],
                                      "figure": Figure.model_validate(m["figure"]), "record": fr.idx})
            if not f.get("moved") and f.get("total"):
                r.evacuations.append({"party": fr.party, "operation": fr.operation, "day": day, "category": "total",
                                      "destination": "", "figure": Figure.model_validate(f["total"]),
                                      "record": fr.idx})
        r.upto, r.upto_hash = size, s.scalar(select(LogEntry.record_hash).where(LogEntry.idx == size))
        _READ[url] = r
        return r


def releases(s: Session) -> list[Release]:
    """Every party's release of a completed exchange, in log order (``exchange.release``, public records)."""
    return list(_read(s).releases)


def small(f: Figure) -> bool:
    """Could the figure point at fewer than ``SMALL`` people: does it allow any count from 1 to 4 ("3", "about 5",
    "more than 2")? An exact 0 points at nobody."""
    b = f.bounds()
    return b.low < SMALL and (b.high is None or b.high >= 1)


def cell(f: Figure) -> dict[str, Any]:
    return {"fewer_than": SMALL} if small(f) else f.model_dump(mode="json", exclude_none=True)


def cell_text(f: Figure) -> str:
    if small(f):
        return f"<{SMALL}"
    b = f.bounds()
    if f.form == "exact":
        return str(b.low)
    return f"{b.low}-{b.high}" if b.high is not None else f"{b.low}+"


def evacuations(s: Session) -> list[dict[str, Any]]:
    """Persons evacuated by operations as each party released them (``figures.release``): a row per category and
    destination, or the total where the party's report gave no breakdown."""
    return list(_read(s).evacuations)


def inquiries(s: Session) -> list[dict[str, Any]]:
    """Each party's inquiries filed, answered and closed up to a day, as it released them."""
    return list(_read(s).inquiries)


def count_cell(n: int) -> Any:
    return {"fewer_than": SMALL} if 0 < n < SMALL else n


def _kept(points: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A series over time that points at nobody in particular: a value is kept only if it is at least ``SMALL``
    and differs from the value kept before it by nothing or by at least ``SMALL`` (else the step between two
    points would show a group of one to four)."""
    out: list[tuple[str, int]] = []
    for day, v in points:
        if v < SMALL:
            continue
        if out and 0 < abs(v - out[-1][1]) < SMALL:
            continue
        out.append((day, v))
    return out


def series(s: Session | _Read) -> dict[str, dict[str, list[tuple[str, int]]]]:
    """The figures over time, each party apart, as the charts draw them (least values of each figure):

    - ``received:<party>`` and ``sent:<party>``: persons a party says it received (sent) by exchanges, summed over
      its releases in order (a release whose figure is small is left out of the sum, so no step shows it);
    - ``evacuated:<party>``: persons it says were evacuated, summed over its releases in order, the same way;
    - ``filed:<party>``, ``answered:<party>``, ``closed:<party>``: its inquiries as released, day by day.
    """
    read = s if isinstance(s, _Read) else _read(s)
    out: dict[str, dict[str, list[tuple[str, int]]]] = {"exchanges": {}, "evacuations": {}, "inquiries": {}}
    sums: dict[str, int] = {}
    for r in read.releases:
        for what, f in (("received", r.received), ("sent", r.sent)):
            if small(f):
                continue
            key = f"{what}:{r.party}"
            sums[key] = sums.get(key, 0) + f.bounds().low
            out["exchanges"].setdefault(key, []).append((r.released_at.date().isoformat(), sums[key]))
    by_record: dict[int, list[dict[str, Any]]] = {}
    for row in read.evacuations:
        by_record.setdefault(row["record"], []).append(row)
    for rows in by_record.values():
        total = sum(r["figure"].bounds().low for r in rows if not small(r["figure"]))
        if total == 0:
            continue
        key = f"evacuated:{rows[0]['party']}"
        sums[key] = sums.get(key, 0) + total
        out["evacuations"].setdefault(key, []).append((rows[0]["day"], sums[key]))
    for row in read.inquiries:
        for what in ("filed", "answered", "closed"):
            out["inquiries"].setdefault(f"{what}:{row['party']}", []).append((row["until"], row[what]))
    return {group: {k: _kept(sorted(v)) for k, v in lines.items()} for group, lines in out.items()}


def by_category(s: Session | _Read) -> dict[str, dict[str, int]]:
    """Persons evacuated by category, each party apart (least values; small rows left out)."""
    read = s if isinstance(s, _Read) else _read(s)
    out: dict[str, dict[str, int]] = {}
    for row in read.evacuations:
        if small(row["figure"]):
            continue
        cats = out.setdefault(row["party"], {})
        cats[row["category"]] = cats.get(row["category"], 0) + row["figure"].bounds().low
    return {p: {c: n for c, n in cats.items() if n >= SMALL} for p, cats in out.items()}


def table(s: Session) -> dict[str, Any]:
    """The figures as the public side serves them: each release, each exchange both sides released compared, the
    evacuations and inquiries parties released, and the same over time. The release records are read
    incrementally (``_read``); the public routes keep the result per state of the log (``press.service.kept``)."""
    read = _read(s)
    rel = read.releases
    rows = [{"exchange": r.exchange, "kind": r.kind, "party": r.party, "released_at": r.released_at.isoformat(),
             "sent": cell(r.sent), "received": cell(r.received), "record": r.record} for r in rel]
    by_exchange: dict[str, dict[str, Release]] = {}
    for r in rel:
        by_exchange.setdefault(r.exchange, {})[r.party] = r
    compared = []
    for xid, sides in by_exchange.items():
        if len(sides) < 2:
            continue
        (a, ra), (b, rb) = sorted(sides.items())[:2]
        for sender, receiver, sent, got in ((a, b, ra.sent, rb.received), (b, a, rb.sent, ra.received)):
            agree = sent.bounds().overlaps(got.bounds())
            compared.append({"exchange": xid, "sender": sender, "receiver": receiver, "sent": cell(sent),
                             "received": cell(got), "agree": agree})
    evac = [{**{k: v for k, v in r.items() if k != "figure"}, "figure": cell(r["figure"])} for r in read.evacuations]
    inq = [{**r, **{k: count_cell(r[k]) for k in ("filed", "answered", "closed")}} for r in read.inquiries]
    over_time = {group: {k: [{"day": d, "value": v} for d, v in pts] for k, pts in lines.items()}
                 for group, lines in series(read).items()}
    return {"releases": rows, "compared": compared, "evacuations": evac, "inquiries": inq,
            "evacuated_by_category": by_category(read), "over_time": over_time, "suppressed_below": SMALL}


EVACUATION_HXL = {"day": "#date", "party": "#org+party", "operation": "#activity+code", "category": "#affected+type",
                  "destination": "#loc+destination", "evacuated": "#affected+evacuated", "record": "#meta+record"}
INQUIRY_HXL = {"until": "#date+until", "party": "#org+party", "filed": "#inquiries+filed",
               "answered": "#inquiries+answered", "closed": "#inquiries+closed", "record": "#meta+record"}


def csv_text(s: Session, *, hxl: bool = False, table: str = "exchanges") -> str:
    """A table of the figures as CSV (UTF-8), with an HXL hashtag row under the header if ``hxl``: the exchanges'
    releases (``exchanges``), the evacuations (``evacuations``) or the inquiries (``inquiries``)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    tags = {"exchanges": HXL, "evacuations": EVACUATION_HXL, "inquiries": INQUIRY_HXL}[table]
    w.writerow(list(tags))
    if hxl:
        w.writerow(list(tags.values()))
    if table == "exchanges":
        for r in releases(s):
            w.writerow([r.released_at.isoformat(), r.party, r.exchange, r.kind, cell_text(r.sent),
                        cell_text(r.received), r.record])
    elif table == "evacuations":
        for e in evacuations(s):
            w.writerow([e["day"], e["party"], e["operation"], e["category"], e["destination"], cell_text(e["figure"]),
                        e["record"]])
    else:
        for q in inquiries(s):
            w.writerow([q["until"], q["party"], *(f"<{SMALL}" if 0 < q[k] < SMALL else q[k]
                                                   for k in ("filed", "answered", "closed")), q["record"]])
    return out.getvalue()

# -- what a party may release of its own records (``figures.release``), computed here -----------------------------
def operation_figures(s: Session, party: str, operation: str) -> dict[str, Any] | None:
    """``party``'s latest outcome report of ``operation`` (``operation.outcome``), if the operation is completed:
    the persons moved by category and destination and the total, as the party stated them."""
    from parley.operations.models import Operation, OutcomeFigure, OutcomeStatement

    op = s.get(Operation, operation)
    if op is None or op.status != "completed":
        return None
    report = s.execute(select(OutcomeStatement).where(OutcomeStatement.operation == operation,
                                                      OutcomeStatement.party == party)
                       .order_by(OutcomeStatement.idx.desc()).limit(1)).scalar_one_or_none()
    if report is None:
        return None
    moved = []
    for f in s.execute(select(OutcomeFigure).where(OutcomeFigure.idx == report.idx)
                       .order_by(OutcomeFigure.line)).scalars():
        fig = Figure.model_validate(json.loads(f.figure)) if f.figure else Figure.of(f.count)
        moved.append({"category": f.category, "destination": f.destination,
                      "figure": fig.model_dump(mode="json", exclude_none=True)})
    out: dict[str, Any] = {"moved": moved}
    if report.total:
        out["total"] = Figure.model_validate(json.loads(report.total)).model_dump(mode="json", exclude_none=True)
    return out


def completed_on(s: Session, operation: str) -> datetime | None:
    """When the operation was completed, by its timeline."""
    from parley.operations.models import OperationEvent

    return s.execute(select(OperationEvent.at).where(OperationEvent.operation == operation,
                                                     OperationEvent.event == "completed")
                     .order_by(OperationEvent.idx).limit(1)).scalar()


def inquiry_figures(s: Session, party: str, until: datetime) -> dict[str, int]:
    """``party``'s inquiries up to ``until`` (exclusive): filed with it, answered (the family was told something)
    and closed, each inquiry counted once by its latest state then."""
    from parley.people.models import Inquiry, InquiryDecision

    refs = list(s.execute(select(Inquiry.id).where(Inquiry.party == party, Inquiry.at < until)).scalars())
    answered, closed = set(), set()
    if refs:
        for ref, decision, message in s.execute(
                select(InquiryDecision.inquiry, InquiryDecision.decision, InquiryDecision.message)
                .where(InquiryDecision.inquiry.in_(refs), InquiryDecision.at < until)):
            if decision == "closed":
                closed.add(ref)
            elif decision == "message" or (decision == "confirmed" and message.strip()):
                answered.add(ref)
    return {"filed": len(refs), "answered": len(answered - closed), "closed": len(closed)}
