"""A scratch hub for the in-process benchmarks (key_lookup, sql_statements, bulk_write,
profile_page): Django set up on a database of their own, and a way to measure inside a
transaction that is rolled back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def setup_django(*, url: str, prefix: str, workdir: Path | None = None) -> Path:
    """Set Django up on `url` (default: a new SQLite file in a new folder); the folder."""
    folder = workdir or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "DATABASE_URL": url or f"sqlite:///{folder / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "rewardshub.settings",
            "REWARDSHUB_VAR_DIR": str(folder),
            "REWARDSHUB_DEBUG": "false",
            "REWARDSHUB_LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    return folder


class _Rollback(Exception):
    pass


def in_rolled_back_migrated_database(run: Callable[[], None]) -> None:
    """Migrate, then run inside one transaction that is rolled back: nothing stays."""
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    try:
        with transaction.atomic():
            run()
            raise _Rollback
    except _Rollback:
        pass
