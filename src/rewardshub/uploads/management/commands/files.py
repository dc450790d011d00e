"""`rewardshub files import-disk [--from DIR]`: uploaded files from local disk into the database.

An older version kept prize pictures under REWARDSHUB_VAR_DIR/media on the
host that received them. `rewardshub migrate` copies that folder on the host
it runs on; run this on any other host that holds such files (or with
--from on a copy of them). Files are copied, not deleted, and names already
stored are left alone, so it can run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.uploads.disk import import_disk
from rewardshub.uploads.models import StoredFile


class Command(BaseCommand):
    help = "Copy uploaded files kept on local disk (MEDIA_ROOT) into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        disk = sub.add_parser("import-disk", help="copy the files under MEDIA_ROOT (or --from)")
        disk.add_argument(
            "--from", dest="root", default="", help="the folder to copy (default: MEDIA_ROOT)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["root"] or settings.MEDIA_ROOT)
        if not root.is_dir():
            raise CommandError(
                f"{root} is not a folder. Give the folder that holds the uploaded files "
                "(it has a prizes/ folder inside) with --from."
            )
        result = import_disk(StoredFile, root)
        self.stdout.write(
            f"Copied {result.imported} file(s) from {root} into the database; "
            f"{result.already} were there already."
        )
        for line in result.refused:
            self.stderr.write(f"Not copied: {line}")
        if result.refused:
            raise SystemExit(1)
