"""Printable card sheets: the PDF a batch is issued as, and its reprint without passwords.

Each PDF is opened as a printer would get it (pypdf for pages, sizes and
text; pypdfium2 renders a page to pixels and zxing-cpp reads the QR codes
off it, as a phone camera would).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from django.contrib.messages import get_messages
from django.test import Client
from pypdf import PdfReader
from pypdf._page import PageObject
from tests.conftest import SYSTEM
from tests.test_card_list_at_rest import _card_hashes, search_everywhere

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.batches import issue_batch
from rewardshub.cards.models import Card, CardBatch
from rewardshub.cards.sheets import (
    FRONT_DESK_NOTE,
    LEFT,
    SheetCard,
    card_login_url,
    card_sheet_pdf,
    latin1,
)
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

LETTER = (612, 792)  # points
MIDDLE = (LEFT + 3.5) * 72  # between the two columns, in points
GROUPED = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
LOGIN = "http://testserver/portal/login/"
SCRATCH = "Temporary password (scratch off):"


def _pdf(response: Any) -> PdfReader:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    return PdfReader(io.BytesIO(response.content))


def _placed(page: PageObject) -> list[tuple[str, float]]:
    """Each piece of text on the page with its x position (points from the left)."""
    found: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            found.append((text.strip(), cm[0] * tm[4] + cm[4]))

    page.extract_text(visitor_text=visit)
    return found


def _numbers(page: PageObject) -> list[tuple[str, float]]:
    """The card numbers printed on a page (ungrouped), with their x positions."""
    return [(t.replace(" ", ""), x) for t, x in _placed(page) if GROUPED.fullmatch(t)]


def _qr_codes(data: bytes, page: int) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[page].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def _check_layout(reader: PdfReader, numbers: list[str], name: str) -> None:
    """Fronts then backs, 10 cards a sheet; each back behind its front (columns swapped)."""
    sheets = [numbers[i : i + 10] for i in range(0, len(numbers), 10)]
    assert len(reader.pages) == 2 * len(sheets)
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == LETTER
    for number, sheet in enumerate(sheets):
        front, back = reader.pages[2 * number], reader.pages[2 * number + 1]
        names = [x for text, x in _placed(front) if text == name]
        assert len(names) == len(sheet)
        # Fronts: the first card of each row on the left.
        assert [x < MIDDLE for x in names] == [k % 2 == 0 for k in range(len(sheet))]
        printed = _numbers(back)
        assert [n for n, _ in printed] == sheet
        # Backs: the same card on the right, so a long-edge duplex print lines up.
        assert [x > MIDDLE for _, x in printed] == [k % 2 == 0 for k in range(len(sheet))]
        assert GROUPED.search(front.extract_text()) is None


def _check_qr(data: bytes, reader: PdfReader, login: str) -> None:
    for page in range(1, len(reader.pages), 2):
        numbers = [n for n, _ in _numbers(reader.pages[page])]
        codes = _qr_codes(data, page)
        assert codes == sorted(card_login_url(login, n) for n in numbers)
        for code in codes:
            parts = urlsplit(code)
            # The number is in the fragment only: never sent to a server, never in a log.
            assert parts.fragment in {f"card={n}" for n in numbers}
            assert not re.search(r"\d{16}", parts.path + parts.query + parts.netloc)
            assert code.split("#")[0] == login


def test_issuing_as_pdf_answers_with_card_sheets(
    owner_client: Client, acworth: Practice
) -> None:
    response = owner_client.post(
        "/cards/batches/issue/", {"count": 12, "label": "Fall", "format": "pdf"}
    )
    reader = _pdf(response)
    assert re.fullmatch(
        r'attachment; filename="cards-acworth-\d{8}-\d{4}\.pdf"',
        response["Content-Disposition"],
    )
    hashes = _card_hashes(acworth)
    numbers = sorted(hashes)
    assert len(numbers) == 12
    _check_layout(reader, numbers, "Acworth Orthodontics")
    _check_qr(response.content, reader, LOGIN)
    # Each back has its password in the scratch-off box, and it opens the portal.
    for page in (1, 3):
        placed = _placed(reader.pages[page])
        printed = [n for n, _ in _numbers(reader.pages[page])]
        passwords = [t for t, _ in placed if re.fullmatch(r"\d{4}", t)]
        assert [t for t, _ in placed].count(SCRATCH) == len(printed) == len(passwords)
        for number, password in zip(printed, passwords, strict=True):
            assert check_temp_password(password, hashes[number])
        assert FRONT_DESK_NOTE not in reader.pages[page].extract_text()
    # Issued once, and nothing printed yet counts as a reprint.
    assert AuditEvent.objects.filter(action="cards.issue").count() == 1
    assert not AuditEvent.objects.filter(action="cards.print").exists()
    page = owner_client.get("/cards/batches/")
    [flash] = [str(m) for m in get_messages(page.wsgi_request)]
    assert "Their card sheets came as the download cards-acworth-" in flash
    assert "only copy of their temporary passwords" in flash


def test_a_csv_is_still_the_default(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.post("/cards/batches/issue/", {"count": 3})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    response = owner_client.post("/cards/batches/issue/", {"count": 3, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert Card.objects.filter(practice=acworth).count() == 6


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": 3, "format": "docx"}, "Choose the CSV file or the PDF card sheets."),
        ({"count": 1001, "format": "pdf"}, "PDF card sheets hold up to 1,000 cards at a time"),
    ],
)
def test_a_bad_format_or_too_many_sheets_issues_nothing(
    owner_client: Client, acworth: Practice, data: dict[str, Any], message: str
) -> None:
    response = owner_client.post("/cards/batches/issue/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not CardBatch.objects.exists() and not Card.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="cards.").exists()


def _batch_sheets(client: Client, batch: CardBatch) -> Any:
    return client.get(f"/cards/batches/{batch.public_id}/sheets/")


def test_a_reprint_has_no_passwords_and_is_audited(
    owner_client: Client,
    owner: Any,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    settings: Any,
) -> None:
    settings.PUBLIC_URL = "https://rewards.example.org/"
    issued = issue_batch(practice=acworth, count=13, actor=SYSTEM)
    batch = CardBatch.objects.get()
    # A card handed out already is not reprinted.
    make_profile(acworth, card=issued[4].number)
    page = owner_client.get("/cards/batches/")
    link = f'href="/cards/batches/{batch.public_id}/sheets/"'
    assert link in page.content.decode()

    response = _batch_sheets(owner_client, batch)
    reader = _pdf(response)
    assert response["Content-Disposition"].endswith('-reprint.pdf"')
    numbers = sorted(card.number for card in issued if card is not issued[4])
    _check_layout(reader, numbers, "Acworth Orthodontics")
    _check_qr(response.content, reader, "https://rewards.example.org/portal/login/")
    # No password anywhere: with the card numbers taken out, no digits are left.
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert SCRATCH not in text
    assert text.count("Your first password: ask the front") == len(numbers)
    assert re.search(r"\d", GROUPED.sub("", text)) is None

    [event] = AuditEvent.objects.filter(action="cards.print")
    assert event.practice_id == acworth.id and event.actor_user_id == owner.id
    assert event.detail == {"batch": batch.public_id.hex, "count": 12, "passwords": False}


def test_a_batch_with_nothing_left_to_print_says_so(
    owner_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    [card] = issue_batch(practice=acworth, count=1, actor=SYSTEM)
    make_profile(acworth, card=card.number)
    response = _batch_sheets(owner_client, CardBatch.objects.get())
    assert response.status_code == 409
    assert "no available cards left to print" in response.content.decode()
    assert not AuditEvent.objects.filter(action="cards.print").exists()


def test_another_practices_batch_is_not_found(
    outsider_client: Client, frontdesk_client: Client, acworth: Practice
) -> None:
    issue_batch(practice=acworth, count=2, actor=SYSTEM)
    batch = CardBatch.objects.get()
    assert _batch_sheets(outsider_client, batch).status_code == 404
    # The front desk of the same practice cannot print either (Settings roles only).
    assert _batch_sheets(frontdesk_client, batch).status_code == 403
    assert not AuditEvent.objects.filter(action="cards.print").exists()


@pytest.mark.django_db(transaction=True)
def test_the_pdf_s_passwords_are_not_stored(
    owner_client: Client, acworth: Practice, tmp_path: Path
) -> None:
    response = owner_client.post("/cards/batches/issue/", {"count": 12, "format": "pdf"})
    assert response.status_code == 200
    hashes = _card_hashes(acworth)
    assert len(hashes) == 12
    owner_client.get("/cards/batches/")
    assert search_everywhere(hashes, tmp_path / "after.backup").hits == []


def test_names_beyond_latin1_and_long_names_still_print(acworth: Practice) -> None:
    assert latin1("Dr. O’Brien – Niño’s Ortho ✓") == "Dr. O'Brien - Niño's Ortho ?"
    acworth.name = "Pediatric Dentistry and Orthodontics of the Greater Acworth–Kennesaw Area"
    data = card_sheet_pdf(
        practice=acworth, cards=[SheetCard("4000123412341234", "0427")], login_url=LOGIN
    )
    reader = PdfReader(io.BytesIO(data))
    front = " ".join(t for t, _ in _placed(reader.pages[0]))
    assert front == latin1(acworth.name)
    assert _qr_codes(data, 1) == [LOGIN + "#card=4000123412341234"]


def test_the_login_page_reads_the_number_from_the_fragment(client: Client, db: Any) -> None:
    page = client.get("/portal/login/").content.decode()
    assert re.search(r'<script src="/static/js/card-login\.js" defer></script>', page)
    script = (
        Path(__file__).parents[1] / "src/rewardshub/static/js/card-login.js"
    ).read_text()
    assert "#card=(\\d{16})" in script and "replaceState" in script
