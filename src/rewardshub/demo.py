"""The demo data `make run` loads: two practices, their staff, patients and cards.

A top-level module, above every app: it fills practices, patients, cards,
points and the PMS integration alike, so no app has to import a higher one.

`load_demo` is idempotent. A practice whose slug exists is not created again
(its staff are added if missing, nothing else), so a second run issues no
cards and creates no duplicates, and the returned description is the same.

Points come from the reward menu (staff give them at a visit) and from
automatic rules: the simulated practice pays for kept visits, arriving on
time and booking the next visit (from the PMS's appointments), and every
practice pays birthdays (`rewardshub automations run`). So the menu has no
manual "Birthday" or "Referral" item, which would pay twice beside them
(automations/demo.py, points/demo.py). A few patients have asked for mail
(notify/demo.py), so the mail preview and the points digest have someone.

Card temporary passwords are stored only as hashes, so they cannot be read
back: the first run returns them from the new batch, and later runs carry
them over from the previous demo.json (`previous`) when there is one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from rewardshub.audit.actors import Actor
from rewardshub.automations.demo import ensure_demo_rules
from rewardshub.cards.batches import issue_batch
from rewardshub.cards.models import BatchSource, Card, CardState
from rewardshub.cards.queries import available_cards
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.integrations import demo as integration
from rewardshub.notify.demo import ensure_demo_mail
from rewardshub.patients.actions import add_tag, create_profile
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.points.demo import ensure_demo_points
from rewardshub.points.models import Prize
from rewardshub.points.prize_actions import create_prize
from rewardshub.practices.actions import add_staff, create_practice
from rewardshub.practices.models import Location, Membership, Practice, Role

# The simulator stands in for this practice's Orthotrac.
SIMULATED_PRACTICE = "acworth"
DEMO_PASSWORD = "rewardshub-demo"  # noqa: S105 - printed for everyone on purpose
ACTOR = Actor.system("demo data")


@dataclass(frozen=True)
class DemoPatient:
    first: str
    last: str
    birth_date: str
    email: str
    phone: str
    responsible: str
    card: bool
    location: str | None
    tags: tuple[str, ...] = ()
    preferred: str = ""


@dataclass(frozen=True)
class DemoPractice:
    name: str
    slug: str
    locations: tuple[str, ...]
    staff: tuple[tuple[str, str], ...]
    batch_size: int
    patients: tuple[DemoPatient, ...]
    custom_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


# Emma Johnson matches the Orthotrac simulator's chart OT-10004 by name, for
# the seed's "already in the Hub with a card but not sync'd" workflow; no other
# name here may match a simulator chart (those are new patients).
ACWORTH = DemoPractice(
    name="Acworth Orthodontics",
    slug="acworth",
    locations=("Acworth", "Marietta"),
    staff=(("owner", Role.OWNER), ("frontdesk", Role.REWARDS)),
    batch_size=100,
    custom_groups={"Interests": ("Sports", "Music", "Gaming")},
    patients=(
        DemoPatient("Emma", "Johnson", "2010-05-09", "johnson.family@example.com",
                    "770-555-0104", "Karen Johnson", True, "Acworth",
                    ("*Orthodontic Patient", "*Acworth", "Sports")),
        DemoPatient("Olivia", "Chen", "2011-08-21", "chen.olivia@example.com",
                    "770-555-0121", "Wei Chen", True, "Marietta",
                    ("*Orthodontic Patient", "*Marietta", "Music")),
        DemoPatient("Ethan", "Williams", "2009-02-11", "williams.home@example.com",
                    "678-555-0122", "Jessica Williams", True, "Acworth",
                    ("*Retainer Patient", "*Acworth", "Gaming")),
        DemoPatient("Isabella", "Rossi", "2012-12-03", "rossi.family@example.com",
                    "770-555-0123", "Marco Rossi", True, "Acworth",
                    ("*Orthodontic Patient", "*Acworth", "Sports", "Music"), preferred="Bella"),
        DemoPatient("Jackson", "Reed", "1988-06-17", "jackson.reed@example.com",
                    "404-555-0124", "", True, "Marietta", ("*Adult Patient", "*Marietta")),
        # No card yet (orange "Connect Card") and no location tag ("Missing tags").
        DemoPatient("Mia", "Thompson", "2014-04-25", "thompson.mia@example.com",
                    "678-555-0125", "Rachel Thompson", False, None, ("*Future Patient",)),
    ),
)

RIVERSIDE = DemoPractice(
    name="Riverside Dental",
    slug="riverside",
    locations=("Riverside",),
    staff=(("riverside", Role.OWNER),),
    batch_size=20,
    patients=(
        DemoPatient("Lucas", "Greene", "2010-10-02", "greene.family@example.com",
                    "912-555-0131", "Amy Greene", True, "Riverside",
                    ("*Orthodontic Patient", "*Riverside")),
        DemoPatient("Chloe", "Bennett", "2008-03-29", "bennett.chloe@example.com",
                    "912-555-0132", "Tom Bennett", True, "Riverside",
                    ("*Retainer Patient", "*Riverside")),
        DemoPatient("Owen", "Fischer", "2013-07-14", "fischer.home@example.com",
                    "912-555-0133", "Nina Fischer", False, "Riverside",
                    ("*Future Patient", "*Riverside")),
    ),
)

DEMO_PRACTICES = (ACWORTH, RIVERSIDE)


def _ensure_staff(practice: Practice, demo: DemoPractice) -> None:
    users = get_user_model().objects
    for username, role in demo.staff:
        user = users.filter(username=username).first()
        if user is not None and Membership.objects.filter(practice=practice, user=user).exists():
            continue
        add_staff(practice=practice, username=username, password=DEMO_PASSWORD, role=role,
                  actor=ACTOR)


def _create(demo: DemoPractice) -> dict[str, str]:
    """Create the practice with everything in it; return every issued card's temp password.

    The demo patients' cards keep theirs too, so a demo patient can try the portal.
    """
    practice = create_practice(
        name=demo.name, slug=demo.slug, actor=ACTOR, locations=demo.locations
    )
    _ensure_staff(practice, demo)
    for group_name, tag_names in demo.custom_groups.items():
        group = create_tag_group(practice=practice, name=group_name, actor=ACTOR)
        for tag_name in tag_names:
            create_tag(practice=practice, group=group, name=tag_name, actor=ACTOR)
    issued = issue_batch(practice=practice, count=demo.batch_size, actor=ACTOR, label="Demo batch")
    unused = list(issued)
    tags = {tag.name: tag for tag in Tag.objects.filter(practice=practice).select_related("group")}
    locations = {loc.name: loc for loc in Location.objects.filter(practice=practice)}
    for patient in demo.patients:
        card = unused.pop(0).number if patient.card else None
        data: dict[str, Any] = {
            "first_name": patient.first,
            "last_name": patient.last,
            "preferred_name": patient.preferred,
            "birth_date": dt.date.fromisoformat(patient.birth_date),
            "email": patient.email,
            "phone_mobile": patient.phone,
            "responsible_party": patient.responsible,
            "location": locations.get(patient.location) if patient.location else None,
        }
        profile = create_profile(practice=practice, data=data, actor=ACTOR, card_raw=card)
        for name in patient.tags:
            add_tag(practice=practice, profile=profile, tag=tags[name], actor=ACTOR)
    return {card.number: card.temp_password for card in issued}


# Prize catalog: (name, points cost, stock or None for no limit, description).
DEMO_PRIZES = (
    ("Sticker pack", 10, None, "A sheet of glow-in-the-dark stickers."),
    ("Fidget toy", 25, None, "Pick one from the basket at the front desk."),
    ("Movie tickets", 150, None, "Two tickets for the local cinema."),
    ("Headphones", 300, 3, "Wireless over-ear headphones."),
    ("Gift card", 500, None, "A $25 gift card."),
)


def _ensure_prizes(practice: Practice) -> None:
    """Add the demo prizes a practice lacks (by name); existing ones are left as they are."""
    have = set(Prize.objects.filter(practice=practice).values_list("name", flat=True))
    for name, cost, stock, description in DEMO_PRIZES:
        if name not in have:
            create_prize(
                practice=practice, actor=ACTOR, name=name, cost=cost, stock=stock,
                description=description,
            )


def _previous_passwords(previous: dict[str, Any] | None, slug: str) -> dict[str, str]:
    for entry in (previous or {}).get("practices", []):
        if isinstance(entry, dict) and entry.get("slug") == slug:
            passwords = entry.get("cards_available_passwords")
            known = dict(passwords) if isinstance(passwords, dict) else {}
            for profile in entry.get("profiles") or []:
                card = profile.get("card") if isinstance(profile, dict) else None
                if card and profile.get("temp_password"):
                    known[card] = profile["temp_password"]
            return known
    return {}


def describe_practice(practice: Practice, demo: DemoPractice, passwords: dict[str, str]) -> dict:
    # A card a PMS set as someone's username is theirs alone: never offered.
    available = list(
        available_cards(practice)
        .filter(batch__source=BatchSource.ISSUED)
        .order_by("number")
        .values_list("number", flat=True)
    )
    active = dict(
        Card.objects.filter(practice=practice, state=CardState.ACTIVE).values_list(
            "profile_id", "number"
        )
    )
    # A demo patient's card password, while it still opens the portal's first log-in.
    hashes = dict(
        Card.objects.filter(practice=practice, number__in=list(passwords)).values_list(
            "number", "temp_password_hash"
        )
    )

    def usable(number: str | None) -> str | None:
        known = passwords.get(number or "")
        if known and check_temp_password(known, hashes.get(number or "", "")):
            return known
        return None

    def profile_entry(p: Profile) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "username": p.username,
            "name": p.full_name,
            "card": active.get(p.pk),
        }
        temp_password = usable(active.get(p.pk))
        if temp_password:
            entry["temp_password"] = temp_password
        return entry

    profiles = Profile.objects.filter(practice=practice).order_by("last_name", "first_name", "pk")
    return {
        "slug": practice.slug,
        "name": practice.name,
        "staff": [
            {"username": username, "password": DEMO_PASSWORD, "role": str(role)}
            for username, role in demo.staff
        ],
        "cards_available": available,
        "cards_available_passwords": {n: passwords[n] for n in available if n in passwords},
        "cards_with_temp_passwords": [
            {"number": n, "temp_password": passwords[n]} for n in available if n in passwords
        ],
        "profiles": [profile_entry(p) for p in profiles],
    }


def load_demo(
    hub_url: str, *, pms_sim_url: str | None = None, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create whatever of the demo is missing; return the demo.json structure."""
    described = []
    for demo in DEMO_PRACTICES:
        with transaction.atomic():
            # One transaction per practice: a failure half-way leaves no
            # half-made practice that a second run would then skip.
            practice = Practice.objects.filter(slug=demo.slug).first()
            if practice is None:
                passwords = _create(demo)
                practice = Practice.objects.get(slug=demo.slug)
            else:
                _ensure_staff(practice, demo)
                passwords = _previous_passwords(previous, demo.slug)
            integration.ensure_tag_mapping(practice, ACTOR)
            ensure_demo_points(practice, ACTOR)
            ensure_demo_rules(practice, ACTOR, simulated=demo.slug == SIMULATED_PRACTICE)
            _ensure_prizes(practice)
            ensure_demo_mail(practice, ACTOR)
            api_key = integration.ensure_key(practice, previous, ACTOR)
            if pms_sim_url and demo.slug == SIMULATED_PRACTICE:
                integration.ensure_frame_origin(practice, pms_sim_url, ACTOR)
        entry = describe_practice(practice, demo, passwords)
        entry["api_key"] = api_key
        entry["portal_url"] = hub_url.rstrip("/") + "/portal/"
        described.append(entry)
    result: dict[str, Any] = {"hub_url": hub_url}
    if pms_sim_url:
        result["pms_sim_url"] = pms_sim_url
    result["practices"] = described
    acworth = Practice.objects.get(slug=SIMULATED_PRACTICE)
    result["charts"] = integration.simulator_charts(acworth)
    return result
