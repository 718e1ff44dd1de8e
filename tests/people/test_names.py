"""Names across scripts: every transliteration system's spelling of a name has the same phonetic key, and
the Ukrainian and Russian forms of a given name, patronymic or surname share a canonical key in Cyrillic and
in Latin. The spellings are produced here by the transliteration packages themselves (translitua, iuliia),
not typed by hand, so the test checks the systems as they are."""

from __future__ import annotations

import warnings

import iuliia
import pytest
import translitua as T

from parley.people import names as N

UK = ["Ковальов", "Олександр", "Щербак", "Хмельницький", "Григорій", "Юрій", "Євген", "Ярослав", "Шевченко",
      "Чорновол", "Жук", "Цибульський", "Олійник", "Петрович", "Гнатюк", "Бондаренко", "Кузьменко", "Ткачук",
      "Мельничук", "Зінченко", "Яковенко", "Дмитро", "Василь", "Федір", "Сергій", "Андрій", "Ігор", "Богдан",
      "Тарас", "Остап", "В'ячеслав", "Ірина", "Людмила", "Оксана"]
RU = ["Ковалёв", "Александр", "Щербаков", "Хмельницкий", "Григорий", "Юрий", "Николай", "Евгений", "Чернов",
      "Жуков", "Цыганков", "Олейник", "Николаевич", "Алексеевна", "Зайцев", "Воробьёв", "Дмитрий", "Фёдор",
      "Сергей", "Вячеслав", "Екатерина", "Наталья", "Ксения", "Алексеев", "Соловьёв"]
# Systems outside the scope of Parley's key: a Romanian-style Ukrainian passport variant (c for к), the
# telegraph code (j for ж, c for ц and щ) and ISO 9 system B's cz for ц (cz is ч in Polish spellings).
SKIP_UK = {"UkrainianPassport2004Alt"}
SKIP_RU = {"RussianTelegram", "telegram", "RussianISO9SystemB"}
IULIIA = [iuliia.ALA_LC, iuliia.BGN_PCGN, iuliia.BS_2979, iuliia.GOST_779, iuliia.GOST_7034, iuliia.GOST_52535,
          iuliia.ICAO_DOC_9303, iuliia.MVD_310, iuliia.MVD_310_FR, iuliia.MVD_782, iuliia.SCIENTIFIC,
          iuliia.UNGEGN_1987, iuliia.WIKIPEDIA]


@pytest.mark.parametrize("name", UK)
def test_every_ukrainian_system_gives_the_same_key(name: str) -> None:
    key = N.phonetic(name)
    for table in T.ALL_UKRAINIAN:
        if table.__name__ in SKIP_UK:
            continue
        latin = T.translit(name, table)
        assert N.phonetic(latin) == key, (table.__name__, latin)


@pytest.mark.parametrize("name", RU)
def test_every_russian_system_gives_the_same_key(name: str) -> None:
    key = N.phonetic(name)
    spellings = [(t.__name__, T.translit(name, t)) for t in T.ALL_RUSSIAN if t.__name__ not in SKIP_RU]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        spellings += [(s.name, s.translate(name)) for s in IULIIA]
    for system, latin in spellings:
        assert N.phonetic(latin) == key, (system, latin)


@pytest.mark.parametrize("group,kind", [
    (("Микола", "Николай", "Mykola", "Nikolay", "Nikolai"), "given"),
    (("Олександр", "Александр", "Oleksandr", "Aleksandr", "Alexander"), "given"),
    (("Олексій", "Алексей", "Oleksii", "Aleksey", "Alexei", "Oleksiy"), "given"),
    (("Григорій", "Григорий", "Hryhorii", "Grigoriy", "Grigory"), "given"),
    (("Катерина", "Екатерина", "Kateryna", "Ekaterina", "Yekaterina"), "given"),
    (("Ганна", "Анна", "Hanna", "Anna"), "given"),
    (("Євген", "Евгений", "Yevhen", "Evgeniy", "Ievgen"), "given"),
    (("Петро", "Пётр", "Petro", "Petr", "Pyotr"), "given"),
    (("Миколайович", "Николаевич", "Mykolaiovych", "Nikolaevich", "Nikolayevich"), "patronymic"),
    (("Олексійович", "Алексеевич", "Oleksiiovych", "Alekseevich"), "patronymic"),
    (("Іванівна", "Ивановна", "Ivanivna", "Ivanovna"), "patronymic"),
    (("Петрович", "Petrovych", "Petrovich", "Petrowitsch"), "patronymic"),
    # the seeds' own spellings of two negotiators' surnames
    (("Ковальов", "Ковалёв", "Kovalev", "Kovalov", "Kovalyov", "Kowaljow"), "surname"),
    (("Алєксєєв", "Алексеев", "Alekseev", "Alexseyev"), "surname"),
    (("Мединський", "Мединский", "Medynskyi", "Medinsky", "Medinskiy"), "surname"),
])
def test_ukrainian_and_russian_forms_share_a_key(group: tuple[str, ...], kind: str) -> None:
    keys = {w: N.default().key(w, kind) for w in group}
    assert len(set(keys.values())) == 1, keys


def test_different_names_keep_different_keys() -> None:
    assert N.canonical_given("Микола") != N.canonical_given("Михайло")
    assert N.canonical_given("Олександр") != N.canonical_given("Олексій")
    assert N.canonical_surname("Коваленко") != N.canonical_surname("Ковальов")
    assert N.canonical_patronymic("Петрович") != N.canonical_patronymic("Петрівна")


def test_clean_repairs_mixed_scripts_and_punctuation() -> None:
    # a Latin "a" typed inside a Cyrillic word, odd apostrophes, initials with dots
    assert N.clean("Ковaльов") == "ковальов"
    assert N.clean("В’ячеслав") == N.clean("В'ячеслав") == N.clean("Вʼячеслав")
    assert N.clean("  О.П. ") == "о п"
    assert N.script("Ковальов") == "cyr" and N.script("Олексій") == "uk" and N.script("Ковалёв") == "ru"
    assert N.script("Kovalov") == "lat" and N.script("") == ""


def test_features_agree_across_scripts_and_detect_swaps() -> None:
    a = N.features("Ковальов", "Олександр", "Петрович")
    b = N.features("KOVALYOV", "Alexandr", "petrovich")
    for f in ("surname_key", "first_key", "patronymic_key", "surname_sx", "first_initial", "first_initial_alt",
              "names_swapped_key"):
        assert a[f] == b[f], f
    swapped = N.features("Олександр", "Ковальов", "")
    assert swapped["names_swapped_key"] == a["names_swapped_key"] and swapped["surname_key"] != a["surname_key"]
    assert N.features("", "", "")["surname_key"] == ""
    assert N.features("О.", "", "")["first_initial"] == ""


def test_held_out_entries_are_unknown_to_a_normaliser() -> None:
    full = N.Normaliser()
    blind = N.Normaliser(exclude=lambda pool, uk, ru: ru in ("николай", "николаевич"))
    assert full.key("Микола", "given") == full.key("Николай", "given")
    assert blind.key("Микола", "given") != blind.key("Николай", "given")
    assert blind.key("Mykola", "given") != blind.key("Nikolay", "given")
    assert blind.key("Олександр", "given") == blind.key("Александр", "given")
    # nor are the initials of its other forms
    assert full.initials("Николай") == ("N", "M") and blind.initials("Николай") == ("N", "")


def test_the_initials_of_a_given_name_are_those_of_all_its_forms() -> None:
    for name in ("Микола", "Николай", "Mykola", "Nikolay", "Nikolai", "MYKOLA"):
        assert N.default().initials(name) == ("N", "M"), name
        assert N.features("Ковальов", name, "")["first_initial_alt"] == "M", name
    for name in ("Катерина", "Екатерина", "Kateryna", "Yekaterina", "Ekaterina"):
        assert N.default().initials(name) == ("A", "K"), name
    for name in ("Ганна", "Анна", "Hanna", "Anna"):
        assert N.default().initials(name) == ("A", "G"), name
    # names whose forms all start alike, initials themselves, nothing
    assert N.default().initials("Дмитро") == N.default().initials("Dmitriy") == ("D", "")
    assert N.default().initials("Михайло") == N.default().initials("Михаил") == ("M", "")
    assert N.default().initials("М.") == N.default().initials("M") == ("M", "")
    assert N.default().initials("Н.") == N.default().initials("n.") == ("N", "")
    assert N.default().initials("") == ("", "")


def _build_script():  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "build_name_keys.py"
    spec = importlib.util.spec_from_file_location("build_name_keys", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_tables_are_what_the_script_writes_from_the_installed_dictionaries() -> None:
    """``parley/people/_name_tables.py`` cannot go stale: after upgrading names_translator or changing
    ``phonetic``, run ``scripts/build_name_keys.py``."""
    script = _build_script()
    assert script.OUT.read_text(encoding="utf-8") == script.render(), "run scripts/build_name_keys.py"


def test_a_normaliser_uses_the_shipped_tables_unless_they_do_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.people import _name_tables

    norm = N.Normaliser()
    assert norm._keymap("given") is _name_tables.KEYMAPS["given"]
    assert norm._keymap("patronymic") is _name_tables.KEYMAPS["patronymic"]
    assert norm._initials_map() is _name_tables.INITIALS
    assert norm.key("Mykola", "given") == norm.key("Николай", "given") == "NKL"
    # hidden entries, or tables written for another names_translator: computed from the dictionaries
    assert N.Normaliser(exclude=lambda pool, uk, ru: False)._shipped() is None
    monkeypatch.setattr(N, "_SHIPPED", [])
    monkeypatch.setattr(N, "_dictionaries_version", lambda: "0.0.0-other")
    assert N.Normaliser()._shipped() is None


def test_prefetch_loads_a_pool_only_for_a_large_batch() -> None:
    from parley.people.names import Normaliser

    norm = Normaliser()
    norm.prefetch("surname", 10)
    assert "last" not in norm._bulk
    norm.prefetch("given", 50_000)
    assert "first" in norm._bulk
    # the same answers with the pool loaded as with a DAWG walk per word
    assert norm.russian_form("микола", "given") == Normaliser().russian_form("микола", "given") == "николай"
