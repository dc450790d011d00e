"""Two profiles of one patient, Emma Johnson (born April 17, 2012), in Acworth.

`kept`: made at the front desk with card A, a status tag and 30 points.
`dupe`: made by Orthotrac's Set card (chart OT-1001) with card B connected, a
location tag and a custom tag, 40 points, an activated portal account and an
appointment that paid automatic points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from tests.automations.conftest import Book
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART, EMMA, Api, make_key
from tests.qr import new_qr_code

from rewardshub.automations.models import AutoRule
from rewardshub.automations.settings_actions import save_rule
from rewardshub.campaigns.models import QrCode
from rewardshub.cards.actions import connect_card
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

BORN = dt.date(2012, 4, 17)
PORTAL_PASSWORD = "sparkly-braces-42"


def give(profile: Profile, points: int) -> None:
    with transaction.atomic():
        post(
            practice=profile.practice,
            profile=lock_profile(profile.practice, profile),
            points=points,
            kind=EntryKind.AWARD,
            actor=SYSTEM,
            description="Wearing elastics",
        )
    profile.refresh_from_db()


def tag(practice: Practice, name: str) -> Tag:
    return Tag.objects.get(practice=practice, name=name)


@dataclass
class Pair:
    practice: Practice
    kept: Profile
    dupe: Profile
    card_a: str
    card_b: str
    api: Api
    book: Book
    kept_rule: AutoRule


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def pair(
    acworth: Practice,
    api: Api,
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> Pair:
    card_a, card_b = issue_cards(acworth, 2)
    kept_rule = save_rule(practice=acworth, trigger="kept", enabled=True, actor=SYSTEM, points=5)
    kept = make_profile(acworth, card=card_a, tags=("*Orthodontic Patient",), birth_date=BORN)
    give(kept, 30)
    answer = api.set_card(CHART, card_b, **EMMA)
    assert answer.status_code in (200, 201), answer.content
    dupe = Profile.objects.get(practice=acworth, username=card_b)
    connect_card(practice=acworth, profile=dupe, raw=card_b, actor=SYSTEM)
    add_tag(practice=acworth, profile=dupe, tag=tag(acworth, "*Marietta"), actor=SYSTEM)
    add_tag(practice=acworth, profile=dupe, tag=tag(acworth, "*Retainer Patient"), actor=SYSTEM)
    group = create_tag_group(practice=acworth, name="Clubs", actor=SYSTEM)
    club = create_tag(practice=acworth, group=group, name="Elastics club", actor=SYSTEM)
    add_tag(practice=acworth, profile=dupe, tag=club, actor=SYSTEM)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    book = Book(api, chart_id=CHART, start=start)
    done = book.put("A1", "completed", completed_at=book.at(30))
    assert done.status_code == 201, done.content
    give(dupe, 35)  # 5 (kept) + 35
    activate_account(
        profile=dupe,
        temp_hash=temp_password_hashes(dupe, None)[0],
        password=PORTAL_PASSWORD,
        email="emma.johnson@example.com",
        actor=SYSTEM,
    )
    kept.refresh_from_db()
    dupe.refresh_from_db()
    assert (kept.points_balance, dupe.points_balance) == (30, 40)
    return Pair(acworth, kept, dupe, card_a, card_b, api, book, kept_rule)


@pytest.fixture
def once_code(acworth: Practice) -> QrCode:
    """A QR code of 10 points that each patient may collect once."""
    return new_qr_code(acworth)
