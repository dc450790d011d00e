"""Prize pictures through the real staff page: crafted files, refusals, and the stored copy.

Each file is posted multipart to Settings > Prizes > Add (or Edit). A refusal
is a 422 whose form says what is wrong and what is accepted, and stores
nothing (no prize, no stored file). What is accepted is stored
re-encoded: at most 1,200 pixels on the long side, turned upright, without
EXIF.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image

from rewardshub.points.models import Prize
from rewardshub.practices.models import Practice
from rewardshub.uploads.models import StoredFile

URL = "/settings/prizes/add/"
FORM = {"name": "Fidget toy", "description": "", "cost": "25", "stock": "", "active": "on"}
HELP = (
    "A JPEG, PNG, GIF or WebP picture of at most 2 MB and 25 megapixels (e.g. 6,000 × 4,000 "
    "pixels). It is shown at most 1,200 pixels wide or high; an animated one shows its first "
    "frame."
)
TOO_BIG = (
    "Pictures of up to 25 megapixels and 10,000 pixels on a side are accepted (a phone photo "
    "is about 12 megapixels). Save it smaller, e.g. 1,200 pixels on its long side, and upload "
    "it again."
)
NOT_A_PICTURE = "That file is not a picture, or it is damaged. " + HELP


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, *, depth: int = 8, colour: int = 2) -> bytes:
    """A hand-written PNG: an IHDR declaring width × height and almost no image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def blank_png(width: int, height: int) -> bytes:
    """A real, complete single-colour PNG (1 bit per pixel), compressed row by row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def encoded(image: Image.Image, image_format: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(media: Path) -> list[str]:
    """The names of the stored uploads (in the database); nothing is ever under MEDIA_ROOT."""
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    return sorted(StoredFile.objects.values_list("name", flat=True))


def refused(client: Client, picture: SimpleUploadedFile, media: Path, url: str = URL) -> str:
    """Post the picture; check that nothing was stored; return the picture's form error."""
    response = client.post(url, {**FORM, "picture": picture})
    assert response.status_code == 422
    [error] = response.context["form"].errors["picture"]
    assert error in response.content.decode().replace("&#x27;", "'")
    assert stored_files(media) == []
    return str(error)


def added(client: Client, picture: SimpleUploadedFile, practice: Practice) -> Prize:
    response = client.post(URL, {**FORM, "picture": picture})
    assert response.status_code == 302, response.context["form"].errors
    return Prize.objects.get(practice=practice, name="Fidget toy")


def served(client: Client, prize: Prize) -> tuple[Image.Image, bytes, str]:
    response = client.get(f"/settings/prizes/{prize.public_id}/picture")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return Image.open(io.BytesIO(body)), body, response["Content-Type"]


class TestRefusals:
    def test_a_tiny_png_declaring_20000_by_20000_pixels(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        bomb = png_declaring(20_000, 20_000)
        assert len(bomb) < 120
        error = refused(owner_client, upload("bomb.png", bomb), media)
        assert error == f"The picture is 400.0 megapixels. {TOO_BIG}"
        assert not Prize.objects.exists()

    def test_a_real_12000_by_12000_png(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        big = blank_png(12_000, 12_000)
        with pytest.warns(Image.DecompressionBombWarning):  # Pillow's own alarm, at 89 MP
            assert Image.open(io.BytesIO(big)).size == (12_000, 12_000)
        error = refused(owner_client, upload("big.png", big), media)
        assert error == f"The picture is 12,000 × 12,000 pixels (144.0 megapixels). {TOO_BIG}"

    def test_a_picture_too_long_on_one_side(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        error = refused(owner_client, upload("strip.png", blank_png(12_000, 50)), media)
        assert error == f"The picture is 12,000 × 50 pixels (0.6 megapixels). {TOO_BIG}"

    def test_just_over_the_pixel_limit(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        error = refused(owner_client, upload("wide.png", blank_png(6_000, 4_200)), media)
        assert error == f"The picture is 6,000 × 4,200 pixels (25.2 megapixels). {TOO_BIG}"

    def test_text_with_a_picture_name(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        fake = upload("holiday.jpg", b"Dear patient,\nthis is no picture.\n", "image/jpeg")
        assert refused(owner_client, fake, media) == NOT_A_PICTURE

    def test_an_empty_file(self, owner_client: Client, acworth: Practice, media: Path) -> None:
        assert refused(owner_client, upload("empty.png", b""), media) == (
            f"That file is empty. {HELP}"
        )

    def test_a_png_whose_data_is_cut_short(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        whole = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "PNG")
        cut = upload("cut.png", whole[: len(whole) // 2])
        assert refused(owner_client, cut, media) == NOT_A_PICTURE

    def test_a_file_over_2_mb(self, owner_client: Client, acworth: Practice, media: Path) -> None:
        noise = encoded(Image.effect_noise((1100, 1000), 120).convert("RGB"), "PNG")
        assert len(noise) > 2 * 1024 * 1024
        error = refused(owner_client, upload("noise.png", noise), media)
        assert error == (
            f"The picture is {len(noise) / 1024 / 1024:.1f} MB; the limit is 2 MB. "
            "Save it smaller and upload it again."
        )

    def test_a_format_it_does_not_take(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        bmp = upload("x.bmp", encoded(Image.new("RGB", (4, 4)), "BMP"), "image/bmp")
        assert refused(owner_client, bmp, media) == f"BMP pictures are not accepted. {HELP}"

    def test_a_bomb_on_edit_keeps_the_current_picture(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        prize = added(owner_client, upload("ok.png", blank_png(300, 200)), acworth)
        before = stored_files(media)
        response = owner_client.post(
            f"/settings/prizes/{prize.public_id}/",
            {**FORM, "cost": "99", "picture": upload("bomb.png", png_declaring(20_000, 20_000))},
        )
        assert response.status_code == 422
        assert response.context["form"].errors["picture"] == [
            f"The picture is 400.0 megapixels. {TOO_BIG}"
        ]
        prize.refresh_from_db()
        assert prize.cost == 25
        assert stored_files(media) == before


class TestStoredCopy:
    def test_a_large_photo_is_stored_at_1200_pixels(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        ramp = Image.linear_gradient("L").resize((4000, 3000))
        photo = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp))
        data = encoded(photo, "JPEG", quality=80)
        assert len(data) < 2 * 1024 * 1024
        prize = added(owner_client, upload("photo.jpg", data, "image/jpeg"), acworth)
        [name] = stored_files(media)
        assert name.endswith(".jpg") and name == prize.picture.name
        with default_storage.open(name) as handle, Image.open(handle) as kept:
            assert (kept.format, kept.size) == ("JPEG", (1200, 900))
        image, _, content_type = served(owner_client, prize)
        assert (content_type, image.size) == ("image/jpeg", (1200, 900))

    def test_the_largest_accepted_png_is_stored_small(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        prize = added(owner_client, upload("big.png", blank_png(6_000, 4_000)), acworth)
        image, _, _ = served(owner_client, prize)
        assert image.size == (1200, 800)

    def test_a_small_picture_keeps_its_size(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        prize = added(owner_client, upload("s.png", blank_png(300, 200)), acworth)
        image, _, _ = served(owner_client, prize)
        assert image.size == (300, 200)

    def test_a_photo_is_turned_upright_and_loses_its_exif(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        # 1600 × 800 stored sideways: red on the left, blue on the right. EXIF
        # orientation 6 says "turn 90° clockwise to show", which brings red to the top.
        photo = Image.new("RGB", (1600, 800), (0, 0, 255))
        photo.paste((255, 0, 0), (0, 0, 800, 800))
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation
        exif[0x010F] = "SecretCam Industries"  # Make
        exif[0x0131] = "PhotoTool 9.1"  # Software
        exif.get_ifd(0x8825)[2] = (33.0, 57.0, 1.5)  # GPSLatitude
        data = encoded(photo, "JPEG", exif=exif, quality=95)
        assert b"SecretCam" in data
        prize = added(owner_client, upload("IMG_0001.JPG", data, "image/jpeg"), acworth)
        image, body, _ = served(owner_client, prize)
        assert image.size == (600, 1200)
        assert image.getpixel((300, 150))[0] > 200  # red at the top
        assert image.getpixel((300, 1050))[2] > 200  # blue at the bottom
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert b"SecretCam" not in body and b"PhotoTool" not in body and b"Exif" not in body

    def test_transparency_is_kept_as_png(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        logo = Image.new("RGBA", (2400, 1200), (0, 0, 0, 0))
        logo.paste((20, 160, 60, 255), (600, 300, 1800, 900))
        prize = added(owner_client, upload("logo.png", encoded(logo, "PNG")), acworth)
        image, _, content_type = served(owner_client, prize)
        assert (content_type, image.format, image.mode, image.size) == (
            "image/png", "PNG", "RGBA", (1200, 600)
        )
        assert image.getpixel((10, 10))[3] == 0
        assert image.getpixel((600, 300)) == (20, 160, 60, 255)

    def test_an_animated_gif_keeps_its_first_frame(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        frames = [Image.new("RGB", (200, 100), colour) for colour in ("red", "lime", "blue")]
        data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
        assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3
        prize = added(owner_client, upload("spin.gif", data, "image/gif"), acworth)
        image, _, content_type = served(owner_client, prize)
        assert (content_type, image.size, getattr(image, "n_frames", 1)) == (
            "image/jpeg", (200, 100), 1
        )
        red, green, blue = image.convert("RGB").getpixel((100, 50))
        assert red > 200 and green < 60 and blue < 60


@pytest.mark.django_db(transaction=True)
class TestPicturesStoredBefore:
    """Pictures an older version stored as uploaded are re-encoded by a migration."""

    def test_the_migration_reencodes_or_takes_off_each_stored_picture(
        self, acworth: Practice, media: Path, capsys: Any
    ) -> None:
        photo = Image.new("RGB", (3000, 2000), (30, 90, 200))
        exif = Image.Exif()
        exif[0x010F] = "SecretCam Industries"
        files = {
            "prizes/photo.jpg": encoded(photo, "JPEG", exif=exif),
            "prizes/huge.png": blank_png(12_000, 12_000),
        }
        for name, data in files.items():
            assert default_storage.save(name, ContentFile(data)) == name
        kept = [
            Prize.objects.create(practice=acworth, name=name, cost=5, picture=picture)
            for name, picture in [
                ("Photo", "prizes/photo.jpg"),
                ("Huge", "prizes/huge.png"),
                ("Lost", "prizes/missing.png"),
            ]
        ]

        call_command("migrate", "points", "0001", verbosity=0)
        # Forward to the newest of every app (going back on points also took back
        # the apps built on it), so later tests on this database see every table.
        call_command("migrate", verbosity=0)

        photo_prize, huge, lost = (Prize.objects.get(pk=p.pk) for p in kept)
        assert photo_prize.picture.name.startswith("prizes/")
        assert photo_prize.picture.name.endswith(".jpg")
        with (
            default_storage.open(photo_prize.picture.name) as handle,
            Image.open(handle) as stored,
        ):
            assert stored.size == (1200, 800)
            assert dict(stored.getexif()) == {}
        assert huge.picture.name == ""
        assert lost.picture.name == "prizes/missing.png"
        # The originals are gone; only the re-encoded copy is left.
        assert stored_files(media) == [photo_prize.picture.name]
        assert "Prize “Huge” (practice id" in capsys.readouterr().out
