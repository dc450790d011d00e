"""Profile merge in a real browser: an owner finds two profiles of one patient
among the possible duplicates, reviews them side by side and merges them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.merges.conftest import give

from rewardshub.cards.models import MERGE_RETIRED, Card, CardState
from rewardshub.patients.models import Profile, ProfileTag
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
BORN = dt.date(2012, 4, 17)


def test_it_merges_two_duplicate_profiles_from_the_suggestions(
    sign_in: Callable[[str, str], Page],
    owner: Any,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> None:
    first, second = issue_cards(acworth, 2)
    kept = make_profile(acworth, card=first, tags=("*Orthodontic Patient",), birth_date=BORN)
    dupe = make_profile(acworth, card=second, tags=("*Marietta",), birth_date=BORN)
    give(kept, 30)
    give(dupe, 40)

    page = sign_in("owner", PASSWORD)
    page.get_by_role("link", name="Possible duplicates").click()
    page.wait_for_url("**/patients/duplicates/")
    expect(page.locator("tr.duplicate-pair")).to_have_count(1)
    page.get_by_role("link", name="Review and merge").click()
    page.wait_for_url(f"**/patients/merge/{kept.public_id}/{dupe.public_id}/")

    moves = page.locator("#merge-moves")
    expect(moves).to_contain_text("40 points move to the profile kept.")
    expect(moves).to_contain_text(f"Active card …{second[-4:]} is retired")
    expect(moves).to_contain_text("Tags added: *Marietta.")

    # Merging without ticking the box is refused and changes nothing.
    page.get_by_role("button", name="Merge profiles").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Tick the box to confirm that these are the same patient."
    )
    assert Profile.objects.get(pk=dupe.pk).merged_into_id is None

    page.get_by_label("These are the same patient: merge them").check()
    page.get_by_role("button", name="Merge profiles").click()
    page.wait_for_url(f"**/patients/{kept.public_id}/")
    expect(page.locator(".flash-success")).to_contain_text(
        f"Merged the profile with username {dupe.username} into this one."
    )
    expect(page.locator(".points-inline")).to_have_text("70")
    expect(page.locator(".points-history")).to_contain_text(f"From merged profile {dupe.username}")

    # The merged profile's old page leads here.
    page.goto(f"/patients/{dupe.public_id}/")
    page.wait_for_url(f"**/patients/{kept.public_id}/")

    dupe.refresh_from_db()
    assert dupe.merged_into_id == kept.pk and dupe.points_balance == 0
    retired = Card.objects.get(number=second)
    assert (retired.state, retired.retire_reason, retired.profile_id) == (
        CardState.RETIRED,
        MERGE_RETIRED,
        kept.pk,
    )
    assert sorted(ProfileTag.objects.filter(profile=kept).values_list("tag__name", flat=True)) == [
        "*Marietta",
        "*Orthodontic Patient",
    ]
    assert LedgerEntry.objects.get(profile=kept, kind=EntryKind.MERGE_IN).points == 40
