"""The report of QR codes and group awards, and its CSV downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.test import Client
from tests.conftest import SYSTEM
from tests.qr import SOCIAL

from rewardshub.audit.models import AuditEvent
from rewardshub.campaigns.actions import collect_qr, practice_today
from rewardshub.campaigns.group_actions import GroupSpec, make_group_award
from rewardshub.campaigns.models import QrCode
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

REPORT = "/reports/campaigns/"


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def _activity(
    acworth: Practice, make_profile: Callable[..., Profile], make_code: Callable[..., QrCode]
) -> None:
    ann, bob = make_profile(acworth, first="Ann"), make_profile(acworth, first="Bob")
    social, survey = make_code(acworth), make_code(acworth, label="=Survey done", points=4)
    for profile in (ann, bob):
        collect_qr(practice=acworth, profile=profile, code=social, actor=SYSTEM)
    collect_qr(practice=acworth, profile=ann, code=survey, actor=SYSTEM)
    spec = GroupSpec.of(tag=None, reward_item=None, points=6, reason="Holiday party")
    make_group_award(practice=acworth, spec=spec, key="report-key-0123456789", actor=SYSTEM)


def test_it_reports_collections_and_group_awards_of_the_period(
    owner_client: Client,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    make_code: Callable[..., QrCode],
) -> None:
    _activity(acworth, make_profile, make_code)
    response = owner_client.get(REPORT)
    assert response.status_code == 200
    qr, group = response.context["tables"]
    assert qr.rows == [(SOCIAL, 2, 2, 20), ("=Survey done", 1, 1, 4), ("All codes", 3, 2, 24)]
    assert [row[1:7] for row in group.rows] == [("Holiday party", "All patients", 6, 2, 0, 12)]
    assert group.rows[0][0] == practice_today(acworth)
    assert AuditEvent.objects.filter(action="report.view", detail__report="campaigns").exists()


def test_it_downloads_each_table_as_csv(
    financial_client: Client,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    make_code: Callable[..., QrCode],
) -> None:
    _activity(acworth, make_profile, make_code)
    today = practice_today(acworth).isoformat()
    qr = financial_client.get(f"{REPORT}qr-codes.csv?start={today}&end={today}")
    assert qr.status_code == 200 and qr["Content-Type"] == "text/csv; charset=utf-8"
    assert _csv(qr) == [
        ["QR code", "Collections", "Patients", "Points"],
        [SOCIAL, "2", "2", "20"],
        # A label a spreadsheet would run as a formula is quoted.
        ["'=Survey done", "1", "1", "4"],
        ["All codes", "3", "2", "24"],
    ]
    group = financial_client.get(f"{REPORT}group-awards.csv?start={today}&end={today}")
    assert _csv(group)[1] == [today, "Holiday party", "All patients", "6", "2", "0", "12", "tests"]
    assert AuditEvent.objects.filter(action="report.export").count() == 2


def test_it_keeps_the_report_to_report_readers(
    frontdesk_client: Client,
    outsider_client: Client,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    make_code: Callable[..., QrCode],
) -> None:
    assert frontdesk_client.get(REPORT).status_code == 403
    assert frontdesk_client.get(f"{REPORT}qr-codes.csv").status_code == 403
    _activity(acworth, make_profile, make_code)
    theirs = outsider_client.get(REPORT)
    assert theirs.status_code == 200
    assert [table.rows for table in theirs.context["tables"]] == [[], []]
    assert outsider_client.get(f"{REPORT}nothing.csv").status_code == 404


def test_it_says_what_is_wrong_with_the_period(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.get(f"{REPORT}?start=2026-12-05&end=2026-12-01")
    assert response.status_code == 422
    assert "The start date is after the end date." in response.content.decode()
