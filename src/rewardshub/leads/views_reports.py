"""The lead reports, beside the other reports (owners, admins, financial
staff), each with its CSV download; every view and download is audited
(points.reporting)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rewardshub.leads.reports import TABLES
from rewardshub.points import reporting
from rewardshub.points.reports import Period
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES, Practice

PAGE = "leads/reports.html"


def _page(practice: Practice, period: Period) -> dict[str, object]:
    return {"tables": [build(practice, period) for build in TABLES.values()]}


@require_GET
@staff_view(roles=REPORT_ROLES)
def leads_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_page(request, hub, PAGE, _page, report="leads")


@require_GET
@staff_view(roles=REPORT_ROLES)
def leads_export(request: HttpRequest, table: str, *, hub: HubContext) -> HttpResponse:
    return reporting.table_export(request, hub, PAGE, TABLES, table)
