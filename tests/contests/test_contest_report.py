"""Reports > Contest awards and its CSV: per contest, what it paid and what waits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.contests.actions import enter_participants, pick_winner
from rewardshub.contests.models import Contest
from rewardshub.contests.queries import today_in
from rewardshub.patients.models import Profile
from rewardshub.points.models import PendingAward
from rewardshub.points.rewards import decide_pending, save_reward_settings
from rewardshub.practices.models import Practice

REPORT = "/reports/contests/"


@pytest.fixture
def awarded(
    acworth: Practice,
    contest: Contest,
    emma: Profile,
    liam: Profile,
    make_profile: Callable[..., Profile],
) -> Contest:
    """Emma and Liam paid for taking part, Emma for winning; Noah's and Zoe's points
    held in Pending rewards, Zoe's then voided."""
    entered = enter_participants(
        practice=acworth, contest=contest, profiles=[emma, liam], actor=SYSTEM
    ).entered
    pick_winner(practice=acworth, contest=contest, entry=entered[0], actor=SYSTEM)
    save_reward_settings(
        practice=acworth,
        held={"contest"},
        gift_max_points=500,
        gift_daily_max_points=1000,
        actor=SYSTEM,
    )
    noah = make_profile(acworth, first="Noah", last="Smith")
    zoe = make_profile(acworth, first="Zoe", last="Smith")
    enter_participants(practice=acworth, contest=contest, profiles=[noah, zoe], actor=SYSTEM)
    decide_pending(
        practice=acworth,
        pending=PendingAward.objects.get(profile=zoe),
        approve=False,
        actor=SYSTEM,
        reason="Duplicate",
    )
    return contest


def test_it_reports_each_contests_awards(
    owner_client: Client, acworth: Practice, awarded: Contest
) -> None:
    page = owner_client.get(REPORT).content.decode()
    assert "Contest awards" in page and "Summer smiles" in page
    assert 'href="/reports/contests/"' in owner_client.get("/reports/").content.decode()
    views = AuditEvent.objects.filter(action="report.view").order_by("id")
    assert [event.detail.get("report") for event in views] == ["contest_awards", None]


def test_it_downloads_the_report_as_csv(
    financial_client: Client, acworth: Practice, awarded: Contest
) -> None:
    today = today_in(acworth)
    response = financial_client.get(
        f"{REPORT}awards.csv", {"start": today.replace(day=1), "end": today}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
            "Contest",
            "First day",
            "Last day",
            "Participants paid or held",
            "Points for taking part",
            "Winners paid or held",
            "Points for winning",
            "Points waiting in Pending rewards",
        ],
        [
            "Summer smiles",
            str(awarded.starts_on),
            str(awarded.ends_on),
            "3",
            "20",
            "1",
            "100",
            "10",
        ],
        ["All contests", "", "", "3", "20", "1", "100", "10"],
    ]
    assert AuditEvent.objects.get(action="report.export").detail["table"] == "contest_awards"


def test_it_is_for_report_readers_only(
    frontdesk_client: Client, outsider_client: Client, awarded: Contest
) -> None:
    assert frontdesk_client.get(REPORT).status_code == 403
    assert frontdesk_client.get(f"{REPORT}awards.csv").status_code == 403
    # Another practice's report has none of Acworth's contests.
    assert "Summer smiles" not in outsider_client.get(REPORT).content.decode()
    assert "Summer smiles" not in outsider_client.get(f"{REPORT}awards.csv").content.decode()
