"""What the portal and the Branding page fetch: the practice's stylesheet and its logo.

Neither holds patient data, but both are the practice's own: the page asking
names the practice by its session (a patient's portal session, or staff's),
never by an address anyone could type. Both are cacheable by the browser that
asked (`private`), revalidated each time with their ETag, so a new colour or
logo shows on the next page and an unchanged one costs a 304.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers

from rewardshub.branding.contrast import text_on
from rewardshub.points.prize_pictures import picture_response
from rewardshub.practices.models import Practice

CACHE_CONTROL = "private, no-cache"


def brand_css(practice: Practice) -> str:
    """The custom properties portal.css reads; only the colours the practice chose."""
    lines = []
    if practice.primary_colour:
        lines.append(f"  --brand-primary: {practice.primary_colour};")
        lines.append(f"  --brand-on-primary: {text_on(practice.primary_colour) or '#ffffff'};")
    if practice.accent_colour:
        lines.append(f"  --brand-accent: {practice.accent_colour};")
    body = "\n".join(lines)
    return f"/* {practice.slug}: Settings > Branding */\n:root {{\n{body}\n}}\n"


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _cached(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ("Cookie",))
    return get_conditional_response(request, etag=etag, response=response) or response


def css_response(request: HttpRequest, practice: Practice) -> HttpResponse:
    css = brand_css(practice)
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    return _cached(request, response, _etag(css))


def logo_response(request: HttpRequest, practice: Practice) -> HttpResponse:
    """The stored (re-encoded) logo, served as prize pictures are; 404 when the practice
    has none."""
    response = picture_response(request, practice.logo, cache_control=CACHE_CONTROL)
    patch_vary_headers(response, ("Cookie",))
    return response
