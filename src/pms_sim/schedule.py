"""HTML of the Schedule: one office's appointment book for today, with the
front desk's buttons, and the sentences that report what the hub did.

Same rules as pages.py: every value goes through `e()`, no inline script or style.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from pms_sim.appointments import STEPS, Appointment, apply_step
from pms_sim.charts import Chart
from pms_sim.forms import OFFICES
from pms_sim.pages import HUB, SET_CARD, _home_menubar, chart_url, e, layout

__all__ = ["schedule_page", "step_url", "step_title", "hub_lines", "STATUS_LABELS"]

STATUS_LABELS = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "arrived": "Checked in",
    "seated": "Seated",
    "completed": "Checked out",
    "missed": "Missed",
    "cancelled": "Cancelled",
}
# The hub's automatic-point rules, as its ledger names them.
RULE_LABELS = {
    "kept": "Appointment kept",
    "on_time": "On time",
    "early": "Early",
    "late": "Late",
    "missed": "Missed appointment",
    "confirmed": "Confirmed appointment",
    "next_booked": "Next visit booked",
}


def step_url(appointment_id: str, step: str) -> str:
    return f"/appointments/{quote(appointment_id, safe='')}/{step}"


def clock(when: dt.datetime) -> str:
    return f"{when.astimezone():%I:%M %p}".lstrip("0")


# -- what a step did, for the flash message ---------------------------------------------


def step_title(step: str, name: str, done: Appointment, changed: bool) -> str:
    if step == "book-next":
        start = done.start.astimezone()
        return f"Next visit booked for {name}: {start:%m/%d/%Y} at {clock(start)}."
    if not changed:
        return f"{name} is already {STATUS_LABELS.get(done.status, done.status).lower()}."
    if step == "check-in":
        return f"{name} checked in at {clock(dt.datetime.fromisoformat(done.arrived_at))}."
    if step == "seat":
        return f"{name} seated."
    if step == "check-out":
        return f"{name} checked out at {clock(dt.datetime.fromisoformat(done.completed_at))}."
    return f"{name} marked missed."


def hub_lines(answer: Mapping[str, Any]) -> list[str]:
    """What the hub did with the appointment, in the front desk's words."""
    if not answer.get("linked"):
        return [
            f"{HUB}: this chart is not linked yet, so no points were given. The appointment "
            f"is kept and counts once the card is set ({SET_CARD} on the Patient Chart)."
        ]
    if answer.get("outcome") in ("stale", "unchanged"):
        return [f"{HUB}: already up to date; no points moved."]
    moved = [line for line in answer.get("points", []) if line.get("points")]
    if not moved:
        return [f"{HUB}: no automatic points for this step."]
    lines = []
    for line in moved:
        label = RULE_LABELS.get(str(line.get("rule")), str(line.get("rule")))
        lines.append(f"{HUB}: {int(line['points']):+d} points, {label}.")
        if line.get("uncollected"):
            lines.append(f"Could not take back {line['uncollected']} points (already spent).")
    lines.append(f"Balance: {answer.get('balance')} points.")
    return lines


# -- the page ---------------------------------------------------------------------------


def schedule_page(
    day: dt.date,
    office: str,
    book: Sequence[Appointment],
    names: Mapping[str, Chart],
    result: Mapping[str, str] | None,
    now: dt.datetime,
) -> str:
    offices = "\n".join(
        f'<a class="button" id="office-{e(code)}"{_current(code == office)}'
        f' href="/schedule?office={quote(code)}">{e(code)} - {e(label)}</a>'
        for code, label in OFFICES.items()
    )
    rows = "\n".join(_row(a, names.get(a.chart_id), office, now) for a in book)
    if not rows:
        rows = '<tr><td colspan="7" class="empty">No appointments today.</td></tr>'
    body = f"""{_result_box(result)}
<section class="panel" id="schedule">
<h1 class="panel-title">Schedule - {e(OFFICES[office])} - {day:%A} {day:%m/%d/%Y}</h1>
<nav class="toolbar" aria-label="Offices">Office: {offices}</nav>
<table class="grid" id="appointment-book">
<thead><tr><th>Time</th><th>Chart #</th><th>Patient</th><th>Appointment</th><th>Provider</th>
<th>Status</th><th>Front desk</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</section>"""
    return layout("Schedule", body, _home_menubar())


def _current(yes: bool) -> str:
    return ' aria-current="page"' if yes else ""


def _row(appointment: Appointment, chart: Chart | None, office: str, now: dt.datetime) -> str:
    a = appointment
    name = chart.display_name if chart else ""
    buttons = "".join(_button(a, step, label, office, now) for step, label in STEPS.items())
    status = STATUS_LABELS.get(a.status, a.status)
    return f"""<tr id="appointment-{e(a.appointment_id)}" class="status-{e(a.status)}">
<td>{e(clock(a.start))}</td>
<td><a href="{e(chart_url(a.chart_id))}">{e(a.chart_id)}</a></td>
<td>{e(name)}</td><td>{e(a.type_label)} ({a.length_minutes} min)</td><td>{e(a.provider)}</td>
<td class="appointment-status">{e(status)}</td>
<td class="steps">{buttons}</td></tr>"""


def _button(a: Appointment, step: str, label: str, office: str, now: dt.datetime) -> str:
    # A step that would change nothing is greyed out, as in the PMS.
    idle = step != "book-next" and apply_step(a, step, now) == a
    # One nonce per form: a double submit is sent to the hub under the same key.
    return f"""<form method="post" action="{e(step_url(a.appointment_id, step))}">
<input type="hidden" name="nonce" value="{secrets.token_hex(16)}">
<input type="hidden" name="office" value="{e(office)}">
<button type="submit"{" disabled" if idle else ""}>{e(label)}</button></form>"""


def _result_box(result: Mapping[str, str] | None) -> str:
    if result is None:
        return ""
    lines = "".join(f"<p>{e(line)}</p>" for line in result.get("lines", "").split("\n") if line)
    if result.get("tone") == "error":
        return f"""<div class="alert-box" id="schedule-result" role="alert">
<p class="alert-title">{e(result["title"])}</p>{lines}</div>"""
    return f"""<div class="success-box" id="schedule-result" role="status">
<p class="success-title">{e(result["title"])}</p>{lines}</div>"""
