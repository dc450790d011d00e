"""The reports on automatic points, for the staff who read the other reports
(owners, admins, financial staff), and their CSV downloads.

Each view and each download is written to the audit log, as the other
reports are (points.reporting). Counts and sums only: no patient appears.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rewardshub.automations import reports
from rewardshub.automations.forms import WeeksForm
from rewardshub.points import reporting
from rewardshub.points.reports import Period
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES, Practice

RULES_PAGE = "automations/report_rules.html"
VISITS_PAGE = "automations/report_visits.html"


def _weeks(request: HttpRequest, hub: HubContext) -> tuple[WeeksForm, reports.Weeks | None]:
    if "start" not in request.GET and "end" not in request.GET:
        weeks = reports.Weeks.last(hub.practice, timezone.now())
        return WeeksForm(initial={"start": weeks.first, "end": weeks.last_day}), weeks
    form = WeeksForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, reports.Weeks.covering(data["start"], data["end"], hub.practice.time_zone)


def _rules_page(practice: Practice, period: Period) -> dict[str, object]:
    return {"report": reports.by_rule(practice, period)}


def _rules_lines(report: reports.RuleReport) -> list[tuple[object, ...]]:
    # The audit row counts the rules; the file ends with their total.
    return [row.cells() for row in (*report.rows, report.total)]


@require_GET
@staff_view(roles=REPORT_ROLES)
def rules_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_page(request, hub, RULES_PAGE, _rules_page, report="auto_rules")


@require_GET
@staff_view(roles=REPORT_ROLES)
def rules_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return reporting.report_export(
        request,
        hub,
        RULES_PAGE,
        table="auto_rules",
        build=reports.by_rule,
        lines=_rules_lines,
        name="automatic-points",
    )


@require_GET
@staff_view(roles=REPORT_ROLES)
def visits_report(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, weeks = _weeks(request, hub)
    context: dict[str, object] = {"nav": "reports", "form": form, "weeks": weeks}
    if weeks is None:
        return render(request, VISITS_PAGE, context, status=422)
    context["report"] = reports.frequency(hub.practice, weeks)
    reporting.audit_report(
        hub, "report.view", weeks.first, weeks.last_day, report="rewarded_visits"
    )
    return render(request, VISITS_PAGE, context)


@require_GET
@staff_view(roles=REPORT_ROLES)
def visits_export(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form, weeks = _weeks(request, hub)
    if weeks is None:
        context = {"nav": "reports", "form": form, "weeks": None}
        return render(request, VISITS_PAGE, context, status=422)
    rows = reports.frequency_rows(reports.frequency(hub.practice, weeks))
    reporting.audit_report(
        hub,
        "report.export",
        weeks.first,
        weeks.last_day,
        table="rewarded_visits",
        rows=str(len(rows)),
    )
    filename = f"{hub.practice.slug}-rewarded-visits-{weeks.first}-to-{weeks.last_day}.csv"
    return reporting.csv_download(filename, reports.FREQUENCY_HEADERS, rows)
