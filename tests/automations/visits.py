"""Appointments of November 2026 (in the past) and of December 2030 (to come),
sent through the API, with the rules and the practice's "visits since" date
going back far enough for the past ones to earn points."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.automations.conftest import Book
from tests.conftest import SYSTEM
from tests.integrations.conftest import Api

from rewardshub.automations.models import AutoRule
from rewardshub.automations.settings_actions import save_settings
from rewardshub.practices.models import Practice

UTC = dt.UTC
# 02:30 UTC is 9:30 p.m. the day before in the practice's zone (New York, EST).
PAST = dt.datetime(2026, 11, 3, 2, 30, tzinfo=UTC)
# A Thursday, 9:30 a.m. in New York.
NEXT = dt.datetime(2030, 12, 12, 14, 30, tzinfo=UTC)
DAY = 60 * 24


def past_book(practice: Practice, api: Api) -> Book:
    """A Book for visits of November 2026 that earn points: the practice's
    rules (switched on already) and its "visits since" date go back before them."""
    AutoRule.objects.filter(practice=practice).update(
        active_from=dt.datetime(2026, 1, 1, tzinfo=UTC)
    )
    save_settings(
        practice=practice, excluded_tags=[], visits_since=dt.date(2026, 1, 1), actor=SYSTEM
    )
    return Book(api, start=PAST)


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.content
    return answer.json()


def kept(book: Book, appointment_id: str, day: int, **fields: Any) -> None:
    """A visit `day` days after PAST, checked out half an hour after it started."""
    start = day * DAY
    fields.setdefault("completed_at", book.at(start + 30))
    ok(book.put(appointment_id, "completed", starts_at=book.at(start), **fields), 201)
