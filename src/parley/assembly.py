"""The composition root: the one place that knows every capability and puts Parley together.

A capability (``parley.operations``, ``parley.people``, ``parley.talks``, ``parley.exchanges``, ``parley.press``) is
a package that contributes, each from its own module:

- its record kinds (``kinds.KINDS``), registered here with the spine's in ``kinds()``: the pipeline,
  replay, the log's read policy and the auditor are handed this registry, and know no capability; and the
  objects its records let others name (``kinds.OBJECTS``: an operation names the talks point it implements);
- its HTTP API (``api.router``) and its pages (``parley.web.<capability>``, a module and its ``router`` per
  page group), included in the app by ``routers()``;
- its commands (``cli.register``), added to ``parley`` by ``register_commands()``;
- its part of the demo (``scenario``), run in log order by ``scenario()``;
- its tables (``models.TABLES`` and ``models.LOCAL_TABLES``), gathered for Alembic and replay by
  ``parley.models`` (beside its migration under ``parley/migrations/versions``).

Nothing else imports a capability for its side effects, and nothing below imports this module: the
layers are drawn in ``docs/architecture.md`` and checked by ``tests/test_architecture.py``. Each part
imports what it assembles when it is asked for, so ``parley --help`` loads no capability.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy.engine import Engine

    from parley.records.kinds import Registry
    from parley.runtime import Runtime
    from parley.settings import Settings


@cache
def kinds() -> Registry:
    """Every record kind the log accepts: the spine's (deployment, parties, members, keys, notes) and each
    capability's. A kind registered twice is refused."""
    from parley.exchanges.kinds import KINDS as exchanges
    from parley.exchanges.kinds import OBJECTS as exchange_objects
    from parley.operations.kinds import KINDS as operations
    from parley.operations.kinds import OBJECTS as operation_objects
    from parley.people.kinds import KINDS as people
    from parley.press.kinds import KINDS as press
    from parley.records.kinds import SPINE_KINDS, Registry
    from parley.records.policy import record_lookup
    from parley.talks.kinds import KINDS as talks
    from parley.talks.kinds import OBJECTS as talks_objects

    registry = Registry(SPINE_KINDS, operations, people, talks, exchanges, press,
                        objects={**operation_objects, **talks_objects, **exchange_objects})
    registry.objects["record"] = record_lookup(registry)
    return registry


def open_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    """The deployment ``settings`` name, its log accepting every kind (``kinds()``); new password hashes with
    the settings' Argon2 cost."""
    from parley import runtime
    from parley.parties import credentials

    credentials.use_hash_cost(time_cost=settings.password_hash_time_cost,
                              memory_cost=settings.password_hash_memory_kib,
                              parallelism=settings.password_hash_parallelism)
    return runtime.open_runtime(settings, kinds(), engine=engine)


def routers() -> list[APIRouter]:
    """Every router the app serves, in this order: records, the log and members (the spine; records first,
    the route written to most), each
    capability's API, each capability's pages (one router per page group), then the spine's pages (sign-in
    and overview, parties and members, the log explorer). A request goes to the first route that matches, so
    a fixed address comes before the pattern that would also read it (``/operations/new`` before
    ``/operations/{op_id}``)."""
    from parley.exchanges.api import router as exchanges
    from parley.inbox.api import router as inbox
    from parley.logserver.api import router as log
    from parley.logserver.parties import router as parties
    from parley.logserver.records import router as records
    from parley.operations.api import router as operations
    from parley.people.api import router as people
    from parley.press.api import figures_router as press_figures
    from parley.press.api import public as public_api
    from parley.press.api import router as press
    from parley.talks.api import router as talks
    from parley.web import explorer, routes
    from parley.web import parties as party_pages
    from parley.web.exchanges import agreement, counts, handover, listing, remains
    from parley.web.exchanges import lists as exchange_lists
    from parley.web.exchanges import plan as exchange_plan
    from parley.web.operations import board, channels, incidents, operation, places, propose, zones
    from parley.web.people import access, family, inquiries, lists, registry, review
    from parley.web.press import desk as press_desk
    from parley.web.press import public as public_pages
    from parley.web.talks import board as talks_board
    from parley.web.talks import meetings, points, process, processes, texts

    operations_pages = [board.router, propose.router, operation.router, incidents.router, zones.router,
                        channels.router, places.router]
    people_pages = [registry.router, review.router, lists.router, inquiries.router, family.router, access.router]
    # /talks/actors before /talks/{pid}
    talks_pages = [processes.router, meetings.router, points.router, texts.router, talks_board.router, process.router]
    # /exchanges before /exchanges/{exchange_id}, its tabs after it
    exchange_pages = [listing.router, agreement.router, exchange_lists.router, exchange_plan.router, handover.router,
                      remains.router, counts.router]
    return [records, log, parties, inbox, operations, people, talks, exchanges, press, press_figures, public_api,
            *operations_pages,
            *people_pages, *talks_pages, *exchange_pages, press_desk.router, public_pages.router, routes.router,
            party_pages.router, explorer.router]


def register_commands(app: typer.Typer) -> None:
    """Each capability's commands under ``parley`` (``parley ops …``, ``parley person …``, ``parley talks …``)."""
    from parley.exchanges.cli import register as exchanges
    from parley.inbox.cli import inbox
    from parley.operations.cli import register as operations
    from parley.people.cli import register_commands as people
    from parley.talks.cli import register as talks

    operations(app)
    people(app)
    talks(app)
    exchanges(app)
    app.command("inbox")(inbox)


def scenario(add: Callable[..., int]) -> dict[str, str]:
    """Each capability's part of the demo, in log order, after the spine's parties, members and notes
    (``parley.demo``). ``add(author, kind, audience, payload, …)`` signs and queues one record. Returns the
    demo families' inquiry references and their secrets."""
    from parley.exchanges.scenario import records as exchanges
    from parley.operations.scenario import records as operations
    from parley.people import scenario as people
    from parley.people.service import local_secret
    from parley.press.scenario import records as press
    from parley.talks.scenario import records as talks

    talks(add)
    operations(add)
    people.records(add)
    inquiries = people.inquiries(add, local_secret)
    people.access(add)
    exchanges(add)
    press(add)
    return inquiries


__all__ = ["kinds", "open_runtime", "register_commands", "routers", "scenario"]
