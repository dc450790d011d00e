"""The benchmark's data loaders write rows with SQL of their own (a million
profiles in seconds): run each on a few rows of the test database, so a new
NOT NULL column or constraint breaks this test, not the next `make bench`."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import appointments, data
from bench.invariant import check_database

from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile

pytestmark = pytest.mark.django_db


def test_every_loader_writes_rows_the_models_accept(tmp_path: Path) -> None:
    hub = data.setup_hub()
    data.add_linked_profiles(hub, 5)
    data.add_hot_profiles(hub, 2)
    data.add_available_cards(hub, 3, tmp_path / "cards.txt")
    data.add_ledger_profile(hub, 4)
    assert data.raw_insert(hub, 6, rows_per_call=4) > 0
    appointments.switch_on_rules(hub)
    assert appointments.raw_insert(hub, 6, rows_per_call=4) > 0

    linked = PmsLink.objects.filter(practice=hub.practice, chart_id__startswith="CH")
    assert sorted(linked.values_list("chart_id", flat=True)) == [f"CH{n:07d}" for n in range(1, 6)]
    for profile in Profile.objects.filter(practice=hub.practice):
        profile.full_clean()
    for link in PmsLink.objects.filter(practice=hub.practice):
        link.full_clean()
    assert len((tmp_path / "cards.txt").read_text().split()) == 3
    assert check_database() == []
