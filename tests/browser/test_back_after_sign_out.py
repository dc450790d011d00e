"""Back after sign-out shows no patient: the browser kept no copy of the profile page.

On a shared front-desk PC the next person must not press Back and read the
last patient. The hub answers every page with `Cache-Control: no-store`, so
chromium keeps neither an HTTP-cache copy nor a back/forward-cache copy:
Back asks the hub again, which sends a signed-out browser to the sign-in page.

Playwright switches chromium's back/forward cache off by default; a
front-desk browser has it on, so this test launches one with it on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD
from tests.integrations.conftest import CHART, Api, make_key

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A page of a chromium as people run it: with the back/forward cache."""
    desk = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    context = desk.new_context(base_url=live_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
        desk.close()


def test_back_after_sign_out_shows_no_patient_name(
    desk_page: Page,
    owner: Any,
    acworth: Practice,
    make_profile: Callable[..., Profile],
) -> None:
    zara = make_profile(acworth, "Zaranthia", "Pemberton-Quill")
    page = desk_page
    page.goto("/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients/")
    page.goto(f"/patients/{zara.public_id}/")
    expect(page.get_by_role("heading", name="Zaranthia Pemberton-Quill")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert "Pemberton-Quill" not in page.content()

    # A page restored from the back/forward cache fires no load event: wait for
    # the navigation to commit, then for whatever the browser shows to be complete.
    page.go_back(wait_until="commit")
    page.wait_for_function("document.readyState === 'complete'")
    body = page.content()
    assert "Zaranthia" not in body and "Pemberton-Quill" not in body, page.url
    assert "/login/" in page.url


def test_back_after_signing_out_of_a_pms_opened_session_shows_no_patient_name(
    desk_page: Page, acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    api = Api(client=Client(), token=make_key(acworth)[1])
    patient = {"first_name": "Zaranthia", "last_name": "Pemberton-Quill"}
    api.set_card(CHART, issue_cards(acworth, 1)[0], birth_date="2012-04-17", **patient)
    page = desk_page
    # Orthotrac's Launch, in a browser nobody signed in to.
    page.goto(urlsplit(api.launch(CHART, "profile", pms_user="FRONTDESK").json()["url"]).path)
    expect(page.get_by_role("heading", name="Zaranthia Pemberton-Quill")).to_be_visible()
    expect(page.locator(".topbar .actor")).to_contain_text(
        "FRONTDESK via Orthotrac · opened from the PMS, acting as Rewards"
    )

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    assert "Pemberton-Quill" not in page.content()
    assert not any(c["name"] == "sessionid" for c in page.context.cookies())

    page.go_back(wait_until="commit")
    page.wait_for_function("document.readyState === 'complete'")
    body = page.content()
    assert "Zaranthia" not in body and "Pemberton-Quill" not in body, page.url
    assert "/login/" in page.url
