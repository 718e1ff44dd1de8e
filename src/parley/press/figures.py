"""Public figures computed from the log, never typed in: what each party released of each completed exchange (the
persons it sent and received, as it stated them), each side's figure kept apart and, where both sides released the
same exchange, what one says it sent beside what the other says it received.

A figure that could point at fewer than five people (it allows one to four) is shown as "fewer than 5", never as
its number: in the JSON as ``{"fewer_than": 5}``, in the CSV as ``<5``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
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


def releases(s: Session) -> list[Release]:
    """Every party's release of a completed exchange, in log order (``exchange.release``, public records)."""
    from parley.exchanges.models import Exchange, ExchangeStatus

    rows = s.execute(select(ExchangeStatus, Exchange.kind).join(Exchange, Exchange.id == ExchangeStatus.exchange)
                     .where(ExchangeStatus.status == "released").order_by(ExchangeStatus.idx)).all()
    out = []
    for st, kind in rows:
        f = json.loads(st.figures or "{}")
        out.append(Release(st.exchange, kind, st.party, st.at, Figure.model_validate(f["sent"]),
                           Figure.model_validate(f["received"]), st.idx))
    return out


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


def table(s: Session) -> dict[str, Any]:
    """The figures as the public side serves them: each release, and each exchange both sides released compared."""
    rel = releases(s)
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
    return {"releases": rows, "compared": compared, "suppressed_below": SMALL}


def csv_text(s: Session, *, hxl: bool = False) -> str:
    """The releases as CSV (UTF-8), with an HXL hashtag row under the header if ``hxl``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    cols = list(HXL)
    w.writerow(cols)
    if hxl:
        w.writerow([HXL[c] for c in cols])
    for r in releases(s):
        w.writerow([r.released_at.isoformat(), r.party, r.exchange, r.kind, cell_text(r.sent), cell_text(r.received),
                    r.record])
    return out.getvalue()
