"""The portal at a count of one: "You need 1 more point", an order of "1 point"."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

from django.test import Client
from tests.portal.conftest import Patient

from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.practices.models import Practice


def test_the_store_and_the_orders_say_1_point(
    portal_client: Client,
    activated: Patient,
    acworth: Practice,
    give_points: Callable[[Profile, int], None],
) -> None:
    give_points(activated.profile, 1)
    sticker = Prize.objects.create(practice=acworth, name="Sticker", cost=1)
    Prize.objects.create(practice=acworth, name="Pencil", cost=2)
    store = html.unescape(portal_client.get("/portal/prizes/").content.decode())
    assert "You need 1 more point" in store and "1 more points" not in store
    assert portal_client.post(
        f"/portal/prizes/{sticker.public_id}/order/", {"token": str(uuid.uuid4())}
    ).status_code == 302
    for url in ("/portal/", "/portal/orders/"):
        page = html.unescape(portal_client.get(url).content.decode())
        assert "Sticker" in page and "· 1 point ·" in page, url
        assert "1 points" not in page, url
