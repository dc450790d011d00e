"""The demo opts a few patients in to mail, once: the preview and the digest have someone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from tests.conftest import SYSTEM
from tests.test_demo import demo_file  # noqa: F401 (the fixture)

from rewardshub.jobs.models import Job
from rewardshub.notify import kinds
from rewardshub.notify.actions import set_preferences
from rewardshub.notify.models import MailPreference
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.models import RewardItem


def _wanted() -> dict[str, set[str]]:
    return {
        f"{p.profile.practice.slug}:{p.profile.first_name}": {
            k for k in kinds.OPT_IN_VALUES if p.wants(k)
        }
        for p in MailPreference.objects.select_related("profile__practice")
    }


def test_the_demo_opts_a_few_patients_in(demo_file: Path) -> None:  # noqa: F811
    assert _wanted() == {
        "acworth:Emma": set(kinds.OPT_IN_VALUES),
        "acworth:Olivia": {kinds.POINTS_EARNED, kinds.PRIZE_READY, kinds.BIRTHDAY},
        "acworth:Isabella": {kinds.POINTS_EARNED},
        "riverside:Lucas": {kinds.POINTS_EARNED, kinds.PRIZE_READY},
    }


def test_a_second_run_leaves_a_patients_own_choice_alone(demo_file: Path) -> None:  # noqa: F811
    emma = Profile.objects.get(practice__slug="acworth", first_name="Emma")
    set_preferences(profile=emma, wanted={kinds.BIRTHDAY: False}, actor=SYSTEM)
    before = _wanted()
    call_command("demo", "--hub-url", "http://127.0.0.1:8123", "--out", str(demo_file))
    assert _wanted() == before
    assert kinds.BIRTHDAY not in before["acworth:Emma"]


def test_an_award_to_a_demo_patient_queues_the_points_mail(
    demo_file: Path, django_capture_on_commit_callbacks: Any  # noqa: F811
) -> None:
    emma = Profile.objects.get(practice__slug="acworth", first_name="Emma")
    item = RewardItem.objects.filter(practice=emma.practice, active=True).first()
    assert item is not None
    with django_capture_on_commit_callbacks(execute=True):
        award_items(practice=emma.practice, profile=emma, items=[item], actor=SYSTEM)
    assert Job.objects.filter(practice=emma.practice, kind="mail.points_earned").exists()
