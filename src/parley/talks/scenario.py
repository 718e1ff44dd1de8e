"""The demo's talks, as the seed reports tell them, each fact signed by the party that stated it and naming its
seed (``source.reference`` "seed 00N", or the ``note`` of a record that has no source):

* the official talks between Ukraine and Russia in Belarus (seed 003): the first round "at the beginning of the
  week in the Gomel region" (Monday 28 February 2022); the second in Belovezhskaya Pushcha, expected on Wednesday
  2 March and begun "a day later than expected", after David Arakhamia wrote that "the meeting place could be
  changed", on Thursday 3 March "only at 17:50 Moscow time", lasting "less than three hours"; the three tracks
  Vladimir Medinsky named (military, international humanitarian, future political settlement); the points, the
  humanitarian ones reaching mutual understanding (corridors, a temporary ceasefire for the duration of an
  operation, channels of communication and interaction), the military and political ones not; the communiqué Mykhailo
  Podolyak read out, as a joint text both parties signed; each side's assessment apart (Podolyak: "we did not get
  the results we expected"; Medinsky: "substantial progress"); Dmitry Peskov's accusation of deliberate delay; the
  third round planned for "the beginning of next week"; and, in November 2023, Medinsky's word that the 2022
  process had been "frozen" (seed 002);
* the Azovstal back channel (seeds 000 and 001): the lawmaker Oleksandr Kovalov (Kovalev, Kovalyov) with contacts
  on the other side, the Main Directorate of Intelligence (GUR) under Kyrylo Budanov and his first deputy Dmytro
  Usov, generals Vladimir Alekseev (Alexseyev) and Alexander Zorin; the three visits to Mariupol on 25 April,
  9 May and 16 May 2022; the terms agreed on 16 May (stop hostilities and leave the plant; civilised conditions
  of detention; an exchange afterwards) and how far Ukraine says they were carried out, tied to the exit of the
  defenders (``operations/scenario.py``, operation ``ua-azovstal-exit``, which names the point it implements);
* the Gerasimov–Zaluzhny military-to-military channel (seed 002, dated 1 December 2023), known only from a report
  citing anonymous US officials: unconfirmed, and by that report unauthorised.

Where the seeds disagree they are both kept: seed 000 dates the start of the back channel to "May 25, 2022" and
its first visit to 25 April (a claim beside the process); seed 000 calls the Russian negotiators "intelligence
generals" and the lawmaker's contacts FSB, seed 001 places the generals in the GRU. Where a seed gives a day and no
hour, the hour is the demo's (said beside it); the order in which the two sides stated a position the seeds do not
give is the demo's too. Records of the back channel and of the military-to-military channel are closed to the two
parties' negotiators (``talks.kinds.audience_for``). Names are as the reports spell them, with the Ukrainian and
Russian forms. Times are UTC (Kyiv UTC+2 until 27 March 2022 and UTC+3 after, Moscow and Minsk UTC+3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from parley.talks.kinds import sha256_text

Add = Callable[..., int]

SEED_000 = {"outlet": "CNN, retold in Ukrainian (seed 000)", "reference": "seed 000"}
SEED_001 = {"outlet": "CNN (seed 001)", "reference": "seed 001"}
SEED_002 = {"outlet": "Seymour Hersh, retold by a Russian outlet (seed 002)", "reference": "seed 002",
            "stated_on": "2023-12-01"}
SEED_003 = {"outlet": "Kommersant", "reference": "seed 003", "stated_on": "2022-03-03"}
SEED_004 = {"outlet": "Segodnya", "reference": "seed 004 (the date of the interview is not in the seed)"}

# The official talks are addressed to both parties (a mediator reads an open audience); the back channel and the
# military-to-military channel are closed to the two parties' negotiators.
BOTH = "party:ru,party:ua"
CLOSED = "only,party:ru/negotiator,party:ua/negotiator"

OFFICIAL = "ua-belarus-talks"
BACK_CHANNEL = "ua-azovstal-back-channel"
MILITARY_CHANNEL = "ru-military-channel"
EXIT_OPERATION = "ua-azovstal-exit"  # operations/scenario.py

# Points the demo's other parts name: the operation that carries out the safe exit names STOP_AND_LEAVE.
CORRIDORS, CEASEFIRE, CHANNELS = "ua-belarus-corridors", "ua-belarus-ceasefire", "ua-belarus-channels"
STOP_AND_LEAVE, DETENTION, EXCHANGE = "ru-azovstal-stop-and-leave", "ru-azovstal-detention", "ru-azovstal-exchange"

GOMEL = [30.9754, 52.4345]  # the region's centre; seed 003 names the region only
BELOVEZHSKAYA_PUSHCHA = [23.8167, 52.5667]  # the national park (Kamianiuki); seed 003 names no building
MARIUPOL = [37.5434, 47.0971]

# The communiqué of the second round, as seed 003 reports its content (in English translation).
CORRIDORS_TEXT = ("The parties reached an understanding on the joint provision of humanitarian corridors for the "
                  "evacuation of the civilian population, as well as for the delivery of medicines and food to the "
                  "places of the most fierce fighting.")
CEASEFIRE_TEXT = ("In areas where the evacuation of the population will take place, a temporary ceasefire is "
                  "possible for the duration of the humanitarian operation.")
CHANNELS_TEXT = ("To this end, channels of communication and interaction will be organized in the very near future, "
                 "and appropriate logistics procedures will be formed.")
COMMUNIQUE = f"{CORRIDORS_TEXT} {CEASEFIRE_TEXT} {CHANNELS_TEXT}"

# The terms of the safe exit from Azovstal, as seed 000 gives the Russian side's conditions.
TERMS_QUOTE = ("The people's deputy said that the conditions of the Russians were simple: the Ukrainian military "
               "would stop hostilities, surrender the plant and surrender themselves. Then — civilized conditions "
               "for the detention of our prisoners of war and exchange.")
STOP_AND_LEAVE_TEXT = ("The Ukrainian military stop hostilities, surrender the plant and surrender themselves: they "
                       "leave the Azovstal plant into the custody of the Russian side.")
DETENTION_TEXT = "Civilized conditions for the detention of the Ukrainian prisoners of war."
EXCHANGE_TEXT = "The prisoners of war are then exchanged."
PROMISE = {"kind": "named_official", "speaker": "Oleksandr Kovalyov", "body": "Verkhovna Rada of Ukraine",
           **SEED_000, "quote": "It was the moment of truth. When we did everything for the two sides to come "
                                "together, look into each other's eyes, the Russian side promised that there would "
                                "be a civilized way out for our soldiers"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def records(add: Add) -> None:
    """Append the talks scenario through ``add(author, kind, audience, payload, time)``; the demo puts every
    capability's records in the order of their times."""
    official_talks(add)
    back_channel(add)
    military_channel(add)


# -- the official talks in Belarus (seed 003) -----------------------------------------------------------------

def official_talks(add: Add) -> None:
    """The rounds in Belarus, recorded from the day the deployment starts (1 March 2022): the first round, held
    on 28 February, is recorded the day after."""
    add("ua/negotiator", "talks.actor", BOTH, {
        "id": "ua-podolyak", "names": ["Mykhailo Podolyak", "Mikhail Podolyak", "Михайло Подоляк", "Михаил Подоляк"],
        "acts_for": "ua", "body": "Office of the President of Ukraine",
        "title": "adviser to the head of the Office of the President; member of the delegation",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "Mikhail Podolyak, adviser to the head of the presidential office of Ukraine"}},
        at("2022-03-01T10:00:00"))
    add("ua/negotiator", "talks.actor", BOTH, {
        "id": "ua-arakhamia", "names": ["David Arakhamia", "Давид Арахамія", "Давид Арахамия"], "acts_for": "ua",
        "body": "Verkhovna Rada of Ukraine (Servant of the People faction)",
        "title": "head of the parliamentary faction; member of the delegation",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "a member of the Ukrainian delegation, head of the parliamentary faction of the ruling "
                            "Servant of the People party David Arakhamia"}}, at("2022-03-01T10:01:00"))
    add("ru/negotiator", "talks.actor", BOTH, {
        "id": "ru-medinsky", "names": ["Vladimir Medinsky", "Володимир Мединський", "Владимир Мединский"],
        "acts_for": "ru", "body": "Office of the President of the Russian Federation",
        "title": "aide to the President; head of the Russian delegation",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "the head of the Russian delegation, aide to the President of the Russian Federation, "
                            "Vladimir Medinsky"}}, at("2022-03-01T10:02:00"))
    add("ua/negotiator", "talks.process", BOTH, {
        "id": OFFICIAL, "title": "Official talks between Ukraine and Russia, 2022 (rounds in Belarus)",
        "format": "official_talks", "parties": ["ua", "ru"], "authorisation": "authorised",
        "started_on": "2022-02-28", "status": "active",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "As during the first round, which took place at the beginning of the week in the Gomel "
                            "region, the Ukrainian delegation traveled to Belarus through Poland using helicopters."},
        "note": "Hosted by Belarus, which is not a party to the talks (and not a party in the demo). The first "
                "round's day is the Monday of the week of the second round (seed 003: \"at the beginning of the "
                "week\")."}, at("2022-03-01T10:05:00"))
    add("ua/negotiator", "talks.meeting", BOTH, {
        "id": "ua-belarus-round-1", "process": OFFICIAL, "kind": "round", "number": 1,
        "title": "First round, Gomel region", "status": "held",
        "venue": {"name": "Gomel region, Belarus", "position": GOMEL},
        "actual_start": "2022-02-28T12:00:00Z", "time_zone": "Europe/Minsk",
        "delegations": [{"party": "ua"}, {"party": "ru"}],
        "note": "The Ukrainian delegation travelled to Belarus through Poland by helicopter (seed 003). The hour "
                "is the demo's, and the map shows the region's centre: the seed gives \"the beginning of the week\" "
                "and \"the Gomel region\".",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "the first round, which took place at the beginning of the week in the Gomel region"}},
        at("2022-03-01T10:10:00"))
    round2 = "ru-belarus-round-2"
    add("ru/negotiator", "talks.meeting", BOTH, {
        "id": round2, "process": OFFICIAL, "kind": "round", "number": 2,
        "title": "Second round, Belovezhskaya Pushcha", "status": "planned",
        "venue": {"name": "Belovezhskaya Pushcha, Belarus", "position": BELOVEZHSKAYA_PUSHCHA},
        "scheduled_note": "Wednesday 2 March 2022", "time_zone": "Europe/Minsk",
        "delegations": [{"party": "ru", "head": "ru-medinsky"}],
        "note": "Expected a day before it took place (seed 003). The position is the national park's, not far from "
                "the Belarusian-Polish border; the seed names no building.",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "the second round of Belarusian meetings began a day later than expected"}},
        at("2022-03-01T15:00:00"))  # the hour is the demo's
    add("ua/negotiator", "talks.meeting_update", BOTH, {
        "meeting": round2, "status": "postponed", "scheduled_note": "Thursday 3 March 2022",
        "reason": "On Wednesday, when the Russian delegation had already arrived in Belovezhskaya Pushcha, David "
                  "Arakhamia, a member of the Ukrainian delegation, wrote on Facebook that the meeting place could "
                  "be changed; the round began a day later than expected. The venue stayed as it was.",
        "source": {"kind": "named_official", "speaker": "David Arakhamia",
                   "body": "Ukrainian delegation; Servant of the People faction", **SEED_003,
                   "stated_on": "2022-03-02",
                   "quote": "On Wednesday, when the Russians had already arrived in Belovezhskaya Pushcha, a member of "
                            "the Ukrainian delegation … David Arakhamia wrote on Facebook that the meeting place "
                            "could be changed."}},
        at("2022-03-02T12:00:00"))  # the hour is the demo's: the seed gives the day

    # The round, 14:50–17:40 UTC on 3 March (17:50 Moscow time; "less than three hours"): the tracks Medinsky
    # named, the points with each party's positions, the communiqué and its sign-off.
    medinsky = {"kind": "named_official", "speaker": "Vladimir Medinsky", "body": "head of the Russian delegation",
                **SEED_003}
    tracks = (("ru-belarus-military", "Military"), ("ru-belarus-humanitarian", "International humanitarian"),
              ("ru-belarus-political", "Future political settlement"))
    for i, (track, name) in enumerate(tracks):
        add("ru/negotiator", "talks.track", BOTH, {
            "id": track, "process": OFFICIAL, "name": name,
            "note": "Seed 003, Medinsky: \"in general, three issues were discussed at the talks: military, "
                    "international humanitarian and future political settlement\"."}, at(f"2022-03-03T15:0{i}:00"))
    humanitarian = ((CORRIDORS, "Humanitarian corridors", CORRIDORS_TEXT),
                    (CEASEFIRE, "Temporary ceasefire for the duration of a humanitarian operation", CEASEFIRE_TEXT),
                    (CHANNELS, "Channels of communication and interaction", CHANNELS_TEXT))
    for i, (point, title, _) in enumerate(humanitarian):
        add("ua/negotiator", "talks.point", BOTH, {"id": point, "track": "ru-belarus-humanitarian", "title": title},
            at(f"2022-03-03T15:1{i}:00"))
    add("ua/negotiator", "talks.point", BOTH, {
        "id": "ua-belarus-military-positions", "track": "ru-belarus-military",
        "title": "Military issues (the positions as written down on points; their wording is not public)"},
        at("2022-03-03T15:13:00"))
    add("ru/negotiator", "talks.point", BOTH, {
        "id": "ru-belarus-political-positions", "track": "ru-belarus-political",
        "title": "Future political settlement (the positions as written down on points; their wording is not "
                 "public)"}, at("2022-03-03T15:14:00"))
    add("ua/negotiator", "talks.point", BOTH, {
        "id": "ua-belarus-leaders-meeting", "track": "ru-belarus-political",
        "title": "A meeting of the two presidents in person"}, at("2022-03-03T15:15:00"))

    # The humanitarian points: one side's wording, the other's acceptance of its hash (who spoke first is the
    # demo's; seed 003 gives the understanding both confirmed).
    order = "Who proposed the wording first is the demo's; seed 003 gives the understanding, not the order."
    for i, (point, _, text) in enumerate(humanitarian):
        add("ua/negotiator", "talks.position", BOTH, {
            "point": point, "position": "proposed", "text": text, "meeting": round2, "note": order,
            "source": {"kind": "document", "reference": "seed 003: the communiqué as Kommersant reports it",
                       "outlet": "Kommersant", "stated_on": "2022-03-03", "quote": text}},
            at(f"2022-03-03T15:{30 + 10 * i}:00"))
        add("ru/negotiator", "talks.position", BOTH, {
            "point": point, "position": "accepted", "sha256": sha256_text(text), "meeting": round2,
            "source": {**medinsky, "quote": "The agreement on the creation of humanitarian corridors was also "
                                            "confirmed by the head of the Russian delegation … \"on some of them "
                                            "(obviously, humanitarian issues) managed to find mutual "
                                            "understanding\""}},
            at(f"2022-03-03T15:{35 + 10 * i}:00"))
    unpublished = ("Seed 003, Medinsky: \"The positions are absolutely clear, they are written down on points\"; "
                   "the only publicly announced result of the round was the humanitarian corridors. The wording of "
                   "this position is not in the seeds.")
    add("ua/negotiator", "talks.position", BOTH, {
        "point": "ua-belarus-military-positions", "position": "proposed", "meeting": round2, "note": unpublished,
        "text": "Ukraine's position on the military issues, as written down at the second round (not published)."},
        at("2022-03-03T16:10:00"))
    add("ru/negotiator", "talks.position", BOTH, {
        "point": "ua-belarus-military-positions", "position": "counter_proposed", "meeting": round2,
        "note": unpublished,
        "text": "Russia's position on the military issues, as written down at the second round (not published)."},
        at("2022-03-03T16:20:00"))
    political = ("Russia's position on the future political settlement, as written down at the second round (not "
                 "published).")
    add("ru/negotiator", "talks.position", BOTH, {
        "point": "ru-belarus-political-positions", "position": "proposed", "meeting": round2, "text": political,
        "note": unpublished}, at("2022-03-03T16:30:00"))
    add("ua/negotiator", "talks.position", BOTH, {
        "point": "ru-belarus-political-positions", "position": "reserved", "sha256": sha256_text(political),
        "meeting": round2, "note": "No understanding on the political settlement was reported (seed 003)."},
        at("2022-03-03T16:40:00"))
    zelensky = {"kind": "named_official", "speaker": "Volodymyr Zelensky", "body": "President of Ukraine", **SEED_003,
                "quote": "\"I'm a normal man, sit down with me, talk, what are you afraid of?\" Mr. Zelensky said "
                         "during a press conference. \"I am ready to discuss all issues\""}
    add("ua/negotiator", "talks.actor", BOTH, {
        "id": "ua-zelensky", "names": ["Volodymyr Zelensky", "Володимир Зеленський", "Владимир Зеленский"],
        "acts_for": "ua", "title": "President of Ukraine",
        "source": {"kind": "media_report", **SEED_003, "quote": "Ukrainian President Volodymyr Zelensky"}},
        at("2022-03-03T16:44:00"))
    invitation = ("The President of Ukraine invites the President of the Russian Federation to meet in person and "
                  "discuss all differences.")
    add("ua/negotiator", "talks.position", BOTH, {
        "point": "ua-belarus-leaders-meeting", "position": "proposed", "text": invitation,
        "note": "Made at a press conference in Kyiv while the round was under way, not at the table; Russia's answer "
                "is not in the seeds (silence is not consent).", "source": zelensky}, at("2022-03-03T16:45:00"))
    add("ua/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "proposal", "point": "ua-belarus-leaders-meeting", "speaker": "ua-zelensky",
        "on_behalf": "ua", "said_on": "2022-03-03",
        "text": "I'm a normal man, sit down with me, talk, what are you afraid of? I am ready to discuss all issues.",
        "source": {**zelensky, "confirmation": "confirmed"}}, at("2022-03-03T16:46:00"))

    # The communiqué: a joint text with the three agreed points, signed by both parties over its hash.
    communique = "ua-belarus-communique-2"
    add("ua/negotiator", "talks.text", BOTH, {
        "id": communique, "process": OFFICIAL, "title": "Communiqué of the second round", "body": COMMUNIQUE,
        "points": [CORRIDORS, CEASEFIRE, CHANNELS],
        "note": "The communiqué's content as seed 003 (Kommersant) reports it, in English translation; its original "
                "wording is not in the seeds."}, at("2022-03-03T17:00:00"))
    signed = ("Read out by Mykhailo Podolyak for Ukraine; the agreement on humanitarian corridors confirmed by the "
              "head of the Russian delegation, Vladimir Medinsky (seed 003).")
    for i, member in enumerate(("ua/negotiator", "ru/negotiator")):
        add(member, "talks.signoff", BOTH, {
            "text": communique, "version": 1, "sha256": sha256_text(COMMUNIQUE), "meeting": round2, "note": signed},
            at(f"2022-03-03T17:{10 + 5 * i}:00"))
    add("ru/negotiator", "talks.meeting_update", BOTH, {
        "meeting": round2, "status": "held", "actual_start": "2022-03-03T17:50:00+03:00",
        "duration_minutes": {"form": "fewer_than", "value": 180}, "duration_note": "less than three hours",
        "delegations": [{"party": "ru", "head": "ru-medinsky"},
                        {"party": "ua", "members": ["ua-podolyak", "ua-arakhamia"]}],
        "reason": "Held at Belovezhskaya Pushcha after all, a day later than expected.",
        "source": {"kind": "media_report", **SEED_003,
                   "quote": "the negotiations took place in Belovezhskaya Pushcha, but they started on Thursday only "
                            "at 17:50 Moscow time. And it lasted less than three hours."}},
        at("2022-03-03T17:40:00"))

    # What each side said afterwards, kept apart.
    add("ua/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "communique", "meeting": round2, "joint_text": communique, "joint_version": 1,
        "speaker": "ua-podolyak", "said_on": "2022-03-03", "text": COMMUNIQUE,
        "source": {"kind": "media_report", **SEED_003, "confirmation": "confirmed",
                   "quote": "Mr. Podolyak read out the official communiqué following the meeting."}},
        at("2022-03-03T18:00:00"))
    podolyak = ("Unfortunately, we did not get the results we expected. And the only thing I can say is that we "
                "discussed the humanitarian aspect in detail.")
    add("ua/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "assessment", "meeting": round2, "speaker": "ua-podolyak", "on_behalf": "ua",
        "said_on": "2022-03-03", "text": podolyak,
        "source": {"kind": "named_official", "speaker": "Mikhail Podolyak",
                   "body": "adviser to the head of the presidential office of Ukraine", **SEED_003,
                   "confirmation": "confirmed", "quote": podolyak}}, at("2022-03-03T18:05:00"))
    progress = ("Substantial progress. The positions are absolutely clear, they are written down on points, on some "
                "of them managed to find mutual understanding.")
    add("ru/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "assessment", "meeting": round2, "speaker": "ru-medinsky", "on_behalf": "ru",
        "said_on": "2022-03-03", "text": progress,
        "source": {**medinsky, "confirmation": "confirmed",
                   "quote": "He called it \"substantial progress.\" … \"The positions are absolutely clear, they are "
                            "written down on points, on some of them (obviously, humanitarian issues.— \"b\") "
                            "managed to find mutual understanding,\" he said."}}, at("2022-03-03T18:10:00"))
    add("ua/negotiator", "talks.meeting", BOTH, {
        "id": "ua-belarus-round-3", "process": OFFICIAL, "kind": "round", "number": 3, "title": "Third round",
        "status": "planned", "scheduled_note": "early next week", "time_zone": "Europe/Minsk",
        "note": "Announced by Mykhailo Podolyak (seed 003); no venue or day given.",
        "source": {"kind": "named_official", "speaker": "Mikhail Podolyak",
                   "body": "adviser to the head of the presidential office of Ukraine", **SEED_003,
                   "quote": "It is assumed that the third round of negotiations will take place at the beginning of "
                            "next week – this, in any case, was announced by Mikhail Podolyak."}},
        at("2022-03-03T18:20:00"))
    add("ru/negotiator", "talks.actor", BOTH, {
        "id": "ru-peskov", "names": ["Dmitry Peskov", "Дмитро Пєсков", "Дмитрий Песков"], "acts_for": "ru",
        "body": "Office of the President of the Russian Federation", "title": "Press Secretary of the President",
        "source": {"kind": "media_report", **SEED_003, "quote": "Russian Presidential Press Secretary Dmitry Peskov"}},
        at("2022-03-03T18:55:00"))
    add("ru/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "accusation", "meeting": round2, "speaker": "ru-peskov", "on_behalf": "ru",
        "said_on": "2022-03-03",
        "text": "The Kremlin has reason to believe that the Ukrainian delegation is deliberately delaying the talks.",
        "source": {"kind": "media_report", "speaker": "Dmitry Peskov",
                   "body": "Press Secretary of the President of the Russian Federation", **SEED_003,
                   "quote": "the Kremlin has reason to believe that the Ukrainian delegation is deliberately delaying "
                            "the talks, Russian Presidential Press Secretary Dmitry Peskov told reporters."}},
        at("2022-03-03T19:00:00"))  # the hour is the demo's: the seed gives the day

    # November 2023, as reported on 1 December 2023 (seed 002): the process "frozen", and Russia's precondition.
    frozen = {"kind": "named_official", "speaker": "Vladimir Medinsky", "body": "aide to the President of the Russian "
              "Federation", "outlet": SEED_002["outlet"], "reference": "seed 002 (said in November 2023)"}
    add("ru/negotiator", "talks.status", BOTH, {
        "process": OFFICIAL, "status": "frozen",
        "reason": "In November 2023 Vladimir Medinsky said that if the 2022 negotiation process had not been frozen "
                  "and Ukraine had complied with Russia's demands, thousands of Ukrainian lives could have been saved. "
                  "The day it was frozen is not in the seeds.",
        "source": {**frozen, "quote": "He noted that if the 2022 negotiation process had not been frozen and the "
                                      "republic had complied with the demands of the Russian Federation, thousands "
                                      "of Ukrainian lives could have been saved."}}, at("2023-12-01T10:00:00"))
    add("ru/negotiator", "talks.statement", BOTH, {
        "process": OFFICIAL, "type": "precondition", "speaker": "ru-medinsky", "on_behalf": "ru",
        "text": "Signing a peace treaty with Ukraine is possible if the goals and objectives of the special military "
                "operation are fully implemented.",
        "source": {**frozen, "quote": "In November, Russian Presidential Aide Vladimir Medinsky said that signing a "
                                      "peace treaty with Ukraine is possible if the goals and objectives of the "
                                      "special military operation (SVO) are fully implemented."}},
        at("2023-12-01T10:01:00"))


# -- the Azovstal back channel (seeds 000, 001, 004) -------------------------------------------------------------

def back_channel(add: Add) -> None:
    """The back channel through a Ukrainian lawmaker and Russian intelligence generals that produced the safe exit
    from Azovstal, closed to the two parties' negotiators. Its visits' hours are the demo's: the seeds give days."""
    add("ua/negotiator", "talks.actor", CLOSED, {
        "id": "ua-kovalov",
        "names": ["Oleksandr Kovalov", "Alexander Kovalev", "Oleksandr Kovalyov", "Олександр Ковальов",
                  "Александр Ковалёв"],
        "acts_for": "ua", "body": "Verkhovna Rada of Ukraine (deputy group «Dovira»)",
        "title": "people's deputy from the Donetsk region; intermediary",
        "note": "A veteran of the Soviet-Afghan war who brokered the early stages of the negotiations (seed 001); "
                "a people's deputy with contacts in the FSB (seed 000). Seed 000 spells him Kovalev and Kovalyov, "
                "seed 001 Kovalov.",
        "source": {"kind": "media_report", **SEED_001,
                   "quote": "Oleksandr Kovalov, a member of Ukrainian parliament from the Donetsk region and a veteran "
                            "of the Soviet-Afghan war, told CNN he brokered the early stages of the negotiations."}},
        at("2022-04-25T05:00:00"))
    add("ua/negotiator", "talks.actor", CLOSED, {
        "id": "ua-budanov", "names": ["Kyrylo Budanov", "Kirill Budanov", "Кирило Буданов", "Кирилл Буданов"],
        "acts_for": "ua", "body": "Main Directorate of Intelligence (GUR)", "title": "head of the directorate",
        "source": {"kind": "named_official", "speaker": "Oleksandr Kovalyov", "body": "Verkhovna Rada of Ukraine",
                   **SEED_000, "quote": "According to the deputy, the operation was led by the Main Directorate of "
                                        "Intelligence and personally by its head, Kirill Budanov."}},
        at("2022-04-25T05:01:00"))
    add("ru/negotiator", "talks.actor", CLOSED, {
        "id": "ru-sychev", "names": ["Andrei Sychev", "Андрій Сичов", "Андрей Сычев"], "acts_for": "ru",
        "body": "Russian Army", "title": "Lieutenant General; led the assault on Mariupol",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "Lieutenant General of the Russian Army Andrei Sychev, who led the assault on Mariupol"}},
        at("2022-04-25T05:02:00"))
    add("ua/negotiator", "talks.process", CLOSED, {
        "id": BACK_CHANNEL, "title": "Azovstal back channel", "format": "back_channel", "parties": ["ua", "ru"],
        "intermediaries": [{"actor": "ua-kovalov", "acting_for": "ua",
                            "role": "people's deputy with contacts on the other side (in the FSB, seed 000)"}],
        "authorisation": "authorised", "started_on": "2022-04-25", "status": "active",
        "source": {"kind": "media_report", **SEED_000, "quote": "April 25 Kovalev made his first trip to Mariupol."},
        "note": "Led on the Ukrainian side by the Main Directorate of Intelligence (GUR) and personally by its head, "
                "Kyrylo Budanov (seed 000). No mediator. Seed 000 also says the negotiations \"began on May 25, "
                "2022\", after the agreement of 16 May it reports: the demo dates the channel from the first visit "
                "and keeps the other date as a claim beside it."}, at("2022-04-25T05:10:00"))
    add("ua/negotiator", "talks.statement", CLOSED, {
        "process": BACK_CHANNEL, "type": "claim",
        "text": "The negotiations between the Ukrainian and Russian sides began on May 25, 2022.",
        "source": {"kind": "media_report", **SEED_000, "confirmation": "disputed",
                   "quote": "this was the result of negotiations between the Ukrainian and Russian sides, which began "
                            "on May 25, 2022."}}, at("2022-04-25T05:11:00"))
    add("ua/negotiator", "talks.statement", CLOSED, {
        "process": BACK_CHANNEL, "type": "claim", "speaker": "ua-kovalov", "on_behalf": "ua",
        "text": "The operation was led by the Main Directorate of Intelligence and personally by its head, Kyrylo "
                "Budanov.",
        "source": {"kind": "named_official", "speaker": "Oleksandr Kovalyov", "body": "Verkhovna Rada of Ukraine",
                   **SEED_000, "quote": "According to the deputy, the operation was led by the Main Directorate of "
                                        "Intelligence and personally by its head, Kirill Budanov."}},
        at("2022-04-25T05:12:00"))
    visit1 = "ua-azovstal-visit-1"
    add("ua/negotiator", "talks.meeting", CLOSED, {
        "id": visit1, "process": BACK_CHANNEL, "kind": "visit", "number": 1,
        "title": "First visit to Mariupol", "status": "held", "venue": {"name": "Mariupol", "position": MARIUPOL},
        "actual_start": "2022-04-25T09:00:00Z", "time_zone": "Europe/Kyiv",
        "delegations": [{"party": "ua", "members": ["ua-kovalov"]}, {"party": "ru", "members": ["ru-sychev"]}],
        "note": "Kovalev talked with a former SBU officer who defected to the FSB in 2014 and with Lieutenant "
                "General Andrei Sychev; \"the proof of this conversation is the photo\" (seed 000; the photo is not in "
                "the demo). The hour is the demo's.",
        "source": {"kind": "media_report", **SEED_000, "quote": "April 25 Kovalev made his first trip to Mariupol."}},
        at("2022-04-25T18:00:00"))
    add("ua/negotiator", "talks.statement", CLOSED, {
        "process": BACK_CHANNEL, "type": "claim", "meeting": visit1, "speaker": "ua-kovalov", "on_behalf": "ua",
        "text": "I helped to convince the other side that saving, first of all, children, women and the wounded, "
                "would be an act of common sense, an act of humanism.",
        "source": {"kind": "named_official", "speaker": "Oleksandr Kovalev", "body": "Verkhovna Rada of Ukraine",
                   **SEED_000, "quote": "According to the People's Deputy, he helped to convince «the other side that "
                                        "saving, first of all, children, women and the wounded, would be an act of "
                                        "common sense, an act of humanism»."}}, at("2022-04-25T18:05:00"))

    # The second visit, 9 May: the GUR's first deputy, and the generals.
    add("ua/negotiator", "talks.actor", CLOSED, {
        "id": "ua-usov", "names": ["Dmytro Usov", "Dmitry Usov", "Дмитро Усов", "Дмитрий Усов"], "acts_for": "ua",
        "body": "Main Directorate of Intelligence (GUR)", "title": "first deputy head (Budanov's first deputy)",
        "source": {"kind": "media_report", **SEED_000, "quote": "Dmitry Usov, Budanov's first deputy, joined him."}},
        at("2022-05-09T05:00:00"))
    add("ru/negotiator", "talks.actor", CLOSED, {
        "id": "ru-alekseev",
        "names": ["Vladimir Alekseev", "Vladimir Alexseyev", "Володимир Алексєєв", "Владимир Алексеев"],
        "acts_for": "ru", "body": "Main Directorate of the General Staff (GRU)",
        "title": "Lieutenant General; second in command of the GRU",
        "note": "Seed 001 places him in the GRU; seed 000 calls him one of two \"intelligence generals\" who led the "
                "negotiations for Russia, and says he \"constantly took breaks in negotiations to call Moscow\". "
                "Seed 000 spells him Alekseev, seed 001 Alexseyev.",
        "source": {"kind": "media_report", **SEED_001,
                   "quote": "Lt. Gen. Vladimir Alexseyev, second in command of the GRU"}}, at("2022-05-09T05:01:00"))
    add("ru/negotiator", "talks.actor", CLOSED, {
        "id": "ru-zorin", "names": ["Alexander Zorin", "Олександр Зорін", "Александр Зорин"], "acts_for": "ru",
        "body": "Main Directorate of the General Staff (GRU)", "title": "Major General",
        "note": "Seed 001 places him in the GRU; seed 000 calls him an \"intelligence general\".",
        "source": {"kind": "media_report", **SEED_001, "quote": "Maj. Gen. Alexander Zorin, both born in Ukraine"}},
        at("2022-05-09T05:02:00"))
    add("ua/negotiator", "talks.meeting", CLOSED, {
        "id": "ua-azovstal-visit-2", "process": BACK_CHANNEL, "kind": "visit", "number": 2,
        "title": "Second visit to Mariupol", "status": "held", "venue": {"name": "Mariupol", "position": MARIUPOL},
        "actual_start": "2022-05-09T09:00:00Z", "time_zone": "Europe/Kyiv",
        "delegations": [{"party": "ua", "members": ["ua-kovalov", "ua-usov"]},
                        {"party": "ru", "members": ["ru-alekseev", "ru-zorin"]}],
        "note": "They spoke directly with the chief negotiators of the Russian side. Alekseev constantly took breaks "
                "to call Moscow; he had a direct cellular connection with Russia's Ministry of Defence (seed 000). "
                "The hour is the demo's.",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "On May 9, Kovalev returned to Mariupol for a second round of negotiations, but this time "
                            "not alone. Dmitry Usov, Budanov's first deputy, joined him. Now they spoke directly with "
                            "the chief negotiators from the Russian Federation Alekseev and Zorin."}},
        at("2022-05-09T18:00:00"))
    track = "ua-azovstal-exit-terms"
    add("ua/negotiator", "talks.track", CLOSED, {
        "id": track, "process": BACK_CHANNEL, "name": "Safe exit of the Azovstal defenders",
        "note": "\"The negotiations moved on\" after the visit of 9 May (seed 000)."}, at("2022-05-09T18:05:00"))

    # The third visit, 16 May: the meeting with Ukrainian officers, and the terms agreed.
    add("ua/negotiator", "talks.actor", CLOSED, {
        "id": "ua-prokopenko", "names": ["Denys Prokopenko", "Denis Prokopenko", "Денис Прокопенко"],
        "acts_for": "ua", "body": "«Azov»", "title": "Lieutenant Colonel, commander of «Azov»",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "battalion leader «Azov» lieutenant colonel Denis Prokopenko"}}, at("2022-05-16T06:00:00"))
    visit3 = "ua-azovstal-visit-3"
    add("ua/negotiator", "talks.meeting", CLOSED, {
        "id": visit3, "process": BACK_CHANNEL, "kind": "visit", "number": 3,
        "title": "Third visit to Mariupol: the Russian generals meet Ukrainian officers", "status": "held",
        "venue": {"name": "Mariupol", "position": MARIUPOL}, "actual_start": "2022-05-16T07:00:00Z",
        "time_zone": "Europe/Kyiv",
        "delegations": [{"party": "ua", "members": ["ua-prokopenko"]}, {"party": "ru"}],
        "participants": ["ua-kovalov"],
        "note": "The Russian generals \"who led the war\" are not named in seed 000. The hour is the demo's: the "
                "exit began the same day.",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "On May 16, a third visit to Mariupol was organized, during which a meeting of the "
                            "Russian generals who led the war with Ukrainian officers took place. One of them — "
                            "battalion leader «Azov» lieutenant colonel Denis Prokopenko."}},
        at("2022-05-16T09:00:00"))
    terms = ((STOP_AND_LEAVE, "Stop hostilities and leave the plant", STOP_AND_LEAVE_TEXT),
             (DETENTION, "Civilized conditions of detention", DETENTION_TEXT),
             (EXCHANGE, "Exchange afterwards", EXCHANGE_TEXT))
    conditions = {"kind": "named_official", "speaker": "Oleksandr Kovalev", "body": "Verkhovna Rada of Ukraine",
                  **SEED_000, "quote": TERMS_QUOTE}
    for i, (point, title, text) in enumerate(terms):
        add("ru/negotiator", "talks.point", CLOSED, {"id": point, "track": track, "title": title},
            at(f"2022-05-16T09:1{i}:00"))
        add("ru/negotiator", "talks.position", CLOSED, {
            "point": point, "position": "proposed", "text": text, "meeting": visit3, "source": conditions,
            "note": "The Russian side's conditions, as the Ukrainian intermediary reports them (seed 000)."},
            at(f"2022-05-16T09:2{i}:00"))
        add("ua/negotiator", "talks.position", CLOSED, {
            "point": point, "position": "accepted", "sha256": sha256_text(text), "meeting": visit3,
            "source": PROMISE}, at(f"2022-05-16T09:4{i}:00"))
    add("ua/negotiator", "talks.statement", CLOSED, {
        "process": BACK_CHANNEL, "type": "commitment", "meeting": visit3, "on_behalf": "ru", "said_on": "2022-05-16",
        "text": "The Russian side promised that there would be a civilized way out for the Ukrainian soldiers.",
        "source": PROMISE}, at("2022-05-16T09:50:00"))

    # How far the terms were carried out, as Ukraine assessed it, tied to the exit operation (operations/scenario.py
    # proposes it at 11:30 on 16 May, naming STOP_AND_LEAVE).
    evidence = [{"kind": "operation", "ref": EXIT_OPERATION,
                 "note": "the exit of the defenders: the seriously wounded first"}]
    add("ua/negotiator", "talks.implementation", CLOSED, {
        "point": STOP_AND_LEAVE, "level": 2, "evidence": evidence, "as_of": "2022-05-17",
        "note": "The most seriously wounded were carried out on stretchers on 16 May; on 17 May the others began to "
                "leave the plant into captivity (seed 000). Others remain inside.",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "Later that day, the most seriously wounded were carried out of the factory on stretchers. "
                            "… The next day, May 17, an endless stream of Ukrainian soldiers began their exit into "
                            "captivity."}}, at("2022-05-17T14:00:00"))
    yermak = {"kind": "named_official", "speaker": "Andriy Yermak", "body": "Office of the President of Ukraine",
              **SEED_004}
    add("ua/negotiator", "talks.implementation", CLOSED, {
        "point": STOP_AND_LEAVE, "level": 3, "evidence": evidence,
        "note": "The first stage, saving the defenders' lives, fulfilled (seed 004); \"the agreement on the safe exit "
                "of Ukrainian fighters was clearly implemented\" (Kovalev, seed 000). The day is the demo's: the "
                "seed does not date the interview.",
        "source": {**yermak, "quote": "He added that the task at the first stage was to save the lives of the "
                                      "defenders of Azovstal, and it was fulfilled."}}, at("2022-06-01T13:10:00"))
    add("ua/negotiator", "talks.implementation", CLOSED, {
        "point": EXCHANGE, "level": 0,
        "note": "Not yet begun: \"the process of their release does not stop even for an hour\" (seed 004).",
        "source": {**yermak, "quote": "Today they are engaged in the second stage – their return."}},
        at("2022-06-01T13:11:00"))


# -- the military-to-military channel (seed 002) ----------------------------------------------------------------

def military_channel(add: Add) -> None:
    """The Gerasimov–Zaluzhny channel, known only from a report citing anonymous US officials (1 December 2023):
    unconfirmed, and by that report established against the instructions of Ukraine's President."""
    add("ua/negotiator", "talks.actor", CLOSED, {
        "id": "ua-zaluzhny", "names": ["Valery Zaluzhny", "Valerii Zaluzhnyi", "Валерій Залужний", "Валерий Залужный"],
        "acts_for": "ua", "body": "Armed Forces of Ukraine", "title": "Commander-in-Chief",
        "source": {"kind": "media_report", **SEED_002,
                   "quote": "the Commander-in-Chief of the country's Armed Forces (AFU)"}}, at("2023-12-01T09:00:00"))
    add("ru/negotiator", "talks.actor", CLOSED, {
        "id": "ru-gerasimov", "names": ["Valery Gerasimov", "Валерій Герасимов", "Валерий Герасимов"],
        "acts_for": "ru", "body": "Armed Forces of the Russian Federation", "title": "senior military leader",
        "source": {"kind": "media_report", **SEED_002,
                   "quote": "secret peace talks along the line Valery Gerasimov – Valery Zaluzhny"}},
        at("2023-12-01T09:01:00"))
    anonymous = {"kind": "anonymous_officials", **SEED_002, "confirmation": "unconfirmed"}
    add("ru/negotiator", "talks.process", CLOSED, {
        "id": MILITARY_CHANNEL, "title": "Gerasimov – Zaluzhny military-to-military channel (reported)",
        "format": "military_channel", "parties": ["ru", "ua"],
        "intermediaries": [{"actor": "ru-gerasimov", "acting_for": "ru", "role": "one end of the channel"},
                           {"actor": "ua-zaluzhny", "acting_for": "ua", "role": "one end of the channel"}],
        "authorisation": "unauthorised", "status": "active",
        "source": {**anonymous,
                   "quote": "Moscow and Kyiv are conducting secret peace talks along the line Valery Gerasimov – "
                            "Valery Zaluzhny, the dialogue was established contrary to the instructions of Ukrainian "
                            "President Vladimir Zelensky and the White House. American journalist Seymour Hersh "
                            "spoke about this, citing information from anonymous US officials."},
        "note": "Known only from this report; neither party has confirmed it. By the report it was established "
                "contrary to the instructions of Ukraine's President and the White House and is conducted bypassing "
                "the Ukrainian leader. Ukraine has a decree banning negotiations with the Russian Federation; Moscow "
                "says it is ready to negotiate once the decree is lifted (seed 002)."}, at("2023-12-01T09:05:00"))
    add("ru/negotiator", "talks.statement", CLOSED, {
        "process": MILITARY_CHANNEL, "type": "claim", "said_on": "2023-12-01",
        "text": "Senior military leaders are discussing terms for peace: fixing the borders along the current front "
                "line, Russia retaining Crimea and the territories of the DPR and LPR, Kherson and Zaporizhzhia "
                "regions; Ukraine seeking to join NATO with the deployment of the alliance's troops and offensive "
                "weapons on its territory prohibited.",
        "source": {**anonymous,
                   "quote": "there is talk of fixing the borders of countries along the current front line; in this "
                            "case, Russia retains the Crimea peninsula and the territories of the Donetsk and Lugansk "
                            "People's Republics (DPR and LPR), Kherson and Zaporizhzhya regions … The Ukrainian side, "
                            "according to the journalist, is seeking permission to join NATO, but with the proviso "
                            "that the deployment of troops and offensive weapons of the alliance will be prohibited "
                            "on the territory of the republic."}}, at("2023-12-01T09:10:00"))
