"""Ordering with a confirmation, and a patient cancelling a to-do order (issue 15, item 6).

The confirmation page changes nothing; its "Yes, order it" button orders once
however often it is pressed. A patient cancels only their own orders, only
while to do, through the front desk's cancel action: the points come back as
one reversal, the prize goes back in stock, the audit names the patient and
the staff orders page says the patient cancelled it.
"""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry, OrderStatus, Prize, PrizeOrder
from rewardshub.points.orders import fulfil_order, order_prize
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

from .conftest import LOGIN, NEW_PASSWORD, SYSTEM, Patient


def _text(response: Any) -> str:
    page = response.content.decode()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _token(response: Any) -> str:
    found = re.search(r'name="token" value="([0-9a-f-]{36})"', response.content.decode())
    assert found, "no confirmation token on the page"
    return found.group(1)


def _balance(profile: Profile) -> int:
    profile.refresh_from_db()
    assert profile.points_balance == (
        LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    )
    return profile.points_balance


@pytest.fixture
def sticker(acworth: Practice) -> Prize:
    return Prize.objects.create(practice=acworth, name="Sticker pack", cost=5, stock=3)


@pytest.fixture
def rich(activated: Patient, give_points: Callable[[Profile, int], None]) -> Patient:
    give_points(activated.profile, 20)
    return activated


def _order(profile: Profile, prize: Prize) -> PrizeOrder:
    profile.refresh_from_db()
    return order_prize(practice=profile.practice, profile=profile, prize=prize, actor=SYSTEM)


# --- Ordering asks first ------------------------------------------------------------


class TestConfirm:
    def test_it_asks_before_ordering_and_changes_nothing(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        store = portal_client.get("/portal/prizes/").content.decode()
        # The store's button only opens the question (a GET form, no CSRF token needed).
        assert f'<form method="get" action="/portal/prizes/{sticker.public_id}/order/">' in store
        response = portal_client.get(f"/portal/prizes/{sticker.public_id}/order/")
        assert response.status_code == 200
        text = _text(response)
        assert "Order “Sticker pack”?" in text
        assert "Price 5 points You have 20 points Left after this order 15 points" in text
        assert "Yes, order it" in text and "No, back to prizes" in text
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert not PrizeOrder.objects.exists() and _balance(rich.profile) == 20
        assert AuditEvent.objects.filter(
            action="portal.view", profile=rich.profile, detail__page="order"
        ).exists()

    def test_yes_orders_the_prize(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        url = f"/portal/prizes/{sticker.public_id}/order/"
        response = portal_client.post(url, {"token": _token(portal_client.get(url))}, follow=True)
        assert response.redirect_chain == [("/portal/orders/", 302)]
        assert "You ordered “Sticker pack”!" in _text(response)
        order = PrizeOrder.objects.get()
        assert (order.status, order.profile, order.cost) == (OrderStatus.TODO, rich.profile, 5)
        assert _balance(rich.profile) == 15
        sticker.refresh_from_db()
        assert sticker.stock == 2

    def test_pressing_yes_twice_orders_once(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        url = f"/portal/prizes/{sticker.public_id}/order/"
        form = {"token": _token(portal_client.get(url))}
        assert portal_client.post(url, form)["Location"] == "/portal/orders/"
        again = portal_client.post(url, form, follow=True)
        assert again.redirect_chain == [("/portal/orders/", 302)]
        assert "You already ordered “Sticker pack”: it is below, ordered once." in _text(again)
        assert PrizeOrder.objects.count() == 1
        assert _balance(rich.profile) == 15
        sticker.refresh_from_db()
        assert sticker.stock == 2
        # A new confirmation page is a new order.
        assert portal_client.post(url, {"token": _token(portal_client.get(url))}).status_code == 302
        assert PrizeOrder.objects.count() == 2 and _balance(rich.profile) == 10

    def test_a_post_without_the_confirmation_orders_nothing(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        url = f"/portal/prizes/{sticker.public_id}/order/"
        for form in ({}, {"token": "not-a-token"}):
            response = portal_client.post(url, form)
            assert response.status_code == 400
            assert "Nothing was ordered yet: check the prize and press “Yes, order it”." in _text(
                response
            )
        assert not PrizeOrder.objects.exists() and _balance(rich.profile) == 20

    def test_a_prize_out_of_reach_is_explained_with_no_button(
        self, portal_client: Client, activated: Patient, acworth: Practice
    ) -> None:
        kite = Prize.objects.create(practice=acworth, name="Kite", cost=30)
        response = portal_client.get(f"/portal/prizes/{kite.public_id}/order/")
        text = _text(response)
        assert "You need 30 more points, so this prize can’t be ordered yet." in text
        assert "Yes, order it" not in text and "Back to prizes" in text

    def test_it_refuses_what_the_points_no_longer_cover(
        self, portal_client: Client, rich: Patient, acworth: Practice
    ) -> None:
        kite = Prize.objects.create(practice=acworth, name="Kite", cost=15)
        url = f"/portal/prizes/{kite.public_id}/order/"
        token = _token(portal_client.get(url))
        _order(rich.profile, Prize.objects.create(practice=acworth, name="Comic", cost=10))
        response = portal_client.post(url, {"token": token}, follow=True)
        assert (
            "Not enough points: Emma has 10 and this needs 15. Nothing was changed."
            in _text(response)
        )
        assert PrizeOrder.objects.count() == 1 and _balance(rich.profile) == 10

    def test_it_needs_the_csrf_token(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        client = _checking_csrf(portal_client)
        url = f"/portal/prizes/{sticker.public_id}/order/"
        page = client.get(url)
        assert client.post(url, {"token": _token(page)}).status_code == 403
        assert not PrizeOrder.objects.exists()
        # The same press with the page's CSRF token orders.
        form = {"token": _token(page), "csrfmiddlewaretoken": _csrf(page)}
        assert client.post(url, form)["Location"] == "/portal/orders/"


def _checking_csrf(signed_in: Client) -> Client:
    """A browser that checks CSRF like a real one, signed in as `signed_in` is."""
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies
    return client


def _csrf(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found
    return found.group(1)


# --- Cancelling -------------------------------------------------------------------------


def _cancel(client: Client, order: PrizeOrder, reason: str = "", **extra: Any) -> Any:
    return client.post(f"/portal/orders/{order.public_id}/cancel/", {"reason": reason}, **extra)


class TestCancel:
    def test_the_orders_page_offers_to_cancel_a_to_do_order(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        page = portal_client.get("/portal/orders/").content.decode()
        assert f'action="/portal/orders/{order.public_id}/cancel/"' in page
        assert "<summary>Cancel this order</summary>" in page
        assert "Yes, cancel Sticker pack" in page

    def test_a_patient_cancels_a_to_do_order_and_gets_the_points_back(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        assert _balance(rich.profile) == 15
        response = _cancel(portal_client, order, "  I picked   the wrong one ", follow=True)
        assert response.redirect_chain == [("/portal/orders/", 302)]
        text = _text(response)
        assert (
            "You cancelled “Sticker pack” and got your 5 points back: you have 20 points now."
            in text
        )
        assert "you cancelled it, points given back" in text
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert order.handled_by_label == f"Patient portal ({rich.username})"
        assert _balance(rich.profile) == 20
        sticker.refresh_from_db()
        assert sticker.stock == 3
        entry = order.cancel_entry
        assert entry is not None
        assert (entry.kind, entry.points, entry.reverses_id, entry.actor_kind) == (
            EntryKind.REVERSAL, 5, order.redeem_entry_id, "patient"
        )
        assert entry.description == (
            "Order of Sticker pack cancelled in the portal: I picked the wrong one"
        )
        event = AuditEvent.objects.get(action="order.cancel")
        assert (event.actor_kind, event.profile_id) == ("patient", rich.profile.pk)
        assert event.detail["points"] == 5

    def test_the_reason_is_optional(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        assert _cancel(portal_client, order)["Location"] == "/portal/orders/"
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert order.cancel_entry is not None
        assert order.cancel_entry.description == "Order of Sticker pack cancelled in the portal"

    def test_a_double_submit_refunds_once(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        _cancel(portal_client, order)
        again = _cancel(portal_client, order, follow=True)
        assert again.redirect_chain == [("/portal/orders/", 302)]
        assert (
            "“Sticker pack” is already cancelled and its points were given back once. "
            "Nothing more was changed." in _text(again)
        )
        assert _balance(rich.profile) == 20
        assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
        sticker.refresh_from_db()
        assert sticker.stock == 3

    def test_a_fulfilled_order_cannot_be_cancelled(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        fulfil_order(practice=order.practice, order=order, actor=SYSTEM)
        response = _cancel(portal_client, order, follow=True)
        assert (
            "You already picked up “Sticker pack”, so it can’t be cancelled. Nothing was changed."
            in _text(response)
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.FULFILLED and order.cancel_entry is None
        assert _balance(rich.profile) == 15
        assert not AuditEvent.objects.filter(action="order.cancel").exists()

    def test_another_patients_order_is_not_found_and_unchanged(
        self,
        portal_client: Client,
        rich: Patient,
        sticker: Prize,
        batch: Any,
        make_profile: Any,
        give_points: Callable[[Profile, int], None],
    ) -> None:
        sister = make_profile(
            rich.profile.practice, first="Olivia", last="Johnson", card=batch[1].number
        )
        give_points(sister, 10)
        theirs = _order(sister, sticker)
        response = _cancel(portal_client, theirs)
        assert response.status_code == 404
        text = _text(response)
        assert "That order isn’t one of yours, or it doesn’t exist. Nothing was changed." in text
        assert "Olivia" not in text
        theirs.refresh_from_db()
        assert theirs.status == OrderStatus.TODO
        assert _balance(sister) == 5
        # Nor an order that does not exist.
        missing = portal_client.post(f"/portal/orders/{uuid.uuid4()}/cancel/", {"reason": ""})
        assert missing.status_code == 404

    def test_another_practices_order_is_not_found(
        self,
        portal_client: Client,
        rich: Patient,
        riverside: Practice,
        issue_cards: Any,
        make_profile: Any,
        give_points: Callable[[Profile, int], None],
    ) -> None:
        card = issue_cards(riverside, 1)[0]
        rita = make_profile(riverside, first="Rita", last="Rivers", card=card)
        give_points(rita, 10)
        theirs = _order(rita, Prize.objects.create(practice=riverside, name="Mug", cost=4))
        assert _cancel(portal_client, theirs).status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == OrderStatus.TODO and _balance(rita) == 6

    def test_a_reason_too_long_changes_nothing(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        response = _cancel(portal_client, order, "x" * 151)
        assert response.status_code == 422
        assert "Keep the reason under 150 characters, or leave it empty. Nothing was changed." in (
            _text(response)
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.TODO and _balance(rich.profile) == 15

    def test_cancelling_is_post_only_and_needs_the_csrf_token(
        self, portal_client: Client, rich: Patient, sticker: Prize
    ) -> None:
        order = _order(rich.profile, sticker)
        client = _checking_csrf(portal_client)
        assert client.get(f"/portal/orders/{order.public_id}/cancel/").status_code == 405
        assert _cancel(client, order).status_code == 403
        order.refresh_from_db()
        assert order.status == OrderStatus.TODO
        page = client.get("/portal/orders/")
        cancelled = client.post(
            f"/portal/orders/{order.public_id}/cancel/", {"csrfmiddlewaretoken": _csrf(page)}
        )
        assert cancelled["Location"] == "/portal/orders/"

    def test_the_staff_orders_page_says_the_patient_cancelled_it(
        self,
        portal_client: Client,
        frontdesk_client: Client,
        rich: Patient,
        sticker: Prize,
        acworth: Practice,
    ) -> None:
        mine = _order(rich.profile, sticker)
        _cancel(portal_client, mine, "Changed my mind")
        by_staff = _order(rich.profile, Prize.objects.create(practice=acworth, name="Kite", cost=5))
        frontdesk_client.post(f"/orders/{by_staff.public_id}/cancel/", {"reason": "Out of kites"})
        page = frontdesk_client.get("/orders/?show=done").content.decode()
        rows = {
            name: _text_of(row)
            for row in page.split("<tr>")
            for name in ("Sticker pack", "Kite")
            if f"<td>{name}</td>" in row
        }
        sticker_row, kite_row = rows["Sticker pack"], rows["Kite"]
        assert "Cancelled by the patient" in sticker_row
        assert "Order of Sticker pack cancelled in the portal: Changed my mind" in sticker_row
        assert f"by Patient portal ({rich.username})" in sticker_row
        assert "Cancelled by the patient" not in kite_row
        assert "Cancelled Out of kites" in kite_row


def _text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --- Racing double-submits, on both databases ------------------------------------------

THREADS = 4


def _race(clients: list[Client], post: Callable[[Client], Any]) -> list[int]:
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(client: Client) -> None:
        try:
            barrier.wait()
            status = post(client).status_code
            with lock:
                statuses.append(status)
        except BaseException as exc:  # reported below; a thread must not die silently
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return statuses


@pytest.mark.django_db(transaction=True)
def test_racing_presses_order_once_and_refund_once(
    acworth: Practice,
    make_profile: Any,
    issue_cards: Any,
    give_points: Callable[[Profile, int], None],
) -> None:
    profile = make_profile(acworth, first="Emma", last="Johnson", card=issue_cards(acworth, 1)[0])
    activate_account(
        profile=profile,
        temp_hash=temp_password_hashes(profile, None)[0],
        password=NEW_PASSWORD,
        email="",
        actor=SYSTEM,
    )
    give_points(profile, 20)
    sticker = Prize.objects.create(practice=acworth, name="Sticker pack", cost=5, stock=3)
    first = Client()
    first.post(LOGIN, {"identifier": profile.username, "password": NEW_PASSWORD})
    clients = [first]
    for _ in range(THREADS - 1):
        # The same browser: its session cookie, pressing the same button.
        twin = Client()
        twin.cookies = first.cookies
        clients.append(twin)
    url = f"/portal/prizes/{sticker.public_id}/order/"
    form = {"token": _token(first.get(url))}
    assert _race(clients, lambda c: c.post(url, form)) == [302] * THREADS
    assert PrizeOrder.objects.count() == 1 and _balance(profile) == 15
    order = PrizeOrder.objects.get()
    cancel = f"/portal/orders/{order.public_id}/cancel/"
    assert _race(clients, lambda c: c.post(cancel, {"reason": ""})) == [302] * THREADS
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    assert _balance(profile) == 20
    sticker.refresh_from_db()
    assert sticker.stock == 3
    print(f"\nportal double-submit race on {connection.vendor}: one order, one refund")
