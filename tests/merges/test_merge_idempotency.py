"""A PMS award retried with its Idempotency-Key after the profile it paid was
merged: the same request (practice, chart, body) is answered again with the
entries it made, now the survivor's history, and nothing is paid twice; another
request with that key is still refused. Before and after `housekeeping`
prunes the stored answer (the ledger keeps the key and the request's hash)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import SYSTEM
from tests.points.conftest import menu  # noqa: F401 (a fixture)
from tests.points.test_points_api import award
from tests.points.test_points_key_reuse import BODIES, KEY, REUSED, _prune

from rewardshub.integrations.models import SyncEvent
from rewardshub.merges.actions import merge_profiles
from rewardshub.points.models import LedgerEntry, PendingAward
from rewardshub.points.rewards import decide_pending
from rewardshub.practices.models import Practice

from .conftest import Pair
from .test_merge_action import balance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("menu")]


def _merge(pair: Pair) -> None:
    merge_profiles(practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM)


def _replayed(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.json()
    assert response["Idempotent-Replayed"] == "true"
    assert SyncEvent.objects.latest("id").outcome == "replayed"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_the_same_award_retried_after_a_merge_is_answered_not_paid_again(
    pair: Pair, kind: str
) -> None:
    body = BODIES[kind]
    first = award(pair.api, body, idempotency_key=KEY)
    assert first.status_code == 200, first.json()
    paid = [e["id"] for e in first.json()["entries"]]
    _merge(pair)
    entries = LedgerEntry.objects.count()

    # Within the week: the stored answer, as it was sent.
    assert _replayed(award(pair.api, body, idempotency_key=KEY)) == first.json()

    _prune()

    # After: the entries it made, on the merged profile's history, and the
    # balance of the profile the chart now opens, which holds those points.
    again = _replayed(award(pair.api, body, idempotency_key=KEY))
    assert again["entries"] == first.json()["entries"]
    assert again["balance"] == balance(pair.kept) == 30 + first.json()["balance"]
    assert LedgerEntry.objects.count() == entries
    assert set(paid) <= {str(e.public_id) for e in LedgerEntry.objects.filter(profile=pair.dupe)}
    # Another request with the key is still not this one.
    other = award(pair.api, {"amount": 11, "description": "Science fair"}, idempotency_key=KEY)
    assert (other.status_code, other.json()) == (409, REUSED)
    assert LedgerEntry.objects.count() == entries and balance(pair.dupe) == 0


def test_a_key_another_patient_used_is_still_refused_after_a_merge(
    pair: Pair, make_profile: Any
) -> None:
    """The tombstone leads only to its survivor: a third profile's entries with
    the key are not the chart's, merged or not."""
    body = BODIES["misc"]
    assert award(pair.api, body, idempotency_key=KEY).status_code == 200
    stranger = make_profile(pair.practice, first="Liam")
    LedgerEntry.objects.filter(idempotency_key=f"pms:{KEY}#0").update(profile=stranger)
    _merge(pair)
    _prune()
    response = award(pair.api, body, idempotency_key=KEY)
    assert (response.status_code, response.json()) == (409, REUSED)


def test_a_held_award_retried_after_a_merge_is_answered_from_the_queue(
    pair: Pair, acworth: Practice
) -> None:
    """Misc points waiting for approval when the PMS sent them, approved before
    the merge: the retry answers the held reward again, pays nothing."""
    Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
    body = BODIES["misc"]
    first = award(pair.api, body, idempotency_key=KEY)
    assert first.status_code == 202, first.json()
    held = PendingAward.objects.get()
    decide_pending(practice=pair.practice, pending=held, approve=True, actor=SYSTEM)
    _merge(pair)
    _prune()
    entries = LedgerEntry.objects.count()

    again = award(pair.api, body, idempotency_key=KEY)
    assert again.status_code == 202, again.json()
    assert again.json()["pending"] == first.json()["pending"]
    assert LedgerEntry.objects.count() == entries
    assert PendingAward.objects.count() == 1
    assert balance(pair.kept) == 70 + 10 and balance(pair.dupe) == 0
