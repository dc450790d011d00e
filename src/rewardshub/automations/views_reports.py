"""The reports on automatic points, for the staff who read the other reports
(owners, admins, financial staff), and their CSV downloads.

Each view and each download is written to the audit log, as the other
reports are. Counts and sums only: no patient appears.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rewardshub.audit.actions import record_event
from rewardshub.automations import reports
from rewardshub.automations.forms import WeeksForm
from rewardshub.points.prize_forms import PeriodForm
from rewardshub.points.reports import Period, csv_cell
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES

RULES_PAGE = "automations/report_rules.html"
VISITS_PAGE = "automations/report_visits.html"


def _period(request: HttpRequest, hub: HubContext) -> tuple[PeriodForm, Period | None]:
    default = Period.this_month(hub.practice, timezone.now())
    if "start" not in request.GET and "end" not in request.GET:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, Period(data["start"], data["end"], hub.practice.time_zone)


def _weeks(request: HttpRequest, hub: HubContext) -> tuple[WeeksForm, reports.Weeks | None]:
    if "start" not in request.GET and "end" not in request.GET:
        weeks = reports.Weeks.last(hub.practice, timezone.now())
        return WeeksForm(initial={"start": weeks.first, "end": weeks.last_day}), weeks
    form = WeeksForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, reports.Weeks.covering(data["start"], data["end"], hub.practice.time_zone)


def _audit(hub: HubContext, action: str, start: object, end: object, **extra: str) -> None:
    detail = {"start": str(start), "end": str(end), **extra}
    record_event(practice=hub.practice, actor=hub.actor, action=action, detail=detail)


def _csv(filename: str, headers: Iterable[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response


@require_GET
@staff_view(roles=REPORT_ROLES)
def rules_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, period = _period(request, hub)
    context: dict[str, object] = {"nav": "reports", "form": form, "period": period}
    if period is None:
        return render(request, RULES_PAGE, context, status=422)
    context["report"] = reports.by_rule(hub.practice, period)
    _audit(hub, "report.view", period.start, period.end, report="auto_rules")
    return render(request, RULES_PAGE, context)


@require_GET
@staff_view(roles=REPORT_ROLES)
def rules_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, period = _period(request, hub)
    if period is None:
        context = {"nav": "reports", "form": form, "period": None}
        return render(request, RULES_PAGE, context, status=422)
    report = reports.by_rule(hub.practice, period)
    _audit(
        hub,
        "report.export",
        period.start,
        period.end,
        table="auto_rules",
        rows=str(len(report.rows)),
    )
    rows = [row.cells() for row in (*report.rows, report.total)]
    filename = f"{hub.practice.slug}-automatic-points-{period.start}-to-{period.end}.csv"
    return _csv(filename, report.headers, rows)


@require_GET
@staff_view(roles=REPORT_ROLES)
def visits_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, weeks = _weeks(request, hub)
    context: dict[str, object] = {"nav": "reports", "form": form, "weeks": weeks}
    if weeks is None:
        return render(request, VISITS_PAGE, context, status=422)
    context["report"] = reports.frequency(hub.practice, weeks)
    _audit(hub, "report.view", weeks.first, weeks.last_day, report="rewarded_visits")
    return render(request, VISITS_PAGE, context)


@require_GET
@staff_view(roles=REPORT_ROLES)
def visits_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, weeks = _weeks(request, hub)
    if weeks is None:
        context = {"nav": "reports", "form": form, "weeks": None}
        return render(request, VISITS_PAGE, context, status=422)
    rows = reports.frequency_rows(reports.frequency(hub.practice, weeks))
    _audit(
        hub,
        "report.export",
        weeks.first,
        weeks.last_day,
        table="rewarded_visits",
        rows=str(len(rows)),
    )
    filename = f"{hub.practice.slug}-rewarded-visits-{weeks.first}-to-{weeks.last_day}.csv"
    return _csv(filename, reports.FREQUENCY_HEADERS, rows)
