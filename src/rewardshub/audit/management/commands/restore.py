"""`rewardshub restore FILE`: replace the hub's database with a backup made by `backup`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the database from FILE, a backup made by `rewardshub backup`. "
        "Replaces everything in the database; stop the hub first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="The backup to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Go ahead although the database already holds data (it is replaced).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).expanduser()
        try:
            kind = restore(path, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the {kind} database from {path}. "
            "Run `rewardshub migrate` if this hub is newer than the backup, "
            "then `rewardshub audit verify`."
        )
