"""Lists of persons in and out of spreadsheets: headers in Ukrainian, Russian and English, CSV in the
encodings and delimiters Excel writes, XLSX with dates and numbers, a report for every row, and the hostile
files an upload may be (zip bombs, XML bombs, huge sheets, formulas, things that are not spreadsheets).
No database. All persons are invented."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from parley.people import spreadsheet as sp
from parley.people.models import PERSON_FIELDS

# -- helpers ---------------------------------------------------------------------------------------


def xlsx(rows: list[list[Any]], *, more_sheets: int = 0, hide_first: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if hide_first:
        ws.sheet_state = "hidden"
        wb.create_sheet("shown").append(["Surname"])
    for i in range(more_sheets):
        wb.create_sheet(f"other {i}").append(["Прізвище", "Ім'я"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def replaced(data: bytes, name: str, content: bytes) -> bytes:
    """The XLSX ``data`` with its member ``name`` replaced by ``content`` (or added, with its content type)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        for member in names:
            body = content if member == name else src.read(member)
            if member == "[Content_Types].xml" and name not in names:
                body = body.replace(b"</Types>", b'<Override PartName="/%s" ContentType="%s"/></Types>'
                                    % (name.encode(), CONTENT_TYPES[name]))
            dst.writestr(member, body)
        if name not in names:
            dst.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES = {
    "xl/sharedStrings.xml": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"}


def table(text: str, encoding: str = "utf-8", name: str = "list.csv") -> sp.Sheet:
    return sp.read_table(text.encode(encoding), name)


def parsed(text: str, default_category: str | None = None) -> list[sp.RowResult]:
    sheet = table(text)
    return sp.parse_rows(sheet, sp.guess_mapping(sheet.headers), default_category=default_category)


def refused(data: bytes, words: str, name: str = "list.xlsx") -> str:
    with pytest.raises(sp.SpreadsheetError) as err:
        sp.read_table(data, name)
    assert words in str(err.value), str(err.value)
    return str(err.value)


# -- headers ---------------------------------------------------------------------------------------
UK = ["№", "Прізвище", "Ім'я", "По батькові", "Дата народження", "Місце народження", "Особистий номер", "Звання",
      "Військова частина", "Категорія", "Тяжкопоранений", "Місце утримання", "Дата полонення", "Місце полонення",
      "Дата смерті", "Місце смерті", "Причина смерті", "Місце поховання", "Позначення могили",
      "Дівоче прізвище матері", "Громадянство", "Стать", "Кого повідомити", "Примітки"]
RU = ["№ п/п", "Фамилия", "Имя", "Отчество", "Дата рождения", "Место рождения", "Личный номер", "Звание",
      "Воинская часть", "Категория", "Тяжелораненый", "Место содержания", "Дата пленения", "Место пленения",
      "Дата смерти", "Место смерти", "Причина смерти", "Место захоронения", "Обозначение могилы",
      "Девичья фамилия матери", "Гражданство", "Пол", "Кого известить", "Примечание"]
EN = ["ID", "Last name", "Given names", "Father's name", "Date of birth", "Place of birth", "Service number",
      "Rank", "Unit", "Status", "Seriously wounded", "Place of detention", "Date of capture", "Place of capture",
      "Date of death", "Place of death", "Cause of death", "Place of burial", "Grave marking",
      "Mother's maiden name", "Citizenship", "Sex", "Person to inform", "Notes"]
EXPECTED = ["external_id", "surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number",
            "rank", "unit", "category", "seriously_wounded", "held_at", "capture_date", "capture_place",
            "death_date", "death_place", "cause_of_death", "burial_place", "grave_marking", "mother_maiden_name",
            "citizenship", "sex", "person_to_inform", "notes"]


@pytest.mark.parametrize("headers", [UK, RU, EN], ids=["uk", "ru", "en"])
def test_headers_in_each_language_map_to_the_geneva_fields(headers: list[str]) -> None:
    assert sp.guess_mapping(headers) == dict(enumerate(EXPECTED))


@pytest.mark.parametrize("header, field", [
    ("Ім'я", "first_name"), ("Ім’я", "first_name"), ("Імʼя", "first_name"), ("ІМ`Я", "first_name"),
    ("  прізвище  ", "surname"), ("ПРІЗВИЩЕ:", "surname"), ("Прiзвище", "surname"),  # a Latin "i" typed in
    ("Фамилия*", "surname"), ("Surname", "surname"), ("FAMILY NAME", "surname"), ("last_name", "surname"),
    ("First name", "first_name"), ("Given name(s)", "first_name"), ("По-батькові", "patronymic"),
    ("Patronymic", "patronymic"), ("Дата народження (дд.мм.рррр)", "birth_date"), ("DOB", "birth_date"),
    ("Birth date", "birth_date"), ("Дата рождения", "birth_date"), ("Жетон", "service_number"),
    ("Military ID", "service_number"), ("Личный номер", "service_number"), ("ПІБ", "full_name"),
    ("П.І.Б.", "full_name"), ("ФИО", "full_name"), ("Full name", "full_name"), ("Category", "category"),
    ("Тяжелораненый", "seriously_wounded"), ("Место содержания", "held_at"), ("Номер", "external_id"),
    ("Дівоче прізвище матері", "mother_maiden_name"), ("Стан здоров’я", "health"),
])
def test_headers_are_recognised_whatever_the_case_spacing_punctuation_or_apostrophe(header: str,
                                                                                      field: str) -> None:
    assert sp.guess_mapping(["x", header]) == {1: field}


def test_unknown_headers_stay_unmapped_and_each_field_is_mapped_once() -> None:
    sheet = table("Прізвище,Фамилия,Колір очей,Ім'я\nКоваленко,Коваленко,сірі,Петро\n")
    mapping = sp.guess_mapping(sheet.headers)
    assert mapping == {0: "surname", 3: "first_name"}
    sp.parse_rows(sheet, mapping, "pow")
    assert "column 2 (B) also looks like surname; only column 1 (A) is read" in sheet.warnings
    assert "column 3 (C) is not mapped to any field and not imported" in sheet.warnings


def test_a_bare_name_column_is_the_full_name_alone_and_the_first_name_beside_a_surname() -> None:
    assert sp.guess_mapping(["Name", "DOB"]) == {0: "full_name", 1: "birth_date"}
    assert sp.guess_mapping(["Surname", "Name"]) == {0: "surname", 1: "first_name"}


def test_the_field_names_themselves_are_headers_so_an_export_reads_back() -> None:
    assert sp.guess_mapping(list(sp.FIELDS)) == dict(enumerate(sp.FIELDS))


def test_every_field_a_column_can_hold() -> None:
    assert set(PERSON_FIELDS) < set(sp.FIELDS)
    assert {"category", "seriously_wounded", "full_name"} < set(sp.FIELDS)
    assert set(sp.guess_mapping(UK).values()) | {"full_name", "health", "power_depended_on"} <= set(sp.FIELDS)


# -- CSV -------------------------------------------------------------------------------------------
def test_a_cp1251_csv_with_semicolons_as_ukrainian_excel_writes_it() -> None:
    text = ("Прізвище;Ім'я;По батькові;Дата народження;Категорія\r\n"
            "Коваленко;Петро;Іванович;01.02.1990;військовополонений\r\n"
            ";;;;\r\n"
            "Шевчук;Ольга;Петрівна;1985;цивільна\r\n")
    sheet = table(text, "cp1251")
    assert sheet.format == "csv"
    assert sheet.headers == ["Прізвище", "Ім'я", "По батькові", "Дата народження", "Категорія"]
    assert [n for n, _ in sheet.rows] == [2, 4]  # the empty line is skipped, the numbers stay Excel's
    assert any("Windows-1251" in w for w in sheet.warnings)
    rows = sp.parse_rows(sheet, sp.guess_mapping(sheet.headers))
    assert [r.status for r in rows] == ["ok", "ok"]
    assert rows[0].values == {"surname": "Коваленко", "first_name": "Петро", "patronymic": "Іванович",
                              "birth_date": "1990-02-01", "category": "pow", "seriously_wounded": "false"}
    assert rows[1].values["birth_date"] == "1985" and rows[1].values["category"] == "civilian"


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ","), ("utf-8-sig", ";"), ("utf-8-sig", "\t"),
                                                 ("utf-16", "\t"), ("cp1251", ",")])
def test_encodings_and_delimiters_are_detected(encoding: str, delimiter: str) -> None:
    lines = [["Фамилия", "Имя", "Место рождения"], ["Ковалёв", "Сергей", "Харьков, Украина"],
             ["Петров", "Иван", "Курск"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(lines)
    sheet = table(out.getvalue(), encoding)
    assert sheet.headers == lines[0]
    assert [cells for _, cells in sheet.rows] == lines[1:]


def test_a_quoted_line_break_stays_in_one_row_and_excels_sep_line_is_honoured() -> None:
    sheet = table('sep=;\nSurname;Notes\nIvanenko;"two\nlines"\nPetrenko;x\n')
    assert sheet.headers == ["Surname", "Notes"]
    assert sheet.rows == [(2, ["Ivanenko", "two\nlines"]), (3, ["Petrenko", "x"])]


def test_a_header_row_after_empty_lines_and_values_beyond_the_headers() -> None:
    sheet = table("\n,,\nSurname,First name\nIvanenko,Petro,extra\n")
    assert sheet.headers == ["Surname", "First name", ""]
    assert sheet.rows == [(4, ["Ivanenko", "Petro", "extra"])]
    assert any("columns without a header" in w for w in sheet.warnings)


# -- XLSX ------------------------------------------------------------------------------------------
def test_an_xlsx_with_a_date_cell_and_numbers() -> None:
    data = xlsx([["№", "Прізвище", "Ім'я", "Дата народження", "Особистий номер", "Категорія", "Тяжкопоранений"],
                 [1, "Коваленко", "Петро", datetime(1990, 2, 1), 1234567.0, "POW", True],
                 [],
                 [2.0, "Шевчук", "Ольга", date(1985, 12, 31), 12.5, "civilian", None],
                 [3, "Бондар", "Іван", "1979", "АА-123", "missing", "так"]],
                more_sheets=2)
    sheet = sp.read_table(data, "list.bin")  # recognised by its content
    assert sheet.format == "xlsx"
    assert sheet.rows[0] == (2, ["1", "Коваленко", "Петро", "1990-02-01", "1234567", "POW", "true"])
    assert sheet.rows[1] == (4, ["2", "Шевчук", "Ольга", "1985-12-31", "12.5", "civilian"])
    assert "the workbook has 3 sheets; only the first visible worksheet (sheet 1 of 3) was read" in sheet.warnings
    rows = sp.parse_rows(sheet, sp.guess_mapping(sheet.headers))
    assert [r.status for r in rows] == ["ok", "ok", "ok"]
    assert rows[0].values == {"external_id": "1", "surname": "Коваленко", "first_name": "Петро",
                              "birth_date": "1990-02-01", "service_number": "1234567", "category": "pow",
                              "seriously_wounded": "true"}
    assert rows[2].values["seriously_wounded"] == "true" and rows[2].values["category"] == "missing"


def test_a_hidden_first_sheet_is_never_read() -> None:
    sheet = sp.read_table(xlsx([["Secret"], ["Hidden"]], hide_first=True), "list.xlsx")
    assert sheet.headers == ["Surname"] and sheet.rows == []
    assert any("sheet 2 of 2" in w for w in sheet.warnings)


def test_a_formula_in_an_xlsx_is_never_read_as_a_formula() -> None:
    # openpyxl writes formulas without a computed value: with data_only the cell reads as empty, never as
    # the formula's text.
    data = xlsx([["Surname", "Notes"], ["Ivanenko", '=HYPERLINK("http://example.invalid","click")'],
                 ['=CONCAT("Iva","nenko")', "x"]])
    sheet = sp.read_table(data, "list.xlsx")
    assert sheet.rows == [(2, ["Ivanenko"]), (3, ["", "x"])]


# -- dates -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, iso", [
    ("01.02.1990", "1990-02-01"), ("1.2.1990", "1990-02-01"), ("01/02/1990", "1990-02-01"),
    ("1990-02-01", "1990-02-01"), ("02.1990", "1990-02"), ("2.1990", "1990-02"), ("1990-02", "1990-02"),
    ("1990", "1990"), ("01.02.1990 р.", "1990-02-01"), ("1990 г.", "1990"), ("1990-02-01 00:00:00", "1990-02-01"),
    ("29.02.2000", "2000-02-29"), ("1900", "1900"),
])
def test_dates_in_the_formats_lists_use(text: str, iso: str) -> None:
    assert sp.parse_date(text) == iso


@pytest.mark.parametrize("text, reason", [
    ("31.02.1990", "no such date"), ("29.02.1990", "no such date"), ("13.13.1990", "no such date"),
    ("00.1990", "no such date"), ("31.12.1899", "before 1900"), ("1812", "before 1900"),
    ("01.02.90", "two digits"), ("вчора", "not a date"), ("1990-1991", "not a date"),
    ("01.01.2999", "in the future"),
])
def test_impossible_dates(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as err:
        sp.parse_date(text)
    assert reason in str(err.value)
    assert text not in str(err.value)


# -- rows ------------------------------------------------------------------------------------------
BAD = ("Прізвище,Ім'я,Дата народження,Дата смерті,Категорія,Стать,Особистий номер\n"
       "Коваленко,Петро,01.02.1990,,військовополонений,ч,A-1\n"
       "Мельник,Іван,31.02.1990,,pow,,\n"
       ",Ольга,1980,,civilian,ж,\n"
       "Бондар,Олег,1980,1979,deceased,,\n"
       "Ткаченко,Ірина,1980,,невідомо,,\n"
       "Савченко,Анна,1980,,,,\n"
       "Кравченко,Марія,1980,,missing,жінка,\n"
       "Олійник,Юрій,1980,,pow,x,\n"
       f"Лисенко,Тарас,1980,,pow,,{'7' * 65}\n"
       "Руденко,Богдан,1975,,погибший,муж,\n")


def test_good_rows_are_kept_and_bad_rows_reported_with_row_number_field_and_reason() -> None:
    rows = parsed(BAD)
    report = {r.row: (r.status, r.field, r.reason) for r in rows}
    assert report == {
        2: ("ok", None, ""),
        3: ("rejected", "birth_date", "no such date (the order is day, month, year)"),
        4: ("rejected", "surname", "no surname"),
        5: ("rejected", "death_date", "the date of death lies before the date of birth"),
        6: ("rejected", "category", "unknown category; write pow, civilian, missing or deceased"),
        7: ("rejected", "category", "no category, and no default category was chosen"),
        8: ("ok", None, ""),
        9: ("rejected", "sex", "sex not recognised; write m or f"),
        10: ("rejected", "service_number", "longer than 64 characters"),
        11: ("ok", None, ""),
    }
    assert rows[0].values["sex"] == "m" and rows[6].values["sex"] == "f" and rows[9].values["sex"] == "m"
    assert rows[9].values["category"] == "deceased"
    personal = {c for line in BAD.splitlines()[1:] for i, c in enumerate(line.split(",")) if c and i in (0, 1, 2, 3, 6)}
    for r in rows:  # need to know: no reason quotes a name, a date or a number
        assert not any(c in r.reason for c in personal), r.reason


def test_a_default_category_fills_rows_without_one() -> None:
    rows = parsed("Surname,Category\nIvanenko,\nPetrenko,civilian\n", default_category="missing")
    assert [r.values["category"] for r in rows] == ["missing", "civilian"]
    sheet = table("Surname\nIvanenko\n")
    rows = sp.parse_rows(sheet, {0: "surname"}, default_category="nonsense")
    assert rows[0].status == "rejected" and rows[0].field == "category"
    assert any("default category" in w for w in sheet.warnings)


@pytest.mark.parametrize("text, code", [
    ("військовополонений", "pow"), ("Військовополонена", "pow"), ("военнопленный", "pow"), ("POW", "pow"),
    ("Prisoner of war", "pow"), ("цивільний", "civilian"), ("гражданский", "civilian"), ("Civilian", "civilian"),
    ("зниклий безвісти", "missing"), ("Зникла безвісти", "missing"), ("пропавший без вести", "missing"),
    ("Пропавший без вести", "missing"), ("missing", "missing"), ("загиблий", "deceased"), ("погибший", "deceased"),
    ("deceased", "deceased"), ("dead", "deceased"), ("remains", "deceased"), ("останки", "deceased"),
])
def test_categories_in_three_languages(text: str, code: str) -> None:
    assert sp.category_of(text) == code


@pytest.mark.parametrize("text, flag", [("yes", "true"), ("Так", "true"), ("да", "true"), ("TRUE", "true"),
                                        ("1", "true"), ("+", "true"), ("x", "true"), ("Х", "true"),
                                        ("no", "false"), ("ні", "false"), ("0", "false"), ("", "false")])
def test_seriously_wounded(text: str, flag: str) -> None:
    rows = sp.parse_rows(table(f"Surname,Seriously wounded\nIvanenko,{text}\n"), {0: "surname", 1: "seriously_wounded"},
                         "pow")
    assert rows[0].status == "ok" and rows[0].values["seriously_wounded"] == flag


def test_a_full_name_column_is_split_into_surname_first_name_and_patronymic() -> None:
    rows = parsed("ПІБ,Категорія\n"
                  "Коваленко Петро Іванович,pow\n"
                  '"Алиев, Руслан Магомед оглы",pow\n'
                  "Шевчук,pow\n"
                  "  ,pow\n"
                  "-,pow\n")
    assert [(r.values.get("surname"), r.values.get("first_name"), r.values.get("patronymic")) for r in rows] == [
        ("Коваленко", "Петро", "Іванович"), ("Алиев", "Руслан", "Магомед оглы"), ("Шевчук", None, None),
        (None, None, None), (None, None, None)]
    assert [(r.status, r.reason) for r in rows][2:] == [("ok", ""), ("rejected", "no surname"),
                                                      ("rejected", "no surname")]  # "-" stands for nothing
    assert "full_name" not in rows[0].values


def test_explicit_name_columns_win_over_the_full_name() -> None:
    rows = parsed("ПІБ,Прізвище\nKovalenko Petro,Коваленко\n", default_category="pow")
    assert rows[0].values["surname"] == "Коваленко" and rows[0].values["first_name"] == "Petro"


def test_values_are_stripped_and_overlong_ones_rejected() -> None:
    rows = parsed(f"Surname,First name,Notes\n  Ivanenko  , Petro\u00a0 Mykola ,\"a\n b \"\n"
                  f"{'I' * 201},Petro,\nIvanenko,Petro,{'n' * 4001}\nIvanenko,Petro,{'n' * 4000}\n", "pow")
    assert rows[0].values["surname"] == "Ivanenko" and rows[0].values["first_name"] == "Petro Mykola"
    assert rows[0].values["notes"] == "a\n b"
    assert (rows[1].field, rows[1].reason) == ("surname", "longer than 200 characters")
    assert (rows[2].field, rows[2].reason) == ("notes", "longer than 4000 characters")
    assert rows[3].status == "ok"


def test_the_limits_are_the_registers() -> None:
    """A value the register would refuse is refused at the preview already, never later."""
    from parley.people.kinds import PersonFields
    from parley.people.models import Person

    for name in PERSON_FIELDS:
        if name in ("sex", "birth_date", "capture_date", "death_date"):
            continue  # read into a code
        payload = next((m.max_length for m in PersonFields.model_fields[name].metadata
                        if getattr(m, "max_length", None)), None)
        column = getattr(Person.__table__.c[name].type, "length", None)
        assert sp.MAX_LENGTH[name] == min(x for x in (payload, column, 10**9) if x), name


def test_mapping_mistakes_are_warnings_not_failures() -> None:
    sheet = table("A,B,C\nIvanenko,Petro,x\n")
    rows = sp.parse_rows(sheet, {0: "surname", 1: "surname", 2: "eye_colour", 7: "notes"}, "pow")
    assert rows[0].status == "ok" and rows[0].values["surname"] == "Ivanenko"
    assert "column 2 (B) is mapped to surname as well; only column 1 (A) is read" in sheet.warnings
    assert "column 3 (C) is mapped to an unknown field; it was ignored" in sheet.warnings
    sheet = table("A\nx\n")
    assert sp.parse_rows(sheet, {}, "pow")[0].reason == "no surname"
    assert any("no column is mapped to the surname" in w for w in sheet.warnings)


# -- formulas --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ['=HYPERLINK("http://example.invalid/x","Ivanenko")', "=1+1", "+Ivanenko",
                                   "@SUM(A1)", "-Ivanenko", "\t=cmd", "\r=1", "＝1+1", "'=1+1"])
def test_a_formula_in_a_name_is_rejected(value: str) -> None:
    sheet = sp.Sheet(["Surname", "First name"], [(2, [value, "Petro"]), (3, ["Ivanenko", value])])
    rows = sp.parse_rows(sheet, {0: "surname", 1: "first_name"}, "pow")
    assert [(r.status, r.field, r.reason) for r in rows] == [("rejected", "surname", "looks like a formula"),
                                                             ("rejected", "first_name", "looks like a formula")]


def test_formulas_elsewhere_are_rejected_but_ordinary_signs_are_kept() -> None:
    sheet = sp.Sheet(["Surname", "Notes", "Service number"], [
        (2, ["Ivanenko", '=HYPERLINK("http://example.invalid")', ""]),
        (3, ["Ivanenko", "+cmd|' /C calc'!A0", ""]),
        (4, ["Ivanenko", "-5 °C in the cell; +380 phone", "-123"]),
        (5, ["Ivanenko", "'-5 °C", "@ unit 3"]),
    ])
    rows = sp.parse_rows(sheet, {0: "surname", 1: "notes", 2: "service_number"}, "pow")
    assert [(r.status, r.field) for r in rows] == [("rejected", "notes"), ("rejected", "notes"), ("ok", None),
                                                   ("ok", None)]
    assert rows[2].values["notes"] == "-5 °C in the cell; +380 phone"
    assert rows[3].values["notes"] == "-5 °C"  # the apostrophe of a CSV export is dropped again


EXPORT = [{"surname": '=HYPERLINK("http://example.invalid","Ivanenko")', "notes": "+1", "rank": "-",
           "unit": "@A1", "held_at": "\tx", "first_name": "Петро", "external_id": 7, "seriously_wounded": True},
          {"surname": "Коваленко", "notes": None}]
FIELDS = ["surname", "first_name", "notes", "rank", "unit", "held_at", "external_id", "seriously_wounded"]


def test_a_csv_export_is_inert_and_opens_in_excel() -> None:
    data = sp.write_csv(EXPORT, FIELDS, ["=Surname", *FIELDS[1:]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0][0] == "'=Surname"
    assert rows[1] == ["'" + EXPORT[0]["surname"], "Петро", "'+1", "'-", "'@A1", "'\tx", "7", "true"]
    assert rows[2] == ["Коваленко", "", "", "", "", "", "", ""]
    for line in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line)


def test_a_csv_export_reads_back_as_it_was() -> None:
    data = sp.write_csv([{"surname": "Коваленко", "notes": "-5 °C", "birth_date": "1990-02-01"}],
                        ["surname", "notes", "birth_date"], ["Прізвище", "Примітки", "Дата народження"])
    sheet = sp.read_table(data, "persons.csv")
    rows = sp.parse_rows(sheet, sp.guess_mapping(sheet.headers), "pow")
    assert rows[0].values == {"surname": "Коваленко", "notes": "-5 °C", "birth_date": "1990-02-01",
                              "category": "pow", "seriously_wounded": "false"}


def test_an_xlsx_export_holds_only_string_cells() -> None:
    data = sp.write_xlsx(EXPORT, FIELDS, FIELDS)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    assert ws["A2"].value == EXPORT[0]["surname"] and ws["A2"].quotePrefix
    assert ws["D2"].value == "-" and ws["H2"].value == "true" and ws["A3"].value == "Коваленко"
    assert ws.freeze_panes == "A2"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")
    # and the reader takes it back the same way, the formula-looking name rejected
    sheet = sp.read_table(data, "persons.xlsx")
    rows = sp.parse_rows(sheet, sp.guess_mapping(sheet.headers), "pow")
    assert (rows[0].status, rows[0].field) == ("rejected", "surname")
    assert rows[1].values["surname"] == "Коваленко"


def test_control_characters_never_break_an_xlsx_export() -> None:
    data = sp.write_xlsx([{"notes": "a\x00b\x1bc"}], ["notes"], ["notes"])
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "abc"


# -- files that are not spreadsheets ---------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"   \r\n\t", b"\x00\x00"])
def test_an_empty_file(data: bytes) -> None:
    refused(data, "the file is empty", "list.csv")


def test_a_file_of_empty_rows() -> None:
    refused(b",,\n , ,\n\n", "the sheet is empty", "list.csv")
    refused(b"\xef\xbb\xbf;;\r\n\t\r\n", "the sheet is empty", "list.csv")
    refused(xlsx([[None], [""]]), "the sheet is empty")


def test_random_bytes() -> None:
    message = refused(os.urandom(4096), "not an XLSX or CSV file", "list.csv")
    assert message.startswith("not an XLSX or CSV file")
    refused(b"\x01\x02\x03binary\x04\x05" * 100, "not an XLSX or CSV file", "list.csv")


@pytest.mark.parametrize("data, name, words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "list.xls", "Excel 97-2003 (.xls)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "list.xlsx", "password-protected"),
    (b"%PDF-1.7\n...", "list.csv", "a PDF document"),
    (b"Surname,First name\nIvanenko,Petro\n", "list.xlsx", "named as an XLSX workbook but is not one"),
    (b"<html><table><tr><td>Surname</td></tr></table></html>", "list.xls", "a web page (HTML)"),
    (b"PK\x03\x04" + bytes(100), "list.xlsx", "its zip archive is damaged"),
])
def test_files_that_are_not_what_they_claim(data: bytes, name: str, words: str) -> None:
    refused(data, words, name)


def test_a_zip_that_is_not_a_workbook() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    refused(buf.getvalue(), "a zip archive that is not an Excel workbook")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    refused(buf.getvalue(), "OpenDocument spreadsheets (.ods) are not read")


def test_a_damaged_workbook() -> None:
    good = xlsx([["Surname"], ["Ivanenko"]])
    refused(good[: len(good) // 2], "damaged")
    refused(replaced(good, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row"), "damaged")


def test_tab_separated_text_named_xls_is_read_as_csv() -> None:
    sheet = sp.read_table("Прізвище\tІм'я\nКоваленко\tПетро\n".encode(), "export.xls")
    assert sheet.rows == [(2, ["Коваленко", "Петро"])] and "read as CSV" in sheet.warnings[0]


# -- hostile files ---------------------------------------------------------------------------------
def _bomb(size_mb: int, level: int) -> bytes:
    """A zip whose worksheet is ``size_mb`` MB of zeros, compressed as it is written (never held whole)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = bytes(4 << 20)
            for _ in range(size_mb // 4):
                f.write(chunk)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("openpyxl was asked to open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    bomb = _bomb(300, 1)
    assert len(bomb) < 2 << 20
    refused(bomb, "would unpack to more than 200 MB")
    # a smaller one, within the total, but compressed a thousand to one
    refused(_bomb(12, 9), "compressed more than 200 to 1")


LAUGHS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>\n")


def test_billion_laughs_in_the_shared_strings() -> None:
    sst = LAUGHS + (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    good = xlsx([["Surname"], ["Ivanenko"]])
    with_strings = replaced(good, "xl/sharedStrings.xml", sst.replace(LAUGHS, b"").replace(b"&lol9;", b"Surname"))
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(with_strings)).namelist()
    assert sp.read_table(with_strings, "list.xlsx").headers == ["Surname"]  # the part is read
    refused(replaced(good, "xl/sharedStrings.xml", sst), "the file contains XML entity declarations, which are refused")


def test_billion_laughs_and_external_entities_in_the_worksheet_and_workbook() -> None:
    good = xlsx([["Surname"], ["Ivanenko"]])
    sheet = LAUGHS + (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                      b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    refused(replaced(good, "xl/worksheets/sheet1.xml", sheet), "XML entity declarations")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')
    refused(replaced(good, "xl/worksheets/sheet1.xml", xxe), "XML entity declarations")
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        workbook = zf.read("xl/workbook.xml")
    _, _, body = workbook.partition(b"?>")
    refused(replaced(good, "xl/workbook.xml", LAUGHS + body), "XML entity declarations")


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True
    assert sp._xml_defused()


def test_an_xlsx_is_not_read_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "_xml_defused", lambda: False)
    refused(xlsx([["Surname"], ["Ivanenko"]]), "not protected by defusedxml")


def test_a_sheet_over_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "MAX_ROWS", 5)
    ok = "Surname\n" + "Ivanenko\n" * 5
    assert len(table(ok).rows) == 5
    refused((ok + "\n\nPetrenko\n").encode(), "more than 5 rows of data", "list.csv")
    assert len(sp.read_table(xlsx([["Surname"]] + [["Ivanenko"]] * 5), "l.xlsx").rows) == 5
    refused(xlsx([["Surname"]] + [["Ivanenko"]] * 6), "more than 5 rows of data")


def test_a_sheet_over_the_column_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "MAX_COLUMNS", 4)
    assert table("a,b,c,d,,,,\n1,2,3,4,,,\n").headers == ["a", "b", "c", "d"]  # empty cells do not count
    refused(b"a,b,c,d\n1,2,3,4,5\n", "row 2 has values beyond column 4", "list.csv")
    refused(xlsx([["a", "b", "c", "d", "e"]]), "row 1 has values beyond column 4")


def test_a_forged_row_number_far_beyond_excels_last_row() -> None:
    good = xlsx([["Surname"], ["Ivanenko"]])
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>Surname</t></is></c></row>'
             b'<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>x</t></is></c></row>'
             b"</sheetData></worksheet>")
    refused(replaced(good, "xl/worksheets/sheet1.xml", sheet), "beyond row 1,048,576")


def test_a_forged_dimension_does_not_pad_every_row() -> None:
    good = xlsx([["Surname"], ["Ivanenko"]])
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<dimension ref="A1:XFD1048576"/><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>Surname</t></is></c></row>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>Ivanenko</t></is></c></row>'
             b"</sheetData></worksheet>")
    result = sp.read_table(replaced(good, "xl/worksheets/sheet1.xml", sheet), "list.xlsx")
    assert result.headers == ["Surname"] and result.rows == [(2, ["Ivanenko"])]
