"""Card sheets in chromium: issuing as PDF downloads the sheets, and a card's QR code
opens the portal login with the card number filled in from the address's fragment."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from rewardshub.cards.models import Card
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password


def test_a_pdf_batch_and_its_qr_code_open_the_portal_login(
    sign_in: Callable[[str, str], Page], owner: Any, acworth: Practice, tmp_path: Path
) -> None:
    page = sign_in("owner", PASSWORD)
    page.goto("/cards/batches/")
    page.get_by_label("Number of cards").fill("3")
    page.get_by_label("PDF card sheets").check()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Issue cards").click()
    download = caught.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert len(PdfReader(io.BytesIO(data)).pages) == 2

    document = pypdfium2.PdfDocument(data)
    try:
        image = document[1].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    codes = sorted(result.text for result in zxingcpp.read_barcodes(image))
    numbers = sorted(Card.objects.filter(practice=acworth).values_list("number", flat=True))
    assert [code.rsplit("=", 1)[1] for code in codes] == numbers

    # The phone opens the code: the number lands in the field and leaves the address bar.
    page.context.clear_cookies()
    page.goto(codes[0])
    expect(page.get_by_label("Card number or username")).to_have_value(numbers[0])
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    assert "#" not in page.url and numbers[0] not in page.url
