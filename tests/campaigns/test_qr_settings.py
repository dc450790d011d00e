"""QR code settings: owners and admins add, change and print codes; nobody else reaches them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from tests.qr import SOCIAL

from rewardshub.audit.models import AuditEvent
from rewardshub.campaigns.actions import practice_today
from rewardshub.campaigns.models import QrCode, QrLimit
from rewardshub.campaigns.printing import qr_picture
from rewardshub.points.models import RewardItem
from rewardshub.practices.models import Practice

ADD = "/settings/campaigns/qr/add/"


def _form(practice: Practice, **changes: Any) -> dict[str, Any]:
    return {
        "reward_item": "",
        "label": SOCIAL,
        "points": "10",
        "valid_from": practice_today(practice).isoformat(),
        "valid_until": "",
        "limit": QrLimit.ONCE,
        "every_days": "",
        "active": "on",
        **changes,
    }


def _errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


class TestAdd:
    def test_it_adds_a_code_and_opens_its_printable_page(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(ADD, _form(acworth))
        code = QrCode.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/settings/campaigns/qr/{code.public_id}/print/"
        assert (code.practice, code.label, code.points, code.limit) == (
            acworth,
            SOCIAL,
            10,
            QrLimit.ONCE,
        )
        assert code.created_by_label == "owner"
        event = AuditEvent.objects.get(action="qr.create")
        assert event.detail == {"label": SOCIAL, "points": 10, "limit": "once"}

    def test_it_makes_tokens_no_one_can_guess_or_trace(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        for _ in range(2):
            owner_client.post(ADD, _form(acworth))
        first, second = QrCode.objects.order_by("pk")
        assert first.token != second.token
        for code in (first, second):
            # 32 random bytes, URL-safe: nothing of the practice or the row in it.
            assert len(code.token) == 43
            assert acworth.slug not in code.token and code.public_id.hex not in code.token

    def test_it_prints_the_code_with_the_collect_address(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        owner_client.post(ADD, _form(acworth))
        code = QrCode.objects.get()
        page = owner_client.get(f"/settings/campaigns/qr/{code.public_id}/print/")
        assert page.status_code == 200
        url = f"http://testserver/portal/collect/{code.token}/"
        assert page.context["url"] == url
        html = page.content.decode()
        assert SOCIAL in html and "+10 points" in html
        # The picture is segno's drawing of that address (tests/browser decodes it).
        assert qr_picture(url) in html

    def test_it_books_a_code_to_a_menu_item_with_its_name_and_points(
        self, owner_client: Client, acworth: Practice, menu: dict[str, RewardItem]
    ) -> None:
        item = menu["survey"]
        data = _form(acworth, reward_item=str(item.public_id), label="", points="")
        assert owner_client.post(ADD, data).status_code == 302
        code = QrCode.objects.get()
        assert (code.reward_item, code.label, code.points) == (item, "Patient survey", 150)

    def test_it_says_what_is_missing_and_changes_nothing(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        today = practice_today(acworth)
        response = owner_client.post(
            ADD,
            _form(
                acworth,
                label="",
                points="",
                valid_until=(today - dt.timedelta(days=1)).isoformat(),
                limit=QrLimit.EVERY_DAYS,
            ),
        )
        assert response.status_code == 422
        assert _errors(response) == {
            "label": ["Enter a label, or choose a reward from the menu."],
            "points": ["Enter how many points the code gives."],
            "valid_until": ["The last day comes before the first day."],
            "every_days": ["Enter after how many days a patient collects again."],
        }
        assert (
            not QrCode.objects.exists()
            and not AuditEvent.objects.filter(action="qr.create").exists()
        )

    def test_it_refuses_one_day_between_collections(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(ADD, _form(acworth, limit=QrLimit.EVERY_DAYS, every_days="1"))
        assert response.status_code == 422
        assert _errors(response) == {
            "every_days": ["Enter at least 2 days (or choose “Once a day”)."]
        }


class TestChange:
    def test_it_changes_a_code_and_keeps_the_printed_token(
        self, owner_client: Client, acworth: Practice, code: QrCode
    ) -> None:
        response = owner_client.post(
            f"/settings/campaigns/qr/{code.public_id}/",
            _form(acworth, points="15", limit=QrLimit.DAILY),
        )
        assert response.status_code == 302 and response["Location"] == "/settings/campaigns/"
        changed = QrCode.objects.get(pk=code.pk)
        assert (changed.points, changed.limit, changed.token) == (15, QrLimit.DAILY, code.token)
        event = AuditEvent.objects.get(action="qr.update")
        assert event.detail["fields"] == ["points", "limit"]

    def test_it_lists_codes_with_their_collections(
        self, owner_client: Client, code: QrCode
    ) -> None:
        page = owner_client.get("/settings/campaigns/")
        assert page.status_code == 200
        html = page.content.decode()
        assert SOCIAL in html and "0 times, 0 points" in html and "Collectable" in html


class TestAccess:
    def test_it_keeps_codes_to_owners_and_admins(
        self, frontdesk_client: Client, acworth: Practice, code: QrCode
    ) -> None:
        for path in (
            "/settings/campaigns/",
            ADD,
            f"/settings/campaigns/qr/{code.public_id}/print/",
        ):
            assert frontdesk_client.get(path).status_code == 403
        assert frontdesk_client.post(ADD, _form(acworth)).status_code == 403
        assert QrCode.objects.count() == 1

    def test_it_answers_404_for_another_practices_code(
        self, outsider_client: Client, acworth: Practice, code: QrCode
    ) -> None:
        for path in (
            f"/settings/campaigns/qr/{code.public_id}/",
            f"/settings/campaigns/qr/{code.public_id}/print/",
        ):
            assert outsider_client.get(path).status_code == 404
        changed = outsider_client.post(
            f"/settings/campaigns/qr/{code.public_id}/", _form(acworth, points="99")
        )
        assert changed.status_code == 404
        assert QrCode.objects.get(pk=code.pk).points == 10
