"""A QR code, end to end in a real browser: staff add and print it, the printed code is read
back as a phone's camera would read it, and a patient on a phone-sized portal collects it
once (signing in on the way) and is refused the second time, in words."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zxingcpp
from django.db.models import Sum
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS, activate_portal

from rewardshub.audit.actors import Actor
from rewardshub.campaigns.actions import practice_today
from rewardshub.campaigns.models import QrCode, QrCollection
from rewardshub.campaigns.rules import day_words
from rewardshub.cards.batches import issue_batch
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
NEW_PASSWORD = "sparkly-braces-42"
SYSTEM = Actor.system("tests")
PHONE = {"width": 390, "height": 844}
LABEL = "Checked in on social media"


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    card = issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]
    profile = make_profile(acworth, first="Emma", last="Johnson", card=card.number)
    activate_portal(profile, NEW_PASSWORD)
    return profile


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _read_code(page: Page) -> str:
    """What a camera reads off the printed code: the picture as the page shows it."""
    shot = page.get_by_test_id("qr-picture").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def test_a_printed_code_is_collected_once_on_a_phone(
    page: Page,
    phone: Page,
    live_server: Any,
    acworth: Practice,
    owner: Any,
    emma: Profile,
    sign_in: Callable[[str, str], Page],
) -> None:
    # Staff add the code and open its printable page.
    sign_in("owner", PASSWORD)
    page.goto("/settings/campaigns/")
    page.get_by_role("link", name="Add a QR code").click()
    page.get_by_label("Label").fill(LABEL)
    page.get_by_label("Points", exact=True).fill("10")
    page.get_by_role("button", name="Add QR code").click()
    expect(page.get_by_test_id("qr-poster")).to_contain_text(LABEL)
    expect(page.get_by_test_id("qr-poster")).to_contain_text("+10 points")
    code = QrCode.objects.get()
    url = _read_code(page)
    assert url == f"{live_server.url}/portal/collect/{code.token}/"

    # The patient scans it signed out: the portal asks to log in, then shows the code.
    phone.goto(url)
    expect(phone.get_by_text("Log in to collect your points.")).to_be_visible()
    phone.get_by_label("Card number or username").fill(emma.username)
    phone.get_by_label("Password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url(url)
    phone.get_by_role("button", name="Collect 10 points").click()
    phone.wait_for_url(f"{live_server.url}/portal/")
    expect(phone.get_by_role("status")).to_have_text(f"You collected 10 points for “{LABEL}”!")
    expect(phone.get_by_test_id("balance")).to_contain_text("10")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The second scan is refused in words, with no button to press.
    phone.goto(url)
    today = practice_today(acworth)
    expect(phone.get_by_role("alert")).to_have_text(
        f"You collected this on {day_words(today, today)}; it can be collected only once."
    )
    expect(phone.get_by_role("button", name="Collect 10 points")).to_have_count(0)
    emma.refresh_from_db()
    total = LedgerEntry.objects.filter(profile=emma).aggregate(s=Sum("points"))["s"]
    assert emma.points_balance == total == 10
    assert QrCollection.objects.filter(profile=emma, code=code).count() == 1
