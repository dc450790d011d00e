"""Settings > Integration keys in chromium: the owner sets how long the PMS may stay
silent, with opening hours, through the time boxes and day boxes; a silent PMS then
shows its warning on the patients list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from tests.integrations.conftest import make_key

from rewardshub.integrations.models import SyncWatch
from rewardshub.practices.models import IntegrationKey, Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password


def test_the_owner_sets_the_silence_warning_and_sees_it(
    sign_in: Callable[[str, str], Page], owner: Any, acworth: Practice
) -> None:
    key = make_key(acworth)[0]
    page = sign_in("owner", PASSWORD)
    expect(page.locator("#sync-warning")).to_have_count(0)
    page.goto("/settings/integrations/keys/")
    form = page.locator("#sync-health")
    form.get_by_label("Warn when the PMS has not called for").fill("2")
    form.get_by_label("Opens at").fill("08:00")
    form.get_by_label("Closes at").fill("07:00")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        form.get_by_label(day).check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("The sync health settings were not saved.")
    expect(page.get_by_text("The closing time must be after the opening time")).to_be_visible()
    assert not SyncWatch.objects.exists()

    # The typed values are still there: fix the one that is wrong.
    expect(form.get_by_label("Monday")).to_be_checked()
    form.get_by_label("Closes at").fill("17:00")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Sync health settings saved.")
    saved = SyncWatch.objects.get(practice=acworth)
    assert (saved.silence_minutes, saved.opens_at, saved.closes_at, saved.weekdays) == (
        120,
        dt.time(8),
        dt.time(17),
        "01234",
    )

    # Every hour counts again; the PMS last called three hours ago.
    page.locator("#sync-health").get_by_label("Opens at").fill("")
    page.locator("#sync-health").get_by_label("Closes at").fill("")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.locator("#sync-health").get_by_label(day).uncheck()
    page.locator("#sync-health").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Sync health settings saved.")
    now = timezone.now()
    IntegrationKey.objects.filter(pk=key.pk).update(
        last_used_at=now - dt.timedelta(hours=3, minutes=5), created_at=now - dt.timedelta(days=9)
    )
    page.goto("/patients/")
    warning = page.locator("#sync-warning")
    expect(warning).to_contain_text("Orthotrac has not called the hub for 3 hours (last call ")
    warning.get_by_role("link", name="Integration keys").click()
    page.wait_for_url("**/settings/integrations/keys/")
