"""Uploads kept in the database: the storage, the picture served from it, and old files moved in.

No host keeps an upload of its own (docs/deploy.md, "What lives where"):
Django's default storage is a table, a prize picture is read from it by
whichever server answers, and files an older version left under MEDIA_ROOT
are copied in by `rewardshub migrate` and `rewardshub files import-disk`.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from PIL import Image
from tests.conftest import SYSTEM

from rewardshub.points.models import Prize
from rewardshub.points.prize_actions import create_prize
from rewardshub.practices.models import Practice
from rewardshub.uploads.models import StoredFile
from rewardshub.uploads.storage import DatabaseStorage


def jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.mark.django_db
class TestDatabaseStorage:
    def test_it_is_the_default_storage(self) -> None:
        assert isinstance(storages["default"], DatabaseStorage)

    def test_it_keeps_a_file_as_a_row_and_reads_it_back(self) -> None:
        name = default_storage.save("prizes/a.jpg", ContentFile(b"picture bytes"))
        assert name == "prizes/a.jpg"
        row = StoredFile.objects.get(name=name)
        assert (bytes(row.content), row.size, row.content_type) == (
            b"picture bytes", 13, "image/jpeg"
        )
        assert default_storage.exists(name) and default_storage.size(name) == 13
        with default_storage.open(name) as handle:
            assert handle.read() == b"picture bytes"
        assert default_storage.get_modified_time(name) == row.created_at
        assert default_storage.listdir("") == (["prizes"], [])
        assert default_storage.listdir("prizes") == ([], ["a.jpg"])

    def test_it_never_overwrites_a_name(self) -> None:
        first = default_storage.save("prizes/a.png", ContentFile(b"one"))
        second = default_storage.save("prizes/a.png", ContentFile(b"two"))
        assert first == "prizes/a.png" and second != first and second.endswith(".png")
        with default_storage.open(first) as handle:
            assert handle.read() == b"one"

    def test_it_deletes_and_says_when_a_file_is_missing(self) -> None:
        name = default_storage.save("prizes/b.jpg", ContentFile(b"x"))
        default_storage.delete(name)
        assert not default_storage.exists(name)
        with pytest.raises(FileNotFoundError, match="No stored file named 'prizes/b.jpg'"):
            default_storage.open(name)
        with pytest.raises(ValueError, match="written with save"):
            default_storage.open("prizes/c.jpg", "wb")

    def test_a_file_saved_in_a_transaction_that_fails_is_not_kept(self) -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            default_storage.save("prizes/gone.jpg", ContentFile(b"x"))
            raise RuntimeError("the action failed after storing the picture")
        assert not StoredFile.objects.exists()


@pytest.mark.django_db
class TestPictureServedFromTheDatabase:
    def prize(self, practice: Practice, data: bytes) -> Prize:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from rewardshub.points.prize_pictures import prepare_picture

        picture = prepare_picture(SimpleUploadedFile("p.jpg", data))
        return create_prize(
            practice=practice, actor=SYSTEM, name="Kite", cost=10, picture=picture
        )

    def test_it_serves_the_stored_copy_with_an_etag_and_answers_304_to_it(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        prize = self.prize(acworth, jpeg())
        url = f"/settings/prizes/{prize.public_id}/picture"
        response = owner_client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert body == bytes(StoredFile.objects.get(name=prize.picture.name).content)
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=300"
        etag = response["ETag"]
        assert etag.startswith('"') and len(etag) == 34
        again = owner_client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b""
        assert (again["ETag"], again["Cache-Control"]) == (etag, "private, max-age=300")
        assert owner_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
        assert not media.exists()

    def test_another_practice_gets_a_404_even_with_the_etag(
        self, outsider_client: Client, owner_client: Client, acworth: Practice
    ) -> None:
        prize = self.prize(acworth, jpeg())
        url = f"/settings/prizes/{prize.public_id}/picture"
        etag = owner_client.get(url)["ETag"]
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404

    def test_a_replaced_picture_gets_a_new_etag_and_the_old_row_goes(
        self, owner_client: Client, acworth: Practice, django_capture_on_commit_callbacks: Any
    ) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from rewardshub.points.prize_actions import update_prize
        from rewardshub.points.prize_pictures import prepare_picture

        prize = self.prize(acworth, jpeg())
        url = f"/settings/prizes/{prize.public_id}/picture"
        old_name, old_etag = prize.picture.name, owner_client.get(url)["ETag"]
        with django_capture_on_commit_callbacks(execute=True):
            update_prize(
                practice=acworth, prize=prize, actor=SYSTEM, data={},
                picture=prepare_picture(SimpleUploadedFile("q.jpg", jpeg((0, 0, 250)))),
            )
        response = owner_client.get(url, HTTP_IF_NONE_MATCH=old_etag)
        assert response.status_code == 200 and response["ETag"] != old_etag
        assert not StoredFile.objects.filter(name=old_name).exists()


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


@pytest.mark.django_db
class TestImportDisk:
    def test_it_copies_every_file_once_and_the_picture_is_then_served(
        self, owner_client: Client, acworth: Practice, media: Path
    ) -> None:
        picture = jpeg()
        _write(media, {"prizes/old.jpg": picture, "prizes/old.png": b"\x89PNG not really"})
        prize = Prize.objects.create(practice=acworth, name="Old", cost=5, picture="prizes/old.jpg")
        url = f"/settings/prizes/{prize.public_id}/picture"
        assert owner_client.get(url).status_code == 404  # on disk only: no host serves it

        out = io.StringIO()
        call_command("files", "import-disk", stdout=out)
        assert out.getvalue() == (
            f"Copied 2 file(s) from {media} into the database; 0 were there already.\n"
        )
        rows = {r.name: r for r in StoredFile.objects.all()}
        assert sorted(rows) == ["prizes/old.jpg", "prizes/old.png"]
        assert (bytes(rows["prizes/old.jpg"].content), rows["prizes/old.jpg"].content_type) == (
            picture, "image/jpeg"
        )
        assert rows["prizes/old.png"].content_type == "image/png"
        response = owner_client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == picture
        assert (media / "prizes/old.jpg").exists()  # copied, not moved

        out = io.StringIO()
        call_command("files", "import-disk", stdout=out)
        assert "Copied 0 file(s)" in out.getvalue() and "2 were there already" in out.getvalue()
        assert StoredFile.objects.count() == 2

    def test_it_copies_from_another_folder(self, tmp_path: Path) -> None:
        _write(tmp_path / "copy", {"prizes/x.gif": b"GIF89a"})
        call_command("files", "import-disk", "--from", str(tmp_path / "copy"), stdout=io.StringIO())
        assert StoredFile.objects.get().name == "prizes/x.gif"

    def test_a_folder_that_is_not_there_is_refused_and_nothing_changes(
        self, tmp_path: Path
    ) -> None:
        with pytest.raises(CommandError) as refused:
            call_command("files", "import-disk", "--from", str(tmp_path / "nope"))
        assert str(refused.value) == (
            f"{tmp_path / 'nope'} is not a folder. Give the folder that holds the uploaded files "
            "(it has a prizes/ folder inside) with --from."
        )
        assert not StoredFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_migrate_copies_the_pictures_prizes_name_on_the_host_it_runs_on(
    acworth: Practice, media: Path, capsys: Any
) -> None:
    call_command("migrate", "uploads", "0001", verbosity=0)
    _write(media, {"prizes/before.jpg": b"kept by an older version", "prizes/stray.jpg": b"x"})
    Prize.objects.create(practice=acworth, name="Old", cost=5, picture="prizes/before.jpg")
    call_command("migrate", verbosity=0)
    [stored] = StoredFile.objects.all()
    assert (stored.name, bytes(stored.content)) == (
        "prizes/before.jpg", b"kept by an older version"
    )
    assert f"Copied 1 uploaded file(s) from {media} into the database" in capsys.readouterr().out


def _settings_of(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    src = str(Path(__file__).resolve().parent.parent / "src")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "rewardshub.settings", "PYTHONPATH": src},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_an_s3_bucket_takes_the_uploads_when_configured(tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        "REWARDSHUB_S3_BUCKET": "practice-uploads",
        "REWARDSHUB_S3_ENDPOINT_URL": "https://objects.example.org",
        "REWARDSHUB_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "REWARDSHUB_S3_SECRET_ACCESS_KEY": "not-a-real-secret",
    }
    shown = _settings_of(
        env,
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__module__, type(s).__name__, s.bucket_name, s.endpoint_url, s.location, "
        "s.default_acl, s.file_overwrite)",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "storages.backends.s3", "S3Storage", "practice-uploads", "https://objects.example.org",
        "uploads", "private", "False",
    ]
    default = _settings_of(
        {k: v for k, v in env.items() if not k.startswith("REWARDSHUB_S3")},
        "from django.core.files.storage import storages; print(type(storages['default']).__name__)",
    )
    assert default.stdout.strip() == "DatabaseStorage", default.stderr
