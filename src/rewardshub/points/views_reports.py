"""Reports for owners, admins and financial staff, and their CSV exports.

Every view and every export is written to the audit log (points.reporting).
The tables are aggregates only: no patient appears in a report.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rewardshub.points import dashboard, reporting, reports
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES, Practice

PAGE = "points/reports.html"


def _page(practice: Practice, period: reports.Period) -> dict[str, object]:
    tables = [table(practice, period) for table in reports.TABLES.values()]
    dates = next(table for table in tables if table.key == "dates")
    chart = dashboard.table_panel(dates, ("Awarded", "Redeemed"), "dates", dates.title).chart
    return {"summary": reports.summary(practice, period), "tables": tables, "dates_chart": chart}


@require_GET
@staff_view(roles=REPORT_ROLES)
def report_index(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_page(request, hub, PAGE, _page)


@require_GET
@staff_view(roles=REPORT_ROLES)
def report_export(request: HttpRequest, table: str, *, hub: HubContext) -> HttpResponse:
    return reporting.table_export(request, hub, PAGE, reports.TABLES, table)
