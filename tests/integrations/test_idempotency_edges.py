"""Idempotency-Key edge cases the set-card tests (test_idempotency.py) leave open.

Points, where a replay matters most: the same key with another amount, the
same key from another practice, a schema-refused request retried, an
over-long key on every write operation, and two same-key awards at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.integrations.conftest import CHART, EMMA, Api, make_key
from tests.race import run_together

from rewardshub.integrations.models import IdempotencyRecord
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

LONG_KEY = "k" * 256


def _synced(practice: Practice, issue_cards: Any) -> tuple[Api, Profile]:
    api = Api(client=Client(), token=make_key(practice)[1])
    assert api.set_card(CHART, issue_cards(practice, 1)[0], **EMMA).status_code == 200
    return api, Profile.objects.get(practice=practice)


def _award(api: Api, amount: Any, key: str, description: str = "Science fair") -> Any:
    body = {"amount": amount, "description": description}
    return api.call("POST", api.path(CHART, "/points"), body, idempotency_key=key)


def _balance(profile: Profile) -> int:
    profile.refresh_from_db()
    return profile.points_balance


@pytest.fixture
def acworth_api(acworth: Practice, issue_cards: Any) -> tuple[Api, Profile]:
    return _synced(acworth, issue_cards)


def test_it_refuses_the_same_key_with_another_amount_and_gives_nothing_more(
    acworth_api: tuple[Api, Profile],
) -> None:
    api, emma = acworth_api
    assert _award(api, 10, "visit-9").status_code == 200

    response = _award(api, 50, "visit-9")

    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert response.json()["message"].startswith(
        "This Idempotency-Key was used for another request; send a new key."
    )
    assert _balance(emma) == 10
    assert LedgerEntry.objects.filter(profile=emma).count() == 1


def test_it_runs_the_same_key_from_another_practice_as_its_own_request(
    acworth_api: tuple[Api, Profile], riverside: Practice, issue_cards: Any
) -> None:
    api, emma = acworth_api
    riverside_api, rita = _synced(riverside, issue_cards)
    first = _award(api, 10, "visit-1")

    theirs = _award(riverside_api, 10, "visit-1")

    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["entries"][0]["id"] != first.json()["entries"][0]["id"]
    assert (_balance(emma), _balance(rita)) == (10, 10)
    assert IdempotencyRecord.objects.filter(key="visit-1").count() == 2
    # And each practice's retry replays its own answer, never the other's.
    again = _award(riverside_api, 10, "visit-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == theirs.json()
    assert _balance(rita) == 10


def test_it_runs_a_corrected_retry_of_a_request_the_schema_refused(
    acworth_api: tuple[Api, Profile],
) -> None:
    api, emma = acworth_api
    refused = _award(api, "lots", "visit-2")
    assert refused.status_code == 422
    assert refused.json()["error"] == "validation_error"
    assert not IdempotencyRecord.objects.filter(key="visit-2").exists()

    fixed = _award(api, 15, "visit-2")

    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed
    assert _balance(emma) == 15


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/card", {"card": "0000000000000000"}),
        ("PUT", "", {"first_name": "Emma"}),
        ("POST", "/launch", {"view": "profile"}),
        ("POST", "/points", {"amount": 5, "description": "x"}),
        ("BATCH", "", {"patients": [{"chart_id": "B-1", "first_name": "A", "last_name": "B"}]}),
    ],
)
def test_it_refuses_a_256_character_key_on_every_write_in_words(
    acworth_api: tuple[Api, Profile], method: str, suffix: str, body: dict[str, Any]
) -> None:
    api, emma = acworth_api
    before = (Profile.objects.count(), LedgerEntry.objects.count())
    if method == "BATCH":
        path, method = f"/api/v1/pms/{api.system}/patients:batch", "POST"
    else:
        path = api.path(CHART, suffix)

    response = api.call(method, path, body, idempotency_key=LONG_KEY)

    assert response.status_code == 422
    assert response.json() == {
        "error": "validation_error",
        "message": "Idempotency-Key is 256 characters long; at most 255 are allowed.",
    }
    assert (Profile.objects.count(), LedgerEntry.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_it_awards_once_when_two_same_key_requests_arrive_together(
    acworth: Practice, issue_cards: Any
) -> None:
    api, emma = _synced(acworth, issue_cards)

    def call() -> Any:
        return _award(Api(client=Client(), token=api.token), 20, "same-visit")

    first, second = run_together([call, call], timeout=30)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert sum(r.get("Idempotent-Replayed") == "true" for r in (first, second)) == 1
    assert _balance(emma) == 20
    assert LedgerEntry.objects.filter(profile=emma).count() == 1
