"""The comparison features of a list of persons: plain functions on pandas frames and strings, no database,
no Splink.

``prepare(df)`` turns the input columns (``INPUT_COLUMNS``) into ``FEATURE_COLUMNS``: the name keys of
:mod:`parley.people.names` (canonical keys that agree across scripts and across the Ukrainian and Russian forms
of a given name, Latin spellings for Jaro-Winkler, a short surname key for blocking, the keys the names would
have if surname and first name were swapped), the birth date at the precision it was given
(:func:`parse_date`), the place of birth as a phonetic key (:func:`place_key`) and the service number.
``splink_frame`` hands them to Splink with SQL NULL for a missing value; ``labels`` and ``check_ids`` check
registrars' decisions and ids.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from parley.people import names


INPUT_COLUMNS = ("id", "surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number")

NAME_FEATURES = (
    "surname_clean", "first_clean", "patronymic_clean",
    "surname_key", "first_key", "patronymic_key",
    "surname_latin", "first_latin", "patronymic_latin",
    "surname_sx", "first_initial", "first_initial_alt", "script", "names_swapped_key",
)
SWAP_FEATURES = ("swap_surname_key", "swap_first_key")
FEATURE_COLUMNS = (
    "unique_id", *NAME_FEATURES, *SWAP_FEATURES, "birth_year", "birth_ym", "birth_full", "birth_place_key",
    "service_number_norm",
)


class InputError(ValueError):
    """A list that cannot be matched: unreadable file, no id column, duplicate or empty ids."""


_PLACE_PREFIX = re.compile(
    r"^\s*(?:(?:м|г|с|смт|пгт|сел|пос|п|х|ст|m|g|s|c|smt|pgt|st)\.\s*|"
    r"(?:місто|город|село|селище|поселок|посёлок|смт|пгт|хутор|станица|станиця|city|town|village|of)\s+)+",
    re.IGNORECASE,
)
_HOMOGLYPHS = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ё": "E", "Є": "E",
})
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?(?:[T ].*)?\s*$")
_DMY_DATE = re.compile(r"^\s*(?:(\d{1,2})[./-])?(\d{1,2})[./-](\d{4})\s*$")


def text_column(series: pd.Series | None, n: int) -> pd.Series:
    """A column as stripped text, "" for missing; integral floats (ids read as numbers) without ".0"."""
    if series is None:
        return pd.Series([""] * n, dtype=object)
    s = series
    if pd.api.types.is_float_dtype(s.dtype):
        f = s.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(np.isnan(f) | (f == np.floor(f))):
            s = pd.Series(f, index=series.index).astype("Int64")
    s = s.astype(object).where(s.notna(), "")
    return s.map(str).str.strip().astype(object)


def parse_date(text: str) -> tuple[int | None, str, str]:
    """(year, "yyyy-mm" | "", "yyyy-mm-dd" | "") of one date written as ISO, partial ISO, dd.mm.yyyy or
    mm.yyyy; impossible dates keep only the parts that are valid."""
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
    else:
        m = _DMY_DATE.match(text)
        if not m:
            return None, "", ""
        d, mo, y = m.group(1), m.group(2), m.group(3)
    year = int(y)
    if not 1880 <= year <= 2100:
        return None, "", ""
    month = int(mo) if mo else 0
    if not 1 <= month <= 12:
        return year, "", ""
    ym = f"{year:04d}-{month:02d}"
    day = int(d) if d else 0
    if not 1 <= day <= 31:
        return year, ym, ""
    try:
        date(year, month, day)
    except ValueError:  # 31 April and friends: keep year and month, drop the day
        return year, ym, ""
    return year, ym, f"{ym}-{day:02d}"


def birth_columns(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(birth_year Int64, birth_ym "yyyy-mm" | "", birth_full "yyyy-mm-dd" | "") from ISO, partial ISO,
    dd.mm.yyyy or mm.yyyy text, parsed once per distinct value."""
    values = raw.astype(object).where(raw.notna(), "").map(str).to_numpy(dtype=object)
    codes, uniques = pd.factorize(values)
    parsed = [parse_date(u) for u in uniques]
    years = np.array([np.nan if p[0] is None else float(p[0]) for p in parsed] + [np.nan], dtype="float64")
    yms = np.array([p[1] for p in parsed] + [""], dtype=object)
    fulls = np.array([p[2] for p in parsed] + [""], dtype=object)
    return (
        pd.Series(pd.array(years[codes], dtype="Int64"), index=raw.index),
        pd.Series(yms[codes], index=raw.index, dtype=object),
        pd.Series(fulls[codes], index=raw.index, dtype=object),
    )


def place_key(place: str) -> str:
    rest = _PLACE_PREFIX.sub("", place)
    m = re.search(r"[^\W\d_][\w'’ʼ-]*", rest)
    if not m:
        return ""
    return names.phonetic(m.group(0)).lower()


def _name_features(surname: pd.Series, first: pd.Series, patronymic: pd.Series) -> pd.DataFrame:
    """names.features for every row, vectorised: each name part is normalised once per distinct text, the
    parts are combined with array operations."""
    norm = names.default()
    cols: dict[str, np.ndarray] = {}
    scripts = []
    for series, kind, prefix in ((surname, "surname", "surname"), (first, "given", "first"),
                                 (patronymic, "patronymic", "patronymic")):
        codes, uniques = pd.factorize(series.to_numpy(dtype=object))
        norm.prefetch(kind, len(uniques))
        parts = [norm.part(u, kind) for u in uniques]
        for i, name in enumerate(("clean", "key", "latin", "script")):
            arr = np.array([p[i] for p in parts] + [""], dtype=object)[codes]
            if name == "script":
                scripts.append(arr)
            else:
                cols[f"{prefix}_{name}"] = arr
        if kind == "given":
            # the initial of the canonical key, and the other one an equivalent form starts with (Микола: N, M)
            pairs = [norm.initials(u) for u in uniques]
            for i, name in enumerate(("first_initial", "first_initial_alt")):
                cols[name] = np.array([p[i] for p in pairs] + [""], dtype=object)[codes]
    sk, fk = cols["surname_key"], cols["first_key"]
    cols["surname_sx"] = pd.Series(sk).str.replace(" ", "", regex=False).str[:3].to_numpy(dtype=object)
    ss, fs, ps = scripts
    combos = pd.factorize(pd.Series(ss).str.cat([pd.Series(fs), pd.Series(ps)], sep="|")  # type: ignore[list-item]
                         .to_numpy(dtype=object))
    combo_script = np.array([names.Normaliser.combine_scripts(*c.split("|")) for c in combos[1]] + [""],
                            dtype=object)
    cols["script"] = combo_script[combos[0]]
    both = (sk != "") & (fk != "")
    lo = np.where(sk <= fk, sk, fk)
    hi = np.where(sk <= fk, fk, sk)
    swapped = np.full(len(sk), "", dtype=object)
    if both.any():
        swapped[both] = (pd.Series(lo[both]) + "|" + pd.Series(hi[both])).to_numpy(dtype=object)
    cols["names_swapped_key"] = swapped
    # the keys the two names would have if the surname and first name were written the other way round
    for series, kind, col in ((first, "surname", "swap_surname_key"), (surname, "given", "swap_first_key")):
        codes, uniques = pd.factorize(series.to_numpy(dtype=object))
        norm.prefetch(kind, len(uniques))
        cols[col] = np.array([norm.key(u, kind) for u in uniques] + [""], dtype=object)[codes]
    out = pd.DataFrame({k: cols[k] for k in (*NAME_FEATURES, *SWAP_FEATURES)}, index=surname.index)
    return out


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of a list of persons.

    Reads INPUT_COLUMNS (any may be missing or empty; ``birth_date`` as yyyy-mm-dd, yyyy-mm, yyyy,
    dd.mm.yyyy or mm.yyyy) and returns ``id``, ``unique_id`` (the id as text), the ``names.features``
    columns, ``birth_year`` (Int64), ``birth_ym``, ``birth_full`` (ISO or ""), ``birth_place_key`` (the first
    word of the place without "м."/"г."/"с." and the like, as its ``names.phonetic`` key, so that Харків,
    Харьков, Kharkiv and Kharkov agree) and ``service_number_norm`` (upper-case
    letters and digits only, Cyrillic look-alike letters as Latin)."""
    n = len(df)
    cols = {c: text_column(df[c] if c in df.columns else None, n) for c in INPUT_COLUMNS}
    if "id" not in df.columns:
        cols["id"] = pd.Series([str(i) for i in range(n)], dtype=object)
    for c in INPUT_COLUMNS:
        cols[c].index = pd.RangeIndex(n)
    out = pd.DataFrame({"id": cols["id"], "unique_id": cols["id"]})
    feats = _name_features(cols["surname"], cols["first_name"], cols["patronymic"])
    for k in (*NAME_FEATURES, *SWAP_FEATURES):
        out[k] = feats[k].to_numpy(dtype=object)
    out["birth_year"], out["birth_ym"], out["birth_full"] = birth_columns(cols["birth_date"])
    places = cols["birth_place"]
    uniq = pd.unique(places)
    place_map = {p: (place_key(p) if p else "") for p in uniq}
    out["birth_place_key"] = places.map(place_map).to_numpy(dtype=object)
    out["service_number_norm"] = (
        cols["service_number"].str.upper().str.translate(_HOMOGLYPHS).str.replace(r"[^0-9A-Z]", "", regex=True)
    ).to_numpy(dtype=object)
    return out


def splink_frame(prepared: pd.DataFrame) -> pd.DataFrame:
    """The prepared features as Splink wants them: SQL NULL (None) for a missing value instead of ""."""
    out = pd.DataFrame({"unique_id": prepared["unique_id"].astype(object)})
    for c in FEATURE_COLUMNS[1:]:
        col = prepared[c]
        if c == "birth_year":
            out[c] = col.astype("Int64")
        else:
            v = col.astype(object)
            out[c] = v.where(v.notna() & (v != ""), None)
    return out


def labels(labelled: pd.DataFrame) -> pd.DataFrame:
    missing = {"left_id", "right_id", "match"} - set(labelled.columns)
    if missing:
        raise InputError(f"labelled decisions need the columns left_id, right_id, match (missing {sorted(missing)})")
    lab = pd.DataFrame({
        "left_id": text_column(labelled["left_id"], len(labelled)).to_numpy(),
        "right_id": text_column(labelled["right_id"], len(labelled)).to_numpy(),
        "match": pd.to_numeric(labelled["match"], errors="coerce").fillna(0).astype(int).clip(0, 1).to_numpy(),
    })
    return lab[(lab.left_id != "") & (lab.right_id != "") & (lab.left_id != lab.right_id)]


def check_ids(prepared: pd.DataFrame, what: str) -> None:
    ids = prepared["unique_id"]
    if (ids == "").any():
        raise InputError(f"{what}: {int((ids == '').sum())} row(s) without an id")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{what}: duplicate id(s) {', '.join(map(str, dup.unique()[:5]))}")
