"""Reports > Contest awards, for the staff who read the other reports (owners,
admins, financial staff), and its CSV download; both written to the audit log."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rewardshub.audit.actions import record_event
from rewardshub.contests import reports
from rewardshub.points.prize_forms import PeriodForm
from rewardshub.points.reports import Period, csv_cell
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES

PAGE = "contests/report.html"


def _period(request: HttpRequest, hub: HubContext) -> tuple[PeriodForm, Period | None]:
    default = Period.this_month(hub.practice, timezone.now())
    if "start" not in request.GET and "end" not in request.GET:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, Period(data["start"], data["end"], hub.practice.time_zone)


def _audit(hub: HubContext, action: str, period: Period, **extra: str) -> None:
    detail = {"start": str(period.start), "end": str(period.end), **extra}
    record_event(practice=hub.practice, actor=hub.actor, action=action, detail=detail)


@require_GET
@staff_view(roles=REPORT_ROLES)
def awards_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, period = _period(request, hub)
    context: dict[str, object] = {"nav": "reports", "form": form, "period": period}
    if period is None:
        return render(request, PAGE, context, status=422)
    context["report"] = reports.contest_awards(hub.practice, period)
    _audit(hub, "report.view", period, report="contest_awards")
    return render(request, PAGE, context)


@require_GET
@staff_view(roles=REPORT_ROLES)
def awards_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, period = _period(request, hub)
    if period is None:
        return render(request, PAGE, {"nav": "reports", "form": form, "period": None}, status=422)
    report = reports.contest_awards(hub.practice, period)
    _audit(hub, "report.export", period, table="contest_awards", rows=str(len(report.rows)))
    filename = f"{hub.practice.slug}-contest-awards-{period.start}-to-{period.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(report.headers)
    for row in (*report.rows, report.total):
        writer.writerow([csv_cell(cell) for cell in row])
    return response
