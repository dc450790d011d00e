"""REWARDSHUB_EMAIL_URL: one variable for the mail server, clear refusals, private mail files."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

from rewardshub.audit.keyring import new_entry
from rewardshub.mail import FILES, SMTP, FileBackend, MailSettings, mail_settings

MAIL_DIR = Path("/srv/hub/var/mail")


def parse(url: str, production: bool = False, files: bool = False) -> MailSettings:
    return mail_settings(url, mail_dir=MAIL_DIR, production=production, files_in_production=files)


def test_it_reads_every_smtp_form_from_one_url() -> None:
    assert parse("smtp+tls://hub%40example.org:p%3Ass@mail.example.org:587") == MailSettings(
        backend=SMTP, host="mail.example.org", port=587, user="hub@example.org",
        password="p:ss", use_tls=True,
    )
    assert parse("smtp+ssl://u:p@mail.example.org") == MailSettings(
        backend=SMTP, host="mail.example.org", port=465, user="u", password="p", use_ssl=True
    )
    assert parse("smtp://relay.internal") == MailSettings(
        backend=SMTP, host="relay.internal", port=25
    )


def test_without_a_url_mail_goes_to_files_under_var() -> None:
    assert parse("") == MailSettings(backend=FILES, file_path=str(MAIL_DIR))
    assert parse("file:///srv/outbox") == MailSettings(backend=FILES, file_path="/srv/outbox")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("smtp://mail.example.org:port", "has a port that is not a number"),
        ("smtp://", "names no mail server"),
        ("smtp+tls://user@mail.example.org", "a user name without a password"),
        ("smtp://mail.example.org/inbox", "has more than a server address"),
        ("smtp://mail.example.org:70000", "has a port that is not a number"),
        ("imap://u:hunter2@mail.example.org", "must start with smtp://, smtp+tls://"),
        ("console://", "the console backend prints every message"),
    ],
)
def test_it_refuses_a_malformed_url_saying_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(says)) as caught:
        parse(url)
    assert "hunter2" not in str(caught.value)
    assert "smtp+tls://user:password@mail.example.com:587" in str(caught.value) or (
        "console" in url
    )


def test_production_refuses_mail_files_unless_told_to() -> None:
    with pytest.raises(ImproperlyConfigured, match="no mail server is set") as caught:
        parse("", production=True)
    assert "REWARDSHUB_EMAIL_FILES_IN_PRODUCTION=true" in str(caught.value)
    with pytest.raises(ImproperlyConfigured):
        parse("file:///srv/outbox", production=True)
    assert parse("", production=True, files=True).backend == FILES
    assert parse("smtp://relay.internal", production=True).backend == SMTP


def test_a_production_start_without_a_mail_server_stops_and_says_why(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REWARDSHUB_EMAIL")}
    env.update(
        REWARDSHUB_PRODUCTION="true",
        REWARDSHUB_SECRET_KEY="k" * 50,
        REWARDSHUB_VAR_DIR=str(tmp_path),
        # A production hub also needs an audit key; this test is about mail.
        REWARDSHUB_AUDIT_KEY=new_entry(),
    )
    result = subprocess.run(
        [sys.executable, "-m", "rewardshub", "check"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "REWARDSHUB_PRODUCTION is on but no mail server is set" in result.stderr
    env["REWARDSHUB_EMAIL_FILES_IN_PRODUCTION"] = "true"
    allowed = subprocess.run(
        [sys.executable, "-m", "rewardshub", "check"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_the_file_backend_writes_each_message_0600_and_logs_only_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    saved = os.umask(0o022)  # the mode must hold whatever the process umask
    try:
        backend = FileBackend(file_path=str(tmp_path / "mail"))
        link = "http://hub/portal/password/reset/TOKEN-abc123/"
        with caplog.at_level(logging.INFO, logger="rewardshub.mail"):
            sent = backend.send_messages(
                [EmailMessage("Reset", f"Open {link}", "hub@example.org", ["emma@example.org"])]
                * 2
            )
    finally:
        os.umask(saved)
    files = sorted((tmp_path / "mail").iterdir())
    assert sent == 2 and len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert link in path.read_text()
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
    assert sorted(r.getMessage() for r in caplog.records) == [
        f"Mail written to {path} (no mail server is set: REWARDSHUB_EMAIL_URL)" for path in files
    ]
