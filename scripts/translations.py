"""Writes the interface's gettext catalogues (uk, ru) from the table below with Babel.

Run it after adding a message: `python scripts/translations.py`. A test checks that every message
the templates use has a translation in both catalogues.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

# English → (Ukrainian, Russian)
MESSAGES: dict[str, tuple[str, str]] = {
    "API token": ("API-токен", "API-токен"),
    "Action": ("Дія", "Действие"),
    "Add a member": ("Додати учасника", "Добавить участника"),
    "Add a party": ("Додати сторону", "Добавить сторону"),
    "All kinds": ("Усі види", "Все виды"),
    "All parties": ("Усі сторони", "Все стороны"),
    "At least 12 characters.": ("Щонайменше 12 символів.", "Не менее 12 символов."),
    "Audience": ("Адресати", "Адресаты"),
    "Author": ("Автор", "Автор"),
    "Awaiting cosignatures": ("Очікує на підписи свідків", "Ожидает подписей свидетелей"),
    "Back to the overview": ("Повернутися до огляду", "Вернуться к обзору"),
    "C2SP tlog-proof against the checkpoint of {n} records{published}.":
        ("Доказ C2SP tlog-proof щодо контрольної точки з {n} записів{published}.",
         "Доказательство C2SP tlog-proof относительно контрольной точки из {n} записей{published}."),
    "Change": ("Змінити", "Изменить"),
    "Checkpoints": ("Контрольні точки", "Контрольные точки"),
    "Choose at least one role.": ("Оберіть щонайменше одну роль.", "Выберите хотя бы одну роль."),
    "Clear": ("Скинути", "Сбросить"),
    "Cosigned by": ("Засвідчили", "Заверили"),
    "Create a new API token": ("Створити новий API-токен", "Создать новый API-токен"),
    "Created at record": ("Створено записом", "Создано записью"),
    "Current size": ("Поточний розмір", "Текущий размер"),
    "Deployment": ("Розгортання", "Развёртывание"),
    "Deployment created": ("Розгортання створено", "Развёртывание создано"),
    "Each member creates their own API token.":
        ("Кожен учасник створює власний API-токен.",
         "Каждый участник создаёт собственный API-токен."),
    "Every fact here is a record signed by whoever stated it, in an append-only log that each party verifies on its own.":
        ("Кожен факт тут — запис, підписаний тим, хто його заявив, у журналі лише для доповнення, який кожна сторона перевіряє самостійно.",
         "Каждый факт здесь — запись, подписанная тем, кто его заявил, в журнале только для дополнения, который каждая сторона проверяет самостоятельно."),
    "Filter": ("Фільтрувати", "Фильтровать"),
    "Full name": ("Повне ім'я", "Полное имя"),
    "Inclusion proof": ("Доказ включення", "Доказательство включения"),
    "Initial password": ("Початковий пароль", "Начальный пароль"),
    "Key ID": ("ID ключа", "ID ключа"),
    "Key registered": ("Ключ зареєстровано", "Ключ зарегистрирован"),
    "Key revoked": ("Ключ відкликано", "Ключ отозван"),
    "Key rotated": ("Ключ замінено", "Ключ заменён"),
    "Kind": ("Вид", "Вид"),
    "Language": ("Мова", "Язык"),
    "Leaf hash": ("Геш листка", "Хеш листа"),
    "Log": ("Журнал", "Журнал"),
    "Main": ("Головне меню", "Главное меню"),
    "Member": ("Учасник", "Участник"),
    "Member added": ("Учасника додано", "Участник добавлен"),
    "Member changed": ("Учасника змінено", "Участник изменён"),
    "Members": ("Учасники", "Участники"),
    "Name": ("Ім'я", "Имя"),
    "Name in English": ("Назва англійською", "Название на английском"),
    "Name in Russian": ("Назва російською", "Название на русском"),
    "Name in Ukrainian": ("Назва українською", "Название на украинском"),
    "Newest records": ("Найновіші записи", "Новейшие записи"),
    "No checkpoint covers this record yet; reload in a moment.":
        ("Жодна контрольна точка ще не охоплює цей запис; оновіть сторінку за мить.",
         "Ни одна контрольная точка ещё не охватывает эту запись; обновите страницу через мгновение."),
    "No checkpoint has been published yet.":
        ("Жодної контрольної точки ще не опубліковано.",
         "Ни одна контрольная точка ещё не опубликована."),
    "No records match.": ("Немає відповідних записів.", "Нет подходящих записей."),
    "Not allowed": ("Не дозволено", "Не разрешено"),
    "Not found": ("Не знайдено", "Не найдено"),
    "Note": ("Примітка", "Заметка"),
    "Older checkpoints": ("Старіші контрольні точки", "Более ранние контрольные точки"),
    "Older records": ("Старіші записи", "Более ранние записи"),
    "Only the member or an admin of their party may do this.":
        ("Це може зробити лише сам учасник або адміністратор його сторони.",
         "Это может сделать только сам участник или администратор его стороны."),
    "Overview": ("Огляд", "Обзор"),
    "Pages": ("Сторінки", "Страницы"),
    "Parley": ("Parley", "Parley"),
    "Parley creates the member's signing key and registers it in a record you sign.":
        ("Parley створює ключ підпису учасника і реєструє його в записі, який підписуєте ви.",
         "Parley создаёт ключ подписи участника и регистрирует его в записи, которую подписываете вы."),
    "Parties": ("Сторони", "Стороны"),
    "Party": ("Сторона", "Сторона"),
    "Party created": ("Сторону створено", "Сторона создана"),
    "Party renamed": ("Сторону перейменовано", "Сторона переименована"),
    "Password": ("Пароль", "Пароль"),
    "Payload": ("Зміст", "Содержание"),
    "Published": ("Опубліковано", "Опубликовано"),
    "Published checkpoint": ("Опублікована контрольна точка", "Опубликованная контрольная точка"),
    "Reason": ("Причина", "Причина"),
    "Record": ("Запис", "Запись"),
    "Record hash": ("Геш запису", "Хеш записи"),
    "Records": ("Записи", "Записи"),
    "Records you may read": ("Записи, доступні вам", "Доступные вам записи"),
    "Register a key": ("Зареєструвати ключ", "Зарегистрировать ключ"),
    "Registered at record": ("Зареєстровано записом", "Зарегистрирован записью"),
    "Revoke": ("Відкликати", "Отозвать"),
    "Revoke this key? Records it signs afterwards will be refused.":
        ("Відкликати цей ключ? Записи, підписані ним надалі, буде відхилено.",
         "Отозвать этот ключ? Записи, подписанные им в дальнейшем, будут отклонены."),
    "Revoked at record": ("Відкликано записом", "Отозван записью"),
    "Roles": ("Ролі", "Роли"),
    "Root hash": ("Кореневий геш", "Корневой хеш"),
    "Rotate my web key": ("Замінити мій вебключ", "Заменить мой веб-ключ"),
    "Rotate the web key": ("Замінити вебключ", "Заменить веб-ключ"),
    "Rotate the web key? The old key is revoked in the same record.":
        ("Замінити вебключ? Старий ключ буде відкликано тим самим записом.",
         "Заменить веб-ключ? Старый ключ будет отозван той же записью."),
    "Select a column heading to sort.":
        ("Щоб упорядкувати, виберіть заголовок стовпця.",
         "Чтобы упорядочить, выберите заголовок столбца."),
    "Short name": ("Коротка назва", "Краткое имя"),
    "Sign and add the member": ("Підписати й додати учасника", "Подписать и добавить участника"),
    "Sign and add the party": ("Підписати й додати сторону", "Подписать и добавить сторону"),
    "Sign and register": ("Підписати й зареєструвати", "Подписать и зарегистрировать"),
    "Sign in": ("Увійти", "Войти"),
    "Sign out": ("Вийти", "Выйти"),
    "Signed": ("Підписано", "Подписано"),
    "Signed by {author}. The inclusion proof below lets any party check that this record is in the log every party sees.":
        ("Підписав {author}. Доказ включення нижче дає змогу будь-якій стороні перевірити, що цей запис є в журналі, який бачать усі сторони.",
         "Подписал {author}. Доказательство включения ниже позволяет любой стороне проверить, что эта запись есть в журнале, который видят все стороны."),
    "Signed checkpoint": ("Підписана контрольна точка", "Подписанная контрольная точка"),
    "Signed record": ("Підписаний запис", "Подписанная запись"),
    "Signing keys": ("Ключі підпису", "Ключи подписи"),
    "Skip to content": ("Перейти до вмісту", "Перейти к содержимому"),
    "Status": ("Стан", "Состояние"),
    "The form has expired or did not come from this site; reload the page and try again.":
        ("Форма застаріла або надіслана не з цього сайту; оновіть сторінку й спробуйте ще раз.",
         "Форма устарела или отправлена не с этого сайта; обновите страницу и попробуйте снова."),
    "The log": ("Журнал", "Журнал"),
    "The log holds {n} records; below are those you may read, newest first.":
        ("Журнал містить записів: {n}; нижче — ті, які ви можете читати, від найновіших.",
         "Журнал содержит записей: {n}; ниже — те, которые вы можете читать, начиная с новейших."),
    "The log's verifier key": ("Ключ перевірки журналу", "Ключ проверки журнала"),
    "The server holds no web key for this member.":
        ("Сервер не зберігає вебключа цього учасника.",
         "Сервер не хранит веб-ключа этого участника."),
    "The server signs this member's web actions with this key. Rotating it revokes the old one in the same record.":
        ("Сервер підписує цим ключем дії учасника у вебінтерфейсі. Заміна ключа відкликає старий тим самим записом.",
         "Сервер подписывает этим ключом действия участника в веб-интерфейсе. Замена ключа отзывает старый той же записью."),
    "There is no record with this number that you may read.":
        ("Немає доступного вам запису з таким номером.",
         "Нет доступной вам записи с таким номером."),
    "There is no such member.": ("Такого учасника немає.", "Такого участника нет."),
    "There is no such party.": ("Такої сторони немає.", "Такой стороны нет."),
    "Time": ("Час", "Время"),
    "To sign with your own key from the command line, create it with 'parley keygen' and paste its verifier key here.":
        ("Щоб підписувати власним ключем з командного рядка, створіть його командою 'parley keygen' і вставте тут його ключ перевірки.",
         "Чтобы подписывать собственным ключом из командной строки, создайте его командой 'parley keygen' и вставьте сюда его ключ проверки."),
    "Tree size": ("Розмір дерева", "Размер дерева"),
    "Unknown member or wrong password.":
        ("Невідомий учасник або неправильний пароль.",
         "Неизвестный участник или неверный пароль."),
    "Use lowercase Latin letters, digits, '-' or '_'.":
        ("Використовуйте малі латинські літери, цифри, '-' або '_'.",
         "Используйте строчные латинские буквы, цифры, '-' или '_'."),
    "Verifier key": ("Ключ перевірки", "Ключ проверки"),
    "Verifier keys": ("Ключі перевірки", "Ключи проверки"),
    "Web key": ("Вебключ", "Веб-ключ"),
    "You": ("Ви", "Вы"),
    "You may read": ("Вам доступні", "Вам доступны"),
    "Your new API token. It is shown once; a new one replaces it.":
        ("Ваш новий API-токен. Його показано лише раз; новий токен замінює попередній.",
         "Ваш новый API-токен. Он показан один раз; новый токен заменяет прежний."),
    "Your party and your name in Parley, as in ua/negotiator.":
        ("Ваша сторона і ваше ім'я в Parley, наприклад ua/negotiator.",
         "Ваша сторона и ваше имя в Parley, например ua/negotiator."),
    "Your web key": ("Ваш вебключ", "Ваш веб-ключ"),
    "active": ("активний", "активен"),
    "admin": ("адміністратор", "администратор"),
    "auditor": ("аудитор", "аудитор"),
    "awaiting cosignatures": ("очікує на підписи свідків", "ожидает подписей свидетелей"),
    "belligerent": ("сторона конфлікту", "сторона конфликта"),
    "every record (mediator or auditor)":
        ("усі записи (посередник або аудитор)",
         "все записи (посредник или аудитор)"),
    "inactive": ("неактивний", "неактивен"),
    "liaison": ("офіцер зв'язку", "офицер связи"),
    "mediator": ("посередник", "посредник"),
    "negotiator": ("переговірник", "переговорщик"),
    "no witness policy: signed by the log only":
        ("без політики свідків: підписано лише журналом",
         "без политики свидетелей: подписано только журналом"),
    "not yet cosigned": ("ще не засвідчено", "ещё не заверено"),
    "observer": ("спостерігач", "наблюдатель"),
    "press": ("пресслужба", "пресс-служба"),
    "records addressed to you, your party or your role":
        ("записи, адресовані вам, вашій стороні чи ролі",
         "записи, адресованные вам, вашей стороне или роли"),
    "registrar": ("реєстратор", "регистратор"),
    "revoked": ("відкликано", "отозван"),
    "web key": ("вебключ", "веб-ключ"),
    "yes": ("так", "да"),
    "{n} records": ("записів: {n}", "записей: {n}"),
}


def main() -> None:
    root = Path(__file__).resolve().parents[1] / "src" / "parley" / "web" / "i18n"
    for i, lang in enumerate(("uk", "ru")):
        cat = Catalog(locale=lang, project="Parley", domain="messages")
        for en, tr in MESSAGES.items():
            cat.add(en, tr[i])
        path = root / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, cat, width=120, omit_header=False)


if __name__ == "__main__":
    main()
