"""The seed's existing-patient workflow when the chart is not the hub patient's:
the birth dates differ, so Set card opens the hub's confirmation window instead
of linking, and staff link the records or cancel there (issue 11, section 1)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from tests.browser import test_seed_workflows as seed_workflows
from tests.browser.test_seed_workflows import (
    EMMA_BORN,
    Sim,
    assert_clean_address,
    assert_spent,
    close_set_card_dialog,
    launch,
    menu,
    open_chart,
)

from pms_sim.seed import EMMA_CHART_ID
from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import LinkState, PendingLink, PmsLink
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The seed workflows' world: the sim on the hub's host, its key, cards and tag mapping.
cards = seed_workflows.cards
tag_mapping = seed_workflows.tag_mapping
sim = seed_workflows.sim
context = seed_workflows.context
pms = seed_workflows.pms

# The hub's Emma was entered with day and month swapped.
HUB_BORN = dt.date(EMMA_BORN.year, EMMA_BORN.day, EMMA_BORN.month)
WAITING = "Patient Rewards Hub: Waiting for confirmation in the hub"


@pytest.fixture
def emma(acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]) -> Profile:
    assert HUB_BORN != EMMA_BORN
    return make_profile(
        acworth, "Emma", "Johnson", card=cards[1], birth_date=HUB_BORN, email="old@example.com"
    )


def set_card_for_confirmation(pms: Page, username: str) -> tuple[Page, str]:
    """Functions > Patient Rewards Hub > Set card, type the username: the hub's window opens."""
    menu(pms, "functions", "set-card").click()
    field = pms.locator("#card")
    expect(field).to_be_focused()
    with pms.expect_popup() as popup:
        field.press_sequentially(username)
        field.press("Enter")
    window = popup.value
    window.wait_for_url(re.compile(r".*/link-confirmations/[0-9a-f-]{36}/$"))
    expect(pms.locator("#set-card-result")).to_contain_text("Waiting for confirmation in the hub")
    return window, pms.locator("#hub-window").get_attribute("href") or ""


def assert_comparison(window: Page, username: str) -> None:
    expect(window.get_by_role("heading", name="Is this the same patient?")).to_be_visible()
    compare = window.locator("#link-compare")
    birth = compare.get_by_role("row").filter(has_text="Birth date")
    expect(birth).to_contain_text(HUB_BORN.isoformat())
    expect(birth).to_contain_text(EMMA_BORN.isoformat())
    expect(birth).to_contain_text("Differs")
    expect(compare.get_by_role("row").filter(has_text="Last name")).not_to_contain_text("Differs")
    expect(window.locator("#link-proposed")).to_contain_text(
        f"Birth date updated from {HUB_BORN.isoformat()} to {EMMA_BORN.isoformat()}"
    )
    expect(window.locator("#link-proposed")).to_contain_text(
        "Email updated from old@example.com to johnson.family@example.com"
    )
    expect(window.get_by_text(username, exact=True).first).to_be_visible()


def test_staff_confirm_the_link_in_the_hub_window(
    context: BrowserContext, pms: Page, sim: Sim, acworth: Practice, emma: Profile
) -> None:
    open_chart(pms, sim, EMMA_CHART_ID)
    window, browser_url = set_card_for_confirmation(pms, emma.username)

    assert_comparison(window, emma.username)
    assert_clean_address(window.url, browser_url, "Emma", "Johnson", emma.username, EMMA_CHART_ID)
    assert_spent(context, browser_url)
    assert not PmsLink.objects.filter(chart_id=EMMA_CHART_ID).exists()
    pms.bring_to_front()
    close_set_card_dialog(pms)
    expect(pms.locator("#hub-sync-badge")).to_have_text(WAITING)

    window.bring_to_front()
    window.get_by_role("button", name="Link these records").click()
    expect(window.get_by_role("heading")).to_have_text(
        "Linked: Emma is synced with the Patient Rewards Hub."
    )
    expect(window.locator("#link-changes")).to_contain_text(
        f"Birth date updated from {HUB_BORN.isoformat()} to {EMMA_BORN.isoformat()}"
    )
    assert PmsLink.objects.get(chart_id=EMMA_CHART_ID).profile == emma
    assert Profile.objects.get(pk=emma.pk).birth_date == EMMA_BORN
    assert AuditEvent.objects.filter(action="pms.link_confirm", profile=emma).exists()
    window.close()

    # Launch now opens her profile.
    pms.bring_to_front()
    pms.reload()
    expect(pms.locator("#hub-sync-badge")).to_have_text(
        f"Patient Rewards Hub: Synced ({emma.username})"
    )
    opened, _ = launch(pms, "functions")
    assert opened.url.endswith(f"/patients/{emma.public_id}/")


def test_staff_cancel_and_nothing_changes(
    context: BrowserContext, pms: Page, sim: Sim, emma: Profile, live_server: Any
) -> None:
    open_chart(pms, sim, EMMA_CHART_ID)
    window, _ = set_card_for_confirmation(pms, emma.username)
    assert_comparison(window, emma.username)

    window.get_by_role("button", name="Cancel").click()

    expect(window.get_by_role("heading")).to_have_text("Cancelled: nothing was linked or changed.")
    assert not PmsLink.objects.filter(chart_id=EMMA_CHART_ID).exists()
    fresh = Profile.objects.get(pk=emma.pk)
    assert (fresh.birth_date, fresh.email) == (HUB_BORN, "old@example.com")
    assert PendingLink.objects.get().state == LinkState.CANCELLED
    window.close()
    pms.bring_to_front()
    close_set_card_dialog(pms)
    expect(pms.locator("#hub-sync-badge")).to_have_text("Patient Rewards Hub: Not synced")
