"""The simulator's screens. Each reads the request, asks the hub through
HubClient when the screen needs it, and renders or redirects.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pms_sim import appointments, charts, pages, schedule
from pms_sim.forms import OFFICES, clean_patient
from pms_sim.settings import PMS_USER, SYSTEM
from pms_sim.web import Flash, Request, Response, origin_of, redirect
from rewardshub_bridge.client import HubClient, HubError

__all__ = [
    "Context",
    "lookup",
    "patient_add_form",
    "patient_add",
    "chart",
    "set_card_form",
    "set_card",
    "launch",
    "schedule_book",
    "appointment_step",
    "not_found",
]

_NONCE = re.compile(r"[0-9a-f]{32}")


@dataclass
class Context:
    db_path: Path
    hub: HubClient
    flash: Flash = field(default_factory=Flash)


def lookup(ctx: Context, request: Request) -> Response:
    query = request.query.get("q", "").strip()[:100]
    with charts.connect(ctx.db_path) as conn:
        results = charts.search(conn, query)
    return Response(pages.lookup_page(query, results))


def patient_add_form(ctx: Context, request: Request) -> Response:
    return Response(pages.patient_add_page({"pms_status": "New Patient", "office": "ACW"}, []))


def patient_add(ctx: Context, request: Request) -> Response:
    values, errors = clean_patient(request.form)
    if errors:
        return Response(pages.patient_add_page(values, errors), status=400)
    with charts.connect(ctx.db_path) as conn:
        created = charts.create(conn, values)
    return redirect(pages.chart_url(created.chart_id))


def chart(ctx: Context, request: Request, chart_id: str) -> Response:
    found = _get_chart(ctx, chart_id)
    if found is None:
        return not_found(ctx, request)
    tab = request.query.get("tab", "treatment")
    if tab not in pages.TABS:
        tab = "treatment"
    launch_result = _pop_result(ctx, request, "launch", chart_id)
    hub_tab = _hub_tab(ctx, chart_id) if tab == "hub" else None
    response = Response(
        pages.chart_page(found, tab, _sync_badge(ctx, chart_id), launch_result, hub_tab)
    )
    if hub_tab and hub_tab[0] == "frame":
        # The launch URL's own origin, which may differ from the API's base URL.
        response.frame_origins = (origin_of(hub_tab[1]),)
    return response


def set_card_form(ctx: Context, request: Request, chart_id: str) -> Response:
    found = _get_chart(ctx, chart_id)
    if found is None:
        return not_found(ctx, request)
    result = _pop_result(ctx, request, "set_card", chart_id)
    # A typed number that the hub refused stays in the box to be corrected.
    card_value = result.get("card", "") if result and "error" in result else ""
    nonce = uuid.uuid4().hex
    return Response(pages.set_card_page(found, nonce, result, card_value))


def set_card(ctx: Context, request: Request, chart_id: str) -> Response:
    found = _get_chart(ctx, chart_id)
    if found is None:
        return not_found(ctx, request)
    card = request.form.get("card", "")
    back = pages.chart_url(chart_id, "/set-card")
    if not card.strip():
        key = _put_result(
            ctx, "set_card", chart_id, error="Swipe the rewards card or type its number."
        )
        return redirect(back, result=key)
    # One nonce per rendering of the dialog: a double submit replays the first
    # answer instead of syncing twice, and a corrected retry gets a new one.
    nonce = request.form.get("nonce", "")
    try:
        answer = ctx.hub.set_card(
            SYSTEM,
            chart_id,
            card,
            found.demographics(),
            pms_user=PMS_USER,
            idempotency_key=f"pms-sim-{nonce}" if _NONCE.fullmatch(nonce) else None,
        )
    except HubError as err:
        key = _put_result(ctx, "set_card", chart_id, error=err.message, card=card)
        return redirect(back, result=key)
    key = _put_result(
        ctx,
        "set_card",
        chart_id,
        outcome=str(answer.get("outcome", "")),
        username=str(answer.get("username", "")),
        browser_url=str(answer.get("browser_url", "")),
        # needs_confirmation (202): what the hub says staff must do.
        message=str(answer.get("message", "")),
    )
    return redirect(back, result=key)


def launch(ctx: Context, request: Request, chart_id: str) -> Response:
    if _get_chart(ctx, chart_id) is None:
        return not_found(ctx, request)
    tab = request.form.get("tab", "")
    try:
        answer = ctx.hub.launch(SYSTEM, chart_id, view="profile", pms_user=PMS_USER)
    except HubError as err:
        key = _put_result(ctx, "launch", chart_id, error=err.message)
    else:
        key = _put_result(
            ctx,
            "launch",
            chart_id,
            url=str(answer.get("url", "")),
            message=str(answer.get("message", "") or ""),
        )
    return redirect(pages.chart_url(chart_id), tab=tab if tab in pages.TABS else "", result=key)


def schedule_book(ctx: Context, request: Request) -> Response:
    office = request.query.get("office", "")
    if office not in OFFICES:
        office = next(iter(OFFICES))
    now = appointments.now()
    with charts.connect(ctx.db_path) as conn:
        book = appointments.day_book(conn, now.date(), office)
        names = {a.chart_id: charts.get(conn, a.chart_id) for a in book}
    found = {chart_id: chart for chart_id, chart in names.items() if chart is not None}
    result = ctx.flash.pop(request.query.get("result"))
    if result is not None and result.get("kind") != "schedule":
        result = None
    return Response(schedule.schedule_page(now.date(), office, book, found, result, now))


def appointment_step(ctx: Context, request: Request, appointment_id: str, step: str) -> Response:
    """A front-desk button: change the sim's record, then send it to the hub."""
    if step not in appointments.STEPS:
        return not_found(ctx, request)
    nonce = request.form.get("nonce", "")
    key = f"pms-sim-{nonce}" if _NONCE.fullmatch(nonce) else None
    with charts.connect(ctx.db_path) as conn:
        # IMMEDIATE: two clicks at once must not both read the old record.
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = _apply(conn, appointment_id, step, nonce if key else uuid.uuid4().hex)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        chart_found = charts.get(conn, done[0].chart_id) if done else None
    if done is None:
        return not_found(ctx, request)
    target, changed = done
    name = f"{chart_found.first_name} {chart_found.last_name}" if chart_found else target.chart_id
    title = schedule.step_title(step, name, target, changed)
    try:
        answer = ctx.hub.put_appointment(
            SYSTEM,
            target.chart_id,
            target.appointment_id,
            target.for_hub(),
            pms_updated_at=target.updated_at,
            pms_user=PMS_USER,
            # A resend of an unchanged record is harmless without one (the hub
            # sees it is not newer), and a key may carry only one body.
            idempotency_key=key if changed else None,
        )
    except HubError as err:
        lines = [f"Saved in Orthotrac, but the {pages.HUB} did not take it: {err.message}"]
        result = ctx.flash.put(
            {"kind": "schedule", "tone": "error", "title": title, "lines": "\n".join(lines)}
        )
    else:
        lines = schedule.hub_lines(answer)
        result = ctx.flash.put(
            {"kind": "schedule", "tone": "ok", "title": title, "lines": "\n".join(lines)}
        )
    office = request.form.get("office", "")
    return redirect("/schedule", office=office if office in OFFICES else "", result=result)


def _apply(
    conn: sqlite3.Connection, appointment_id: str, step: str, nonce: str
) -> tuple[appointments.Appointment, bool] | None:
    """The step on the sim's own record: (the record to send, whether it changed)."""
    found = appointments.get(conn, appointment_id)
    if found is None:
        return None
    at = appointments.now()
    if step == "book-next":
        # The id comes from the form's nonce, so a double submit books one visit.
        new_id = f"AP-{nonce[:16]}"
        booked = appointments.next_visit(found, new_id, at)
        if appointments.insert(conn, booked):
            return booked, True
        existing = appointments.get(conn, new_id)
        assert existing is not None
        return existing, False
    changed = appointments.apply_step(found, step, at)
    if changed == found:
        return found, False
    appointments.save(conn, changed)
    return changed, True


def not_found(ctx: Context, request: Request) -> Response:
    return Response(pages.not_found_page("There is no such page or chart."), status=404)


# -- helpers --------------------------------------------------------------------


def _get_chart(ctx: Context, chart_id: str) -> charts.Chart | None:
    with charts.connect(ctx.db_path) as conn:
        return charts.get(conn, chart_id)


def _sync_badge(ctx: Context, chart_id: str) -> tuple[str, str]:
    try:
        status = ctx.hub.status(SYSTEM, chart_id)
    except HubError as err:
        # The chart must still open when the hub is down, as in a real PMS.
        return "offline", f"unavailable ({err.message})"
    if status.get("linked"):
        return "synced", f"Synced ({status.get('username', '')})"
    if status.get("state") == "needs_confirmation":
        return "waiting", "Waiting for confirmation in the hub"
    return "unsynced", "Not synced"


def _hub_tab(ctx: Context, chart_id: str) -> tuple[str, str]:
    # A fresh one-time URL on every rendering: the previous one is spent.
    try:
        answer = ctx.hub.launch(SYSTEM, chart_id, view="chart", pms_user=PMS_USER)
    except HubError as err:
        return "message", err.message
    return "frame", str(answer.get("url", ""))


def _put_result(ctx: Context, kind: str, chart_id: str, **payload: str) -> str:
    return ctx.flash.put({"kind": kind, "chart_id": chart_id, **payload})


def _pop_result(ctx: Context, request: Request, kind: str, chart_id: str) -> dict[str, str] | None:
    result = ctx.flash.pop(request.query.get("result"))
    if result is None or result.get("kind") != kind or result.get("chart_id") != chart_id:
        return None
    return result
