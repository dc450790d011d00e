"""Portal pages: home, history, prize store, orders; each patient sees only their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import OrderStatus, Prize, PrizeOrder
from rewardshub.points.orders import fulfil_order
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

from .conftest import LOGIN, NEW_PASSWORD, SYSTEM, Patient


def _confirm() -> dict[str, str]:
    """The "Yes, order it" button's form (a fresh confirmation page's token)."""
    return {"token": str(uuid.uuid4())}


def _html(response: Any) -> str:
    return response.content.decode()


class TestHome:
    def test_it_shows_the_balance_and_recent_points(
        self, portal_client: Client, activated: Patient, give_points: Callable[..., None]
    ) -> None:
        give_points(activated.profile, 42)
        response = portal_client.get("/portal/")
        assert response.status_code == 200
        html = _html(response)
        assert '<span class="p-big-number">42</span>' in html
        assert "Wearing elastics" in html and "+42" in html
        assert AuditEvent.objects.filter(
            action="portal.view", profile=activated.profile, actor_kind="patient"
        ).exists()

    def test_it_sends_strangers_to_the_login(self, client: Client) -> None:
        assert client.get("/portal/")["Location"] == "/portal/login/"
        assert client.get("/portal/prizes/")["Location"] == "/portal/login/"

    def test_it_pages_the_history(
        self, portal_client: Client, activated: Patient, give_points: Callable[..., None]
    ) -> None:
        for points in range(1, 23):
            give_points(activated.profile, points)
        first = portal_client.get("/portal/history/")
        assert len(first.context["page"].object_list) == 20
        assert "Page 1 of 2" in _html(first)
        second = portal_client.get("/portal/history/?page=2")
        assert [e.points for e in second.context["page"].object_list] == [2, 1]


class TestStore:
    def test_it_lists_active_prizes_with_why_some_cannot_be_ordered(
        self,
        portal_client: Client,
        activated: Patient,
        prizes: dict[str, Prize],
        give_points: Callable[..., None],
        riverside: Practice,
    ) -> None:
        give_points(activated.profile, 20)
        Prize.objects.create(practice=activated.profile.practice, name="Old", cost=1, active=False)
        Prize.objects.create(practice=riverside, name="Riverside mug", cost=1)
        response = portal_client.get("/portal/prizes/")
        reasons = {item.prize.name: item.reason for item in response.context["items"]}
        assert reasons == {
            "Sticker pack": "",
            "Yo-yo": "Out of stock",
            "Headphones": "You need 280 more points",
        }
        html = _html(response)
        assert "You need 280 more points" in html and "Riverside mug" not in html

    def test_it_orders_a_prize(
        self,
        portal_client: Client,
        activated: Patient,
        prizes: dict[str, Prize],
        give_points: Callable[..., None],
    ) -> None:
        give_points(activated.profile, 20)
        sticker = prizes["sticker"].public_id
        response = portal_client.post(f"/portal/prizes/{sticker}/order/", _confirm())
        assert response["Location"] == "/portal/orders/"
        order = PrizeOrder.objects.get(profile=activated.profile)
        assert (order.status, order.cost) == (OrderStatus.TODO, 5)
        assert order.ordered_by_label == f"Patient portal ({activated.username})"
        activated.profile.refresh_from_db()
        assert activated.profile.points_balance == 15
        page = portal_client.get("/portal/orders/")
        assert "You ordered “Sticker pack”!" in _html(page)
        assert [o.prize.name for o in page.context["todo"]] == ["Sticker pack"]
        event = AuditEvent.objects.get(action="order.create")
        assert event.actor_kind == "patient"

    def test_it_refuses_an_unaffordable_prize_with_the_reason(
        self,
        portal_client: Client,
        activated: Patient,
        prizes: dict[str, Prize],
        give_points: Callable[..., None],
    ) -> None:
        give_points(activated.profile, 20)
        response = portal_client.post(
            f"/portal/prizes/{prizes['headphones'].public_id}/order/", _confirm(), follow=True
        )
        assert "Not enough points: Emma has 20 and this needs 300. Nothing was changed." in _html(
            response
        )
        assert not PrizeOrder.objects.exists()
        activated.profile.refresh_from_db()
        assert activated.profile.points_balance == 20

    def test_it_refuses_an_out_of_stock_prize(
        self,
        portal_client: Client,
        activated: Patient,
        prizes: dict[str, Prize],
        give_points: Callable[..., None],
    ) -> None:
        give_points(activated.profile, 20)
        response = portal_client.post(
            f"/portal/prizes/{prizes['yoyo'].public_id}/order/", _confirm(), follow=True
        )
        assert "“Yo-yo” is out of stock." in _html(response)
        assert not PrizeOrder.objects.exists()

    def test_it_moves_a_fulfilled_order_to_done(
        self,
        portal_client: Client,
        activated: Patient,
        prizes: dict[str, Prize],
        give_points: Callable[..., None],
    ) -> None:
        give_points(activated.profile, 20)
        sticker = prizes["sticker"].public_id
        portal_client.post(f"/portal/prizes/{sticker}/order/", _confirm())
        order = PrizeOrder.objects.get()
        fulfil_order(practice=order.practice, order=order, actor=SYSTEM)
        page = portal_client.get("/portal/orders/")
        assert page.context["todo"] == []
        assert [o.prize.name for o in page.context["done"]] == ["Sticker pack"]
        assert "picked up" in _html(page)


class TestIsolation:
    def _other(self, riverside: Practice, make_profile: Any, issue: Any) -> Profile:
        from rewardshub.cards.batches import issue_batch

        card = issue_batch(practice=riverside, count=1, actor=SYSTEM)[0]
        profile = make_profile(riverside, first="Lucas", last="Greene", card=card.number)
        activate_account(
            profile=profile,
            temp_hash=temp_password_hashes(profile, None)[0],
            password=NEW_PASSWORD,
            email="",
            actor=SYSTEM,
        )
        return profile

    def test_it_shows_only_the_patients_own_data(
        self,
        portal_client: Client,
        activated: Patient,
        riverside: Practice,
        make_profile: Any,
        give_points: Callable[..., None],
    ) -> None:
        other = self._other(riverside, make_profile, None)
        # A number unlikely to turn up by chance in usernames or tokens on the page.
        give_points(other, 98765)
        mine = Prize.objects.create(practice=activated.profile.practice, name="Mine", cost=1)
        theirs = Prize.objects.create(practice=riverside, name="Theirs", cost=1)
        home = _html(portal_client.get("/portal/"))
        history = _html(portal_client.get("/portal/history/"))
        for page in (home, history):
            assert "98765" not in page and "98,765" not in page
        assert "Lucas" not in home
        # Another practice's prize is a 404, even with points enough.
        give_points(activated.profile, 5)
        order = "/portal/prizes/{}/order/"
        assert portal_client.post(order.format(theirs.public_id), _confirm()).status_code == 404
        assert portal_client.post(order.format(mine.public_id), _confirm()).status_code == 302

    def test_a_portal_session_cannot_open_staff_pages(
        self, portal_client: Client, activated: Patient
    ) -> None:
        for url in (
            "/patients/",
            f"/patients/{activated.profile.public_id}/",
            "/settings/",
            "/audit/",
        ):
            response = portal_client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/?next="), url
        response = portal_client.post(f"/portal/staff/{activated.profile.public_id}/temp-password/")
        assert response["Location"].startswith("/login/?next=")

    def test_a_portal_login_ends_a_staff_session_in_that_browser(
        self, frontdesk_client: Client, activated: Patient
    ) -> None:
        assert frontdesk_client.get("/patients/").status_code == 200
        frontdesk_client.post(LOGIN, {"identifier": activated.username, "password": NEW_PASSWORD})
        assert "_auth_user_id" not in frontdesk_client.session
        assert frontdesk_client.get("/patients/")["Location"].startswith("/login/")
        assert frontdesk_client.get("/portal/").status_code == 200

    def test_a_staff_login_ends_the_portal_session(
        self, portal_client: Client, frontdesk: Any
    ) -> None:
        from tests.conftest import PASSWORD

        portal_client.post("/login/", {"username": "frontdesk", "password": PASSWORD})
        assert portal_client.get("/portal/")["Location"] == "/portal/login/"


def test_it_shows_prize_pictures_through_the_picture_view(
    portal_client: Client, prizes: dict[str, Prize], settings: Any, tmp_path: Any
) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    sticker = prizes["sticker"]
    sticker.picture.save("sticker.png", SimpleUploadedFile("sticker.png", buffer.getvalue()))

    page = portal_client.get("/portal/prizes/")
    src = f"/settings/prizes/{sticker.public_id}/picture"
    assert f'src="{src}"' in page.content.decode()
    picture = portal_client.get(src)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
