"""Tenant isolation on every staff route: Riverside staff never reach Acworth's data.

The routes come from the URL resolver itself (tests/url_walk.py), so a page added later is
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

from typing import Any

import pytest
from django.db import models
from django.test import Client
from tests.url_walk import (
    STAFF_SKIPPED_PREFIXES,
    Acworth,
    attempts,
    build_world,
    ensure_signed_in,
    leaked,
    payloads,
    snapshot,
    staff_routes,
)

from rewardshub.cards.models import Card
from rewardshub.patients.models import Profile, ProfileTag
from rewardshub.practices.models import Practice


@pytest.fixture
def acworth_world(
    acworth: Practice, owner: Any, issue_cards: Any, make_profile: Any, outsider: Any
) -> Acworth:
    return build_world(acworth, issue_cards, make_profile)


def test_it_walks_the_known_staff_routes() -> None:
    names = {r.name for r in staff_routes()}
    assert {
        "patients:detail",
        "patients:tags",
        "cards:connect",
        "cards:replace",
        "cards:batches",
        "cards:batch_issue",
        "practice_settings",
        "settings_tag_delete",
        "settings_staff_remove",
        "settings_location_rename",
        "audit:log",
    } <= names
    assert not any(r.route.startswith(STAFF_SKIPPED_PREFIXES) for r in staff_routes())


def test_it_keeps_every_acworth_object_away_from_riverside_staff(
    acworth_world: Acworth, outsider: Any, riverside: Practice
) -> None:
    world = acworth_world
    assert {"profile", "tag", "taggroup", "location", "membership", "cardbatch"} <= set(
        world.objects
    )
    before = snapshot(world.practice)
    # A server error is reported with the others rather than stopping the walk.
    client = Client(raise_request_exception=False)
    problems: list[str] = []
    for route in staff_routes():
        has_object = bool(route.object_kwargs)
        for path in attempts(route, world.objects):
            statuses = []
            for method, data in [("get", None)] + [("post", p) for p in payloads(world)]:
                ensure_signed_in(client, outsider)
                response = getattr(client, method)(path, data) if data else client.get(path)
                statuses.append(response.status_code)
                body = response.content.decode(errors="replace")
                # A form may echo what was typed into it; that is no leak.
                sent = " ".join((data or {}).values())
                shown = leaked(world, body, sent)
                if shown:
                    problems.append(f"{method.upper()} {path} ({route.name}) shows {shown}")
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
    assert snapshot(world.practice) == before
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
