"""Settings > Card batches in chromium: issuing downloads the card list at once, the page
says so, and the list is kept nowhere (tests/test_card_list_at_rest.py searches further)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.test_card_list_at_rest import Search, search_database

from rewardshub.cards.models import Card
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password


def test_issuing_a_batch_downloads_its_card_list_once(
    sign_in: Callable[[str, str], Page], owner: Any, acworth: Practice, tmp_path: Path
) -> None:
    page = sign_in("owner", PASSWORD)
    page.goto("/cards/batches/")
    notice = page.get_by_text("The card list downloads as soon as you press Issue cards")
    expect(notice).to_be_visible()
    page.get_by_label("Number of cards").fill("7")
    page.get_by_label("Label (optional)").fill("Browser")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Issue cards").click()
    download = caught.value
    assert download.suggested_filename.startswith("cards-acworth-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    # The page stays, says what happened and keeps a second press from issuing again.
    expect(page.get_by_role("status")).to_contain_text("Your card list is downloading. Save it now")
    expect(page.get_by_role("button", name="Issue cards")).to_be_disabled()

    with saved.open(newline="") as f:
        rows = list(csv.DictReader(f))
    hashes = dict(Card.objects.filter(practice=acworth).values_list("number", "temp_password_hash"))
    assert {row["card_number"] for row in rows} == set(hashes) and len(rows) == 7
    assert all(check_temp_password(r["temp_password"], hashes[r["card_number"]]) for r in rows)

    page.reload()
    expect(page.get_by_text(f"Their card list came as the download {saved.name}")).to_be_visible()
    expect(page.get_by_role("cell", name="Browser")).to_be_visible()
    search = Search(hashes)
    search_database(search)
    assert search.hits == []
