"""Staff ordering from a profile, the orders page, fulfil, cancel and the receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_misc
from rewardshub.points.models import EntryKind, LedgerEntry, OrderStatus, Prize, PrizeOrder
from rewardshub.points.orders import order_prize
from rewardshub.practices.models import Practice, Role


def flashes(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def give(practice: Practice, profile: Profile, points: int) -> None:
    award_misc(
        practice=practice, profile=profile, points=points, description="start", actor=SYSTEM,
        role=Role.OWNER,
    )
    profile.refresh_from_db()


def ledger_sum(profile: Profile) -> int:
    return LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    profile = make_profile(acworth)
    give(acworth, profile, 320)
    return profile


@pytest.fixture
def order(acworth: Practice, emma: Profile, prizes: dict[str, Prize]) -> PrizeOrder:
    return order_prize(practice=acworth, profile=emma, prize=prizes["headphones"], actor=SYSTEM)


class TestOrderForPatient:
    def url(self, profile: Profile) -> str:
        return f"/orders/for/{profile.public_id}/"

    def test_it_lists_active_prizes_with_why_they_cannot_be_ordered(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize],
    ) -> None:
        Prize.objects.create(practice=acworth, name="Gift card", cost=500)
        Prize.objects.create(practice=acworth, name="Old prize", cost=1, active=False)
        Prize.objects.filter(pk=prizes["sticker"].pk).update(stock=0)
        response = frontdesk_client.get(self.url(emma))
        assert response.status_code == 200
        offers = [(o["prize"].name, o["reason"]) for o in response.context["offers"]]
        assert offers == [
            ("Sticker pack", "Out of stock"),
            ("Headphones", ""),
            ("Gift card", "Needs 180 more points"),
        ]

    def test_it_is_linked_from_the_profile(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = frontdesk_client.get(f"/patients/{emma.public_id}/")
        assert response.status_code == 200
        assert f'href="/orders/for/{emma.public_id}/"'.encode() in response.content

    def test_it_orders_a_prize_and_takes_the_points(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize],
    ) -> None:
        prize = prizes["headphones"]
        response = frontdesk_client.post(f"{self.url(emma)}{prize.public_id}/")
        assert response.status_code == 302
        assert response["Location"] == f"/patients/{emma.public_id}/"
        assert flashes(response) == [
            "Ordered “Headphones” for Emma: 300 points. New balance: 20 points. "
            "The order is on the Orders page as to do."
        ]
        order = PrizeOrder.objects.get(profile=emma)
        assert (order.status, order.cost, order.ordered_by_label) == ("todo", 300, "frontdesk")
        emma.refresh_from_db()
        prize.refresh_from_db()
        assert (emma.points_balance, prize.stock) == (20, 0)
        assert ledger_sum(emma) == 20

    def test_it_refuses_an_out_of_stock_prize(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize],
    ) -> None:
        prize = prizes["sticker"]
        Prize.objects.filter(pk=prize.pk).update(stock=0)
        response = frontdesk_client.post(f"{self.url(emma)}{prize.public_id}/")
        assert response.status_code == 409
        assert response.context["error"] == (
            "“Sticker pack” is out of stock. Pick another prize, or ask the front desk "
            "when it will be back."
        )
        emma.refresh_from_db()
        assert emma.points_balance == 320
        assert not PrizeOrder.objects.exists()

    def test_it_refuses_an_unaffordable_prize(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
    ) -> None:
        prize = Prize.objects.create(practice=acworth, name="Gift card", cost=500)
        response = frontdesk_client.post(f"{self.url(emma)}{prize.public_id}/")
        assert response.status_code == 409
        assert response.context["error"] == (
            "Not enough points: Emma has 320 and this needs 500. Nothing was changed."
        )
        emma.refresh_from_db()
        assert emma.points_balance == 320
        assert not PrizeOrder.objects.exists()

    def test_it_refuses_financial_staff(
        self, financial_client: Client, emma: Profile, prizes: dict[str, Prize]
    ) -> None:
        assert financial_client.get(self.url(emma)).status_code == 403
        response = financial_client.post(f"{self.url(emma)}{prizes['sticker'].public_id}/")
        assert response.status_code == 403
        assert not PrizeOrder.objects.exists()

    def test_it_gives_another_practice_a_404(
        self, outsider_client: Client, emma: Profile, prizes: dict[str, Prize]
    ) -> None:
        assert outsider_client.get(self.url(emma)).status_code == 404
        response = outsider_client.post(f"{self.url(emma)}{prizes['sticker'].public_id}/")
        assert response.status_code == 404
        assert not PrizeOrder.objects.exists()


class TestOrderList:
    url = "/orders/"

    def test_it_shows_orders_to_do_oldest_first(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize],
    ) -> None:
        first = order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=SYSTEM)
        second = order_prize(
            practice=acworth, profile=emma, prize=prizes["headphones"], actor=SYSTEM
        )
        response = frontdesk_client.get(self.url)
        assert response.status_code == 200
        assert list(response.context["orders"]) == [first, second]
        assert response.context["todo_count"] == 2
        assert b"Emma Johnson" in response.content
        assert b"Mark fulfilled" in response.content

    def test_it_shows_done_orders_apart(
        self, frontdesk_client: Client, acworth: Practice, order: PrizeOrder
    ) -> None:
        frontdesk_client.post(f"/orders/{order.public_id}/fulfil/")
        assert list(frontdesk_client.get(self.url).context["orders"]) == []
        response = frontdesk_client.get(self.url + "?show=done")
        assert list(response.context["orders"]) == [order]

    def test_it_shows_financial_staff_names_without_profile_links(
        self, financial_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        response = financial_client.get(self.url)
        assert response.status_code == 200
        assert b"Emma Johnson" in response.content
        assert f"/patients/{emma.public_id}/".encode() not in response.content
        assert financial_client.get(f"/patients/{emma.public_id}/").status_code == 403

    def test_it_shows_only_this_practice_orders(
        self, outsider_client: Client, order: PrizeOrder
    ) -> None:
        response = outsider_client.get(self.url)
        assert response.status_code == 200
        assert list(response.context["orders"]) == []
        assert b"Emma" not in response.content

    def test_it_keeps_the_query_count_flat(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize], django_assert_max_num_queries: Any,
    ) -> None:
        for _ in range(5):
            order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=SYSTEM)
        with django_assert_max_num_queries(10):
            response = frontdesk_client.get(self.url)
        assert len(response.context["orders"]) == 5

    def test_its_pages_keep_the_list_shown(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile,
        prizes: dict[str, Prize], monkeypatch: Any,
    ) -> None:
        from rewardshub.points import views_orders

        monkeypatch.setattr(views_orders, "PAGE_SIZE", 2)
        for _ in range(3):
            order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=SYSTEM)
        first = frontdesk_client.get(self.url).content.decode()
        assert "Page 1 of 2" in first and 'href="?show=todo&amp;page=2"' in first
        assert "← Previous" not in first
        second = frontdesk_client.get(self.url + "?show=todo&page=2").content.decode()
        assert "Page 2 of 2" in second and 'href="?show=todo&amp;page=1"' in second
        assert "Next →" not in second
        assert "Page 1 of" not in frontdesk_client.get(self.url + "?show=done").content.decode()


class TestFulfil:
    def test_it_marks_the_order_fulfilled(
        self, financial_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        response = financial_client.post(f"/orders/{order.public_id}/fulfil/")
        assert response.status_code == 302
        assert flashes(response) == ["“Headphones” for Emma is fulfilled."]
        order.refresh_from_db()
        assert (order.status, order.handled_by_label) == (OrderStatus.FULFILLED, "books")
        emma.refresh_from_db()
        assert emma.points_balance == 20
        assert AuditEvent.objects.filter(action="order.fulfil", actor_label="books").count() == 1

    def test_it_cannot_fulfil_twice(self, frontdesk_client: Client, order: PrizeOrder) -> None:
        frontdesk_client.post(f"/orders/{order.public_id}/fulfil/", follow=True)
        response = frontdesk_client.post(f"/orders/{order.public_id}/fulfil/")
        assert flashes(response) == ["This order was already fulfilled."]
        assert AuditEvent.objects.filter(action="order.fulfil").count() == 1

    def test_it_refuses_get(self, frontdesk_client: Client, order: PrizeOrder) -> None:
        assert frontdesk_client.get(f"/orders/{order.public_id}/fulfil/").status_code == 405
        order.refresh_from_db()
        assert order.status == OrderStatus.TODO

    def test_it_gives_another_practice_a_404(
        self, outsider_client: Client, order: PrizeOrder
    ) -> None:
        assert outsider_client.post(f"/orders/{order.public_id}/fulfil/").status_code == 404
        order.refresh_from_db()
        assert order.status == OrderStatus.TODO


class TestCancel:
    def test_it_gives_back_points_and_stock(
        self, frontdesk_client: Client, order: PrizeOrder, emma: Profile,
        prizes: dict[str, Prize],
    ) -> None:
        response = frontdesk_client.post(
            f"/orders/{order.public_id}/cancel/", {"reason": "Changed her mind"}
        )
        assert response.status_code == 302
        assert flashes(response) == [
            "The order of “Headphones” is cancelled; 300 points went back to Emma."
        ]
        order.refresh_from_db()
        emma.refresh_from_db()
        prizes["headphones"].refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert (emma.points_balance, prizes["headphones"].stock) == (320, 1)
        assert ledger_sum(emma) == 320
        reversal = order.cancel_entry
        assert (reversal.kind, reversal.points, reversal.description) == (
            EntryKind.REVERSAL, 300, "Changed her mind"
        )
        assert reversal.reverses_id == order.redeem_entry_id

    def test_it_cannot_cancel_twice(
        self, frontdesk_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        frontdesk_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "No"}, follow=True)
        response = frontdesk_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "No"})
        assert flashes(response) == ["This order was already cancelled."]
        emma.refresh_from_db()
        assert emma.points_balance == 320
        assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1

    def test_it_cannot_cancel_a_fulfilled_order(
        self, frontdesk_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        frontdesk_client.post(f"/orders/{order.public_id}/fulfil/", follow=True)
        response = frontdesk_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "x"})
        assert flashes(response) == ["This order was already fulfilled."]
        emma.refresh_from_db()
        assert emma.points_balance == 20

    def test_it_needs_a_reason(
        self, frontdesk_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        response = frontdesk_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "  "})
        assert flashes(response) == ["Say why the order is cancelled."]
        order.refresh_from_db()
        assert order.status == OrderStatus.TODO

    def test_it_gives_another_practice_a_404(
        self, outsider_client: Client, order: PrizeOrder, emma: Profile
    ) -> None:
        response = outsider_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "x"})
        assert response.status_code == 404
        emma.refresh_from_db()
        assert emma.points_balance == 20


class TestReceipt:
    def test_it_prints_a_receipt(
        self, financial_client: Client, order: PrizeOrder
    ) -> None:
        response = financial_client.get(f"/orders/{order.public_id}/receipt/")
        assert response.status_code == 200
        content = response.content.decode()
        assert f"No. {order.public_id.hex[:8].upper()}" in content
        assert "Emma Johnson" in content and "Headphones" in content
        assert "css/points.css" in content and "js/points.js" in content
        assert "<script>" not in content and "style=" not in content

    def test_it_gives_another_practice_a_404(
        self, outsider_client: Client, order: PrizeOrder
    ) -> None:
        assert outsider_client.get(f"/orders/{order.public_id}/receipt/").status_code == 404
