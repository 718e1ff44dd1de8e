"""Persons as a file to download, CSV or XLSX, with the registry's own field names as headers and no cell
ever a formula (``spreadsheet.write_csv``/``write_xlsx``): the API's ``/api/persons.{csv,xlsx}`` and the
registry page's export both answer with it."""

from __future__ import annotations

from starlette.responses import Response

from parley.errors import Unprocessable
from parley.people import codes as C
from parley.people import service as svc
from parley.people.models import PERSON_FIELDS, Person


def persons_file(fmt: str, rows: list[Person], name: str) -> Response:
    from parley.people import spreadsheet as sp

    fields = ["id", "category", "status", "seriously_wounded", *PERSON_FIELDS]
    headers = fields
    data = svc.export_rows(rows)
    if fmt == "csv":
        return Response(sp.write_csv(data, fields, headers), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(sp.write_xlsx(data, fields, headers),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})
    raise Unprocessable(C.EXPORT_FORMAT, field="format")
