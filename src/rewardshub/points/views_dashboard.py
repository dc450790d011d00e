"""The practice dashboard: the last weeks' points, patients, cards and prizes as
charts, each beside the table of its numbers. Counts only, no patient; the
view is audited like every report (report.view, report "dashboard")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rewardshub.points import dashboard, reporting
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import REPORT_ROLES


@require_GET
@staff_view(roles=REPORT_ROLES)
def dashboard_page(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    period = dashboard.last_weeks(hub.practice, timezone.now())
    context = {
        "nav": "reports",
        "period": period,
        "weeks": dashboard.WEEKS,
        "panels": dashboard.panels(hub.practice, period),
    }
    reporting.audit_report(hub, "report.view", period.start, period.end, report="dashboard")
    return render(request, "points/dashboard.html", context)
