"""Contest fixtures: an open contest of Acworth, its patients and a custom tag."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from tests.conftest import SYSTEM

from rewardshub.contests.actions import create_contest
from rewardshub.contests.models import Contest
from rewardshub.contests.queries import today_in
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.practices.models import Practice


def contest_data(practice: Practice, **changes: Any) -> dict[str, Any]:
    today = today_in(practice)
    data: dict[str, Any] = {
        "name": "Summer smiles",
        "starts_on": today - dt.timedelta(days=3),
        "ends_on": today + dt.timedelta(days=10),
        "rules": "Send a photo of your best smile.",
        "participant_points": 10,
        "winner_points": 100,
    }
    return {**data, **changes}


@pytest.fixture
def contest(acworth: Practice) -> Contest:
    return create_contest(practice=acworth, data=contest_data(acworth), actor=SYSTEM)


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth, first="Emma", last="Johnson")


@pytest.fixture
def liam(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth, first="Liam", last="Johnson")


@pytest.fixture
def smile_club(acworth: Practice) -> Tag:
    group = create_tag_group(practice=acworth, name="Clubs", actor=SYSTEM)
    return create_tag(practice=acworth, group=group, name="Smile club", actor=SYSTEM)
