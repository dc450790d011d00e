"""Files the hub writes are readable by their owner only (0600), whoever starts it and how.

A fresh var dir goes through `rewardshub migrate`, the demo, a served request
(so the SQLite -wal and -shm files exist), a password-reset mail (a file
under var/mail/), `rewardshub backup` and `rewardshub cards issue --out`;
then every file under it, and the backup and card file, must be 0600. The
commands run with a permissive umask (022), as a shell would start them. A
database file left 0644 by an older version is tightened when the hub opens it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.live_hub import Browser, hub_env, rewardshub, serve
from tests.test_backup import POSTGRES, scratch_env  # noqa: F401 (the fixture)

SETUP = """
from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
emma = Profile.objects.get(first_name="Emma", last_name="Johnson")
activate_account(
    profile=emma, temp_hash=temp_password_hashes(emma, None)[0], password="emma-password-1",
    email="emma.modes@example.com", actor=Actor.system("test"),
)
"""


def _modes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _permissive() -> None:
    os.umask(0o022)


@pytest.mark.slow
def test_every_file_the_hub_writes_is_0600(
    scratch_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    var.mkdir()
    env = hub_env(scratch_env, var)
    saved = os.umask(0o022)  # the commands below inherit it, as from a login shell
    try:
        rewardshub(env, "migrate", "-v0")
        rewardshub(env, "demo", "--out", str(var / "demo.json"))
        rewardshub(env, "shell", "-c", SETUP)
        database = var / "rewardshub.sqlite3"
        if not POSTGRES:
            # As an older version left it: readable by everyone. The hub tightens it.
            database.chmod(0o644)
        with serve(env, tmp_path / "server.log") as hub:
            asked = Browser(hub.url).submit(
                "/portal/password/forgot/", {"email": "emma.modes@example.com"}
            )
            assert asked.status_code == 200
            # The mail goes out once the page is sent (portal/reset.py), so it may trail the page.
            deadline = time.monotonic() + 30
            while not (var / "mail").is_dir() or not any((var / "mail").iterdir()):
                assert time.monotonic() < deadline, "no reset mail under var/mail/ after 30 s"
                time.sleep(0.1)
            served = _modes(var)
        backup = tmp_path / "hub.backup"
        rewardshub(env, "backup", str(backup))
        cards = tmp_path / "cards.csv"
        rewardshub(env, "cards", "issue", "--practice", "acworth", "--count", "2",
                   "--out", str(cards))
    finally:
        os.umask(saved)
    after = _modes(var)
    assert any(name.startswith("mail/") for name in served), served
    if not POSTGRES:
        assert {"rewardshub.sqlite3", "rewardshub.sqlite3-wal", "rewardshub.sqlite3-shm"} <= set(
            served
        ), served
    written = {**served, **after, "hub.backup": oct(stat.S_IMODE(backup.stat().st_mode)),
               "cards.csv": oct(stat.S_IMODE(cards.stat().st_mode))}
    assert {name: mode for name, mode in written.items() if mode != "0o600"} == {}
    assert oct(stat.S_IMODE((var / "mail").stat().st_mode)) == "0o700"
    print(f"file modes: {len(written)} files, all 0600")


def test_a_server_started_from_the_wsgi_module_creates_private_files(tmp_path: Path) -> None:
    # gunicorn, uwsgi or mod_wsgi pointed at rewardshub.wsgi directly, not `rewardshub serve`.
    env = hub_env({**os.environ, "DATABASE_URL": "sqlite:///x"}, tmp_path)
    probe = "import os, rewardshub.wsgi; print(oct(os.umask(0)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True,
        timeout=120, preexec_fn=_permissive, check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "0o77"
