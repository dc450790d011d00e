"""Tenant isolation on every staff route: Riverside staff never reach Acworth's data.

The routes come from the URL resolver itself, so a page added later is
covered without editing this file. Each <uuid:...> argument is filled with
the public id of an Acworth object (profile, tag, tag group, location,
membership, card batch, integration key, ...), and each route is tried with
GET and two POSTs (one whose fields point at Acworth objects) as the owner
of Riverside. Routes with an object id must answer 404 (405 for a method
the route does not take, which depends on nothing stored); routes without
one may answer anything but a server error. No answer may contain Acworth's
names, usernames or card numbers, and Acworth's data must be unchanged.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern
from tests.conftest import PASSWORD, SYSTEM

from rewardshub.audit.actors import Actor
from rewardshub.cards.actions import replace_card
from rewardshub.cards.models import Card
from rewardshub.integrations.actions import add_tag_rule, create_key
from rewardshub.patients.models import Profile, ProfileTag, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.practices.actions import add_location, add_staff
from rewardshub.practices.models import Practice, Role

SKIPPED_PREFIXES = (
    # The PMS API authenticates with integration keys, not staff sessions; the
    # integration tests cover its tenancy (a key of another practice is a 404).
    "api/",
    # Static files hold no practice data.
    "static/",
    # The patient portal signs in patients by card, not staff; its own tests
    # cover one patient never reaching another's data.
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


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if prefix.startswith(SKIPPED_PREFIXES) or str(pattern).startswith(SKIPPED_PREFIXES):
            continue
        if not isinstance(pattern, RoutePattern):
            # A regex route could hide an object id this walker cannot fill in.
            route = f"{prefix}{pattern}"
            if not (prefix + str(pattern).lstrip("^")).startswith(SKIPPED_PREFIXES):
                raise AssertionError(f"Use path(), not re_path(), for {route!r}")
            continue
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(pattern), ns)
        elif isinstance(entry, URLPattern):
            converters = {**getattr(resolver.pattern, "converters", {}), **pattern.converters}
            yield Route(prefix + str(pattern), f"{namespace}{entry.name}", converters)


def staff_routes() -> list[Route]:
    return list(_walk(get_resolver()))


# --- Acworth, with one of everything --------------------------------------


@dataclass
class Acworth:
    practice: Practice
    objects: dict[str, list[models.Model]]
    secrets: list[str]
    card: str


def _objects_of(practice: Practice) -> dict[str, list[models.Model]]:
    """Up to two rows of every model that has a public id and belongs to the practice."""
    found: dict[str, list[models.Model]] = {"practice": [practice]}
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if {"public_id", "practice"} <= fields:
            rows = list(model._default_manager.filter(practice=practice).order_by("pk")[:2])
            if rows:
                found[model._meta.model_name] = rows
    return found


@pytest.fixture
def acworth_world(
    acworth: Practice, owner: Any, issue_cards: Any, make_profile: Any, outsider: Any
) -> Acworth:
    numbers = issue_cards(acworth, 4)
    zeb = make_profile(
        acworth,
        first="Zebulon",
        last="Quackenbush",
        card=numbers[0],
        tags=("*Orthodontic Patient", "*Acworth"),
    )
    replace_card(practice=acworth, profile=zeb, raw=numbers[1], actor=SYSTEM)
    pip = make_profile(acworth, first="Philippa", last="Wobbleton")
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
    secrets = [
        "Acworth Orthodontics",
        "Zebulon",
        "Quackenbush",
        "Philippa",
        "Wobbleton",
        "Wombat Interests",
        "Quokka Club",
        "Kennesaw Hideaway",
        "acworth-hygienist",
        "Orthotrac Acworth PC",
        zeb.username,
        pip.username,
        *numbers,
    ]
    return Acworth(acworth, _objects_of(acworth), secrets, numbers[2])


def _snapshot(practice: Practice) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model that belongs to the practice, field by field."""
    shot = {}
    for model in apps.get_models():
        if "practice" in {f.name for f in model._meta.get_fields()}:
            rows = model._default_manager.filter(practice=practice).order_by("pk")
            concrete = [f.attname for f in model._meta.concrete_fields]
            shot[model._meta.label] = list(rows.values_list(*concrete))
    return shot


# --- The walk ---------------------------------------------------------------


def _candidates(kwarg: str, objects: dict[str, list[models.Model]]) -> list[models.Model]:
    key = kwarg.lower().replace("public_id", "").replace("_id", "").replace("_", "")
    if key:
        named = [o for name, rows in objects.items() if key in name or name in key for o in rows]
        if named:
            return named
    return [o for rows in objects.values() for o in rows]


_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def _fill(route: Route, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in values:
            return values[name]
        if isinstance(route.converters.get(name), IntConverter):
            return "1"
        # str, slug, path (a launch token, say): an opaque value that is no Acworth object.
        return "tenancy-probe-" + uuid.uuid4().hex

    return "/" + _PARAMETER.sub(value, route.route)


def _payloads(world: Acworth) -> list[dict[str, str]]:
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


def _ensure_signed_in(client: Client, user: Any) -> None:
    # Some routes sign out (logout) or replace the session (launch); start again.
    if str(client.session.get("_auth_user_id")) != str(user.pk):
        client.force_login(user)


def _attempts(route: Route, world: Acworth) -> Iterator[str]:
    kwargs = route.object_kwargs
    pools = [_candidates(k, world.objects) for k in kwargs]
    for combo in itertools.islice(itertools.product(*pools), MAX_COMBINATIONS):
        yield _fill(route, {k: str(o.public_id) for k, o in zip(kwargs, combo, strict=True)})


def test_it_walks_the_known_staff_routes() -> None:
    names = {r.name for r in staff_routes()}
    assert {
        "patients:detail",
        "patients:tags",
        "cards:connect",
        "cards:replace",
        "cards:batches",
        "cards:batch_download",
        "practice_settings",
        "settings_tag_delete",
        "settings_staff_remove",
        "settings_location_rename",
        "audit:log",
    } <= names
    assert not any(r.route.startswith(SKIPPED_PREFIXES) for r in staff_routes())


def test_it_keeps_every_acworth_object_away_from_riverside_staff(
    acworth_world: Acworth, outsider: Any, riverside: Practice
) -> None:
    world = acworth_world
    assert {"profile", "tag", "taggroup", "location", "membership", "cardbatch"} <= set(
        world.objects
    )
    before = _snapshot(world.practice)
    # A server error is reported with the others rather than stopping the walk.
    client = Client(raise_request_exception=False)
    problems: list[str] = []
    for route in staff_routes():
        has_object = bool(route.object_kwargs)
        for path in _attempts(route, world):
            statuses = []
            for method, data in [("get", None)] + [("post", p) for p in _payloads(world)]:
                _ensure_signed_in(client, outsider)
                response = getattr(client, method)(path, data) if data else client.get(path)
                statuses.append(response.status_code)
                body = response.content.decode(errors="replace")
                # A form may echo what was typed into it; that is no leak.
                sent = " ".join((data or {}).values())
                leaked = [s for s in world.secrets if s in body and s not in sent]
                if leaked:
                    problems.append(f"{method.upper()} {path} ({route.name}) shows {leaked}")
                if has_object and response.status_code not in (404, 405):
                    problems.append(
                        f"{method.upper()} {path} ({route.name}) answered "
                        f"{response.status_code}, not 404"
                    )
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {path} ({route.name}) failed")
            if has_object and 404 not in statuses:
                problems.append(f"{path} ({route.name}) never looked its object up: {statuses}")
    assert problems == [], "\n".join(problems)
    assert _snapshot(world.practice) == before
    # Nothing Riverside did links its rows to Acworth's.
    assert not ProfileTag.objects.exclude(tag__practice=models.F("profile__practice")).exists()
    assert not ProfileTag.objects.exclude(practice=models.F("profile__practice")).exists()
    assert (
        not Card.objects.filter(profile__isnull=False)
        .exclude(practice=models.F("profile__practice"))
        .exists()
    )
    assert (
        not Profile.objects.filter(location__isnull=False)
        .exclude(practice=models.F("location__practice"))
        .exists()
    )
