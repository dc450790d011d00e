"""Leads by source and by status, and referrals, beside the other reports, each
with its CSV; and the practice's referral leaderboard."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule
from rewardshub.leads.actions import set_status
from rewardshub.leads.models import Lead, LeadSource, LeadStatus
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

REPORT = "/reports/leads/"


def some_leads(acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead]) -> list[Lead]:
    a = make_lead(acworth, referred_by=referrer, email="a@example.com")
    b = make_lead(acworth, referred_by=referrer, email="b@example.com")
    c = make_lead(acworth, source=LeadSource.WEBSITE, email="c@example.com")
    set_status(practice=acworth, lead=a, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)
    set_status(practice=acworth, lead=c, status=LeadStatus.LOST, actor=SYSTEM)
    return [a, b, c]


def rows(response: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))  # type: ignore[attr-defined]


def test_it_counts_leads_by_source_status_and_referrer(
    owner_client: Client,
    acworth: Practice,
    referrer: Profile,
    make_lead: Callable[..., Lead],
    bonus_rule: AutoRule,
) -> None:
    some_leads(acworth, referrer, make_lead)

    page = owner_client.get(REPORT)

    assert page.status_code == 200
    tables = {table.key: table for table in page.context["tables"]}
    assert ("Referral", 2, 0) in tables["lead_sources"].rows
    assert ("Website", 1, 0) in tables["lead_sources"].rows
    assert dict(tables["lead_statuses"].rows) == {
        "New": 1,
        "Contacted": 0,
        "Consult booked": 0,
        "Started treatment": 1,
        "Lost": 1,
    }
    assert tables["referrals"].rows == [(referrer.username, 2, 0, 1, 50)]
    assert "Emma" not in page.content.decode().split("<main", 1)[1]  # no patient's name
    assert AuditEvent.objects.filter(action="report.view", detail__report="leads").exists()


def test_each_table_downloads_as_csv(
    financial_client: Client,
    acworth: Practice,
    referrer: Profile,
    make_lead: Callable[..., Lead],
    bonus_rule: AutoRule,
) -> None:
    some_leads(acworth, referrer, make_lead)

    sources = financial_client.get(REPORT + "lead_sources.csv")
    statuses = financial_client.get(REPORT + "lead_statuses.csv")
    referrals = financial_client.get(REPORT + "referrals.csv")

    assert sources["Content-Type"] == "text/csv; charset=utf-8"
    assert rows(sources)[0] == ["Source", "Leads", "Became patients"]
    assert ["Referral", "2", "0"] in rows(sources)
    assert ["Lost", "1"] in rows(statuses)
    assert rows(referrals) == [
        ["Referrer (username)", "Referred", "Became patients", "Bonuses paid", "Bonus points"],
        [referrer.username, "2", "0", "1", "50"],
    ]
    assert financial_client.get(REPORT + "nothing.csv").status_code == 404


def test_front_desk_cannot_read_reports_and_bad_dates_are_refused(
    frontdesk_client: Client, owner_client: Client
) -> None:
    assert frontdesk_client.get(REPORT).status_code == 403
    bad = owner_client.get(REPORT + "?start=2026-13-01&end=2026-12-01")
    assert bad.status_code == 422
    assert owner_client.get(REPORT + "referrals.csv?start=x&end=y").status_code == 422


def test_the_leaderboard_ranks_referrers_by_bonus_points(
    frontdesk_client: Client,
    acworth: Practice,
    referrer: Profile,
    make_lead: Callable[..., Lead],
    portal_patient: Callable[..., Profile],
    bonus_rule: AutoRule,
) -> None:
    liam = portal_patient(acworth, "Liam", "Smith")
    some_leads(acworth, referrer, make_lead)
    for n in range(3):
        make_lead(acworth, referred_by=liam, email=f"l{n}@example.com")

    page = frontdesk_client.get("/leads/referrals/")

    ranked = [
        (row.profile, row.referred, row.bonuses, row.points) for row in page.context["referrers"]
    ]
    assert ranked == [(referrer, 2, 1, 50), (liam, 3, 0, 0)]
    assert "Emma Johnson" in page.content.decode()
