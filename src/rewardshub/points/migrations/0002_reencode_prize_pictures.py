"""Re-encode the prize pictures stored before uploads were re-encoded.

Uploads used to be stored as they came: up to 2 MB, any number of pixels
(a 12,000 × 12,000 picture was served to every phone), with their EXIF. Each
stored picture now goes through the same checks and re-encoding as a new
upload (points/prize_pictures.py). One the checks refuse is taken off its
prize, and the migration says which, so staff can upload a smaller one.
"""

import uuid
from typing import Any

from django.db import migrations, transaction


def reencode_pictures(apps: Any, schema_editor: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rewardshub.points.prize_pictures import PictureError, prepare_picture

    Prize = apps.get_model("points", "Prize")
    prizes = Prize.objects.using(schema_editor.connection.alias).exclude(picture="")
    for prize in prizes.iterator():
        old = prize.picture.name
        storage = prize.picture.storage
        try:
            with storage.open(old, "rb") as f:
                data = f.read()
        except OSError:
            continue  # a missing file: the picture view already answers 404
        try:
            prepared = prepare_picture(SimpleUploadedFile(old, data))
        except PictureError as exc:
            prize.picture = ""
            print(  # the operator reads it in the output of migrate
                f"\n  Prize “{prize.name}” (practice id {prize.practice_id}) no longer has a "
                f"picture: {exc.message}",
            )
        else:
            name = f"{uuid.uuid4().hex}.{prepared.extension}"
            prize.picture.save(name, prepared.content, save=False)
        prize.save(update_fields=["picture"])
        transaction.on_commit(lambda old=old, storage=storage: storage.delete(old))


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(reencode_pictures, migrations.RunPython.noop)]
