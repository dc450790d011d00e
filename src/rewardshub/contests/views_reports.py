"""Reports > Contest awards, for the staff who read the other reports (owners,
admins, financial staff), and its CSV download; both written to the audit log
(points.reporting)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rewardshub.contests import reports
from rewardshub.points import reporting
from rewardshub.points.reports import Period
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES, Practice

PAGE = "contests/report.html"


def _page(practice: Practice, period: Period) -> dict[str, object]:
    return {"report": reports.contest_awards(practice, period)}


def _lines(report: reports.Report) -> list[tuple[object, ...]]:
    # The audit row counts the contests; the file ends with their total.
    return [*report.rows, report.total]


@require_GET
@staff_view(roles=REPORT_ROLES)
def awards_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_page(request, hub, PAGE, _page, report="contest_awards")


@require_GET
@staff_view(roles=REPORT_ROLES)
def awards_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_export(
        request,
        hub,
        PAGE,
        table="contest_awards",
        build=reports.contest_awards,
        lines=_lines,
        name="contest-awards",
    )
