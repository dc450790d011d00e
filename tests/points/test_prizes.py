"""The prize catalog settings and the prize picture."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.points.models import Prize
from rewardshub.points.prize_actions import create_prize
from rewardshub.points.prize_pictures import prepare_picture
from rewardshub.practices.models import Practice
from rewardshub.uploads.models import StoredFile


def flashes(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def png(name: str = "prize.png", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


FORM = {"name": "Fidget toy", "description": "A spinner", "cost": "25", "stock": "", "active": "on"}


class TestPrizeList:
    url = "/settings/prizes/"

    def test_it_lists_the_practice_prizes_for_the_owner(
        self, owner_client: Client, prizes: dict[str, Prize]
    ) -> None:
        response = owner_client.get(self.url)
        assert response.status_code == 200
        assert [p.name for p in response.context["prizes"]] == ["Sticker pack", "Headphones"]
        assert b'aria-current="page">Prizes</a>' in response.content

    def test_it_refuses_front_desk_staff(self, frontdesk_client: Client) -> None:
        response = frontdesk_client.get(self.url)
        assert response.status_code == 403
        assert b"Your role in this practice cannot open this page." in response.content


class TestPrizeAdd:
    url = "/settings/prizes/add/"

    def test_it_adds_a_prize_with_a_picture(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        response = owner_client.post(self.url, {**FORM, "picture": png("My Photo.png")})
        assert response.status_code == 302
        assert flashes(response) == ["“Fidget toy” was added to the prizes."]
        prize = Prize.objects.get(practice=acworth)
        assert (prize.name, prize.cost, prize.stock, prize.active) == ("Fidget toy", 25, None, True)
        # Stored re-encoded (tests/points/test_prize_pictures.py): an opaque PNG as JPEG.
        assert prize.picture.name.startswith("prizes/") and prize.picture.name.endswith(".jpg")
        assert "My Photo" not in prize.picture.name
        # In the database, where every server of the hub finds it; nothing on disk.
        assert StoredFile.objects.filter(name=prize.picture.name).exists()
        assert not media.exists()
        event = AuditEvent.objects.get(action="prize.create")
        assert event.detail == {"prize": "Fidget toy", "cost": 25, "stock": None}
        assert event.actor_label == "owner"

    def test_it_refuses_a_picture_over_2_mb(self, owner_client: Client, acworth: Practice) -> None:
        big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10))
        response = owner_client.post(self.url, {**FORM, "picture": big})
        assert response.status_code == 422
        assert response.context["form"].errors["picture"] == [
            "The picture is 2.0 MB; the limit is 2 MB. Save it smaller and upload it again."
        ]
        assert not Prize.objects.filter(practice=acworth).exists()

    def test_it_refuses_a_file_that_is_not_a_picture(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
        response = owner_client.post(self.url, {**FORM, "picture": fake})
        assert response.status_code == 422
        assert response.context["form"].errors["picture"] == [
            "That file is not a picture, or it is damaged. A JPEG, PNG, GIF or WebP picture of "
            "at most 2 MB and 25 megapixels (e.g. 6,000 × 4,000 pixels). It is shown at most "
            "1,200 pixels wide or high; an animated one shows its first frame."
        ]
        assert not Prize.objects.filter(practice=acworth).exists()

    def test_it_refuses_a_picture_format_it_does_not_serve(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, format="BMP")
        bmp = SimpleUploadedFile("x.bmp", buffer.getvalue())
        response = owner_client.post(self.url, {**FORM, "picture": bmp})
        assert response.status_code == 422
        assert response.context["form"].errors["picture"] == [
            "BMP pictures are not accepted. A JPEG, PNG, GIF or WebP picture of at most 2 MB and "
            "25 megapixels (e.g. 6,000 × 4,000 pixels). It is shown at most 1,200 pixels wide or "
            "high; an animated one shows its first frame."
        ]

    def test_it_refuses_a_duplicate_name(
        self, owner_client: Client, prizes: dict[str, Prize]
    ) -> None:
        response = owner_client.post(self.url, {**FORM, "name": "sticker pack"})
        assert response.status_code == 422
        assert response.context["form"].errors["name"] == [
            "There is already a prize called “sticker pack”."
        ]
        assert Prize.objects.filter(name__iexact="sticker pack").count() == 1

    def test_it_refuses_a_zero_cost(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(self.url, {**FORM, "cost": "0"})
        assert response.status_code == 422
        assert response.context["form"].errors["cost"] == ["A prize costs at least 1 point."]


class TestPrizeEdit:
    def test_it_changes_stock_and_deactivates(
        self, owner_client: Client, prizes: dict[str, Prize]
    ) -> None:
        prize = prizes["headphones"]
        data = {"name": "Headphones", "description": "", "cost": "300", "stock": "4"}
        response = owner_client.post(f"/settings/prizes/{prize.public_id}/", data)
        assert response.status_code == 302
        assert flashes(response) == ["“Headphones” saved."]
        prize.refresh_from_db()
        assert (prize.stock, prize.active) == (4, False)
        event = AuditEvent.objects.get(action="prize.update")
        assert event.detail == {"prize": "Headphones", "fields": ["stock", "active"]}

    def test_it_gives_another_practice_a_404(
        self, outsider_client: Client, prizes: dict[str, Prize]
    ) -> None:
        prize = prizes["sticker"]
        url = f"/settings/prizes/{prize.public_id}/"
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {**FORM, "name": "Mine"}).status_code == 404
        prize.refresh_from_db()
        assert prize.name == "Sticker pack"


class TestPrizePicture:
    def make(self, acworth: Practice, active: bool = True) -> Prize:
        return create_prize(
            practice=acworth, actor=SYSTEM, name="Toy", cost=5, active=active,
            picture=prepare_picture(png()),
        )

    def test_it_serves_the_picture_to_staff_with_its_type(
        self, frontdesk_client: Client, acworth: Practice
    ) -> None:
        prize = self.make(acworth, active=False)
        response = frontdesk_client.get(f"/settings/prizes/{prize.public_id}/picture")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")

    def test_it_serves_an_offered_prize_picture_to_the_portal(
        self, client: Client, acworth: Practice
    ) -> None:
        prize = self.make(acworth)
        response = client.get(f"/settings/prizes/{prize.public_id}/picture")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"

    def test_it_hides_a_withdrawn_prize_picture_from_the_portal(
        self, client: Client, acworth: Practice
    ) -> None:
        prize = self.make(acworth, active=False)
        assert client.get(f"/settings/prizes/{prize.public_id}/picture").status_code == 404

    def test_it_gives_staff_of_another_practice_a_404(
        self, outsider_client: Client, acworth: Practice
    ) -> None:
        prize = self.make(acworth)
        response = outsider_client.get(f"/settings/prizes/{prize.public_id}/picture")
        assert response.status_code == 404

    def test_it_gives_a_prize_without_a_picture_a_404(
        self, owner_client: Client, prizes: dict[str, Prize]
    ) -> None:
        response = owner_client.get(f"/settings/prizes/{prizes['sticker'].public_id}/picture")
        assert response.status_code == 404

    def test_it_lists_no_directory(self, owner_client: Client, acworth: Practice) -> None:
        self.make(acworth)
        assert owner_client.get("/media/prizes/").status_code == 404
        assert owner_client.get("/settings/prizes/picture").status_code == 404
