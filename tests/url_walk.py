"""Walking every route of the hub: the URL resolver's routes, filled with a target's ids.

Shared by tests/test_tenancy.py (another practice's staff on every staff route)
and tests/test_isolation_matrix.py (every route and API operation, every kind
of outsider). The routes come from the resolver, so a page added later is
covered without editing either test.

"Acworth" is the target: a practice with one of everything (profiles with
cards, tags, a location, staff, a key, a tag rule); `build_world` makes it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from tests.conftest import PASSWORD, SYSTEM

from rewardshub.audit.actors import Actor
from rewardshub.campaigns.actions import QrFields, create_qr_code
from rewardshub.campaigns.models import QrLimit
from rewardshub.cards.actions import replace_card
from rewardshub.contests.actions import create_contest, enter_participants
from rewardshub.contests.queries import today_in
from rewardshub.integrations.actions import add_tag_rule, create_key
from rewardshub.integrations.models import PendingLink
from rewardshub.leads.actions import create_lead
from rewardshub.leads.models import LeadMatch
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.practices.actions import add_location, add_staff
from rewardshub.practices.models import Practice, Role

# What the staff walk leaves out, and why:
STAFF_SKIPPED_PREFIXES = (
    # The PMS API authenticates with integration keys, not staff sessions;
    # the isolation matrix walks it from the OpenAPI document.
    "api/",
    # Static files hold no practice data.
    "static/",
    # The patient portal signs in patients by card, not staff; the isolation
    # matrix walks it with patient sessions.
    "portal/",
)
MAX_COMBINATIONS = 40


@dataclass(frozen=True)
class Route:
    route: str  # "settings/tags/<uuid:public_id>/rename/"
    name: str
    converters: dict[str, Any]

    @property
    def object_kwargs(self) -> list[str]:
        return [k for k, c in self.converters.items() if isinstance(c, UUIDConverter)]


def _walk(
    resolver: URLResolver, skipped: tuple[str, ...], prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if prefix.startswith(skipped) or str(pattern).startswith(skipped):
            continue
        if not isinstance(pattern, RoutePattern):
            # A regex route could hide an object id this walker cannot fill in.
            route = f"{prefix}{pattern}"
            if not (prefix + str(pattern).lstrip("^")).startswith(skipped):
                raise AssertionError(f"Use path(), not re_path(), for {route!r}")
            continue
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, skipped, prefix + str(pattern), ns)
        elif isinstance(entry, URLPattern):
            converters = {**getattr(resolver.pattern, "converters", {}), **pattern.converters}
            yield Route(prefix + str(pattern), f"{namespace}{entry.name}", converters)


def routes(skipped: tuple[str, ...]) -> list[Route]:
    """Every route of the hub whose address starts with none of `skipped`."""
    return list(_walk(get_resolver(), skipped))


def staff_routes() -> list[Route]:
    return routes(STAFF_SKIPPED_PREFIXES)


# --- Acworth, with one of everything --------------------------------------


@dataclass
class Acworth:
    practice: Practice
    objects: dict[str, list[models.Model]]
    secrets: list[str]
    card: str
    profiles: list[Profile]


def objects_of(practice: Practice) -> dict[str, list[models.Model]]:
    """Up to two rows of every model that has a public id and belongs to the practice."""
    found: dict[str, list[models.Model]] = {"practice": [practice]}
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if {"public_id", "practice"} <= fields:
            rows = list(model._default_manager.filter(practice=practice).order_by("pk")[:2])
            if rows:
                found[model._meta.model_name] = rows
    return found


# Zebulon's chart (OT-ZEB) as the PMS sends it: it agrees with the hub, so set card links it.
ZEB_BORN = dt.date(2011, 6, 7)
ZEB_CHART = {"first_name": "Zebulon", "last_name": "Quackenbush", "birth_date": "2011-06-07"}


def build_world(acworth: Practice, issue_cards: Any, make_profile: Any) -> Acworth:
    """Zebulon (two cards, tags) and Philippa in Acworth, plus one of every setting."""
    numbers = issue_cards(acworth, 4)
    zeb = make_profile(
        acworth,
        first="Zebulon",
        last="Quackenbush",
        card=numbers[0],
        tags=("*Orthodontic Patient", "*Acworth"),
        birth_date=ZEB_BORN,
    )
    replace_card(practice=acworth, profile=zeb, raw=numbers[1], actor=SYSTEM)
    pip = make_profile(acworth, first="Philippa", last="Wobbleton")
    # A set card that waits for staff to confirm it (its window is a route of its own).
    PendingLink.objects.create(
        practice=acworth,
        system="orthotrac",
        chart_id="OT-PIP",
        profile=pip,
        data={"first_name": "Philippa", "last_name": "Wobbleton", "email": "pip@example.com"},
        differences=["birth_date"],
        expires_at=timezone.now() + dt.timedelta(minutes=30),
    )
    group = create_tag_group(practice=acworth, name="Wombat Interests", actor=SYSTEM)
    tag = create_tag(practice=acworth, group=group, name="Quokka Club", actor=SYSTEM)
    add_location(practice=acworth, name="Kennesaw Hideaway", actor=SYSTEM)
    add_staff(
        practice=acworth,
        username="acworth-hygienist",
        password=PASSWORD,
        role=Role.REWARDS,
        actor=SYSTEM,
    )
    actor = Actor.system("tests")
    create_key(practice=acworth, name="Orthotrac Acworth PC", system="orthotrac", actor=actor)
    add_tag_rule(
        practice=acworth,
        system="orthotrac",
        field="pms_status",
        value="Active Tx",
        tag=tag,
        actor=actor,
    )
    # A lead Zebulon referred, which a sync matched with Philippa (its window is a route).
    lead = create_lead(
        practice=acworth,
        data={
            "first_name": "Lavinia",
            "last_name": "Leadbetter",
            "email": "lavinia@example.com",
            "source": "referral",
        },
        actor=actor,
        referred_by=zeb,
    )
    LeadMatch.objects.create(practice=acworth, lead=lead, profile=pip, basis="email")
    # A contest Zebulon entered and a QR code (their pages are routes of their own).
    today = today_in(acworth)
    contest = create_contest(
        practice=acworth,
        data={
            "name": "Platypus Smiles",
            "starts_on": today - dt.timedelta(days=1),
            "ends_on": today + dt.timedelta(days=5),
            "rules": "Smile.",
            "participant_points": 5,
            "winner_points": 50,
        },
        actor=actor,
    )
    enter_participants(practice=acworth, contest=contest, profiles=[zeb], actor=actor)
    create_qr_code(
        practice=acworth,
        fields=QrFields(
            label="Echidna Check-in",
            points=10,
            reward_item=None,
            valid_from=today,
            valid_until=None,
            limit=QrLimit.ONCE,
            every_days=None,
            active=True,
        ),
        actor=actor,
    )
    secrets = [
        "Acworth Orthodontics",
        "Lavinia",
        "Leadbetter",
        "Zebulon",
        "Quackenbush",
        "Philippa",
        "Wobbleton",
        "Wombat Interests",
        "Quokka Club",
        "Kennesaw Hideaway",
        "Platypus Smiles",
        "Echidna Check-in",
        "acworth-hygienist",
        "Orthotrac Acworth PC",
        zeb.username,
        pip.username,
        *numbers,
    ]
    return Acworth(acworth, objects_of(acworth), secrets, numbers[2], [zeb, pip])


def snapshot(practice: Practice) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model that belongs to the practice, field by field."""
    shot = {}
    for model in apps.get_models():
        if "practice" in {f.name for f in model._meta.get_fields()}:
            rows = model._default_manager.filter(practice=practice).order_by("pk")
            concrete = [f.attname for f in model._meta.concrete_fields]
            shot[model._meta.label] = list(rows.values_list(*concrete))
    return shot


# --- Filling routes ---------------------------------------------------------


def candidates(kwarg: str, objects: dict[str, list[models.Model]]) -> list[models.Model]:
    key = kwarg.lower().replace("public_id", "").replace("_id", "").replace("_", "")
    if key:
        named = [o for name, rows in objects.items() if key in name or name in key for o in rows]
        if named:
            return named
    return [o for rows in objects.values() for o in rows]


_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def fill(route: Route, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in values:
            return values[name]
        if isinstance(route.converters.get(name), IntConverter):
            return "1"
        # str, slug, path (a launch token, say): an opaque value that is no Acworth object.
        return "tenancy-probe-" + uuid.uuid4().hex

    return "/" + _PARAMETER.sub(value, route.route)


def payloads(world: Acworth) -> list[dict[str, str]]:
    """Form bodies whose every field points at Acworth's objects."""
    objects = world.objects
    tag = next(t for t in objects["tag"] if isinstance(t, Tag))
    common = {
        "card_number": world.card,
        "confirm_card_number": world.card,
        "first_name": "Probe",
        "last_name": "Visitor",
        "location": str(objects["location"][0].public_id),
        "status_tag": str(tag.public_id),
        "op": "add",
        "tag": str(tag.public_id),
        "group": str(objects["taggroup"][0].public_id),
        "practice": world.practice.public_id.hex,
        "name": "probe",
        "system": "orthotrac",
        "field": "pms_status",
        "value": "Probe",
        "origins": "https://probe.example",
        "role": Role.REWARDS,
        "username": "probe-user",
        "password": "probe-password-long",
        "count": "1",
        "label": "probe",
        "confirm": "yes",
        "active": "0",
        "time_zone": "UTC",
        "idle_timeout_minutes": "15",
    }
    profile = next(p for p in objects["profile"] if isinstance(p, Profile))
    return [
        {**common, "q": profile.username, "patient": profile.username},
        {**common, "q": profile.full_name, "patient": profile.last_name},
    ]


def ensure_signed_in(client: Client, user: Any) -> None:
    # Some routes sign out (logout) or replace the session (launch); start again.
    if str(client.session.get("_auth_user_id")) != str(user.pk):
        client.force_login(user)


def attempts(
    route: Route, objects: dict[str, list[models.Model]], limit: int = MAX_COMBINATIONS
) -> Iterator[str]:
    """The route's address with its object ids filled from `objects`, every combination."""
    kwargs = route.object_kwargs
    pools = [candidates(k, objects) for k in kwargs]
    for combo in itertools.islice(itertools.product(*pools), limit):
        yield fill(route, {k: str(o.public_id) for k, o in zip(kwargs, combo, strict=True)})


def leaked(world: Acworth, body: str, sent: str = "") -> list[str]:
    """Acworth's secrets in a body; what the request itself sent is no leak (forms echo it)."""
    return [s for s in world.secrets if s in body and s not in sent]
