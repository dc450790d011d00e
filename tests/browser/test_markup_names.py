"""Names with markup, quotes, right-to-left text and emoji, in a real browser.

Staff type such a name into Add member; the database keeps it byte for byte;
the staff profile page, the PMS chart view (reached by a launch link) and the
patient portal show it exactly as typed, as text: no dialog opens, and none
of the markup becomes an element of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from tests.fuzz.names import EMOJI, IMG, QUOTES, RTL, SCRIPT
from tests.integrations.conftest import Api, make_key

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import IssuedCard, issue_batch
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
NEW_PASSWORD = "sparkly-braces-42"
SYSTEM = Actor.system("tests")

FIRST = f"{SCRIPT} {EMOJI}"
LAST = f"{QUOTES} {RTL}"
PREFERRED = IMG
RESPONSIBLE = "{{ 7*7 }} ${7*7} </dd><b>bold</b>"
DISPLAY = f"{FIRST} “{PREFERRED}” {LAST}"


class Watched:
    """A page whose dialogs are recorded (and dismissed) instead of blocking it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_nothing_injected(self) -> None:
        page = self.page
        assert self.dialogs == []
        assert page.locator("img[src='x'], [onerror], b:text-is('bold')").count() == 0
        scripts = page.evaluate(
            "() => [...document.scripts].filter(s => s.textContent.includes('alert(')).length"
        )
        assert scripts == 0


def _text(page: Page, selector: str) -> str:
    return page.locator(selector).first.text_content() or ""


def _detail(page: Page, label: str) -> str:
    return _text(page, f"xpath=//dt[normalize-space()='{label}']/following-sibling::dd[1]")


@pytest.fixture
def card(acworth: Practice) -> IssuedCard:
    return issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]


def test_a_name_with_markup_is_stored_and_shown_exactly_everywhere(
    page: Page,
    browser: Browser,
    live_server: Any,
    frontdesk: Any,
    acworth: Practice,
    card: IssuedCard,
    sign_in: Callable[[str, str], Page],
) -> None:
    staff = Watched(page)
    sign_in("frontdesk", PASSWORD)

    # Add member, typed into the form as a person would.
    page.goto("/patients/add/")
    page.get_by_label("Card number", exact=True).fill(card.number)
    page.get_by_label("Confirm card number").fill(card.number)
    page.get_by_label("First name").fill(FIRST)
    page.get_by_label("Last name").fill(LAST)
    page.get_by_label("Preferred name").fill(PREFERRED)
    page.get_by_label("Birth date").fill("2012-04-17")
    page.get_by_label("Responsible party").fill(RESPONSIBLE)
    page.get_by_label("Location").select_option(label="Acworth")
    page.locator("form.stacked-form").get_by_role("button", name="Add member").click()
    page.wait_for_url("**/patients/*-*/")

    # Stored byte for byte.
    profile = Profile.objects.get(username=card.number)
    stored = (profile.first_name, profile.last_name, profile.preferred_name)
    assert stored == (FIRST, LAST, PREFERRED)
    assert profile.responsible_party == RESPONSIBLE
    assert profile.first_name.encode() == FIRST.encode()

    # The staff profile page.
    assert _text(page, "h1.profile-name") == DISPLAY
    assert page.title() == f"{FIRST} {LAST} · Acworth Orthodontics"
    assert _detail(page, "First name") == FIRST
    assert _detail(page, "Last name") == LAST
    assert _detail(page, "Preferred name") == PREFERRED
    assert _detail(page, "Responsible party") == RESPONSIBLE
    expect(page.locator(".flash-success")).to_have_text(
        f"{FIRST} {LAST} was added with card …{card.number[-4:]}."
    )
    staff.assert_nothing_injected()

    # The patients list, found by a word of the name.
    page.goto("/patients/")
    search_box = page.get_by_label("Search patients")
    search_box.fill("Zoë")
    search_box.press("Enter")
    expect(page.locator(".result-count")).to_contain_text("1 patient")
    row_link = page.locator("table a").filter(has_text="Cohen").first
    assert row_link.text_content() == f"{LAST}, {FIRST}"
    staff.assert_nothing_injected()

    # The PMS chart view, opened by a launch link in the PMS's own window.
    api = Api(client=Client(), token=make_key(acworth)[1])
    # The chart is hers (name and birth date agree), so set card links it at once.
    chart_says = {"first_name": FIRST, "last_name": LAST, "birth_date": "2012-04-17"}
    assert api.set_card("OT-4242", card.number, **chart_says).json()["outcome"] == "linked"
    url = api.launch("OT-4242", "chart").json()["url"]
    pms_context = browser.new_context(base_url=live_server.url)
    chart = Watched(pms_context.new_page())
    chart.page.goto(urlsplit(url).path)
    chart.page.wait_for_url(f"**/chart/{profile.public_id}/")
    assert _text(chart.page, "h1.profile-name") == DISPLAY
    assert chart.page.title() == f"{FIRST} {LAST} · Acworth Orthodontics"
    chart.assert_nothing_injected()
    pms_context.close()

    # The patient portal: the first log-in asks for the last name (typed with its
    # quotes and right-to-left text) before it shows any name, then greets by
    # preferred name at home.
    portal_context = browser.new_context(base_url=live_server.url)
    portal = Watched(portal_context.new_page())
    patient = portal.page
    patient.goto("/portal/login/")
    patient.get_by_label("Card number or username").fill(card.number)
    patient.get_by_label("Password", exact=True).fill(card.temp_password)
    patient.get_by_role("button", name="Log in").click()
    patient.wait_for_url("**/portal/welcome/")
    assert _text(patient, "h1") == "Welcome! Is this your card?"
    shown = patient.locator("body").inner_text()
    assert PREFERRED not in shown and FIRST not in shown and EMOJI not in shown
    portal.assert_nothing_injected()
    patient.get_by_label("Your last name").fill(LAST)
    patient.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    patient.get_by_label("New password again").fill(NEW_PASSWORD)
    patient.get_by_role("button", name="Yes, that’s me: save my password").click()
    patient.wait_for_url("**/portal/")
    assert _text(patient, ".p-hello") == f"Hi {PREFERRED}!"
    portal.assert_nothing_injected()
    portal_context.close()
