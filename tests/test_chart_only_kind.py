"""The profile a batch sync makes for a chart with no card is "chart only"
(kind "chart"); profiles stored as "lead" before are converted by a migration."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from django.apps import apps
from django.test import Client

from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.practices.models import Practice

MIGRATION = importlib.import_module("rewardshub.patients.migrations.0002_chart_only_kind")


def test_the_migration_turns_stored_lead_profiles_into_chart_only_and_back(
    acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    member = make_profile(acworth, "Emma", "Johnson")
    old = make_profile(acworth, "Liam", "Smith")
    Profile.objects.filter(pk=old.pk).update(kind="lead")

    MIGRATION.lead_to_chart(apps, None)

    kinds = dict(Profile.objects.values_list("pk", "kind"))
    assert kinds == {member.pk: ProfileKind.MEMBER, old.pk: ProfileKind.CHART_ONLY}
    MIGRATION.chart_to_lead(apps, None)
    assert Profile.objects.get(pk=old.pk).kind == "lead"


def test_the_profile_page_says_chart_only(
    frontdesk_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth, "Liam", "Smith")
    Profile.objects.filter(pk=profile.pk).update(kind=ProfileKind.CHART_ONLY)

    page = frontdesk_client.get(f"/patients/{profile.public_id}/")

    assert '<span class="state">Chart only</span>' in page.content.decode()
