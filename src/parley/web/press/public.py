"""The public side, for anyone without an account: the statements parties released, in the reader's language
where the party wrote it, each with the log records it is made of and how to check them
(``parley log verify-statement``); nothing unreleased, nothing personal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from parley.errors import NotFound
from parley.parties.models import Party
from parley.press import figures
from parley.press.api import released_json
from parley.press import service as svc
from parley.records.figures import Figure
from parley.web import i18n
from parley.web.labels import OPERATION_LABELS
from parley.web.operations.common import figure_text
from parley.web.press import charts
from parley.web.routes import Db, lang_of, not_found, render_shared

router = APIRouter(include_in_schema=False)
FEWER = i18n.N_("fewer than {n}")
STATE_LABELS = {"released": i18n.N_("Released"), "withdrawn_after_release": i18n.N_("Withdrawn"),
                "approved": i18n.N_("Approved, under embargo"), "draft": i18n.N_("Draft"),
                "withdrawn": i18n.N_("Withdrawn before release")}


def text_in(view: svc.View, lang: str) -> tuple[str, dict[str, str]]:
    """The statement's text in ``lang``, else in the first language it was written in: (language, text)."""
    return dict_text(view.text["texts"], lang)


def dict_text(texts: dict[str, dict[str, str]], lang: str) -> tuple[str, dict[str, str]]:
    if lang in texts:
        return lang, texts[lang]
    first = min(texts, key=("uk", "ru", "en").index)
    return first, texts[first]


def _names(s: Any, lang: str) -> dict[str, str]:
    return {p.slug: {"uk": p.name_uk, "ru": p.name_ru}.get(lang) or p.name_en
            for p in s.execute(select(Party)).scalars()}


PER_PAGE = 30


@router.get("/public", response_class=HTMLResponse)
async def public_page(request: Request, s: Db, party: str = "", page: int = 1) -> HTMLResponse:
    """The released statements and the public figures: the same for every reader, rendered once per state of the
    log, language and address (``svc.kept``): from what is at hand on the event loop, else on a thread (it reads
    the database)."""
    lang = lang_of(request)
    party = party[:64]
    what = ("page", "/public", lang, party, page, request.url.path, str(request.url.query))
    known = svc.kept_if_known(s, what)
    if known is not None:
        return render_shared(request, "public.html", lambda _: bytes(known))

    def body(shared: Any) -> bytes:
        return bytes(svc.kept(s, what, lambda: bytes(_public_page(s, shared, lang, party, page).body)))

    return await run_in_threadpool(render_shared, request, "public.html", body)


def _public_page(s: Any, shared: Any, lang: str, party: str, page: int) -> HTMLResponse:
    every = released_json(s)
    shown = [r for r in every if not party or r["party"] == party]
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = min(max(1, page), pages)
    rows = [{"r": r, "lang_text": dict_text(r["text"]["texts"], lang)}
            for r in shown[(page - 1) * PER_PAGE:page * PER_PAGE]]
    figs = figures.table(s)

    def cell(c: dict[str, Any]) -> str:
        if "fewer_than" in c:
            return i18n.gettext(lang, FEWER, n=c["fewer_than"])
        return figure_text(lang, Figure.model_validate(c))

    def count(c: Any) -> str:
        return i18n.gettext(lang, FEWER, n=c["fewer_than"]) if isinstance(c, dict) else str(c)

    return shared(who=None, rows=rows, names=_names(s, lang), party=party,
                  parties=sorted({r["party"] for r in every}), states=STATE_LABELS, figures=figs, cell=cell,
                  count=count, category_label=_category,
                  page=page, pages=pages, total=len(shown), when_text=lambda t: i18n.utc_time(
                      lang, datetime.fromisoformat(t)))


def _category(c: str) -> str:
    return i18n.N_("Not broken down") if c == "total" else OPERATION_LABELS.get(c, c)


CHART_WORDS = {
    "exchanges": (i18n.N_("Persons received and handed over in exchanges, as each party released them"),
                  i18n.N_("persons (at least)")),
    "evacuations": (i18n.N_("Persons evacuated by category, as each party released them"),
                    i18n.N_("persons (at least)")),
    "inquiries": (i18n.N_("Families' inquiries, as each party released them"), i18n.N_("inquiries")),
}
SERIES_WORDS = {"received": i18n.N_("received"), "sent": i18n.N_("handed over"), "evacuated": i18n.N_("evacuated"),
                "filed": i18n.N_("filed"), "answered": i18n.N_("answered"), "closed": i18n.N_("closed")}


@router.get("/public/charts/{chart_file}")
def public_chart(request: Request, s: Db, chart_file: str) -> Response:
    """A chart of the public figures as SVG or PNG (``exchanges.svg``), in the reader's language (for the page and
    for press kits)."""
    name, _, fmt = chart_file.partition(".")
    if name not in charts.CHARTS or fmt not in charts.FORMATS:
        return not_found(request, None, i18n.N_("There is no such page."))
    lang = lang_of(request)
    body = svc.kept(s, ("chart", name, fmt, lang), lambda: _chart(s, name, fmt, lang))
    return Response(body, media_type=charts.FORMATS[fmt], headers={
        "Cache-Control": "no-cache", "Content-Disposition": f'inline; filename="parley-{name}-{lang}.{fmt}"'})


def _chart(s: Any, name: str, fmt: str, lang: str) -> bytes:
    title, axis = CHART_WORDS[name]
    labels = {"title": i18n.gettext(lang, title), "axis": i18n.gettext(lang, axis),
              "empty": i18n.gettext(lang, i18n.N_("Nothing to draw: no party released these figures, or each could "
                                                 "point at fewer than 5 people.")),
              **{k: i18n.gettext(lang, v) for k, v in SERIES_WORDS.items()},
              **{f"party:{slug}": n for slug, n in _short_names(s, lang).items()}}
    data = figures.table(s)
    labels.update({f"category:{c}": i18n.gettext(lang, _category(c))
                   for cats in data["evacuated_by_category"].values() for c in cats})
    return charts.render(name, fmt, data, labels)


def _short_names(s: Any, lang: str) -> dict[str, str]:
    """Party names short enough for a legend: the part before a dash (“Ukraine”, not its whole office)."""
    return {slug: name.split(" — ")[0] for slug, name in _names(s, lang).items()}


@router.get("/public/statements/{statement_id}", response_class=HTMLResponse)
def public_statement(request: Request, s: Db, statement_id: str) -> HTMLResponse:
    lang = lang_of(request)
    try:
        v = svc.one(s, None, statement_id[:64])
    except NotFound:
        return not_found(request, None, i18n.N_("There is no such released statement."))

    def body(shared: Any) -> bytes:
        def build() -> bytes:
            return bytes(shared(who=None, v=v, lang_text=text_in(v, lang), at=svc.released_at(s, v.statement),
                                names=_names(s, lang), states=STATE_LABELS,
                                records=svc.record_indices(v.statement, v.version), languages_of=i18n.NAMES,
                                log_key=request.app.state.runtime.log_signer.vkey(),
                                utc=lambda t: i18n.utc_time(lang, t)).body)

        return bytes(svc.kept(s, ("page", "statement", v.statement.id, lang, str(request.url.query)), build))

    return render_shared(request, "public_statement.html", body)
