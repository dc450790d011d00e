"""A launch from the PMS into a browser where the owner is signed in keeps the owner signed in.

Before, the launch silently replaced the owner's session with a "FRONTDESK via
Orthotrac" session with the rewards role, and Settings then said "Not allowed".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Page, expect
from tests.conftest import PASSWORD
from tests.integrations.conftest import CHART, EMMA, Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _emma_synced(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]
) -> tuple[Profile, Api]:
    """Emma's chart synced through the API, and the API client that did it."""
    api = Api(client=Client(), token=make_key(acworth)[1])
    api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA)
    return Profile.objects.get(practice=acworth), api


def _launch_link(api: Api) -> str:
    """The path of a fresh launch link for Emma's profile, launched by FRONTDESK."""
    return urlsplit(api.launch(CHART, "profile", pms_user="FRONTDESK").json()["url"]).path


def test_an_owners_session_survives_a_launch_in_the_same_browser(
    page: Page,
    sign_in: Callable[[str, str], Page],
    owner: Any,
    acworth: Practice,
    issue_cards: Callable[[Practice, int], list[str]],
) -> None:
    emma, api = _emma_synced(acworth, issue_cards)
    sign_in(owner.username, PASSWORD)

    # Orthotrac's Launch opens its one-time link in this browser.
    page.goto(_launch_link(api))
    page.wait_for_url(f"**/patients/{emma.public_id}/")

    expect(page.get_by_role("heading", name="Emma Johnson")).to_be_visible()
    expect(page.locator(".topbar .actor")).to_have_text("owner")
    expect(page.get_by_text("FRONTDESK via Orthotrac")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings/")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_text("Not allowed")).to_have_count(0)
    expect(page.get_by_text("cannot open this page")).to_have_count(0)
    expect(page.locator(".topbar .actor")).to_have_text("owner")
    event = AuditEvent.objects.get(action="pms.launch_open")
    assert event.actor_label == "FRONTDESK via Orthotrac"
    assert event.detail["staff_user"] == "owner"


def test_a_launch_into_another_practices_session_asks_first(
    page: Page,
    sign_in: Callable[[str, str], Page],
    outsider: Any,
    acworth: Practice,
    issue_cards: Callable[[Practice, int], list[str]],
) -> None:
    emma, api = _emma_synced(acworth, issue_cards)
    sign_in(outsider.username, PASSWORD)

    page.goto(_launch_link(api))
    page.wait_for_url("**/launch-choice/")
    expect(page.get_by_role("heading")).to_have_text(
        "FRONTDESK via Orthotrac opened a patient of Acworth Orthodontics"
    )
    expect(page.locator(".topbar .actor")).to_have_text("riverside")
    assert not AuditEvent.objects.filter(action="pms.launch_open").exists()

    # Staying keeps Riverside; the session still works (its forms' CSRF too).
    page.get_by_role("button", name="Continue with Riverside Dental").click()
    page.wait_for_url("**/patients/")
    expect(page.locator(".topbar .practice-name")).to_have_text("Riverside Dental")

    # A second launch, answered the other way: the profile opens, as the PMS user.
    page.goto(_launch_link(api))
    page.get_by_role("button", name="Open Acworth Orthodontics").click()
    page.wait_for_url(f"**/patients/{emma.public_id}/")
    expect(page.get_by_role("heading", name="Emma Johnson")).to_be_visible()
    expect(page.locator(".topbar .actor")).to_contain_text("FRONTDESK via Orthotrac")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
