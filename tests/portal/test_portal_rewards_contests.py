"""The portal shows rewards waiting in Pending rewards, and the contests open today
(name, dates, rules, whether the patient is in), never another practice's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from tests.portal.conftest import SYSTEM, Patient

from rewardshub.contests.actions import create_contest, enter_participants
from rewardshub.contests.queries import today_in
from rewardshub.points.models import PendingAward, RewardKind
from rewardshub.points.rewards import decide_pending, pay_or_hold, save_reward_settings
from rewardshub.practices.models import Practice


def contest(practice: Practice, name: str, starts: int, ends: int, **extra: Any) -> Any:
    today = today_in(practice)
    data = {
        "name": name,
        "starts_on": today + dt.timedelta(days=starts),
        "ends_on": today + dt.timedelta(days=ends),
        "rules": "Send a photo of your best smile.",
        "participant_points": 0,
        "winner_points": 100,
        **extra,
    }
    return create_contest(practice=practice, data=data, actor=SYSTEM)


def test_it_shows_pending_rewards_until_they_are_decided(
    portal_client: Client, acworth: Practice, activated: Patient
) -> None:
    save_reward_settings(
        practice=acworth,
        held={"qr"},
        gift_max_points=500,
        gift_daily_max_points=1000,
        actor=SYSTEM,
    )
    held = pay_or_hold(
        practice=acworth,
        profile=activated.profile,
        kind=RewardKind.QR,
        points=15,
        description="Checked in on social media",
        actor=SYSTEM,
    )
    for page in ("/portal/", "/portal/history/"):
        html = portal_client.get(page).content.decode()
        assert "Pending points" in html
        assert "Checked in on social media" in html and "+15" in html
    assert isinstance(held, PendingAward)
    decide_pending(
        practice=acworth, pending=held, approve=False, actor=SYSTEM, reason="Not on our page"
    )
    assert "Pending points" not in portal_client.get("/portal/").content.decode()


def test_it_shows_open_contests_and_whether_the_patient_entered(
    portal_client: Client, acworth: Practice, riverside: Practice, activated: Patient
) -> None:
    summer = contest(acworth, "Summer smiles", -2, 5)
    contest(acworth, "Brushing bingo", -2, 5)
    contest(acworth, "Last spring", -30, -1)
    contest(acworth, "Next autumn", 1, 30)
    contest(riverside, "Riverside raffle", -2, 5)
    enter_participants(practice=acworth, contest=summer, profiles=[activated.profile], actor=SYSTEM)
    html = portal_client.get("/portal/").content.decode()
    assert "Summer smiles" in html and "Brushing bingo" in html
    assert "Send a photo of your best smile." in html
    assert "100 points for winning" in html
    for hidden in ("Last spring", "Next autumn", "Riverside raffle"):
        assert hidden not in html
    # Entered in one of the two, not the other.
    assert html.count("You’re in!") == 1
    assert html.count("Not entered yet: ask at the front desk.") == 1
    assert html.index("Brushing bingo") < html.index("Not entered yet")
