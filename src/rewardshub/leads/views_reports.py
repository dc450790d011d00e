"""The lead reports, beside the other reports (owners, admins, financial
staff), each with its CSV download; every view and download is audited."""

from __future__ import annotations

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rewardshub.audit.actions import record_event
from rewardshub.leads.reports import TABLES
from rewardshub.points.prize_forms import PeriodForm
from rewardshub.points.reports import Period, csv_cell
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES

PAGE = "leads/reports.html"


def _period(request: HttpRequest, hub: HubContext) -> tuple[PeriodForm, Period | None]:
    default = Period.this_month(hub.practice, timezone.now())
    if "start" not in request.GET and "end" not in request.GET:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, Period(data["start"], data["end"], hub.practice.time_zone)


def _detail(period: Period, **extra: str) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), **extra}


@require_GET
@staff_view(roles=REPORT_ROLES)
def leads_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, period = _period(request, hub)
    context: dict[str, object] = {"nav": "reports", "form": form, "period": period}
    if period is None:
        return render(request, PAGE, context, status=422)
    context["tables"] = [build(hub.practice, period) for build in TABLES.values()]
    record_event(
        practice=hub.practice,
        actor=hub.actor,
        action="report.view",
        detail=_detail(period, report="leads"),
    )
    return render(request, PAGE, context)


@require_GET
@staff_view(roles=REPORT_ROLES)
def leads_export(request: HttpRequest, table: str, *, hub: HubContext) -> HttpResponse:
    build = TABLES.get(table)
    if build is None:
        raise Http404
    form, period = _period(request, hub)
    if period is None:
        context = {"nav": "reports", "form": form, "period": None}
        return render(request, PAGE, context, status=422)
    result = build(hub.practice, period)
    record_event(
        practice=hub.practice,
        actor=hub.actor,
        action="report.export",
        detail=_detail(period, table=table, rows=str(len(result.rows))),
    )
    filename = f"{hub.practice.slug}-{table}-{period.start}-to-{period.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(result.headers)
    for row in result.rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response
