"""Lists of persons in and out of spreadsheets: prisoners of war, detained civilians, the missing and the dead,
as the parties and the mediators exchange them, in XLSX and CSV.

Reading, in three steps that the import preview shows one by one:

``read_table(data, filename)``
    The first visible worksheet of an XLSX workbook, or a CSV file (UTF-8 with or without a BOM, UTF-16 as
    Excel's "Unicode text", or Windows-1251 as Ukrainian and Russian Excel writes it; delimiter ``,`` ``;``
    or tab, sniffed), as a :class:`Sheet`: the header row (the first row that is not empty), every other
    non-empty row with the row number the user sees in Excel, and warnings. A file that cannot be read
    safely is refused with a :class:`SpreadsheetError` that says why in plain words.
``guess_mapping(headers)``
    Column number (0-based) → field, from headers written in Ukrainian, Russian or English.
``parse_rows(sheet, mapping, default_category)``
    One :class:`RowResult` per data row: the values cleaned and normalised (ISO dates, category codes,
    ``m``/``f``, ``true``/``false``), or the reason the row is rejected and the field at fault.

Writing: ``write_csv`` and ``write_xlsx``, with every value inert (see below).

Hostile files. An upload is untrusted, and a list of persons is exactly what an adversary would like to
tamper with or use to reach a registrar's machine:

* zip bombs: the zip directory is checked with :mod:`zipfile` before openpyxl opens anything (total
  unpacked size, compression ratio of each member, number of members, encryption, compression method).
  The sizes checked are the declared ones, and :mod:`zipfile` never inflates a member beyond its declared
  size (it stops there and the CRC check then fails), so the check is binding;
* XML bombs and external entities: openpyxl parses through defusedxml (``openpyxl.DEFUSEDXML``), which
  refuses entity declarations; an XLSX is not read at all if that protection is not in place;
* huge sheets: at most :data:`MAX_ROWS` rows of data and :data:`MAX_COLUMNS` columns, rows numbered beyond
  Excel's own last row are refused;
* formulas: cells are read with ``data_only=True`` (the value Excel computed, never the formula), a value
  that would be a formula if pasted back into a spreadsheet is rejected in a name and in any field when it
  looks like a function call, and every exported value is inert: in CSV a leading ``= + - @``, tab or
  carriage return gets an apostrophe (the OWASP rule for CSV injection), in XLSX every cell is a string cell.

Need to know: no message, warning or reason produced here quotes a cell's content. Rows are named by their
number, columns by their number and letter, fields by their name.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from parley.errors import Code
from parley.people import codes as C
from parley.people.models import PERSON_FIELDS

__all__ = [
    "CATEGORIES", "FIELDS", "MAX_COLUMNS", "MAX_LENGTH", "MAX_ROWS", "RowResult", "Sheet", "SpreadsheetError",
    "category_of", "field_for_header", "guess_mapping", "looks_like_formula", "neutralise", "parse_date",
    "parse_rows", "read_table", "write_csv", "write_xlsx",
]

# The fields a column can be mapped to: the Geneva fields of a person record, the category and the
# seriously-wounded flag of the register payload, and one column holding the whole name ("surname first
# patronymic"), which is split on reading.
FIELDS: tuple[str, ...] = (*PERSON_FIELDS, "category", "seriously_wounded", "full_name")
CATEGORIES = ("pow", "civilian", "missing", "deceased")

# Limits on what is read. Module constants so that a test (or a deployment) can lower them.
MAX_ROWS = 100_000  # rows of data, the header not counted
MAX_COLUMNS = 200  # the last non-empty cell of any row
MAX_SHEET_ROW = 1_048_576  # Excel's last row; openpyxl would otherwise fill any gap up to a forged row number
MAX_UNZIPPED = 200 << 20  # bytes, all members of an XLSX together
MAX_RATIO = 200  # uncompressed / compressed, for a member larger than RATIO_FLOOR
RATIO_FLOOR = 10 << 20
MAX_MEMBERS = 10_000

# Longest value of each field, as the register payload (``kinds.PersonFields``) and the ``person`` table
# allow it, whichever is shorter; a longer value rejects the row, it is never cut.
_TEXT_FIELDS = ("health", "cause_of_death", "person_to_inform", "notes")  # free text, line breaks kept
_DATE_FIELDS = ("birth_date", "capture_date", "death_date")
_NAME_FIELDS = ("surname", "first_name", "patronymic", "mother_maiden_name", "full_name")
_CODED_FIELDS = (*_DATE_FIELDS, "sex", "category", "seriously_wounded")  # read into a code, not kept as written
MAX_LENGTH: dict[str, int] = {
    **dict.fromkeys(PERSON_FIELDS, 200),
    **dict.fromkeys(_TEXT_FIELDS, 4000),
    "service_number": 64,
    "external_id": 100,
    "full_name": 600,  # three names of 200
    **dict.fromkeys(_CODED_FIELDS, 100),  # what is written in the cell; the code stored is short
}

Status = Literal["ok", "rejected"]


class SpreadsheetError(ValueError):
    """A file that cannot be read at all. The message says why, in plain English, and never quotes the file;
    ``code`` and ``params`` are its refusal's (``parley.people.codes``), with which the import refuses it."""

    def __init__(self, code: Code, /, **params: Any) -> None:
        super().__init__(code.format(params))
        self.code, self.params = code, params


@dataclass
class Sheet:
    """A table as read from a file: the header row, the data rows with the row numbers the user sees, and
    warnings about what was not read or was read with a guess (the encoding, other worksheets)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    warnings: list[str] = _field(default_factory=list)
    format: str = ""  # "xlsx" or "csv"

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class RowResult:
    """The outcome for one data row: ``ok`` with its cleaned values, or ``rejected`` with a reason (a short
    English sentence that never quotes the cell) and the field at fault."""

    row: int
    status: Status
    reason: str = ""
    field: str | None = None
    values: dict[str, str] = _field(default_factory=dict)


# -- reading ---------------------------------------------------------------------------------------
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
                 b"\x1f\x8b": "a gzip archive", b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive",
                 b"MZ": "a Windows program"}
_EXCEL_NAMES = (".xlsx", ".xlsm", ".xltx", ".xltm")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ENTITIES = C.ENTITIES


def read_table(data: bytes, filename: str) -> Sheet:
    """The table in ``data``: an XLSX workbook (recognised by its content, whatever its name) or a CSV file.

    Raises :class:`SpreadsheetError` for a file that is empty, is not a spreadsheet, is an old ``.xls`` or a
    password-protected workbook, is a zip or XML bomb, or is larger than the limits of this module.
    """
    if not data or not data.strip(b" \t\r\n\x00"):
        raise SpreadsheetError(C.SHEET_FILE_EMPTY)
    name = (filename or "").strip().lower()
    if data.startswith(_ZIP_MAGIC):
        raw, warnings = _xlsx_rows(data)
        kind = "xlsx"
    elif data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(C.XLS)
    else:
        for magic, what in _BINARY_MAGIC.items():
            if data.startswith(magic):
                raise SpreadsheetError(C.NOT_A_SHEET, what=what)
        if name.endswith(_EXCEL_NAMES):
            raise SpreadsheetError(C.NAMED_XLSX)
        raw, warnings = _csv_rows(data)
        if name.endswith(".xls"):
            warnings.insert(0, "the file is named .xls but holds delimited text; it was read as CSV")
        kind = "csv"
    return _table(raw, warnings, kind)


def _table(raw: Iterable[tuple[int, list[str]]], warnings: list[str], kind: str) -> Sheet:
    """Header (the first non-empty row) and data rows from numbered rows of cell texts, within the limits."""
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in raw:
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise SpreadsheetError(C.TOO_MANY_COLUMNS, row=number, limit=MAX_COLUMNS)
        if headers is None:
            headers = [" ".join(c.split()) for c in cells]
            continue
        if len(rows) >= MAX_ROWS:
            raise SpreadsheetError(C.TOO_MANY_ROWS, limit=MAX_ROWS)
        rows.append((number, cells))
    if headers is None:
        raise SpreadsheetError(C.SHEET_EMPTY)
    width = max((len(c) for _, c in rows), default=0)
    if width > len(headers):
        warnings.append(f"some rows have values in columns without a header (up to column {_column(width - 1)})")
        headers += [""] * (width - len(headers))
    if not rows:
        warnings.append("the sheet has a header row but no rows of data")
    return Sheet(headers, rows, warnings, kind)


# -- XLSX ------------------------------------------------------------------------------------------
def _xml_defused() -> bool:
    """Whether every XML parser openpyxl uses on a workbook refuses entity declarations."""
    import openpyxl
    from openpyxl.xml import functions

    def defused(fn: Any) -> bool:
        return str(getattr(fn, "__module__", "")).startswith("defusedxml")

    # With lxml, openpyxl's ``fromstring`` is lxml's with resolve_entities=False; its ``iterparse`` (every
    # worksheet and the shared strings) is defusedxml's whenever openpyxl.DEFUSEDXML is true.
    return bool(openpyxl.DEFUSEDXML) and defused(functions.iterparse) and (
        bool(openpyxl.LXML) or defused(functions.fromstring))


def _check_zip(data: bytes) -> None:
    """Refuse a zip that is not a plain OOXML package or that would unpack to far more than it weighs."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise SpreadsheetError(C.ZIP_DAMAGED) from None
    with zf:
        if len(infos) > MAX_MEMBERS:
            raise SpreadsheetError(C.TOO_MANY_PARTS, n=MAX_MEMBERS)
        names = {i.filename for i in infos}
        if "mimetype" in names and zf.getinfo("mimetype").file_size < 200 \
                and zf.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
            raise SpreadsheetError(C.ODS)
        if "xl/workbook.bin" in names:
            raise SpreadsheetError(C.XLSB)
        if "[Content_Types].xml" not in names:
            raise SpreadsheetError(C.NOT_A_SHEET, what="a zip archive that is not an Excel workbook")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise SpreadsheetError(C.PASSWORD)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise SpreadsheetError(C.COMPRESSION)
            total += info.file_size
            if total > MAX_UNZIPPED:
                raise SpreadsheetError(C.UNPACKS_TOO_LARGE, n=MAX_UNZIPPED >> 20)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise SpreadsheetError(C.RATIO, n=MAX_RATIO)


def _xlsx_rows(data: bytes) -> tuple[Iterator[tuple[int, list[str]]], list[str]]:
    """Numbered rows of cell texts of the first visible worksheet, and warnings."""
    _check_zip(data)
    if not _xml_defused():
        raise SpreadsheetError(C.NO_DEFUSEDXML)
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises anything from KeyError to TypeError on a bad package
        if _caused_by(exc, DefusedXmlException):  # openpyxl wraps it in a ValueError
            raise SpreadsheetError(_ENTITIES) from None
        raise SpreadsheetError(C.XLSX_DAMAGED) from None
    warnings: list[str] = []
    try:
        sheets = wb.worksheets
        visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not visible:
            raise SpreadsheetError(C.NO_VISIBLE_SHEET)
        ws = visible[0]
        count = len(wb.sheetnames)
        if count > 1:
            position = wb.sheetnames.index(ws.title) + 1
            warnings.append(f"the workbook has {count} sheets; only the first visible worksheet (sheet {position} "
                            f"of {count}) was read")
        ws.reset_dimensions()  # a forged dimension would otherwise pad every row to it
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROW:
                raise SpreadsheetError(C.BEYOND_LAST_ROW, row=MAX_SHEET_ROW)
            cells = [_cell_text(v) for v in values] if values else []
            if not any(c.strip() for c in cells):
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:  # the header and one row too many: _table names the limit
                break
    except (SpreadsheetError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - as above, while a worksheet is parsed
        if _caused_by(exc, DefusedXmlException):
            raise SpreadsheetError(_ENTITIES) from None
        raise SpreadsheetError(C.WORKSHEET_DAMAGED) from None
    finally:
        wb.close()
    return iter(rows), warnings


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` is a ``kind`` or was raised while handling one (``raise ... from``, or implicitly)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _cell_text(value: Any) -> str:
    """The text of a cell value as openpyxl returns it with ``data_only=True``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return unicodedata.normalize("NFC", str(value))


# -- CSV -------------------------------------------------------------------------------------------
def _decode(data: bytes) -> tuple[str, list[str]]:
    """The text of a delimited file and a warning about its encoding when it had to be guessed."""
    warnings: list[str] = []
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1251")
                warnings.append("the file is not UTF-8; it was read as Windows-1251 (Cyrillic). If names look "
                                "wrong, save the file again as CSV UTF-8")
    except UnicodeDecodeError:
        raise SpreadsheetError(C.NOT_A_SHEET, what="the content is not text in a known encoding") from None
    sample = text[:65536]
    if "\x00" in text or len(_CONTROL.findall(sample)) > len(sample) // 100:
        raise SpreadsheetError(C.NOT_A_SHEET, what="the content is binary, not text")
    head = text.lstrip()[:200].lower()
    if head.startswith(("<html", "<!doctype html", "<table")) or (head.startswith("<?xml") and "<html" in head):
        raise SpreadsheetError(C.HTML)
    if head.startswith("<?xml"):
        raise SpreadsheetError(C.XML_SHEET)
    return unicodedata.normalize("NFC", text), warnings


def _sniff(text: str) -> str:
    """The delimiter among comma, semicolon and tab that splits the first lines most consistently."""
    lines = [line for line in text[:65536].splitlines(keepends=True) if line.strip()][:50]
    best, score = ",", (0.0, 1)
    for delimiter in (",", ";", "\t"):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        here = (sum(1 for c in counts if c == counts[0]) / len(counts), counts[0])
        if here > score:
            best, score = delimiter, here
    return best


def _csv_rows(data: bytes) -> tuple[Iterator[tuple[int, list[str]]], list[str]]:
    text, warnings = _decode(data)
    first, _, rest = text.partition("\n")
    explicit = re.fullmatch(r"\s*sep=(.)\s*", first)  # Excel's "sep=;" line: Excel hides it, so do we
    if explicit:
        text, delimiter = rest, explicit.group(1)
    else:
        delimiter = _sniff(text)
    return _csv_records(text, delimiter), warnings


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Numbered records of a CSV text (a record with a line break inside quotes is one row, as in Excel)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_SHEET_ROW:
                raise SpreadsheetError(C.TOO_MANY_LINES, limit=MAX_SHEET_ROW)
            yield number, cells
    except csv.Error as exc:
        why = "a cell is too long" if "field limit" in str(exc) else "the quoting is broken"
        raise SpreadsheetError(C.CSV_UNREADABLE, row=number, why=why) from None


# -- column mapping --------------------------------------------------------------------------------
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "surname": ("прізвище", "фамилия", "surname", "last name", "lastname", "family name", "familyname"),
    "first_name": ("ім'я", "имя", "first name", "firstname", "given name", "given names", "forename",
                   "forenames", "first names"),
    "patronymic": ("по батькові", "по-батькові", "батькові", "отчество", "patronymic", "father's name",
                   "fathers name", "father name", "middle name"),
    "full_name": ("ПІБ", "П.І.Б.", "прізвище ім'я по батькові", "прізвище, ім'я, по батькові",
                  "прізвище та ім'я", "прізвище ім'я", "ФИО", "Ф.И.О.", "фамилия имя отчество",
                  "фамилия, имя, отчество", "фамилия и имя", "фамилия имя", "full name", "fullname",
                  "surname and name", "surname first name patronymic"),
    "mother_maiden_name": ("дівоче прізвище матері", "прізвище матері до шлюбу", "девичья фамилия матери",
                           "mother's maiden name", "mothers maiden name", "maiden name of mother",
                           "mother maiden name"),
    "sex": ("стать", "пол", "sex", "gender"),
    "birth_date": ("дата народження", "дата нар", "д.н.", "рік народження", "дата рождения", "д.р.",
                   "год рождения", "date of birth", "dob", "d.o.b.", "birth date", "birthdate", "born",
                   "year of birth", "birth year"),
    "birth_place": ("місце народження", "место рождения", "place of birth", "birth place", "birthplace", "pob"),
    "citizenship": ("громадянство", "гражданство", "citizenship", "nationality"),
    "rank": ("звання", "військове звання", "звание", "воинское звание", "rank", "military rank"),
    "service_number": ("особистий номер", "особовий номер", "личный номер", "жетон", "номер жетона",
                       "номер жетону", "service number", "service no", "military id", "military number",
                       "personal number", "id tag", "dog tag"),
    "unit": ("військова частина", "в/ч", "частина", "підрозділ", "воинская часть", "часть", "подразделение",
             "unit", "military unit"),
    "power_depended_on": ("держава, від якої залежить", "держава", "сторона", "государство", "power depended on",
                          "power on which dependent", "dependent power", "power"),
    "capture_date": ("дата полонення", "дата захоплення", "дата затримання", "дата пленения", "дата захвата",
                     "дата задержания", "date of capture", "capture date", "captured", "date captured",
                     "date of detention"),
    "capture_place": ("місце полонення", "місце захоплення", "місце затримання", "место пленения",
                      "место захвата", "место задержания", "place of capture", "capture place",
                      "where captured"),
    "held_at": ("місце утримання", "місце перебування", "место содержания", "место нахождения",
                "place of detention", "held at", "detention place", "place of internment", "location"),
    "health": ("стан здоров'я", "стан", "поранення", "состояние здоровья", "состояние", "ранения", "health",
               "health condition", "medical condition", "state of health", "wounds"),
    "seriously_wounded": ("тяжкопоранений", "тяжкопоранені", "важкопоранений", "важко поранений",
                          "тяжелораненый", "тяжелораненые", "тяжело ранен", "seriously wounded",
                          "severely wounded", "seriously wounded or sick", "seriously wounded and sick"),
    "death_date": ("дата смерті", "дата загибелі", "дата смерти", "дата гибели", "date of death", "death date",
                   "dod", "died"),
    "death_place": ("місце смерті", "місце загибелі", "место смерти", "место гибели", "place of death",
                    "death place"),
    "cause_of_death": ("причина смерті", "причина загибелі", "причина смерти", "причина гибели",
                       "cause of death"),
    "burial_place": ("місце поховання", "место захоронения", "место погребения", "место похорон",
                     "place of burial", "burial place", "grave location"),
    "grave_marking": ("позначення могили", "маркування могили", "номер могили", "обозначение могилы",
                      "маркировка могилы", "номер могилы", "grave marking", "grave number", "grave marker",
                      "grave mark"),
    "person_to_inform": ("кого повідомити", "особа для повідомлення", "контактна особа", "кого известить",
                         "кого уведомить", "контактное лицо", "person to inform", "next of kin",
                         "contact person", "emergency contact"),
    "notes": ("примітки", "примітка", "коментар", "коментарі", "примечание", "примечания", "комментарий",
              "notes", "note", "comments", "comment", "remarks"),
    "external_id": ("№", "№ з/п", "№ п/п", "#", "id", "номер", "номер з/п", "номер п/п", "n", "no", "nr",
                    "ref", "reference", "record id", "external id"),
    "category": ("категорія", "категория", "category", "status", "статус"),
}
_APOSTROPHES = re.compile("['’ʼ‘`´′ʹʻ]")
_NOT_WORD = re.compile(r"[^\w#]+|_")
_LAT_TO_CYR = str.maketrans("aceiopxy", "асеіорху")  # Latin letters typed into a Cyrillic word by mistake
_CYRILLIC = re.compile(r"[а-яёіїєґ]")


def _words(text: str) -> str:
    """Lower-case words of ``text`` for comparison with a table: no punctuation but ``#``, no apostrophes,
    "ё" as "е", Latin look-alike letters in a Cyrillic word made Cyrillic."""
    s = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold().replace("ё", "е"))
    s = " ".join(_NOT_WORD.sub(" ", s).split())
    return s.translate(_LAT_TO_CYR) if _CYRILLIC.search(s) else s


def _norm_header(text: str) -> str:
    """A header reduced to lower-case words: case, spacing, punctuation, apostrophes, "ё", a parenthesised
    hint ("(дд.мм.рррр)") and Latin look-alike letters in a Cyrillic word make no difference."""
    return _words(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.replace("№", " no ")))


def _header_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, headers in _SYNONYMS.items():
        for header in headers:
            if table.setdefault(_norm_header(header), name) != name:  # pragma: no cover - a mistake in the table
                raise AssertionError(f"header {header!r} is given for two fields")
    return table


_HEADER_FIELD = _header_table()


def field_for_header(header: str) -> str | None:
    """The field a header names, or ``None``."""
    return _HEADER_FIELD.get(_norm_header(header or ""))


def guess_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Column index (0-based) → field, for the headers that name a field. Each field is mapped once, to the
    first column naming it. A bare English "Name" is the first name beside a surname column and the full name
    otherwise ("Ім'я" and "Имя" are always the first name)."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for i, header in enumerate(headers):
        f = field_for_header(header)
        if f is not None and f not in taken:
            out[i] = f
            taken.add(f)
    bare = [i for i, header in enumerate(headers) if _norm_header(header) == "name"]
    if bare and "surname" not in taken and "full_name" not in taken:
        out[bare[0]] = "full_name"
    elif bare and "first_name" not in taken:
        out[bare[0]] = "first_name"
    return dict(sorted(out.items()))


def _letters(index: int) -> str:
    """Excel's letters for a 0-based column index: 0 → "A", 27 → "AB"."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _column(index: int) -> str:
    """A 0-based column index as the user sees it, after the word "column": "28 (AB)"."""
    return f"{index + 1} ({_letters(index)})"


def _checked_mapping(sheet: Sheet, mapping: Mapping[int, str]) -> dict[int, str]:
    """The usable part of a mapping (known fields, each once), with warnings on the sheet for the rest."""
    used: dict[int, str] = {}
    where: dict[str, int] = {}
    for index in sorted(mapping):
        f = mapping[index]
        if not f:
            continue
        if not isinstance(index, int) or index < 0:
            sheet.warn("a column number in the mapping is not a column of the sheet; it was ignored")
            continue
        if f not in FIELDS:
            sheet.warn(f"column {_column(index)} is mapped to an unknown field; it was ignored")
            continue
        if f in where:
            sheet.warn(f"column {_column(index)} is mapped to {f} as well; only column {_column(where[f])} is read")
            continue
        used[index], where[f] = f, index
    unread = []
    for index, header in enumerate(sheet.headers):
        if index in used or not header.strip():
            continue
        guess = field_for_header(header)
        if guess is not None and guess in where:
            sheet.warn(f"column {_column(index)} also looks like {guess}; only column {_column(where[guess])} is read")
        else:
            unread.append(_column(index))
    if unread:
        sheet.warn(f"column{'s' if len(unread) > 1 else ''} {', '.join(unread)} "
                   f"{'are' if len(unread) > 1 else 'is'} not mapped to any field and not imported")
    if "surname" not in where and "full_name" not in where:
        sheet.warn("no column is mapped to the surname or the full name; every row will be rejected")
    return used


# -- values ----------------------------------------------------------------------------------------
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_CALL = re.compile(r"[=+\-@＝＋－＠]+\s*[^\W\d][\w.]*\s*[(!|]")  # +HYPERLINK(  -cmd|  @SUM(  =Sheet1!A1
_DASHES = frozenset("-‐‑‒–—―−")
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")  # zero-width spaces and joiners, soft hyphen


def looks_like_formula(value: str, *, strict: bool = False) -> bool:
    """Whether a spreadsheet would take ``value`` for a formula: anything starting with ``=``, or ``+ - @``
    followed by a function call, a DDE command or a cell reference. ``strict`` (names): anything starting
    with ``+`` or ``@``, or ``-`` followed by more than dashes."""
    s = value.lstrip(" \t\r\n\u00a0")
    if not s:
        return False
    if s[0] in "=＝":
        return True
    if s[0] not in "+-@＋－＠":
        return False
    if strict:
        return s[0] not in "-－" or not all(c in _DASHES or c.isspace() or c == "－" for c in s)
    return bool(_CALL.match(s))


class _Reject(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


_SUFFIX = re.compile(r"\s*(?:р\.?|рік|року|г\.?|год|года|рр\.?|гг\.?|y\.?)$", re.IGNORECASE)
_TIME = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_YMD = re.compile(r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[./-](\d{4})")
_YM = re.compile(r"(\d{4})-(\d{1,2})")
_SHORT_YEAR = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2}")


def parse_date(text: str, *, today: date | None = None) -> str:
    """An ISO date (``yyyy-mm-dd``), month (``yyyy-mm``) or year (``yyyy``) from the ways lists write them:
    ``dd.mm.yyyy``, ``d.m.yyyy``, ``dd/mm/yyyy``, ``dd-mm-yyyy``, ``yyyy-mm-dd``, ``mm.yyyy``, ``yyyy-mm`` or
    ``yyyy``, with or without a trailing "р."/"г."/"року"/"года" or a time of day.

    Raises ``ValueError`` with a reason (that does not quote the text) for an unknown format, a date that
    does not exist, a date before 1900 or after ``today``.
    """
    s = _TIME.sub("", _SUFFIX.sub("", text.strip())).strip()
    if m := _DMY.fullmatch(s):
        d, mo, y = (int(x) for x in m.groups())
        parts: tuple[int, ...] = (y, mo, d)
    elif m := _YMD.fullmatch(s):
        parts = tuple(int(x) for x in m.groups())
    elif m := _MY.fullmatch(s):
        mo, y = (int(x) for x in m.groups())
        parts = (y, mo)
    elif m := _YM.fullmatch(s):
        parts = tuple(int(x) for x in m.groups())
    elif re.fullmatch(r"\d{4}", s):
        parts = (int(s),)
    elif _SHORT_YEAR.fullmatch(s):
        raise ValueError("the year has two digits; write it with four")
    else:
        raise ValueError("not a date; write day.month.year, month.year or the year")
    try:
        first = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError("no such date (the order is day, month, year)") from None
    if first.year < 1900:
        raise ValueError("dates before 1900 are not accepted")
    if first > (today or date.today()):
        raise ValueError("the date lies in the future")
    return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:])])


_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "pow": ("pow", "p.o.w.", "prisoner of war", "prisoners of war", "prisoner", "військовополонений",
            "військовополонена", "військовополонені", "полонений", "полонена", "в/п", "вп", "военнопленный",
            "военнопленная", "военнопленные", "пленный", "пленная", "в/пл"),
    "civilian": ("civilian", "civ", "detained civilian", "civilian detainee", "internee", "цивільний",
                 "цивільна", "цивільні", "цивільна особа", "затриманий цивільний", "гражданский",
                 "гражданская", "гражданское лицо", "мирный житель", "задержанный гражданский"),
    "missing": ("missing", "mia", "missing in action", "missing person", "зниклий безвісти", "зникла безвісти",
                "зниклий безвісті", "зниклий", "зникла", "безвісти зниклий", "пропавший без вести",
                "пропавшая без вести", "пропавший", "пропавшая", "бвп"),
    "deceased": ("deceased", "dead", "remains", "killed", "kia", "killed in action", "body", "died",
                 "загиблий", "загибла", "загиблі", "померлий", "померла", "тіло", "останки", "погибший",
                 "погибшая", "погибшие", "умерший", "умершая", "тело"),
}
_CATEGORY: dict[str, str] = {_words(w): c for c, ws in _CATEGORY_WORDS.items() for w in (c, *ws)}

_YES = frozenset({"yes", "y", "так", "т", "да", "д", "true", "истина", "1", "+", "x", "х", "v", "✓", "✔",
                  "☑", "є"})
_SEX = {**dict.fromkeys(("m", "male", "man", "ч", "чол", "чоловік", "чоловіча", "чоловіча стать", "м", "муж",
                         "мужской", "мужчина", "мужская"), "m"),
        **dict.fromkeys(("f", "female", "woman", "w", "ж", "жін", "жінка", "жіноча", "жіноча стать", "жен",
                         "женский", "женщина", "женская"), "f")}


def category_of(text: str | None) -> str | None:
    """``pow``, ``civilian``, ``missing`` or ``deceased`` from a category written in Ukrainian, Russian or
    English, or ``None``."""
    return _CATEGORY.get(_words(text or "")) if text else None


def _clean(f: str, raw: str) -> str:
    """One cell of field ``f``, cleaned; raises _Reject."""
    value = _INVISIBLE.sub("", raw) if not raw.isascii() else raw
    if value[:1] == "'" and value[1:2] in _TRIGGERS:  # an apostrophe that a CSV export put there
        value = value[1:]
    if looks_like_formula(value, strict=f in _NAME_FIELDS):
        raise _Reject(f, "looks like a formula")
    if _CONTROL.search(value):
        raise _Reject(f, "contains control characters")
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\u00a0", " ").strip() if f in _TEXT_FIELDS else " ".join(value.split())
    if value and value[0] in _DASHES and all(c in _DASHES for c in value):  # "-" or "—" for "none"
        return ""
    if len(value) > MAX_LENGTH[f]:
        raise _Reject(f, f"longer than {MAX_LENGTH[f]} characters")
    if not value:
        return ""
    if f in _DATE_FIELDS:
        try:
            return parse_date(value)
        except ValueError as exc:
            raise _Reject(f, str(exc)) from None
    if f == "sex":
        sex = _SEX.get(_words(value))
        if sex is None:
            raise _Reject(f, "sex not recognised; write m or f")
        return sex
    if f == "category":
        category = category_of(value)
        if category is None:
            raise _Reject(f, "unknown category; write pow, civilian, missing or deceased")
        return category
    if f == "seriously_wounded":
        return "true" if _words(value) in _YES or value.strip() in _YES else "false"
    return value


def _split_name(full: str) -> tuple[str, str, str]:
    """Surname, first name and patronymic from "Surname First Patronymic" or "Surname, First Patronymic"."""
    head, comma, tail = full.partition(",")
    words = [head.strip(), *tail.split()] if comma else full.split()
    words = [w for w in words if w]
    return (words[0] if words else "", words[1] if len(words) > 1 else "", " ".join(words[2:]))


def _before(a: str, b: str) -> bool:
    """Whether partial ISO date ``a`` lies wholly before ``b`` (compared to the precision of both)."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def parse_rows(sheet: Sheet, mapping: Mapping[int, str], default_category: str | None = None) -> list[RowResult]:
    """One result per data row of ``sheet``, read through ``mapping`` (column index → field).

    A row is rejected, with the field at fault, for: a value that looks like a formula (in a name, any
    value starting with ``= + @``; elsewhere a formula or function call), control characters, a value
    longer than the register accepts, a date that is not a date, does not exist, is before 1900 or in the
    future, a death or capture before the birth, an unknown category or sex, no surname, or no category
    when no default is given. Warnings about the mapping are added to ``sheet.warnings``.
    """
    used = _checked_mapping(sheet, mapping)
    default = category_of(default_category) if default_category else None
    if default_category and default is None:
        sheet.warn("the default category is not one of pow, civilian, missing, deceased; it was ignored")
    results = []
    for number, cells in sheet.rows:
        values: dict[str, str] = {}
        try:
            for index, f in used.items():
                value = _clean(f, cells[index]) if index < len(cells) else ""
                if value:
                    values[f] = value
            if "full_name" in values:
                parts = _split_name(values.pop("full_name"))
                for f, part in zip(("surname", "first_name", "patronymic"), parts, strict=True):
                    if part and not values.get(f):
                        if len(part) > MAX_LENGTH[f]:
                            raise _Reject("full_name", f"the {f.replace('_', ' ')} is longer than "
                                                       f"{MAX_LENGTH[f]} characters")
                        values[f] = part
            if not values.get("surname"):
                raise _Reject("surname", "no surname")
            for later in ("death_date", "capture_date"):
                if values.get("birth_date") and values.get(later) and _before(values[later], values["birth_date"]):
                    what = "death" if later == "death_date" else "capture"
                    raise _Reject(later, f"the date of {what} lies before the date of birth")
            if "category" not in values:
                if default is None:
                    raise _Reject("category", "no category, and no default category was chosen")
                values["category"] = default
            values["seriously_wounded"] = values.get("seriously_wounded", "false")
        except _Reject as r:
            results.append(RowResult(number, "rejected", r.reason, r.field, values))
            continue
        results.append(RowResult(number, "ok", "", None, values))
    return results


# -- writing ---------------------------------------------------------------------------------------
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value: str) -> str:
    """A CSV cell that no spreadsheet will run: a leading ``= + - @``, tab or carriage return gets an
    apostrophe in front (OWASP, CSV injection)."""
    return "'" + value if value.startswith(_TRIGGERS) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table_out(rows: Iterable[Mapping[str, Any]], fields: Sequence[str],
               headers: Sequence[str]) -> Iterator[list[str]]:
    if len(fields) != len(headers):
        raise ValueError("fields and headers differ in number")
    yield [_text(h) for h in headers]
    for row in rows:
        yield [_text(row.get(f)) for f in fields]


def write_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], headers: Sequence[str], *,
              delimiter: str = ",") -> bytes:
    """A CSV file of ``rows`` (one column per field, titled by ``headers``), in UTF-8 with a BOM so that
    Excel reads Cyrillic, every cell neutralised against formula injection."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for cells in _table_out(rows, fields, headers):
        writer.writerow([neutralise(c) for c in cells])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def write_xlsx(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], headers: Sequence[str], *,
               title: str = "persons") -> bytes:
    """An XLSX workbook of ``rows``, one worksheet, the header row frozen. Every cell is a string cell
    (``t="inlineStr"``), so nothing in it is ever a formula, and a value that would look like one in Excel's
    formula bar also carries the quote prefix that Excel itself gives text typed after an apostrophe."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Sheet1")
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    for i in range(len(fields)):
        ws.column_dimensions[_letters(i)].width = 18
    for number, cells in enumerate(_table_out(rows, fields, headers)):
        out = []
        for raw in cells:
            text = _XML_ILLEGAL.sub("", raw)[:32767]
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"  # openpyxl makes "=..." a formula otherwise
            if text.startswith(_TRIGGERS):
                cell.quotePrefix = True
            if number == 0:
                cell.font = bold
            out.append(cell)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
