"""The card sheets print the practice's logo (Settings > Branding) on every card's front."""

from __future__ import annotations

import io

from django.test import Client
from pypdf import PdfReader
from tests.branding.conftest import LOGO_SIZE
from tests.test_card_sheets import _placed

from rewardshub.cards.sheets import SheetCard, card_sheet_pdf
from rewardshub.practices.models import Practice

LOGIN = "http://testserver/portal/login/"
CARDS = [SheetCard(f"40001234123412{n:02d}", "0427") for n in range(3)]


def _front_images(data: bytes) -> list[tuple[int, int]]:
    front = PdfReader(io.BytesIO(data)).pages[0]
    return [image.image.size for image in front.images if image.image is not None]


def test_the_fronts_carry_the_logo_and_the_name(branded: Practice) -> None:
    data = card_sheet_pdf(practice=branded, cards=CARDS, login_url=LOGIN)
    assert _front_images(data) == [LOGO_SIZE]  # one picture, drawn on each card
    front = PdfReader(io.BytesIO(data)).pages[0]
    assert front.get_contents() is not None
    assert front.get_contents().get_data().count(b" Do") == len(CARDS)
    assert [t for t, _ in _placed(front)] == ["Acworth Orthodontics"] * len(CARDS)


def test_without_a_logo_the_fronts_have_no_picture(acworth: Practice) -> None:
    data = card_sheet_pdf(practice=acworth, cards=CARDS, login_url=LOGIN)
    assert _front_images(data) == []


def test_a_batch_issued_as_pdf_prints_the_logo(owner_client: Client, branded: Practice) -> None:
    response = owner_client.post(
        "/cards/batches/issue/", {"count": 2, "label": "Fall", "format": "pdf"}
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert _front_images(response.content) == [LOGO_SIZE]
