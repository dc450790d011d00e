"""Fixtures for automatic points: a practice with rules on, a linked patient, and
a client that sends appointments as the PMS bridge does."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.conftest import SYSTEM
from tests.integrations.conftest import EMMA, Api, make_key

from rewardshub.automations.models import AutoRule
from rewardshub.automations.settings_actions import save_rule
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

CHART = "OT-2001"
# The rules of the tests: every appointment trigger on, with distinct points so
# a balance says which paid.
RULES: dict[str, dict[str, Any]] = {
    "kept": {"points": 5},
    "on_time": {"points": 3, "grace_minutes": 5},
    "early": {"points": 4, "early_minutes": 10},
    "late": {"points": 2},
    "missed": {"points": 7},
    "confirmed": {"points": 1},
    "next_booked": {"points": 6, "window_hours": 24},
}


@dataclass
class Book:
    """Sends one chart's appointments through the API."""

    api: Api
    chart_id: str = CHART
    start: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    def path(self, appointment_id: str = "", chart_id: str | None = None) -> str:
        suffix = f"/appointments/{appointment_id}" if appointment_id else "/appointments"
        return self.api.path(chart_id or self.chart_id, suffix)

    def at(self, minutes: float) -> str:
        return (self.start + dt.timedelta(minutes=minutes)).isoformat()

    def completed_visit(self) -> dict[str, Any]:
        """A visit completed at `start`, as book.write_book takes its values."""
        return {
            "starts_at": self.start,
            "length_minutes": 30,
            "type_code": "ADJ",
            "type_label": "Adjustment",
            "office": "",
            "provider": "",
            "status": "completed",
            "arrived_at": None,
            "completed_at": self.start,
            "booked_at": None,
        }

    def put(
        self, appointment_id: str, status: str, *, chart_id: str | None = None, **fields: Any
    ) -> Any:
        body = {
            "starts_at": self.at(0),
            "length_minutes": 30,
            "type_code": "ADJ",
            "type_label": "Adjustment",
            "status": status,
            **fields,
        }
        return self.api.call("PUT", self.path(appointment_id, chart_id), body)

    def delete(self, appointment_id: str, **query: str) -> Any:
        path = self.path(appointment_id)
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return self.api.client.delete(path, **self.api._headers(None, None))

    def list(self, chart_id: str | None = None) -> Any:
        return self.api.call("GET", self.path(chart_id=chart_id))


@pytest.fixture
def rules(acworth: Practice) -> dict[str, AutoRule]:
    return {
        trigger: save_rule(practice=acworth, trigger=trigger, enabled=True, actor=SYSTEM, **values)
        for trigger, values in RULES.items()
    }


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def riverside_api(riverside: Practice) -> Api:
    return Api(client=Client(), token=make_key(riverside)[1])


@pytest.fixture
def emma(acworth: Practice, api: Api, issue_cards: Callable[[Practice, int], list[str]]) -> Profile:
    """A patient whose chart is linked, with a card connected today."""
    card = issue_cards(acworth, 1)[0]
    answer = api.set_card(CHART, card, **EMMA)
    assert answer.status_code in (200, 201), answer.content
    return Profile.objects.get(practice=acworth, username=card)


@pytest.fixture
def book(api: Api, acworth: Practice) -> Book:
    # An hour from now: after the rules were switched on and on the day of the card;
    # but a visit and the few hours after it stay on one day of the practice, so
    # late in the practice's evening the book starts at 10:00 the next morning.
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    local = start.astimezone(zoneinfo.ZoneInfo(acworth.time_zone))
    if local.hour >= 19 or local.hour < 2:
        day = local.date() + dt.timedelta(days=1 if local.hour >= 19 else 0)
        start = dt.datetime.combine(day, dt.time(10), local.tzinfo).astimezone(dt.UTC)
    return Book(api, start=start)
