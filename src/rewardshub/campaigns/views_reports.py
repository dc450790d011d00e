"""The campaigns report (QR codes and group awards in a period) and its CSV downloads,
for the staff who read the other reports. Each view and download is audited,
as the other reports are (points.reporting)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rewardshub.campaigns import reports
from rewardshub.points import reporting
from rewardshub.points.reports import Period
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES, Practice

PAGE = "campaigns/report.html"


def _page(practice: Practice, period: Period) -> dict[str, object]:
    return {"tables": [build(practice, period) for build in reports.TABLES.values()]}


@require_GET
@staff_view(roles=REPORT_ROLES)
def campaigns_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_page(request, hub, PAGE, _page, report="campaigns")


@require_GET
@staff_view(roles=REPORT_ROLES)
def campaigns_export(request: HttpRequest, table: str, *, hub: HubContext) -> HttpResponse:
    return reporting.table_export(request, hub, PAGE, reports.TABLES, table)
