"""HTML of the simulator's screens, dressed like a classic Windows PMS.

Every value from the database, a form or the hub goes through `e()`. No inline
scripts, handlers or style attributes: the sim is served under a strict CSP,
and behaviour lives in /static/sim.js.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import quote

from pms_sim.charts import Chart
from pms_sim.forms import LABELS, OFFICES, STATUSES
from pms_sim.settings import PMS_USER

__all__ = [
    "chart_url",
    "lookup_page",
    "patient_add_page",
    "chart_page",
    "set_card_page",
    "not_found_page",
]

SET_CARD = "Set Patient Rewards Hub Card #"
LAUNCH = "Launch Patient Rewards Hub"
HUB = "Patient Rewards Hub"
TABS = {"treatment": "Treatment Chart", "notes": "Notes/Comments", "hub": HUB}
# The seed's menu strip; only Functions and Patient Chart do something here.
INERT_MENUS = ("Patient Information", "Schedule Appointment", "Financial")
INERT_MENUS_AFTER = ("Claims", "Word Processing", "Snapshot")


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def chart_url(chart_id: str, suffix: str = "") -> str:
    return f"/charts/{quote(chart_id, safe='')}{suffix}"


def layout(title: str, body: str, menubar: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(title)} - Orthotrac</title>
<link rel="stylesheet" href="/static/sim.css">
<script src="/static/sim.js" defer></script>
</head>
<body>
<div class="window">
<header class="titlebar"><span class="titlebar-text">Orthotrac - {e(title)}</span>
<span class="titlebar-buttons" aria-hidden="true">
<span>_</span><span>&#9633;</span><span>&#215;</span></span></header>
{menubar}
<main class="client">
{body}
</main>
<footer class="statusbar">
<span>User: {e(PMS_USER)}</span><span>Orthotrac (simulator)</span></footer>
</div>
</body>
</html>
"""


def _home_menubar(extra: str = "") -> str:
    return f"""<nav class="menubar" aria-label="Main menu">
<a class="menu-link" href="/">Patient Lookup</a>
<a class="menu-link" id="menu-schedule" href="/schedule">Schedule</a>{extra}
</nav>"""


# -- Patient lookup -----------------------------------------------------------


def lookup_page(query: str, results: Sequence[Chart]) -> str:
    rows = "\n".join(
        f"""<tr><td><a href="{e(chart_url(c.chart_id))}">{e(c.chart_id)}</a></td>
<td><a href="{e(chart_url(c.chart_id))}">{e(c.display_name)}</a></td>
<td>{e(c.preferred_name)}</td><td>{e(_us_date(c.birth_date))}</td>
<td>{e(c.pms_status)}</td><td>{e(c.office)}</td></tr>"""
        for c in results
    )
    if not rows:
        rows = '<tr><td colspan="6" class="empty">No patients match.</td></tr>'
    body = f"""<section class="panel">
<h1 class="panel-title">Patient Lookup</h1>
<form class="toolbar" method="get" action="/" role="search">
<label for="q">Name or chart #</label>
<input id="q" name="q" type="search" value="{e(query)}" autofocus autocomplete="off">
<button type="submit">Search</button>
<a class="button" id="patient-add" href="/patients/new">Patient Add</a>
</form>
<table class="grid" id="patient-list">
<thead><tr><th>Chart #</th><th>Name</th><th>Preferred</th><th>Birth Date</th>
<th>Status</th><th>Office</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</section>"""
    return layout("Patient Lookup", body, _home_menubar())


# -- Patient Add --------------------------------------------------------------


def patient_add_page(values: Mapping[str, str], errors: Sequence[str]) -> str:
    error_box = ""
    if errors:
        items = "".join(f"<li>{e(message)}</li>" for message in errors)
        error_box = f'<div class="error-box" id="form-errors" role="alert"><ul>{items}</ul></div>'
    body = f"""<section class="panel dialog-panel">
<h1 class="panel-title">Patient Add</h1>
{error_box}
<form method="post" action="/patients/new" class="form-grid" id="patient-add-form">
{_text("first_name", values, required=True)}
{_text("last_name", values, required=True)}
{_text("preferred_name", values)}
{_text("birth_date", values, kind="date")}
{_text("email", values, kind="email")}
{_text("phone_mobile", values, kind="tel")}
{_text("phone_home", values, kind="tel")}
{_text("responsible_party", values)}
{_select("pms_status", values, {s: s for s in STATUSES})}
{_select("office", values, {code: f"{code} - {name}" for code, name in OFFICES.items()})}
<div class="buttons"><button type="submit">Save</button>
<a class="button" href="/">Cancel</a></div>
</form>
</section>"""
    return layout("Patient Add", body, _home_menubar())


def _text(name: str, values: Mapping[str, str], kind: str = "text", required: bool = False) -> str:
    flag = " required" if required else ""
    return (
        f'<label for="{name}">{e(LABELS[name])}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{e(values.get(name, ""))}"{flag}>'
    )


def _select(name: str, values: Mapping[str, str], choices: Mapping[str, str]) -> str:
    current = values.get(name, "")
    options = "".join(
        f'<option value="{e(value)}"{" selected" if value == current else ""}>{e(text)}</option>'
        for value, text in choices.items()
    )
    return (
        f'<label for="{name}">{e(LABELS[name])}</label>'
        f'<select id="{name}" name="{name}">{options}</select>'
    )


# -- Patient Chart ------------------------------------------------------------


def chart_page(
    chart: Chart,
    tab: str,
    sync: tuple[str, str],
    launch_result: Mapping[str, str] | None,
    hub_tab: tuple[str, str] | None,
) -> str:
    """`sync` is (css class, text); `hub_tab` is ("frame", url) or ("message", text)."""
    title = f"Patient Chart - {chart.display_name} ({chart.chart_id})"
    menubar = _home_menubar(
        "".join(f'<span class="menu-inert">{e(m)}</span>' for m in INERT_MENUS)
        + _hub_menu(chart, "functions", "Functions", tab)
        + "".join(f'<span class="menu-inert">{e(m)}</span>' for m in INERT_MENUS_AFTER)
        + _hub_menu(chart, "patient-chart", "Patient Chart", tab)
    )
    body = f"""{_patient_information(chart, sync)}
{_launch_notice(launch_result)}
<section class="panel treatment" id="treatment-chart">
<div class="tab-body" id="tab-panel" role="tabpanel" aria-label="{e(TABS[tab])}">
{_tab_body(tab, hub_tab)}
</div>
{_tab_strip(chart, tab)}
</section>"""
    return layout(title, body, menubar)


def _hub_menu(chart: Chart, key: str, label: str, tab: str) -> str:
    # <details> menus open on click without any script, which also keeps
    # them simple for browser tests to drive.
    return f"""<details class="menu" id="menu-{key}">
<summary>{e(label)}</summary>
<ul class="menu-items">
<li class="menu-inert">Patient Checkout</li>
<li class="menu-inert">Patient Tracking</li>
<li><details class="submenu" id="menu-{key}-hub"><summary>{HUB}</summary>
<ul class="menu-items">
<li><a class="menu-item" id="{key}-set-card"
 href="{e(chart_url(chart.chart_id, "/set-card"))}">{e(SET_CARD)}</a></li>
<li><form method="post" action="{e(chart_url(chart.chart_id, "/launch"))}">
<input type="hidden" name="tab" value="{e(tab)}">
<button type="submit" class="menu-item" id="{key}-launch">{e(LAUNCH)}</button></form></li>
</ul></details></li>
</ul>
</details>"""


def _patient_information(chart: Chart, sync: tuple[str, str]) -> str:
    rows = [
        ("Chart #", chart.chart_id),
        ("Name", chart.display_name),
        ("Preferred", chart.preferred_name),
        ("Birth Date", _us_date(chart.birth_date)),
        ("Status", chart.pms_status),
        ("Office", chart.office),
        ("Responsible Party", chart.responsible_party),
        ("Email", chart.email),
        ("Mobile Phone", chart.phone_mobile),
        ("Home Phone", chart.phone_home),
    ]
    fields = "\n".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    css, text = sync
    return f"""<section class="panel" id="patient-information">
<h1 class="panel-title">Patient Information</h1>
<p class="hub-badge {e(css)}" id="hub-sync-badge">{HUB}: {e(text)}</p>
<dl class="fields">
{fields}
</dl>
</section>"""


def _launch_notice(result: Mapping[str, str] | None) -> str:
    if result is None:
        return ""
    if "error" in result:
        return f"""<div class="alert-box" id="hub-alert" role="alert">
<p class="alert-title">{HUB}</p><p>{e(result["error"])}</p></div>"""
    waiting = result.get("message", "")
    note = f'<p id="hub-launch-message">{e(waiting)}</p>\n' if waiting else ""
    return f"""<div class="notice-box" id="hub-launch" role="status">
{note}{_hub_window_link(result["url"])}</div>"""


def _hub_window_link(url: str) -> str:
    # sim.js opens this link in a new window at once (hiding it when that
    # worked); without script, or if a popup blocker steps in, it's clicked.
    return f"""<p class="hub-window-hint" id="hub-window-hint">The {HUB} opens in a new window.</p>
<a class="button" id="hub-window" data-auto-open target="_blank" href="{e(url)}">Open {HUB}</a>"""


def _tab_body(tab: str, hub_tab: tuple[str, str] | None) -> str:
    if tab == "hub":
        kind, value = hub_tab or ("message", "The hub could not be asked.")
        if kind == "frame":
            return f'<iframe id="hub-frame" title="{HUB}" src="{e(value)}"></iframe>'
        return f'<div class="alert-box" id="hub-tab-message" role="alert"><p>{e(value)}</p></div>'
    if tab == "notes":
        return '<p class="empty">No notes or comments.</p>'
    return """<table class="grid">
<thead><tr><th>Date</th><th>Appointment</th><th>Procedure</th><th>Notes</th></tr></thead>
<tbody><tr><td colspan="4" class="empty">No visits recorded in the simulator.</td></tr></tbody>
</table>"""


def _tab_strip(chart: Chart, current: str) -> str:
    tabs = "\n".join(
        f'<a role="tab" id="tab-{key}" class="tab{" selected" if key == current else ""}"'
        f' aria-selected="{"true" if key == current else "false"}"'
        f' href="{e(chart_url(chart.chart_id))}?tab={key}">{e(label)}</a>'
        for key, label in TABS.items()
    )
    return f'<nav class="tabstrip" role="tablist" aria-label="Treatment chart">\n{tabs}\n</nav>'


# -- Set Patient Rewards Hub Card # -------------------------------------------


def set_card_page(
    chart: Chart, nonce: str, result: Mapping[str, str] | None, card_value: str = ""
) -> str:
    """`result` is {"outcome", "username", "browser_url"} or {"error"} after a submit."""
    outcome = ""
    if result is not None and "error" in result:
        outcome = f"""<div class="error-box" id="set-card-error" role="alert">
<p>{e(result["error"])}</p></div>"""
    elif result is not None and result.get("outcome") == "needs_confirmation":
        outcome = f"""<div class="notice-box" id="set-card-result" role="status">
<p class="success-title">Waiting for confirmation in the hub</p>
<p>{e(result.get("message", ""))}</p>
{_hub_window_link(result["browser_url"])}
</div>"""
    elif result is not None:
        outcome = f"""<div class="success-box" id="set-card-result" role="status">
<p class="success-title">Card number set</p>
<p>{e(_outcome_sentence(result.get("outcome", ""), result.get("username", "")))}</p>
{_hub_window_link(result["browser_url"])}
</div>"""
    body = f"""<div class="dialog" role="dialog" aria-labelledby="dialog-title">
<div class="titlebar"><span id="dialog-title">{e(SET_CARD)}</span></div>
<div class="dialog-body">
<p>Patient: <strong>{e(chart.display_name)}</strong> ({e(chart.chart_id)})</p>
{outcome}
<form method="post" action="{e(chart_url(chart.chart_id, "/set-card"))}" id="set-card-form">
<input type="hidden" name="nonce" value="{e(nonce)}">
<label for="card">Card #</label>
<input type="text" id="card" name="card" value="{e(card_value)}" autofocus
 autocomplete="off" spellcheck="false">
<div class="buttons"><button type="submit" id="set-card-submit">Set Card</button>
<a class="button" href="{e(chart_url(chart.chart_id))}">Close</a></div>
</form>
<p class="hint">Swipe the rewards card through the card reader, or type the card number
(or the 16-digit username copied from the hub profile), then press Enter.</p>
</div>
</div>"""
    return layout(SET_CARD, body)


def _outcome_sentence(outcome: str, username: str) -> str:
    sentences = {
        "created": "A new hub profile was created for this patient",
        "linked": "This chart is now linked to the patient's hub profile",
        "already_linked": "This chart was already linked to this hub profile",
    }
    sentence = sentences.get(outcome, "The hub accepted the card")
    return f"{sentence} (username {username})." if username else f"{sentence}."


def not_found_page(message: str) -> str:
    body = f"""<section class="panel"><h1 class="panel-title">Not found</h1>
<p>{e(message)}</p><p><a href="/">Back to Patient Lookup</a></p></section>"""
    return layout("Not found", body, _home_menubar())


def _us_date(iso: str) -> str:
    # Orthotrac shows dates month first; the database keeps ISO.
    try:
        return date.fromisoformat(iso).strftime("%m/%d/%Y")
    except ValueError:
        return iso
