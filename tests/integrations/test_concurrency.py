"""Two PMS calls at the same moment: real concurrent transactions on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.integrations.conftest import CHART, EMMA, Api
from tests.race import run_together

from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_it_runs_one_of_two_same_key_requests_and_replays_it_to_the_other(
    api: Api, cards: list[str]
) -> None:
    def call() -> Any:
        mine = Api(client=Client(), token=api.token)
        return mine.set_card(CHART, cards[0], idempotency_key="same", **EMMA)

    first, second = run_together([call, call], timeout=30)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    replays = [r for r in (first, second) if r.get("Idempotent-Replayed") == "true"]
    assert len(replays) == 1
    assert Profile.objects.count() == 1
    assert PmsLink.objects.count() == 1


def test_it_creates_one_profile_when_a_new_chart_is_set_twice_at_once(
    api: Api, cards: list[str]
) -> None:
    def call() -> Any:
        return Api(client=Client(), token=api.token).set_card(CHART, cards[0], **EMMA)

    responses = run_together([call, call], timeout=30)

    # The loser runs again after the winner's commit and finds the link.
    assert [r.status_code for r in responses] == [200, 200]
    assert sorted(r.json()["outcome"] for r in responses) == ["already_linked", "created"]
    assert Profile.objects.count() == 1
    assert PmsLink.objects.count() == 1


def test_two_puts_of_one_new_appointment_at_once_write_it_once(api: Api) -> None:
    """Two PUTs creating the same appointment of a chart not yet linked: no
    profile lock orders them, so on PostgreSQL both may INSERT it and one hits
    the unique key. Its whole transaction runs again (automations.merged.retried)
    and finds the other's row: both answer, one row is kept."""
    from rewardshub.automations.models import Appointment

    visit = {
        "starts_at": "2026-03-02T09:00:00+00:00",
        "length_minutes": 30,
        "type_code": "ADJ",
        "status": "scheduled",
    }
    for round_ in range(8):
        path = api.path("CH-RACE", f"/appointments/RACE-{round_}")

        def call(path: str = path) -> Any:
            return Api(client=Client(), token=api.token).call("PUT", path, visit)

        responses = run_together([call, call], timeout=30)
        assert sorted(r.status_code for r in responses) == [200, 201], [
            r.content for r in responses
        ]
        assert sorted(r.json()["outcome"] for r in responses) == ["created", "unchanged"]
    assert Appointment.objects.filter(chart_id="CH-RACE").count() == 8
