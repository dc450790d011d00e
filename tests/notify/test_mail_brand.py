"""The practice's branding in its mails: the header in its primary colour, and its logo
inline (multipart/related, named by Content-ID), as a real SMTP server receives them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.branding.conftest import PRIMARY, branded, media  # noqa: F401
from tests.conftest import SYSTEM
from tests.notify.conftest import Inbox, award, opt_in, work

from rewardshub.branding.actions import set_branding
from rewardshub.notify import kinds
from rewardshub.notify.brand import LOGO_CID
from rewardshub.patients.models import Profile
from rewardshub.points.models import RewardItem
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "background:{primary};border-radius:8px 8px 0 0;color:{text};"


def _mail(inbox: Inbox, emma: Profile, menu: dict[str, RewardItem]) -> Any:
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])
    work()
    [message] = inbox.messages
    return message


def test_a_branded_practices_mail_has_its_colour_and_its_logo_inline(
    inbox: Inbox, emma: Profile, menu: dict[str, RewardItem], branded: Practice  # noqa: F811
) -> None:
    message = _mail(inbox, emma, menu)
    assert message.get_content_type() == "multipart/related"
    html = Inbox.html(message)
    assert HEADER.format(primary=PRIMARY, text="#ffffff") in html
    assert f'<img src="cid:{LOGO_CID}" alt=""' in html
    [logo] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert logo["Content-ID"] == f"<{LOGO_CID}>"
    assert logo.get_content_disposition() == "inline"
    with branded.logo.open("rb") as handle:
        assert logo.get_content() == handle.read()
    # The text part is as it was: no picture, no colour.
    assert "Acworth Orthodontics" in Inbox.text(message)


def test_a_light_primary_colour_gets_near_black_header_text(
    inbox: Inbox, emma: Profile, menu: dict[str, RewardItem], acworth: Practice
) -> None:
    set_branding(practice=acworth, actor=SYSTEM, primary_colour="#ffcc00", accent_colour="")
    html = Inbox.html(_mail(inbox, emma, menu))
    assert HEADER.format(primary="#ffcc00", text="#1a1a1a") in html
    assert "cid:" not in html


def test_without_branding_the_mail_keeps_the_hubs_look(
    inbox: Inbox, emma: Profile, menu: dict[str, RewardItem]
) -> None:
    message = _mail(inbox, emma, menu)
    assert message.get_content_type() == "multipart/alternative"
    html = Inbox.html(message)
    assert HEADER.format(primary="#1d4ed8", text="#ffffff") in html
    assert "&#9733; Acworth Orthodontics" in html


def test_the_staff_preview_shows_the_logo_inline_as_data(
    owner_client: Client, branded: Practice  # noqa: F811
) -> None:
    html = owner_client.get(f"/settings/mail/{kinds.BIRTHDAY}/html/").content.decode()
    assert '<img src="data:image/png;base64,' in html
    assert "cid:" not in html
    assert HEADER.format(primary=PRIMARY, text="#ffffff") in html
