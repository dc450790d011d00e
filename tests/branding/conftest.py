"""Branding fixtures: a logo upload, and Acworth with its logo and colours saved."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from tests.conftest import SYSTEM

from rewardshub.branding.actions import set_branding
from rewardshub.points.prize_pictures import prepare_picture
from rewardshub.practices.models import Practice

PRIMARY = "#0b5394"  # white text on it: 7.8:1
ACCENT = "#b45309"  # on the portal's page background: 4.7:1
LOGO_SIZE = (300, 100)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def logo_png(name: str = "our logo.png", size: tuple[int, int] = LOGO_SIZE) -> SimpleUploadedFile:
    """A transparent PNG with a red bar: kept as PNG when re-encoded."""
    picture = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(size[0]):
        for y in range(size[1] // 3, 2 * size[1] // 3):
            picture.putpixel((x, y), (200, 30, 30, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def branded(acworth: Practice) -> Practice:
    set_branding(
        practice=acworth,
        actor=SYSTEM,
        primary_colour=PRIMARY,
        accent_colour=ACCENT,
        logo=prepare_picture(logo_png()),
    )
    acworth.refresh_from_db()
    return acworth
