"""The operations' board: the list and the map of the operations a member may read, with zones, incidents and,
for a mediator, the escalations."""

from __future__ import annotations


import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from parley.operations import kinds as k
from parley.operations import rules
from parley.operations import service as svc
from parley.web.operations.common import (
    _incident_feature, _map_labels, _op_feature, _parties, _region, _zone_feature, page,
)
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.routes import Db, Who, lang_of

router = APIRouter(include_in_schema=False)

STATUSES = ("proposed", "acknowledged", "under_way", "suspended", "completed", "aborted")


# -- the list and map ------------------------------------------------------------------------------
@router.get("/operations", response_class=HTMLResponse)
def operations_page(request: Request, s: Db, who: Who, status: str = "", kind: str = "") -> HTMLResponse:
    lang = lang_of(request)
    names = _parties(s, lang)
    rows = []
    features = []
    for op in svc.operations(s, who):
        v, board = svc.board(s, op)
        acked = sum(1 for r in board if r.state in ("acknowledged", "proposer"))
        if (status and op.status != status) or (kind and op.kind != kind):
            continue
        features.append(_op_feature(s, op, names))
        rows.append({"op": op, "v": v, "acked": acked, "total": len(board),
                     "no_answer": sum(1 for r in board if r.state == "no_answer"),
                     "declined": sum(1 for r in board if r.state in ("declined", "counter"))})
    zones = svc.zones(s, who)
    incidents = [i for g in svc.incidents(s, who) for i in g]
    escalations = svc.escalations(s, who) if who.is_mediator else None
    corridors = [{"row": c, "origin": json.loads(c.origin), "towards": json.loads(c.towards)}
                 for c in svc.corridors(s, who)]
    data = {"mode": "view", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "operations": features, "zones": [_zone_feature(z) for z in zones],
            "incidents": [_incident_feature(i, lang) for i in incidents],
            "corridors": [{"name": c["row"].name, "origin": c["origin"], "towards": c["towards"],
                           "route": json.loads(c["row"].route) if c["row"].route else None,
                           "declared": i18n.gettext(lang, N_("Declared by one side ({party}); not agreed"),
                                                    party=names.get(c["row"].party, c["row"].party))}
                          for c in corridors]}
    return page(request, "operations.html", who=who, rows=rows, names=names, escalations=escalations,
                corridors=corridors,
                filters={"status": status, "kind": kind}, statuses=STATUSES,
                kinds=k.OPERATION_KINDS, map_data=data, can_propose=rules.may_propose(who))
