"""A linked patient's profile in a real browser: the PMS link box and the tag the
PMS mapping set; the chart id is shown and in no link."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from playwright.sync_api import Page, expect
from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api, make_key

from rewardshub.integrations.actions import add_tag_rule
from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password


def test_the_profile_shows_its_chart_link_and_the_pms_tag(
    acworth: Practice,
    frontdesk: object,
    issue_cards: Callable[..., list[str]],
    sign_in: Callable[[str, str], Page],
) -> None:
    (card,) = issue_cards(acworth, 1)
    add_tag_rule(
        practice=acworth,
        system="orthotrac",
        field="pms_status",
        value="Active Tx",
        tag=Tag.objects.get(practice=acworth, name="*Orthodontic Patient"),
        actor=SYSTEM,
    )
    api = Api(client=Client(), token=make_key(acworth)[1])
    assert api.set_card(CHART, card, **EMMA, pms_status="Active Tx").status_code in (200, 201)
    profile = Profile.objects.get(username=card)

    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{profile.public_id}/")

    box = page.locator("#pms-link")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Orthotrac")
    expect(box.locator(".chart-id")).to_have_text(CHART)
    expect(box.locator(".pms-last-event")).to_contain_text("Set card: Created")
    expect(page.locator("#tags")).to_contain_text(
        "*Orthodontic Patient comes from the PMS tag mapping"
    )
    hrefs = page.eval_on_selector_all(
        "a[href], form[action]", "els => els.map(e => e.href || e.action)"
    )
    assert hrefs and not [href for href in hrefs if CHART in href]
    assert CHART not in page.url
