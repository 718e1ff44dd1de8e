"""Persons as a file to download, CSV or XLSX, with the registry's own field names as headers and no cell
ever a formula (``spreadsheet.write_csv``/``write_xlsx``): the API's ``/api/persons.{csv,xlsx}`` and the
registry page's export both answer with it."""

from __future__ import annotations

from starlette.responses import Response

from parley.errors import Unprocessable
from parley.people import codes as C
from parley.people import service as svc
from parley.people.models import PERSON_FIELDS, Person
from parley.people.monitoring import Alive


def persons_file(fmt: str, rows: list[Person], name: str, alive: dict[str, Alive | None] | None = None) -> Response:
    """``alive``: when each was last known alive and by whom, as the reader may read it (``svc.last_alive``)."""
    from parley.people import spreadsheet as sp

    fields = ["id", "category", "status", "seriously_wounded", *PERSON_FIELDS, "last_alive_date", "last_alive_by",
              "last_alive_event"]
    headers = fields
    data = svc.export_rows(rows, alive)
    if fmt == "csv":
        return Response(sp.write_csv(data, fields, headers), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(sp.write_xlsx(data, fields, headers),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})
    raise Unprocessable(C.EXPORT_FORMAT, field="format")
