"""Copy the prize pictures an older version kept under MEDIA_ROOT into the database.

Only the files a prize names: on a one-machine hub this is the whole
upgrade; a host whose files live elsewhere runs `rewardshub files
import-disk --from DIR`, which copies every file it finds.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import migrations


def copy_disk_files(apps: Any, schema_editor: Any) -> None:
    from rewardshub.uploads.disk import import_disk

    using = schema_editor.connection.alias
    prizes = apps.get_model("points", "Prize").objects.using(using).exclude(picture="")
    named = set(prizes.values_list("picture", flat=True))
    if not named:
        return
    model = apps.get_model("uploads", "StoredFile")
    result = import_disk(model, Path(settings.MEDIA_ROOT), using=using, only=named)
    if result.imported or result.refused:
        print(  # the operator reads it in the output of migrate
            f"\n  Copied {result.imported} uploaded file(s) from {settings.MEDIA_ROOT} into the "
            "database; the folder can go once the hub shows them."
        )
    for line in result.refused:
        print(f"  Not copied: {line}")


class Migration(migrations.Migration):
    dependencies = [("uploads", "0001_stored_files"), ("points", "0001_initial")]

    operations = [migrations.RunPython(copy_disk_files, migrations.RunPython.noop)]
