"""The practice's branding in the portal: its stylesheet of custom properties and its logo.

Served to the signed-in patient's practice only, cacheable with an ETag, and
linked from every portal page with a patient; pages without one keep the
hub's own look.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.branding.conftest import ACCENT, PRIMARY, branded, logo_png, media  # noqa: F401
from tests.conftest import SYSTEM

from rewardshub.branding.actions import set_branding
from rewardshub.points.prize_pictures import prepare_picture
from rewardshub.practices.models import Practice

CSS = "/portal/brand.css"
LOGO = "/portal/logo"


def test_it_serves_the_practices_colours_as_custom_properties(
    portal_client: Client, branded: Practice  # noqa: F811
) -> None:
    response = portal_client.get(CSS)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response.content.decode() == (
        "/* acworth: Settings > Branding */\n:root {\n"
        f"  --brand-primary: {PRIMARY};\n  --brand-on-primary: #ffffff;\n"
        f"  --brand-accent: {ACCENT};\n}}\n"
    )
    assert response["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response["Vary"]


def test_a_light_primary_colour_gets_near_black_text(
    portal_client: Client, acworth: Practice
) -> None:
    set_branding(practice=acworth, actor=SYSTEM, primary_colour="#ffcc00", accent_colour="")
    css = portal_client.get(CSS).content.decode()
    assert "--brand-primary: #ffcc00;\n  --brand-on-primary: #1a1a1a;" in css
    assert "--brand-accent" not in css


def test_it_answers_304_while_nothing_changed_and_200_after_a_change(
    portal_client: Client, branded: Practice  # noqa: F811
) -> None:
    etag = portal_client.get(CSS)["ETag"]
    again = portal_client.get(CSS, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    set_branding(practice=branded, actor=SYSTEM, primary_colour="#000000", accent_colour=ACCENT)
    changed = portal_client.get(CSS, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "--brand-primary: #000000;" in changed.content.decode()
    assert changed["ETag"] != etag


def test_the_hubs_own_look_is_an_empty_rule(portal_client: Client, acworth: Practice) -> None:
    assert portal_client.get(CSS).content.decode().endswith(":root {\n\n}\n")
    assert portal_client.get(LOGO).status_code == 404


def test_the_logo_is_served_with_its_etag(
    portal_client: Client, branded: Practice  # noqa: F811
) -> None:
    response = portal_client.get(LOGO)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    again = portal_client.get(LOGO, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_every_portal_page_with_a_patient_links_them(
    portal_client: Client, branded: Practice  # noqa: F811
) -> None:
    for page in ("/portal/", "/portal/history/", "/portal/prizes/", "/portal/mail/"):
        html = portal_client.get(page).content.decode()
        assert '<link rel="stylesheet" href="/portal/brand.css">' in html, page
        assert '<img class="p-logo" src="/portal/logo" alt="">' in html, page
        assert "style=" not in html  # the CSP allows no inline style


def test_without_a_logo_the_star_stays(portal_client: Client, acworth: Practice) -> None:
    html = portal_client.get("/portal/").content.decode()
    assert 'class="p-star"' in html and 'class="p-logo"' not in html


@pytest.mark.parametrize("address", [CSS, LOGO])
def test_without_a_patient_there_is_nothing_to_fetch(
    client: Client, owner_client: Client, branded: Practice, address: str  # noqa: F811
) -> None:
    assert client.get(address)["Location"].startswith("/portal/login/")
    assert owner_client.get(address)["Location"].startswith("/portal/login/")
    login = client.get("/portal/login/").content.decode()
    assert "brand.css" not in login and 'class="p-logo"' not in login


def test_another_practices_patient_gets_their_own_practices(
    portal_client: Client, riverside: Practice, acworth: Practice, settings: Any
) -> None:
    set_branding(
        practice=riverside,
        actor=SYSTEM,
        primary_colour="#000000",
        accent_colour="",
        logo=prepare_picture(logo_png()),
    )
    assert "#000000" not in portal_client.get(CSS).content.decode()
    assert portal_client.get(LOGO).status_code == 404  # Acworth has none
