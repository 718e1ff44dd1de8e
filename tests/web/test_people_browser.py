"""The registry of persons in headless Chromium: Russia's registrar registers a prisoner of war in Russian forms;
Ukraine's registrar imports a list with Ukrainian headers through the wizard (correcting one column's field),
reads the row report, finds the two records side by side in the review queue with their differences
highlighted, confirms they are the same man, and the person page then shows Russia's record as the same person.
No request leaves the machine. The persons are invented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.web.test_browser import server  # noqa: F401  (the uvicorn server fixture)
from tests.web.test_operations_browser import Watch, browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

LIST = """№;Прізвище;Ім'я;По батькові;Дата народження;Місце народження;Особистий номер;Де служив
1;Ковальов;Олександр;Петрович;14.03.1991;Бердянськ;АА123456;в/ч А0000
2;Шевчишин;Тарас;Іванович;1990;Львів;;в/ч А0001
3;Гнатюк;;;31.02.1991;Київ;;
"""


def test_import_review_and_confirm_the_same_person(server, browser, tmp_path):  # noqa: F811
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    watch = Watch()

    # Russia's registrar registers the man in Russian forms, as a prisoner of war whose own party is Ukraine.
    ru = watch.page(browser, base, demo, "ru/registrar")
    ru.goto(f"{base}/people/new?lang=ru")
    assert ru.locator("h1").inner_text() == "Зарегистрировать лицо"
    ru.select_option("#category", "pow")
    ru.select_option("#own_party", "ua")
    ru.check("#seriously_wounded")
    for field, value in {"surname": "Ковалёв", "first_name": "Александр", "patronymic": "Петрович",
                         "birth_date": "14.03.1991", "birth_place": "Бердянск", "service_number": "АА123456",
                         "rank": "сержант", "capture_date": "17.05.2022", "held_at": "Еленовка"}.items():
        ru.fill(f"#{field}", value)
    ru.click("#register")
    ru.wait_for_url(re.compile(r".*/people/ru-p-[0-9a-f]+$"))
    ru_id = ru.url.rsplit("/", 1)[1]
    assert ru.locator("#wounded-flag").is_visible()
    assert ru.locator("dd[data-field='birth_date']").inner_text() == "1991-03-14"

    # Ukraine's registrar imports its list of the missing through the wizard.
    ua = watch.page(browser, base, demo, "ua/registrar")
    ua.goto(f"{base}/lists/import?lang=en")
    path = tmp_path / "зниклі.csv"
    path.write_text(LIST, encoding="utf-8")
    ua.set_input_files("#file", str(path))
    ua.select_option("#default_category", "missing")
    ua.click("#upload")
    ua.wait_for_selector("#mapping")
    headers = ua.locator("#mapping .header-text").all_inner_texts()
    assert headers[:3] == ["№", "Прізвище", "Ім'я"] and headers[-1] == "Де служив"
    assert ua.input_value("#col_1") == "surname" and ua.input_value("#col_4") == "birth_date"
    assert ua.input_value("#col_7") == ""  # not recognised: the user maps it
    ua.select_option("#col_7", "unit")
    ua.click("#remap")
    ua.wait_for_selector("#mapping")
    assert ua.input_value("#col_7") == "unit"
    assert "1 will be rejected" in ua.locator("#preview-counts").inner_text()
    # Whom the rejected row is about, as read, before anything is signed.
    assert "Гнатюк" in ua.locator("#rows-preview tr[data-row='4']").inner_text()
    # The mapping fits the page: no sideways scroll on a desktop or a phone.
    for width, height in ((1400, 900), (390, 844)):
        ua.set_viewport_size({"width": width, "height": height})
        overflow = ua.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                               " document.querySelector('#mapping').getBoundingClientRect().right]")
        assert overflow[0] <= overflow[1] and overflow[2] <= overflow[1] + 1, (width, overflow)
    ua.set_viewport_size({"width": 1280, "height": 900})
    ua.screenshot(path=str(shots / "list_import.png"), full_page=True)
    ua.click("#import")
    ua.wait_for_url(re.compile(r".*/lists/ua-list-[0-9a-f]+$"))
    assert ua.locator("#count-rows").inner_text() == "3"
    assert ua.locator("#count-accepted").inner_text() == "2"
    assert ua.locator("#count-rejected").inner_text() == "1"
    rejected = ua.locator("#report tr[data-status='rejected']")
    assert rejected.get_attribute("data-row") == "4" and "Date of birth" in rejected.inner_text()
    ua.screenshot(path=str(shots / "list_report.png"), full_page=True)
    ua_id = ua.locator("#report tr[data-row='2'] a").get_attribute("href").rsplit("/", 1)[1]

    # The review queue shows the two records side by side, the differences highlighted.
    ua.goto(f"{base}/review")
    left, right = sorted((ru_id, ua_id))
    card = ua.locator(f"section.pair[data-left='{left}'][data-right='{right}']")
    card.wait_for()
    assert "Ковалёв" in card.inner_text() and "Ковальов" in card.inner_text()
    assert card.locator("tr[data-field='category']").get_attribute("class") == "differ"
    assert card.locator("tr[data-field='unit']").get_attribute("class") == "missing"  # given by one side only
    assert card.locator("tr[data-field='surname']").get_attribute("class") == "spelling"  # another script, same name
    assert card.locator("tr[data-field='service_number']").get_attribute("class") == "same"
    bg = card.locator("tr.differ td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = card.locator("tr.same td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg != plain
    assert "%" in card.locator(".probability").inner_text()
    card.scroll_into_view_if_needed()
    ua.screenshot(path=str(shots / "review.png"), full_page=True)
    card.locator("button.same").click()
    # Asked first, saying what follows; then signed.
    confirm = ua.locator("#confirm-same")
    confirm.wait_for()
    assert "never edited" in confirm.inner_text()
    assert ua.url.endswith("/review/decide")
    confirm.locator("#confirm-same-button").click()
    ua.wait_for_url(re.compile(r".*/review\?decided=same&record=\d+$"))
    assert "Same person" in ua.locator("#decided").inner_text()
    assert ua.locator(f"section.pair[data-left='{left}'][data-right='{right}']").count() == 0

    # Ukraine's record now shows Russia's as the same person; both stay as each party wrote them.
    ua.goto(f"{base}/people/{ua_id}")
    same = ua.locator("#same-as")
    assert same.locator(f"a[href='/people/{ru_id}']").inner_text() == "Ковалёв Александр Петрович"
    assert ua.locator("#person-name").inner_text() == "Ковальов Олександр Петрович"
    assert ua.locator("#decisions").inner_text().count("Same person") == 1
    ua.screenshot(path=str(shots / "person.png"), full_page=True)
    # Russia's registrar sees that its record was decided, but not Ukraine's list of its missing.
    ru.goto(f"{base}/people/{ru_id}")
    decisions = ru.locator("#decisions").inner_text()
    assert "Same person" in decisions or "То же лицо" in decisions
    assert ru.locator(f"a[href='/people/{ua_id}']").count() == 0

    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors
