"""After a form succeeds, Back shows the current state, not a stale form that invites a second
submit (issue 11, section 5): every successful POST redirects to a page, pages are not kept
in the back/forward cache, and a form the browser brings back comes back empty."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect
from tests.integrations.conftest import CHART, EMMA, Api, make_key
from tests.points.conftest import menu as points_menu

from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry, RewardItem
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
menu = points_menu


@pytest.fixture
def emma(acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> Profile:
    api = Api(client=Client(), token=make_key(acworth)[1])
    assert api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA).status_code == 200
    return Profile.objects.get(practice=acworth)


def track_documents(page: Page) -> list[str]:
    """Each main-frame document the browser fetched (a page restored from its
    back/forward cache is not fetched again, and does not appear)."""
    fetched: list[str] = []
    page.on(
        "response",
        lambda response: fetched.append(f"{response.request.method} {response.status}")
        if response.request.resource_type == "document"
        else None,
    )
    return fetched


def test_back_after_awarding_shows_the_new_balance_and_an_empty_form(
    sign_in: Callable[[str, str], Page],
    frontdesk: Any,
    emma: Profile,
    menu: dict[str, RewardItem],
) -> None:
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{emma.public_id}/")
    expect(page.locator("p.points")).to_have_text("0")
    fetched = track_documents(page)

    page.get_by_label("On time").check()
    page.get_by_label("Description (optional)").fill("Adjustment visit")
    page.get_by_role("button", name="Award points").click()
    expect(page.get_by_role("status").filter(has_text="Awarded")).to_have_text(
        "Awarded 3 points. New balance: 3."
    )
    # Post/redirect/get: the answer to the POST is a redirect, the page a GET.
    assert fetched[:2] == ["POST 302", "GET 200"]

    page.go_back()
    # The profile as it is now, fetched again, with nothing ticked or typed.
    expect(page.locator("p.points")).to_have_text("3")
    expect(page.get_by_label("On time")).not_to_be_checked()
    expect(page.get_by_label("Description (optional)")).to_have_value("")
    assert fetched[-1] == "GET 200"

    # Reloading what Back showed, and going forward again, award nothing more.
    page.reload()
    page.go_forward()
    expect(page.locator("p.points")).to_have_text("3")
    assert "POST" not in " ".join(fetched[2:])
    awards = LedgerEntry.objects.filter(profile=emma, kind=EntryKind.AWARD)
    assert awards.count() == 1
    emma.refresh_from_db()
    assert emma.points_balance == 3


def test_back_after_editing_details_shows_the_saved_details(
    sign_in: Callable[[str, str], Page], frontdesk: Any, emma: Profile
) -> None:
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{emma.public_id}/")
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Preferred name").fill("Em")
    page.get_by_label("Location").select_option(label="Acworth")
    fetched = track_documents(page)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{emma.public_id}/")
    assert fetched[:2] == ["POST 302", "GET 200"]

    page.go_back()  # the edit form, fetched again: the saved details
    expect(page.get_by_label("Preferred name")).to_have_value("Em")
    assert fetched[-1] == "GET 200"
    page.go_back()  # the profile before the edit, fetched again: as it is now
    expect(page.locator("dl.kv").get_by_text("Em", exact=True)).to_be_visible()
    assert fetched[-1] == "GET 200"


def test_a_stale_new_portal_password_form_does_not_replace_the_password_just_given(
    sign_in: Callable[[str, str], Page], frontdesk: Any, emma: Profile
) -> None:
    """The password is shown in the answer to the POST (it is never kept for a page after a
    redirect), so that one form cannot follow post/redirect/get; a form from before the
    password was made is refused instead of quietly replacing it."""
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{emma.public_id}/")
    other_tab = page.context.new_page()
    other_tab.goto(f"/patients/{emma.public_id}/")  # the same profile, open in another tab

    page.get_by_role("button", name="New portal password").click()
    expect(page.get_by_test_id("temp-password")).to_have_text(re.compile(r"^\d{4}$"))
    given = PortalAccount.objects.get(profile=emma).temp_password_hash

    other_tab.get_by_role("button", name="New portal password").click()
    expect(other_tab.locator(".flash")).to_have_text(
        "A new portal password was already made from that page, and shown once. "
        "To make another, press New portal password again."
    )
    assert PortalAccount.objects.get(profile=emma).temp_password_hash == given

    # Back shows the profile as it is now; its button makes a new password on purpose.
    fetched = track_documents(page)
    page.go_back()
    assert fetched == ["GET 200"]
    page.get_by_role("button", name="New portal password").click()
    expect(page.get_by_test_id("temp-password")).to_have_text(re.compile(r"^\d{4}$"))
    assert PortalAccount.objects.get(profile=emma).temp_password_hash != given
