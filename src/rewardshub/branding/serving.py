"""What the portal and the Branding page fetch: the practice's stylesheet and its logo.

Neither holds patient data, but both are the practice's own: the page asking
names the practice by its session (a patient's portal session, or staff's),
never by an address anyone could type. Both are cacheable by the browser that
asked (`private`), revalidated each time with their ETag, so a new colour or
logo shows on the next page and an unchanged one costs a 304.
"""

from __future__ import annotations

import hashlib

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_etags

from rewardshub.branding.contrast import text_on
from rewardshub.points.prize_pictures import CONTENT_TYPES
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


def _etag(*parts: str) -> str:
    return '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


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
    """The stored (re-encoded) logo; 404 when the practice has none."""
    if not practice.logo:
        raise Http404
    name = practice.logo.name
    content_type = CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower())
    if content_type is None:
        raise Http404
    etag = _etag(name)
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return _cached(request, HttpResponse(status=304), etag)
    try:
        handle = practice.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return _cached(request, response, etag)  # type: ignore[arg-type]
