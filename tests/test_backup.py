"""`rewardshub backup` / `rewardshub restore`: refusals, and a full round trip on a real database.

The round trip runs the commands as separate processes against a database of
its own (a temporary SQLite file, or a scratch PostgreSQL database beside the
test database), never the one pytest uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rewardshub.ops.backup import PG_MAGIC, SQLITE_MAGIC

POSTGRES = connection.vendor == "postgresql"

# Every row the issue names, by id, with what would show a lost write.
SNAPSHOT = """
import json
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import Card
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
print(json.dumps({
    "profiles": list(
        Profile.objects.order_by("id").values_list("id", "username", "points_balance")
    ),
    "cards": list(Card.objects.order_by("id").values_list("id", "number", "state", "profile_id")),
    "links": list(PmsLink.objects.order_by("id").values_list("id", "chart_id", "profile_id")),
    "ledger": list(LedgerEntry.objects.order_by("id").values_list("id", "points", "profile_id")),
    "audit": list(AuditEvent.objects.order_by("id").values_list("id", "seq", "hash")),
}))
"""

# The demo has no PMS (no simulator running): link its patients' charts directly.
LINK = """
from django.utils import timezone
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile
for n, profile in enumerate(Profile.objects.order_by("id")[:5]):
    PmsLink.objects.create(
        practice_id=profile.practice_id, system="orthotrac", chart_id=f"OT-{n}",
        profile=profile, last_synced_at=timezone.now(),
    )
"""

# After the backup: lose a profile's audit rows behind the hub's back, and add a practice.
MUTATE = """
from django.db import connection
from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.practices.actions import create_practice
profile = Profile.objects.filter(points_balance__gt=0).order_by("id").first()
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM audit_auditevent WHERE profile_id = %s", [profile.pk])
create_practice(name="After the backup", slug="after-backup", actor=Actor.system("test"))
"""


def rewardshub(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "rewardshub", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"rewardshub {' '.join(args)} failed:\n{result.stderr}")
    return result


def snapshot(env: dict[str, str]) -> dict[str, Any]:
    # The last line: Django's shell may first say what it imported.
    return json.loads(rewardshub(env, "shell", "-c", SNAPSHOT).stdout.strip().splitlines()[-1])


def _pg_admin(sql: str) -> None:
    db = connection.settings_dict
    env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})}
    subprocess.run(
        ["psql", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
         "-U", db["USER"] or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
        env=env, check=True, capture_output=True,
    )


@pytest.fixture
def scratch_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a hub whose database is a fresh one of the suite's kind."""
    env = {**os.environ, "REWARDSHUB_VAR_DIR": str(tmp_path / "var")}
    if not POSTGRES:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        yield env
        return
    db = connection.settings_dict
    name = f"rh_backup_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env["DATABASE_URL"] = (
        f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    )
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield env
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


NEVER_ANALYZED = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL')\n"
    "    print('never analyzed:', *sorted(row[0] for row in cursor.fetchall()))\n"
)


@pytest.mark.slow
def test_it_restores_every_row_and_the_audit_chain(
    scratch_env: dict[str, str],
    tmp_path: Path,
    record_property: Any,
) -> None:
    env = scratch_env
    rewardshub(env, "migrate", "-v0")
    rewardshub(env, "demo", "--out", str(tmp_path / "demo.json"))
    rewardshub(env, "shell", "-c", LINK)
    before = snapshot(env)
    assert before["profiles"] and before["cards"] and before["links"] and before["ledger"]
    assert any(balance > 0 for _, _, balance in before["profiles"])

    backup_file = tmp_path / "hub.backup"
    made = rewardshub(env, "backup", str(backup_file))
    assert "Backed up the" in made.stdout
    assert backup_file.read_bytes().startswith(PG_MAGIC if POSTGRES else SQLITE_MAGIC)

    rewardshub(env, "shell", "-c", MUTATE)
    changed = snapshot(env)
    assert changed["audit"] != before["audit"]
    assert rewardshub(env, "audit", "verify", check=False).returncode == 1

    refused = rewardshub(env, "restore", str(backup_file), check=False)
    assert refused.returncode == 1
    assert "The database already holds data; restoring replaces all of it." in refused.stderr
    assert snapshot(env) == changed

    restored = rewardshub(env, "restore", str(backup_file), "--force")
    assert "Restored the" in restored.stdout
    assert snapshot(env) == before
    if POSTGRES:  # the restored tables have planner statistics at once
        said = rewardshub(env, "shell", "-c", NEVER_ANALYZED).stdout.splitlines()
        assert [line for line in said if line.startswith("never analyzed:")] == [
            "never analyzed:"
        ], said
    verified = rewardshub(env, "audit", "verify")
    assert verified.stdout.startswith(f"Audit chain intact: {len(before['audit'])} events in")
    record_property(
        "summary",
        f"backup round trip: {len(before['profiles'])} profiles, {len(before['cards'])} cards, "
        f"{len(before['links'])} links, {len(before['ledger'])} ledger entries, "
        f"{len(before['audit'])} audit events restored; chain verified"
    )


def run(*args: str) -> str:
    try:
        call_command(*args)
    except CommandError as exc:
        return str(exc)
    return ""


@pytest.mark.django_db
class TestRefusals:
    def test_it_will_not_overwrite_a_file(self, tmp_path: Path) -> None:
        target = tmp_path / "exists.backup"
        target.write_bytes(b"precious")
        assert run("backup", str(target)) == (
            f"{target} already exists. Choose another name, or use --force to replace it."
        )
        assert target.read_bytes() == b"precious"

    def test_it_will_not_write_into_a_missing_folder(self, tmp_path: Path) -> None:
        target = tmp_path / "nowhere" / "hub.backup"
        assert run("backup", str(target)) == f"The folder {target.parent} does not exist."

    def test_it_will_not_restore_a_missing_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "missing.backup"
        assert run("restore", str(missing)) == f"{missing} does not exist."

    def test_it_will_not_restore_a_file_that_is_no_backup(self, tmp_path: Path) -> None:
        junk = tmp_path / "notes.txt"
        junk.write_text("not a database")
        assert run("restore", str(junk), "--force") == (
            f"{junk} is not a RewardsHub backup (neither SQLite nor pg_dump custom format)."
        )

    def test_it_will_not_restore_the_other_databases_kind(self, tmp_path: Path) -> None:
        other = tmp_path / "other.backup"
        other.write_bytes((SQLITE_MAGIC if POSTGRES else PG_MAGIC) + b"\0" * 100)
        kinds = ("SQLite", "PostgreSQL") if POSTGRES else ("PostgreSQL", "SQLite")
        assert run("restore", str(other), "--force") == (
            f"{other} is a {kinds[0]} backup, but this hub's database is {kinds[1]}. "
            f"Restore it into a hub configured for {kinds[0]}."
        )

    def test_it_will_not_restore_a_damaged_backup(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.backup"
        broken.write_bytes((PG_MAGIC if POSTGRES else SQLITE_MAGIC) + b"\xff" * 200)
        message = run("restore", str(broken), "--force")
        assert message.startswith(f"{broken} is not a readable"), message

    def test_it_will_not_restore_over_data_without_force(
        self, tmp_path: Path, acworth: Any
    ) -> None:
        target = tmp_path / "hub.backup"
        assert run("backup", str(target)) == ""
        assert run("restore", str(target)) == (
            "The database already holds data; restoring replaces all of it. "
            "Stop the hub, then run again with --force to go ahead."
        )
