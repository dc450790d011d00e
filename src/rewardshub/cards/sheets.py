"""Printable card sheets: a PDF of wallet-sized cards on US Letter (fpdf2 draws it).

Ten cards of 3.5 x 2 in per sheet, 2 columns x 5 rows with no gutter (the
layout of common business-card stock: 0.75 in side margins, 0.5 in top and
bottom). Each sheet is two pages: the fronts (the practice's logo and name),
then the backs, mirrored left-right so that a duplex print flipped on the
long edge puts each back behind its front.

The back carries the card number, a QR code of the portal's login address
and, on the sheet made when a batch is issued, the temporary password in a
box meant for a scratch-off label. The card number rides in the address's
fragment (`#card=...`): a browser never sends the fragment to a server, so
the number stays out of every access log; the login page reads it from there.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF
from PIL import Image

from rewardshub.practices.models import Practice

PAGE_W, PAGE_H = 8.5, 11.0
CARD_W, CARD_H = 3.5, 2.0
COLUMNS, ROWS = 2, 5
PER_SHEET = COLUMNS * ROWS
# Sheets are drawn in the request: a printer's batch beyond this goes as the CSV card list.
MAX_SHEET_CARDS = 1_000
LEFT = (PAGE_W - COLUMNS * CARD_W) / 2
TOP = (PAGE_H - ROWS * CARD_H) / 2
INSET = 0.18
# The fragment key the portal login page reads the card number from.
FRAGMENT_KEY = "card"
QR_X, QR_SIZE = 0.12, 1.35
BACK_TEXT_X = QR_X + QR_SIZE + 0.1
BACK_TEXT_W = CARD_W - INSET - BACK_TEXT_X
FRONT_DESK_NOTE = "Your first password: ask the front desk."

# Typographic characters the PDF's standard fonts (Latin-1) lack, as their plain forms.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


@dataclass(frozen=True)
class SheetCard:
    number: str
    # None on a reprint: the hub keeps only the passwords' hashes.
    temp_password: str | None = None


def portal_login_url(request: HttpRequest) -> str:
    """The portal's login page: the hub's public address when one is set, else this host."""
    path = reverse("portal:login")
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def card_login_url(login_url: str, number: str) -> str:
    """The address in a card's QR code: the number in the fragment, never the path or query."""
    return f"{login_url.split('#', 1)[0]}#{FRAGMENT_KEY}={number}"


def grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def latin1(text: str) -> str:
    """`text` in the standard PDF fonts' Latin-1: accents kept where they exist, else dropped."""
    out = []
    for char in text.translate(_PLAIN):
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode()
            out.append("".join(c for c in plain if not unicodedata.combining(c)) or "?")
        else:
            out.append(char)
    return "".join(out)


def practice_logo(practice: Practice) -> bytes | None:
    """The practice's logo picture, when it has one (branding sets it)."""
    logo = getattr(practice, "logo", None)
    if not logo:
        return None
    try:
        with logo.open("rb") as handle:
            data: bytes = handle.read()
    except (OSError, ValueError):
        return None
    return data or None


def cell_origin(index: int, *, back: bool) -> tuple[float, float]:
    """Top-left corner of the `index`th card of a sheet; backs swap the columns."""
    row, column = divmod(index, COLUMNS)
    if back:
        column = COLUMNS - 1 - column
    return LEFT + column * CARD_W, TOP + row * CARD_H


def _sheets(cards: Sequence[SheetCard]) -> Iterator[Sequence[SheetCard]]:
    for start in range(0, len(cards), PER_SHEET):
        yield cards[start : start + PER_SHEET]


def _qr_image(url: str) -> Image.Image:
    """The code one pixel per module (the PDF scales it up, sharp): no PNG to encode and read back.

    Error correction "M" survives a scuffed wallet; the standard four-module quiet zone.
    """
    qr = segno.make(url, error="m", micro=False)
    width, height = qr.symbol_size(scale=1, border=4)
    pixels = bytes(0 if dark else 255 for row in qr.matrix_iter(border=4) for dark in row)
    return Image.frombytes("L", (int(width), int(height)), pixels)


class _CardSheet(FPDF):
    def __init__(self, practice_name: str, logo: bytes | None, login_url: str) -> None:
        super().__init__(orientation="portrait", unit="in", format="letter")
        self.practice_name = latin1(practice_name)
        self.logo = logo
        self.login_url = login_url
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_title(latin1(f"{practice_name} rewards cards"))
        self.set_creator("RewardsHub")
        self.name_layout: tuple[float, list[str]] | None = None
        self.back_texts: dict[str, list[str]] | None = None

    def cut_guide(self, x: float, y: float) -> None:
        self.set_draw_color(200, 200, 200)
        self.set_line_width(0.005)
        self.rect(x, y, CARD_W, CARD_H)

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` cut into lines `width` wide in the current font (once per sheet, not per card)."""
        lines = self.multi_cell(width, 1, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return [str(line) for line in lines]

    def lines(self, x: float, y: float, width: float, height: float, lines: list[str]) -> None:
        for number, line in enumerate(lines):
            self.set_xy(x, y + number * height)
            self.cell(width, height, line)

    def _name_layout(self) -> tuple[float, list[str]]:
        """The practice name as big as fits on two lines (at least 9 pt, then three lines)."""
        size = 20.0
        while True:
            self.set_font("helvetica", "B", size)
            lines = self.wrap(self.practice_name, CARD_W - 2 * INSET)
            if len(lines) <= 2 or size <= 9:
                return size, lines[:3]
            size -= 1

    def name_block(self, x: float, y: float, height: float) -> None:
        """The practice name centred in a band `height` tall."""
        if self.name_layout is None:
            self.name_layout = self._name_layout()
        size, lines = self.name_layout
        self.set_font("helvetica", "B", size)
        self.set_text_color(20, 20, 20)
        line_h = size / 72 * 1.2
        top = y + (height - line_h * len(lines)) / 2
        for number, line in enumerate(lines):
            self.set_xy(x + INSET, top + number * line_h)
            self.cell(CARD_W - 2 * INSET, line_h, line, align="C")

    def front(self, x: float, y: float) -> None:
        self.cut_guide(x, y)
        if self.logo is None:
            self.name_block(x, y, CARD_H)
            return
        self.image(io.BytesIO(self.logo), x=x + INSET, y=y + INSET, w=CARD_W - 2 * INSET,
                   h=CARD_H * 0.5, keep_aspect_ratio=True)
        self.name_block(x, y + INSET + CARD_H * 0.5, CARD_H * 0.5 - 2 * INSET)

    def _back_texts(self) -> dict[str, list[str]]:
        width = BACK_TEXT_W
        self.set_font("helvetica", "B", 8.5)
        scan = self.wrap("Scan to see your points and pick prizes.", width)
        self.set_font("helvetica", "", 6.5)
        address = self.wrap(latin1("Or go to " + self.login_url.split("://", 1)[-1]), width)
        self.set_font("helvetica", "I", 7.5)
        return {"scan": scan, "address": address, "no_password": self.wrap(FRONT_DESK_NOTE, width)}

    def back(self, x: float, y: float, card: SheetCard) -> None:
        if self.back_texts is None:
            self.back_texts = self._back_texts()
        texts = self.back_texts
        self.cut_guide(x, y)
        self.set_text_color(20, 20, 20)
        # The number, in groups of four, across the top.
        self.set_font("courier", "B", 14)
        self.set_xy(x, y + 0.14)
        self.cell(CARD_W, 0.26, grouped(card.number), align="C")
        # The QR code of the login address, the number in its fragment.
        self.image(_qr_image(card_login_url(self.login_url, card.number)),
                   x=x + QR_X, y=y + 0.5, w=QR_SIZE, h=QR_SIZE)
        right, width = x + BACK_TEXT_X, BACK_TEXT_W
        self.set_font("helvetica", "B", 8.5)
        self.lines(right, y + 0.58, width, 0.15, texts["scan"])
        self.set_font("helvetica", "", 6.5)
        self.lines(right, y + 0.6 + 0.15 * len(texts["scan"]), width, 0.11, texts["address"])
        if card.temp_password is None:
            self.set_font("helvetica", "I", 7.5)
            self.lines(right, y + 1.35, width, 0.13, texts["no_password"])
            return
        # The password, in a dashed box where the scratch-off label goes.
        self.set_font("helvetica", "", 6.5)
        self.set_xy(right, y + 1.22)
        self.cell(width, 0.12, "Temporary password (scratch off):")
        box_y = y + 1.36
        self.set_draw_color(90, 90, 90)
        self.set_line_width(0.01)
        with self.local_context():
            self.set_dash_pattern(dash=0.04, gap=0.03)
            self.rect(right, box_y, width, 0.4)
        self.set_font("courier", "B", 16)
        self.set_xy(right, box_y)
        self.cell(width, 0.4, card.temp_password, align="C")


def card_sheet_pdf(
    *, practice: Practice, cards: Sequence[SheetCard], login_url: str
) -> bytes:
    """The sheets of `cards` in order: fronts on odd pages, their backs on the next."""
    pdf = _CardSheet(practice.name, practice_logo(practice), login_url)
    for sheet in _sheets(cards):
        pdf.add_page()
        for index, _card in enumerate(sheet):
            pdf.front(*cell_origin(index, back=False))
        pdf.add_page()
        for index, card in enumerate(sheet):
            pdf.back(*cell_origin(index, back=True), card)
    return bytes(pdf.output())


def sheet_filename(practice: Practice, issued_at: datetime, *, reprint: bool = False) -> str:
    stamp = timezone.localtime(issued_at).strftime("%Y%m%d-%H%M")
    return f"cards-{practice.slug}-{stamp}{'-reprint' if reprint else ''}.pdf"


def sheet_response(
    request: HttpRequest, practice: Practice, cards: Sequence[SheetCard], filename: str
) -> HttpResponse:
    """The sheets as a download, never cached: card numbers, and passwords when issuing."""
    data = card_sheet_pdf(practice=practice, cards=cards, login_url=portal_login_url(request))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
