"""`rewardshub backup FILE`: a consistent copy of the hub's database, taken while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database to FILE: SQLite's online backup API, or pg_dump "
        "(custom format) for PostgreSQL. Safe while the hub is serving."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="Where to write the backup.")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).expanduser()
        try:
            kind = backup(path, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = path.stat().st_size
        self.stdout.write(f"Backed up the {kind} database to {path} ({size:,} bytes).")
