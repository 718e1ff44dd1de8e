"""What the pages of exchanges share (``parley.web.exchanges``): the labels of the exchanges' codes, the messages
the forms put in ``errors``, the page renderer (party names, persons as the registry lets the reader read them,
figures as stated, times in UTC), the tabs of an exchange's pages, the refusal of an exchange the member may not
read, and the forms' helpers (a figure as typed, the terms of a proposal, the field a refusal names).

Reads go through ``exchanges.service`` (the read policy: an exchange the member may not read does not exist for
them, a person's record is shown only where the registry's policy lets the reader read it); every write is a
record signed with the member's web key (``submit_as_async``), addressed as the API addresses it
(``exchanges.kinds.audience_for``; a consent interview to the holding party and the mediators only), its refusal
shown beside the field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import kinds as k
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.people.models import Person
from parley.people.percent import probability as shown_probability
from parley.records.figures import Figure, parse
from parley.submit import submit_as_async
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.operations.common import figure_text, iso
from parley.web.routes import lang_of, not_found, render, templates

# -- labels of the exchanges' codes (translated where they are shown, with _()) ---------------------------------
KIND_LABELS: dict[str, str] = {
    "prisoners": N_("Prisoners of war"), "civilians": N_("Detained civilians"), "remains": N_("Remains of the dead"),
    "mixed": N_("Persons and remains"),
}
STATUS_LABELS: dict[str, str] = {
    "proposed": N_("Terms proposed"), "agreed": N_("Terms agreed"), "under_way": N_("Handover under way"),
    "completed": N_("Exchange completed"), "suspended": N_("Exchange suspended"),
    "cancelled": N_("Exchange cancelled"), "released": N_("Released by a party"),
}
FORMULA_LABELS: dict[str, str] = {
    "n_for_n": N_("The same number each side"), "all_for_all": N_("All for all"), "by_category": N_("By category"),
}
CATEGORY_LABELS: dict[str, str] = {
    "wounded": N_("Seriously wounded or sick"), "officer": N_("Officers"), "soldier": N_("Soldiers and sergeants"),
    "civilian": N_("Civilians"), "remains": N_("Remains of the dead"),
}
DIRECTION_LABELS: dict[str, str] = {"hand_over": N_("Hands over"), "ask_for": N_("Asks for")}
CHECK_LABELS: dict[str, str] = {
    "found": N_("Found on the other side"), "not_found": N_("Not found on the other side"),
    "ambiguous": N_("Ambiguous: to review"), "released": N_("Already released"), "deceased": N_("Recorded dead"),
    "other_exchange": N_("On another open exchange"), "duplicate": N_("Twice on the list"),
}
CONSENT_LABELS: dict[str, str] = {
    "wants": N_("Wants to be repatriated"), "refused": N_("Refused repatriation"),
    "not_interviewed": N_("Not interviewed yet"),
}
STEP_LABELS: dict[str, str] = {"handed_over": N_("Handed over"), "received": N_("Received"),
                               "witnessed": N_("Witnessed")}
BODY_LABELS: dict[str, str] = {
    "unidentified": N_("Not identified"), "preliminary": N_("Preliminary identification"),
    "dna_sampled": N_("DNA sample taken"), "identified": N_("Identified"),
}
REASON_LABELS: dict[str, str] = {
    "pinned": N_("Pinned by a party"), "seriously_wounded": N_("Seriously wounded or sick: first"),
    "longest_held": N_("Held longest"), "priority": N_("Next in the order of priority"),
    "excluded": N_("Excluded by a party"), "unverified": N_("Not verified by the list check"),
    "refused": N_("Refused repatriation"), "no_consent_yet": N_("No consent interview yet"),
    "over_formula": N_("Beyond the number the formula sets"), "category_full": N_("No place left in the category"),
}
CONSTRAINT_LABELS: dict[str, str] = {
    "empty": N_("The formula hands over no one."),
    "stage_sizes": N_("The stages' sizes do not add up to the formula."),
    "pinned_ineligible": N_("A pinned person may not go."),
    "pinned_over": N_("More persons are pinned than there are places."),
    "side_count": N_("A side has too few persons who may go."),
    "model": N_("The solver found no plan."), "time_limit": N_("The solver found no plan in time."),
}
WHY_LABELS: dict[str, str] = {
    "planned_not_handed_over": N_("Planned, not yet handed over"),
    "handed_over_not_received": N_("Handed over, receipt not confirmed"),
    "stated_fewer": N_("The party states fewer than the tally"),
}
WHAT_LABELS: dict[str, str] = {"sent": N_("Sent"), "received": N_("Received")}
ACTION_LABELS: dict[str, str] = {
    "completed": N_("Declare the exchange completed"), "suspended": N_("Suspend the exchange"),
    "cancelled": N_("Cancel the exchange"), "under_way": N_("Resume the handover"),
}
TAB_LABELS: dict[str, str] = {
    "agreement": N_("Agreement"), "lists": N_("Lists"), "consent": N_("Consent"), "plan": N_("Plan"),
    "handover": N_("Handover"), "remains": N_("Remains"), "counts": N_("Counts"),
}
LANGUAGE_NAMES: dict[str, str] = {"uk": N_("Ukrainian"), "ru": N_("Russian"), "en": N_("English")}
CODE_LABELS: dict[str, dict[str, str]] = {
    "kind": KIND_LABELS, "status": STATUS_LABELS, "formula": FORMULA_LABELS, "category": CATEGORY_LABELS,
    "direction": DIRECTION_LABELS, "check": CHECK_LABELS, "consent": CONSENT_LABELS, "step": STEP_LABELS,
    "body": BODY_LABELS, "reason": REASON_LABELS, "constraint": CONSTRAINT_LABELS, "why": WHY_LABELS,
    "what": WHAT_LABELS, "action": ACTION_LABELS, "tab": TAB_LABELS, "language": LANGUAGE_NAMES,
}

# -- messages the pages put in ``errors`` or show as a page's message ------------------------------------------
NOT_READER = N_("Exchanges are read by the negotiators, registrars, admins and auditors of the parties and "
                "mediators taking part. Press and liaison officers read the figures a party releases once an "
                "exchange is completed.")
NO_EXCHANGE = N_("There is no such exchange, or you may not read it.")
ENTER_COUNT = N_("Enter a whole number.")
ENTER_FIGURE = N_("Enter a count as a number, or as stated: >200 (more than), ~50 (about), 40-50.")
WRITE_PERSONS = N_("Write at least one person's id, one a line, or choose an imported list.")
NOT_AN_ID = N_("“{value}” is not a person's id.")
CHOOSE_ANSWER = N_("Say whether the person wants to be repatriated.")
WRITE_REASON = N_("Write the reason the person gave.")
CHOOSE_BODY = N_("Choose a body.")
NAME_PERSON = N_("Name the registry's person identified.")
PLAN_UNREADABLE = N_("The plan sent could not be read; compute it again.")
MESSAGES = (NOT_READER, NO_EXCHANGE, ENTER_COUNT, ENTER_FIGURE, WRITE_PERSONS, NOT_AN_ID, CHOOSE_ANSWER,
            WRITE_REASON, CHOOSE_BODY, NAME_PERSON, PLAN_UNREADABLE)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
STAGE_ROWS = 4  # the stage rows a proposal form offers
CATEGORIES = rules.CATEGORIES


def may_read_exchanges(who: Principal | None) -> bool:
    """Do ``who``'s roles read exchanges at all (``exchanges.rules.READERS``)? The navigation offers them."""
    return who is not None and bool(who.roles & rules.READERS)


templates.env.globals["may_read_exchanges"] = may_read_exchanges


def label(kind: str, code: Any) -> str:
    """The English label of an exchange's code of ``kind`` (``CODE_LABELS``), translated in templates with _()."""
    return CODE_LABELS[kind].get(code, "" if code is None else str(code))


def short(sha256: str | None) -> str:
    return (sha256 or "")[:12]


def name_of(p: Person | None, pid: str = "") -> str:
    """A person as the registry writes them (surname, first names, patronymic), or their id."""
    if p is None:
        return pid
    return " ".join(x for x in (p.surname, p.first_name, p.patronymic) if x) or p.id


def party_names(s: Session, lang: str) -> dict[str, str]:
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    return dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]


def readable_persons(s: Session, who: Principal, ids: Iterable[str]) -> dict[str, Person]:
    """The registry's records of ``ids`` that ``who`` may read (``exchanges.service.reads_person``)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = s.execute(select(Person).where(Person.id.in_(wanted))).scalars()
    return {p.id: p for p in rows if svc.reads_person(who, p)}


def formula_text(lang: str, t: dict[str, Any]) -> str:
    """The formula of terms ``t`` in the reader's language: "10 for 10", "all for all", "5 officers, 3 …"."""
    f = t.get("formula", {})
    if f.get("kind") == "n_for_n":
        return i18n.gettext(lang, N_("{n} for {n}"), n=int(f.get("n") or 0))
    if f.get("kind") == "all_for_all":
        return i18n.gettext(lang, FORMULA_LABELS["all_for_all"])
    return ", ".join(i18n.gettext(lang, N_("{category}: {n}"), category=i18n.gettext(lang, CATEGORY_LABELS.get(c, c)),
                                  n=int(n)) for c, n in sorted(f.get("categories", {}).items()))


def figure_of(value: Any) -> Figure | None:
    """A figure as a payload or a projection keeps it: an exact count (a number), a figure, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return Figure.of(value)
    if isinstance(value, str):
        return Figure.model_validate_json(value)
    return Figure.model_validate(value)


def stated(text: str) -> int | dict[str, Any]:
    """A count as typed (``50``, ``>200``, ``~50``, ``40-50``) as a payload states it; ValueError otherwise."""
    f = parse(text)
    return f.value if f.form == "exact" and f.value is not None else f.model_dump(exclude_none=True)


def tabs(x: Exchange) -> list[str]:
    """The tabs of an exchange's pages: its persons' tabs unless it is of remains only, its remains' tab if any."""
    out = ["agreement"]
    if x.kind != "remains":
        out += ["lists", "consent", "plan", "handover"]
    if x.kind in ("remains", "mixed"):
        out.append("remains")
    out.append("counts")
    return out


def page(request: Request, s: Session, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    persons: dict[str, Person] = ctx.pop("persons", {})
    x: Exchange | None = ctx.get("x")
    extra: dict[str, Any] = {}
    if x is not None:
        t = svc.terms(x)
        extra = {"t": t, "tabs": tabs(x), "formula": formula_text(lang, t)}
    return render(request, name, status, names=party_names(s, lang), xlabel=label, short=short, iso=iso,
                  utc=lambda t: i18n.utc_time(lang, t), day=lambda d: i18n.day(lang, d) if d else "",
                  number=lambda n: i18n.number(lang, n), figure=lambda v: figure_text(lang, figure_of(v)),
                  persons=persons, person=lambda pid: name_of(persons.get(pid or ""), pid or ""),
                  known=lambda pid: (pid or "") in persons,
                  percent=lambda p: shown_probability(p, lang), **extra, **ctx)


def forbidden(request: Request, who: Principal) -> HTMLResponse:
    return render(request, "error.html", 403, who=who, title=N_("Not allowed"), message=NOT_READER)


def no_exchange(request: Request, who: Principal) -> HTMLResponse:
    return not_found(request, who, NO_EXCHANGE)


def exchange_of(s: Session, who: Principal, exchange_id: str) -> Exchange | None:
    """The exchange ``who`` may read, or None (absent, or not theirs to read: the same to them)."""
    try:
        return svc.exchange(s, who, exchange_id[:64])
    except ParleyError:
        return None


# -- the forms' helpers ----------------------------------------------------------------------------------------
async def submit(request: Request, s: Session, who: Principal, kind: str, x: Exchange | None,
                 payload: dict[str, Any], audience: list[str] | None = None) -> Any:
    """Sign and append ``payload``, addressed to the exchange's parties and mediators unless ``audience``."""
    assert x is not None or audience is not None
    return await submit_as_async(request.app.state.runtime, s, who, kind,
                                 audience if audience is not None else k.audience_for(x), payload)


def field_of(exc: ParleyError, known: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """The form field a refusal names (``payload.terms.formula.n`` → ``formula``, ``persons.3`` → ``persons``), or
    ``form`` for a refusal of the whole form."""
    names = set(known)
    f = (exc.field or "").removeprefix("payload.")
    parts = [p for p in f.split(".") if p and not p.isdigit()]
    if parts and parts[0] == "terms":
        parts = parts[1:]
    reason = str(exc.params.get("reason", "")) if isinstance(exc.params, dict) else ""
    if reason in ("exchange.stages_sum", "exchange.stages_numbered"):
        parts = ["stages"]
    elif reason in ("exchange.formula_n", "exchange.formula_categories", "exchange.formula_all"):
        parts = ["formula"]
    for name in ("_".join(parts), parts[-1] if parts else "", parts[0] if parts else ""):
        candidate = (aliases or {}).get(name, name)
        if candidate in names:
            return candidate
    return "form"


def hoisted(errors: dict[str, Any], shown: dict[str, bool]) -> dict[str, Any]:
    """The errors beside each form's fields; a refusal for a form the page does not show (the exchange moved on
    meanwhile, or the member may not use it) is shown at the top of the page."""
    out = dict(errors)
    for key in [key for key in out if not shown.get(key.split(".", 1)[0], True)]:
        out.setdefault("form", out.pop(key))
    return out


def ids_of(text: str, limit: int = k.MAX_LIST) -> list[str]:
    """Ids written one a line (or separated by commas or spaces), in order, each once."""
    out: list[str] = []
    for word in re.split(r"[\s,;]+", text):
        w = word.strip()
        if w and w not in out:
            out.append(w)
        if len(out) >= limit:
            break
    return out


def terms_values(t: dict[str, Any]) -> dict[str, Any]:
    """The values a terms form starts with: those of terms ``t``."""
    f = t.get("formula", {})
    values: dict[str, Any] = {"kind": t.get("kind", "prisoners"), "formula_kind": f.get("kind", "n_for_n"),
                              "n": str(f.get("n") or ""), "place": t.get("place", ""), "note": t.get("note", ""),
                              "operation": t.get("operation") or "", "point": t.get("point") or ""}
    for c in CATEGORIES:
        values[f"cat_{c}"] = str(f.get("categories", {}).get(c, ""))
    for i, st in enumerate(t.get("stages", [])[:STAGE_ROWS]):
        values[f"stage_size_{i}"] = str(st.get("size") or "")
        values[f"stage_on_{i}"] = str(st.get("on") or "")
    return values


TERMS_FIELDS = ("kind", "formula_kind", "n", *(f"cat_{c}" for c in CATEGORIES),
                *(f"stage_{what}_{i}" for i in range(STAGE_ROWS) for what in ("size", "on")),
                "place", "note", "operation", "point")
# The fields of a terms form a refusal may name, and what each refused path is shown beside.
TERMS_KNOWN = {"kind", "formula", "stages", "place", "note", "operation", "point"}
TERMS_ALIASES = {"formula_n": "formula", "formula_kind": "formula", "formula_categories": "formula",
                 "stages_size": "stages", "stages_number": "stages", "stages_on": "stages",
                 "window_start": "stages", "window_end": "stages"}


def terms_from_form(form: Any, prefix: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(values as typed, the terms, errors beside the field) from a form's terms fields."""
    values = {f: str(form.get(f, ""))[:4000 if f == "note" else 200].strip() for f in TERMS_FIELDS}
    errors: dict[str, Any] = {}
    fk = values["formula_kind"] or "n_for_n"
    formula: dict[str, Any] = {"kind": fk}
    if fk == "n_for_n":
        if not values["n"].isdigit() or len(values["n"]) > 6:
            errors[f"{prefix}.formula"] = ENTER_COUNT
        else:
            formula["n"] = int(values["n"])
    elif fk == "by_category":
        cats: dict[str, int] = {}
        for c in CATEGORIES:
            v = values[f"cat_{c}"]
            if v and (not v.isdigit() or len(v) > 6):
                errors[f"{prefix}.formula"] = ENTER_COUNT
            elif v:
                cats[c] = int(v)
        formula["categories"] = cats
    stages: list[dict[str, Any]] = []
    for i in range(STAGE_ROWS):
        size, on = values[f"stage_size_{i}"], values[f"stage_on_{i}"]
        if not size and not on:
            continue
        st: dict[str, Any] = {"number": len(stages) + 1}
        if size:
            if not size.isdigit() or len(size) > 6:
                errors[f"{prefix}.stages"] = ENTER_COUNT
            else:
                st["size"] = int(size)
        if on:
            st["on"] = on
        stages.append(st)
    terms: dict[str, Any] = {"kind": values["kind"] or "prisoners", "formula": formula,
                             "stages": stages or [{"number": 1}]}
    for f in ("place", "note"):
        if values[f]:
            terms[f] = values[f]
    for f in ("operation", "point"):
        if values[f]:
            terms[f] = values[f][:64]
    return values, terms, errors


def plan_stages_json(p: Any) -> str:
    """A solver's plan as the plan record states its stages (``exchange.plan``), in JSON for the sign form."""
    return json.dumps([{"stage": n, "persons": [{"side": side, "person": pid} for side, pid in st]}
                       for n, st in enumerate(p.stages, 1)], separators=(",", ":"))
