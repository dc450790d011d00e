"""What every report page and CSV download does the same way: read the period,
answer 422 to a bad one, write the audit row, and build the download.

Points' reports and those of the apps above points (leads, contests,
campaigns, automatic points) all go through here, so a report and its
download are audited alike and a cell is made safe for a spreadsheet alike.
Reports are counts and sums: the audit row names the report and the period,
never a patient.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.points.prize_forms import PeriodForm
from rewardshub.points.reports import Period, Table, csv_cell
from rewardshub.practices.context import HubContext
from rewardshub.practices.models import Practice
from rewardshub.web import csv_attachment


class Tabular(Protocol):
    """A report as its download needs it: column headers, and rows to count."""

    @property
    def headers(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[object]: ...


T = TypeVar("T", bound=Tabular)


def read_period(request: HttpRequest, hub: HubContext) -> tuple[PeriodForm, Period | None]:
    """The period the query string asks for (None when it is not valid), or this
    month so far in the practice's time zone when it asks for none."""
    default = Period.this_month(hub.practice, timezone.now())
    if "start" not in request.GET and "end" not in request.GET:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, Period(data["start"], data["end"], hub.practice.time_zone)


def audit_report(hub: HubContext, action: str, start: dt.date, end: dt.date, **extra: str) -> None:
    """The audit row of a report viewed (`report.view`) or downloaded (`report.export`)."""
    detail = {"start": start.isoformat(), "end": end.isoformat(), **extra}
    record_event(practice=hub.practice, actor=hub.actor, action=action, detail=detail)


def csv_download(
    filename: str, headers: Iterable[str], rows: Iterable[Iterable[object]]
) -> HttpResponse:
    """A CSV attachment whose cells a spreadsheet program will not run as formulas."""
    response = csv_attachment(filename)
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response


def _bad_period(request: HttpRequest, page: str, form: PeriodForm) -> HttpResponse:
    context = {"nav": "reports", "form": form, "period": None}
    return render(request, page, context, status=422)


def report_page(
    request: HttpRequest,
    hub: HubContext,
    page: str,
    fill: Callable[[Practice, Period], Mapping[str, object]],
    **detail: str,
) -> HttpResponse:
    """A report page for the asked period: `fill` gives the page its tables;
    `detail` (which report) goes into the audit row beside the period."""
    form, period = read_period(request, hub)
    if period is None:
        return _bad_period(request, page, form)
    context: dict[str, object] = {"nav": "reports", "form": form, "period": period}
    context.update(fill(hub.practice, period))
    audit_report(hub, "report.view", period.start, period.end, **detail)
    return render(request, page, context)


def report_export(
    request: HttpRequest,
    hub: HubContext,
    page: str,
    *,
    table: str,
    build: Callable[[Practice, Period], T],
    lines: Callable[[T], Iterable[Iterable[object]]],
    name: str | None = None,
) -> HttpResponse:
    """The CSV download of one report for the asked period (a bad period: the
    report `page` with its error, 422). The audit row counts the report's rows;
    `lines` are the CSV lines written, a total line included where there is one.
    The file is `<practice>-<name or table>-<start>-to-<end>.csv`."""
    form, period = read_period(request, hub)
    if period is None:
        return _bad_period(request, page, form)
    result = build(hub.practice, period)
    audit_report(
        hub, "report.export", period.start, period.end, table=table, rows=str(len(result.rows))
    )
    filename = f"{hub.practice.slug}-{name or table}-{period.start}-to-{period.end}.csv"
    return csv_download(filename, result.headers, lines(result))


def table_export(
    request: HttpRequest,
    hub: HubContext,
    page: str,
    tables: Mapping[str, Callable[[Practice, Period], Table]],
    table: str,
) -> HttpResponse:
    """The download of one of a report page's tables, by its key (404 for a key it has not)."""
    build = tables.get(table)
    if build is None:
        raise Http404
    return report_export(request, hub, page, table=table, build=build, lines=_table_rows)


def _table_rows(result: Table) -> list[tuple[object, ...]]:
    return result.rows
