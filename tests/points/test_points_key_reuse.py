"""An Idempotency-Key answers only the request that made it, before and after
`rewardshub housekeeping` prunes its stored answer.

The stored answer (IdempotencyRecord) goes after a week; the ledger entries an
award made keep the key and the request's hash for good. A key sent again for
another chart or with another body is refused (409 idempotency_key_reused),
never answered with the other request's result; the same request again is
answered with the entries it made, and nothing is awarded twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from tests.integrations.conftest import CHART, EMMA, Api, make_key
from tests.points.test_points_api import award, balance

from rewardshub.integrations.models import IdempotencyRecord, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem
from rewardshub.practices.models import Practice

OTHER_CHART = "OT-2002"
KEY = "visit-2026-12-04-0001"
REUSED = {
    "error": "idempotency_key_reused",
    "message": "This Idempotency-Key was used for another request; send a new key. "
    "(To repeat a request, send the same body to the same address with its key.)",
}
BODIES = {
    "misc": {"amount": 10, "description": "Science fair"},
    "items": {"items": ["On time", "Wearing elastics"]},
}
OTHER_BODY = {"amount": 50, "description": "Science fair"}


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def charts(
    api: Api, acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]
) -> tuple[Profile, Profile]:
    """Two synced patients: Emma (CHART) and Liam (OTHER_CHART)."""
    cards = issue_cards(acworth, 2)
    for chart, card, first in ((CHART, cards[0], "Emma"), (OTHER_CHART, cards[1], "Liam")):
        response = api.set_card(chart, card, **{**EMMA, "first_name": first})
        assert response.status_code == 200, response.json()
    return (
        Profile.objects.get(practice=acworth, first_name="Emma"),
        Profile.objects.get(practice=acworth, first_name="Liam"),
    )


def _prune() -> None:
    """A week passes: housekeeping deletes the stored answers."""
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    call_command("housekeeping", stdout=StringIO())
    assert not IdempotencyRecord.objects.exists()


def _refused(response: Any) -> None:
    assert response.status_code == 409, response.json()
    assert response.json() == REUSED
    assert "Idempotent-Replayed" not in response


def _entries(chart_profile: Profile) -> list[str]:
    return [str(e.public_id) for e in LedgerEntry.objects.filter(profile=chart_profile)]


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_key_answers_only_its_own_chart_and_body_before_and_after_pruning(
    api: Api, charts: tuple[Profile, Profile], menu: dict[str, RewardItem], kind: str
) -> None:
    emma, liam = charts
    body = BODIES[kind]
    first = award(api, body, idempotency_key=KEY)
    assert first.status_code == 200, first.json()
    given = balance(emma)
    made = _entries(emma)
    assert given > 0 and len(made) == len(first.json()["entries"])

    # Before pruning: the stored answer replays the same request only.
    again = award(api, body, idempotency_key=KEY)
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    _refused(award(api, OTHER_BODY, chart_id=OTHER_CHART, idempotency_key=KEY))
    _refused(award(api, body, chart_id=OTHER_CHART, idempotency_key=KEY))
    _refused(award(api, {**OTHER_BODY, "amount": 11}, idempotency_key=KEY))

    _prune()

    # After: another chart or another body is still refused, and awards nothing.
    _refused(award(api, OTHER_BODY, chart_id=OTHER_CHART, idempotency_key=KEY))
    _refused(award(api, body, chart_id=OTHER_CHART, idempotency_key=KEY))
    _refused(award(api, {**OTHER_BODY, "amount": 11}, idempotency_key=KEY))
    assert (balance(emma), balance(liam)) == (given, 0)
    assert _entries(liam) == []
    refusals = SyncEvent.objects.filter(error="idempotency_key_reused")
    assert refusals.count() == 6
    assert not SyncEvent.objects.filter(profile=liam, action="points").exclude(outcome="error")

    # The same request again: the entries it made, answered again; nothing awarded.
    replay = award(api, body, idempotency_key=KEY)
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (200, "true")
    assert sorted(e["id"] for e in replay.json()["entries"]) == sorted(made)
    assert replay.json()["entries"] == first.json()["entries"]
    assert replay.json()["balance"] == given == balance(emma)
    assert _entries(emma) == made
    assert SyncEvent.objects.latest("id").outcome == "replayed"
    # ... and that answer is stored again, so the next repeat replays it too.
    assert IdempotencyRecord.objects.count() == 1
    assert award(api, body, idempotency_key=KEY).json() == first.json()
    assert balance(emma) == given


def test_an_entry_from_before_requests_were_hashed_is_never_replayed(
    api: Api, charts: tuple[Profile, Profile]
) -> None:
    emma, _ = charts
    body = BODIES["misc"]
    assert award(api, body, idempotency_key=KEY).status_code == 200
    # As an entry written before the hash was kept: nothing to prove it is the same request.
    LedgerEntry.objects.filter(profile=emma).update(request_hash=None)
    _prune()

    _refused(award(api, body, idempotency_key=KEY))
    assert balance(emma) == 10


def test_a_key_that_extends_another_key_is_its_own_key(
    api: Api, charts: tuple[Profile, Profile]
) -> None:
    emma, liam = charts
    # "K#0" is a key of its own, not the first entry of key "K".
    other = award(api, OTHER_BODY, chart_id=OTHER_CHART, idempotency_key=f"{KEY}#0")
    assert other.status_code == 200, other.json()
    _prune()

    response = award(api, BODIES["misc"], idempotency_key=KEY)
    assert response.status_code == 200, response.json()
    assert "Idempotent-Replayed" not in response
    assert (balance(emma), balance(liam)) == (10, 50)
