"""The printed QR code: its address and its picture (segno draws it)."""

from __future__ import annotations

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from rewardshub.campaigns.models import QrCode


def collect_url(request: HttpRequest, code: QrCode) -> str:
    """The address a phone opens: the hub's public address when one is set, else this host."""
    path = reverse("collect:collect", kwargs={"token": code.token})
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def qr_picture(url: str) -> str:
    """The code as an SVG data URI (the CSP allows data: images): sharp at any print size.

    Error correction "M" survives a smudge or a fold; a quiet zone of four
    modules, as the standard asks, so phones find the code on a busy wall.
    """
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=8, border=4))
