"""Deterministic article text for the simulated outlet.

Everything here is a pure function of ``(seed, article id)``: two outlets built with the
same seed publish byte-identical articles, so a test can compare captures across runs and
a benchmark can be repeated. The texts are built from word lists in Press TV's register;
they only need to look like news to an extractor, not to a reader.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

SECTIONS: dict[int, str] = {
    101: "Iran",
    102: "West Asia",
    10202: "Palestine",
    103: "US",
    104: "Asia-Pacific",
    105: "Africa",
    106: "Europe",
    107: "Americas",
    108: "UK",
}
"""Section ids and names as the real site numbers them (see PRESSTV.md)."""

ID_ANCHOR = 777400
"""Article id published at noon UTC on :data:`ANCHOR_DAY`; ids rise :data:`IDS_PER_DAY`."""
ANCHOR_DAY = date(2026, 11, 20)
IDS_PER_DAY = 67.5
CDN = "http://cdn.presstv.ir"

_TOPICS: dict[int, tuple[str, ...]] = {
    101: ("Iran", "Politics", "Defense", "Economy"),
    102: ("Syria", "Iraq", "Lebanon", "Yemen"),
    10202: ("Palestine", "Gaza", "West Bank"),
    103: ("US", "Politics", "Society"),
    104: ("Asia-Pacific", "China", "Pakistan"),
    105: ("Africa", "Sudan", "Sahel"),
    106: ("Europe", "Russia", "Ukraine"),
    107: ("Americas", "Venezuela", "Cuba"),
    108: ("UK", "Politics", "Society"),
}
_SECTION_PATTERN = (102, 101, 102, 10202, 103, 102, 104, 101, 105, 102, 106, 107, 102, 108, 101, 102)
"""West Asia gets a third of the articles so its section pages paginate even for 30 articles."""

_ACTORS: dict[int, tuple[str, ...]] = {
    101: ("Iran's foreign minister", "Tehran", "Iranian lawmakers", "The IRGC", "Iran's president"),
    102: ("Damascus", "Baghdad", "Hezbollah", "Yemen's Ansarullah", "Iraqi resistance groups"),
    10202: ("Hamas", "Palestinian officials", "UN rapporteur", "Gaza health ministry"),
    103: ("The Pentagon", "US senators", "Washington", "The White House", "US protesters"),
    104: ("Beijing", "Islamabad", "North Korea", "Indian farmers", "Afghanistan's caretakers"),
    105: ("The African Union", "Sudan's army", "Niger's junta", "South Africa"),
    106: ("Moscow", "The Kremlin", "EU ministers", "French unions", "Berlin"),
    107: ("Caracas", "Havana", "Brazil's president", "Bolivian miners"),
    108: ("Downing Street", "British activists", "UK MPs", "London police"),
}
_VERBS = (
    "slams",
    "rejects",
    "warns of",
    "condemns",
    "hails",
    "vows to resist",
    "calls for probe into",
    "denounces",
    "welcomes",
    "demands end to",
)
_OBJECTS = (
    "new sanctions",
    "Israeli aggression",
    "Western hypocrisy",
    "NATO expansion",
    "arms shipments",
    "illegal occupation",
    "naval blockade",
    "election interference",
    "drone strikes",
    "economic terrorism",
    "trade deal",
    "peace initiative",
)
_PLACES = (
    "",
    "",
    " in Gaza",
    " at UN",
    " in Geneva",
    " amid regional tensions",
    " after talks",
    " in Beirut",
    " as crisis deepens",
    " near border",
)
_AGENCIES = ("AFP", "Reuters", "AP", "Getty Images", "IRNA", "Press TV")
_OPENERS = (
    "In a statement on {day}, {actor} said",
    "Speaking to reporters, {actor} said",
    "According to a report published by local media, {actor} said",
    "{actor} said in a televised address",
    "In remarks carried by state media, {actor} said",
)
_CLAIMS = (
    "the move was a clear violation of international law",
    "the region would not accept dictation",
    "the latest measures would only deepen the crisis",
    "talks could resume if the demands were met",
    "the sanctions had failed to achieve their stated aims",
    "civilians were paying the price",
    "Western capitals bore responsibility for the escalation",
    "the decision was long overdue",
)
_FOLLOWUPS = (
    "Observers say the remarks reflect growing frustration in the region.",
    "The statement came hours after a meeting of senior officials.",
    "Critics dismissed the claims as propaganda.",
    "The United Nations has called for restraint on all sides.",
    "Analysts expect the issue to dominate the coming summit.",
    "No official response has yet been issued by Washington.",
    "Thousands took to the streets on Friday to voice their support.",
    "The ministry said further details would be released in the coming days.",
)
_SCENES = (
    "People gather near the site",
    "Demonstrators hold placards",
    "Officials attend a meeting",
    "Smoke rises over the area",
    "Soldiers stand guard",
    "Delegates arrive for talks",
)

_WRITERS = ("Sara Karimi", "Tom Ashworth", "Reza Molavi", "Leila Haddad", "Press TV Website Staff")
"""Invented names: the simulation signs some articles but never in a real journalist's name."""
BYLINE_SHARE = 0.25
"""Most Press TV articles carry no byline; analysis and opinion pieces do."""

SAMPLE_SECTION, SAMPLE_TOPIC = 102, "Syria"
SAMPLE_HEADLINE = "Russia: White Helmets plotting false-flag chemical attack in Syria's Idlib to accuse Damascus"
SAMPLE_PARAGRAPHS: tuple[str, ...] = (
    "Russia's military says members of the so-called White Helmets group are preparing to stage a "
    "false-flag chemical attack in Syria's northwestern province of Idlib in order to blame the "
    "government in Damascus.",
    "The head of the Russian Center for Reconciliation of the Opposing Parties in Syria said on "
    "Wednesday that the center had received information about the plot from residents of the town "
    "of Saraqib.",
    "According to the official, militants had delivered several containers of toxic substances to "
    "a warehouse on the outskirts of the town earlier this week.",
    "He said the members of the group were planning to film the aftermath of a staged attack and "
    "distribute the footage through social media and foreign news outlets.",
    '"The purpose of the provocation is to accuse the Syrian government forces of using chemical '
    'weapons against civilians," the official said.',
    "He added that the staged attack was intended to provide a pretext for strikes by Western "
    "countries on Syrian government targets.",
    "The Russian military has repeatedly warned of similar plots in the past, saying the White "
    "Helmets collaborate closely with militant groups in Idlib.",
    "The White Helmets, who present themselves as a civil defense organization, have been funded "
    "by the United States, Britain and other Western governments.",
    "Damascus has consistently denied using chemical weapons and says it surrendered its stockpile "
    "under a 2013 deal supervised by the Organization for the Prohibition of Chemical Weapons.",
    "Syrian officials say the militants have staged several such incidents over the years to "
    "discredit the government and draw foreign military intervention.",
    "In April 2018, the United States, Britain and France launched missile strikes on Syria over an "
    "alleged chemical attack in the town of Douma, which Damascus and Moscow said was staged.",
    "Leaked documents later showed that some inspectors of the chemical weapons watchdog had "
    "disputed the findings of its final report on the Douma incident.",
    "Idlib remains the last major stronghold of foreign-backed militants in Syria, most of them "
    "affiliated with the Hay'at Tahrir al-Sham terrorist group.",
    "The Russian official called on international organizations to take the warnings seriously and "
    "to refrain from drawing hasty conclusions from footage circulated by the militants.",
    "Syrian army repels militant attack in Hama countryside",
    "Syrian army units have repelled an attack by militants on military positions in the northern "
    "countryside of Hama province, the official SANA news agency reports.",
    "The army said several militants were killed and their vehicles destroyed in the clashes, "
    "which lasted for several hours.",
    "Engineering units later cleared the area of explosive devices left behind by the attackers.",
    "Residents of nearby villages said they had returned to their homes after the fighting ended.",
)
SAMPLE_CAPTIONS = (
    (0, "A member of the White Helmets group inspects a site in the province of Idlib, Syria. (Photo by AFP)"),
    (15, "Syrian army soldiers stand guard in the northern countryside of Hama. (Photo by SANA)"),
    (18, "Army engineers clear explosive devices from a road in Hama province. (Photo by SANA)"),
)


def id_at(moment: datetime) -> int:
    """The id the outlet would give an article published at ``moment`` (aware)."""
    noon = datetime.combine(ANCHOR_DAY, time(12), tzinfo=UTC)
    return round(ID_ANCHOR + (moment - noon).total_seconds() / 86400 * IDS_PER_DAY)


def moment_of(article_id: int) -> datetime:
    """Inverse of :func:`id_at`, to the second: the publication time implied by an id."""
    noon = datetime.combine(ANCHOR_DAY, time(12), tzinfo=UTC)
    return noon + timedelta(seconds=round((article_id - ID_ANCHOR) / IDS_PER_DAY * 86400))


def sample_moment(today: date) -> datetime:
    """The sample article is always two days old, published at 8:20 AM UTC."""
    return datetime.combine(today - timedelta(days=2), time(8, 20), tzinfo=UTC)


def slugify(headline: str) -> str:
    """A slug as the real site builds it: words joined by hyphens, punctuation dropped."""
    words = re.findall(r"[\w\u2019']+", headline)
    return "-".join(w.replace("'", "") for w in words)


def quirky_slug(headline: str, quirk: int) -> str:
    """Reproduce the real site's slug oddities: commas, doubled and trailing hyphens, escapes.

    ``quirk`` 0 means a plain slug; 1-3 are the shapes seen in real URLs. Non-ASCII letters
    (a curly apostrophe) are always percent-encoded, as in the real links.
    """
    slug = slugify(headline)
    if quirk == 1:
        slug = slug.replace("-", ",-", 1)
    elif quirk == 2:
        slug = slug.replace("-", "--", 1)
    elif quirk == 3:
        slug += "-"
    return quote(slug, safe="-,")


def photo_url(rng: random.Random, day: date) -> str:
    """A cdn.presstv.ir photo URL (only ever written into markup, never fetched)."""
    name = uuid.UUID(int=rng.getrandbits(128), version=4)
    return f"{CDN}/Photo/{day.year}/{day.month}/{day.day}/{name}.jpg"


def article_rng(seed: int, article_id: int) -> random.Random:
    """One independent generator per article, so adding articles never changes the others."""
    return random.Random(f"presstv:{seed}:{article_id}")


def section_for(index: int, seed: int) -> int:
    """Section of the ``index``-th generated article (newest is 0), weighted toward West Asia."""
    return _SECTION_PATTERN[(index + seed) % len(_SECTION_PATTERN)]


def topic_for(rng: random.Random, section: int) -> str:
    """The breadcrumb label after "News /" (e.g. "Syria" under West Asia)."""
    return rng.choice(_TOPICS[section])


def headline_for(rng: random.Random, section: int, *, apostrophe: bool = False) -> str:
    """A headline from the word lists; ``apostrophe`` forces a curly one (a percent-encoded slug)."""
    actor = rng.choice(_ACTORS[section])
    thing = "Sa\u2019ar\u2019s remarks" if apostrophe else rng.choice(_OBJECTS)
    text = f"{actor} {rng.choice(_VERBS)} {thing}{rng.choice(_PLACES)}"
    return text[0].upper() + text[1:]


def paragraphs_for(rng: random.Random, section: int, day: date) -> list[str]:
    """Four to ten paragraphs of two or three sentences each."""
    paragraphs = []
    for _ in range(rng.randint(4, 10)):
        actor = rng.choice(_ACTORS[section])
        opener = rng.choice(_OPENERS).format(actor=actor, day=day.strftime("%A"))
        sentences = [f"{opener} {rng.choice(_CLAIMS)}."]
        for _ in range(rng.randint(1, 2)):
            sentences.append(rng.choice(_FOLLOWUPS))
        paragraphs.append(" ".join(sentences))
    return paragraphs


def byline_for(seed: int, article_id: int) -> str:
    """The writer of a quarter of the articles, "" for the rest.

    Drawn from a generator of its own, so that adding bylines changed no other generated text.
    """
    rng = random.Random(f"byline:{seed}:{article_id}")
    return rng.choice(_WRITERS) if rng.random() < BYLINE_SHARE else ""


def caption_for(rng: random.Random, topic: str) -> str:
    """A photo caption ending with its credit, "(Photo by AFP)" style."""
    return f"{rng.choice(_SCENES)} in {topic}. (Photo by {rng.choice(_AGENCIES)})"
