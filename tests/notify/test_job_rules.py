"""The retry layer's rules that need no database: the waits between tries and what
staff read of an error."""

from __future__ import annotations

import smtplib
from typing import Any

from rewardshub.jobs.runner import describe, retry_delay


def test_the_wait_doubles_from_the_setting_up_to_six_hours(settings: Any) -> None:
    settings.JOB_RETRY_SECONDS = 60
    waits = [retry_delay(n).total_seconds() for n in range(1, 12)]
    assert waits[:5] == [60, 120, 240, 480, 960]
    assert max(waits) == 6 * 60 * 60
    settings.JOB_RETRY_SECONDS = 0
    assert retry_delay(3).total_seconds() == 0


def test_an_error_reads_as_one_line_without_addresses() -> None:
    refused = smtplib.SMTPRecipientsRefused(
        {"emma.johnson@example.com": (550, b"5.1.1 mailbox unavailable")}
    )
    text = describe(refused)
    assert text.startswith("SMTPRecipientsRefused: ")
    assert "example.com" not in text and "<address>" in text
    assert describe(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert "\n" not in describe(RuntimeError("one\ntwo"))
    assert len(describe(RuntimeError("x" * 2000))) == 500
    assert describe(TimeoutError()) == "TimeoutError"
