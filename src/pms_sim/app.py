"""The simulator as a WSGI application: routes, static files, security headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pms_sim import charts, views
from pms_sim.settings import Settings
from pms_sim.views import Context
from pms_sim.web import Flash, FormTooLarge, Request, Response
from rewardshub_bridge.client import HubClient

__all__ = ["make_app", "app_from_settings", "WSGIApp"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
View = Callable[..., Response]

STATIC_DIR = Path(__file__).with_name("static")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_CHART = r"(?P<chart_id>[A-Za-z0-9._-]{1,64})"
_APPOINTMENT = r"(?P<appointment_id>[A-Za-z0-9._-]{1,64})"

ROUTES: list[tuple[re.Pattern[str], Mapping[str, View]]] = [
    (re.compile(r"/"), {"GET": views.lookup}),
    (re.compile(r"/patients/new"), {"GET": views.patient_add_form, "POST": views.patient_add}),
    (re.compile(rf"/charts/{_CHART}"), {"GET": views.chart}),
    (
        re.compile(rf"/charts/{_CHART}/set-card"),
        {"GET": views.set_card_form, "POST": views.set_card},
    ),
    (re.compile(rf"/charts/{_CHART}/launch"), {"POST": views.launch}),
    (re.compile(r"/schedule"), {"GET": views.schedule_book}),
    (
        re.compile(rf"/appointments/{_APPOINTMENT}/(?P<step>[a-z-]{{1,20}})"),
        {"POST": views.appointment_step},
    ),
]


def make_app(db_path: Path | str, hub_client: HubClient) -> WSGIApp:
    """The sim's WSGI app over its chart database, talking to the hub via `hub_client`."""
    charts.init_db(db_path)
    ctx = Context(db_path=Path(db_path), hub=hub_client, flash=Flash())
    static = {
        path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
        for path in STATIC_DIR.iterdir()
        if path.suffix in STATIC_TYPES
    }

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = _dispatch(ctx, static, environ)
        headers = [
            ("Content-Type", response.content_type),
            *response.headers,
            *_security_headers(response),
        ]
        body = response.body_bytes()
        headers.append(("Content-Length", str(len(body))))
        start_response(response.status_line, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    return app


def app_from_settings(settings: Settings) -> WSGIApp:
    return make_app(settings.db_path, HubClient(settings.hub_url, settings.api_key))


def _dispatch(
    ctx: Context, static: Mapping[str, tuple[bytes, str]], environ: dict[str, Any]
) -> Response:
    try:
        request = Request.from_environ(environ)
    except FormTooLarge:
        return Response("Form too large.", status=413, content_type="text/plain; charset=utf-8")
    method = "GET" if request.method == "HEAD" else request.method

    if request.path == "/healthz":
        return Response("ok", content_type="text/plain; charset=utf-8")
    if request.path == "/favicon.ico":
        # Browsers ask on every page; an empty answer keeps their consoles clean.
        return Response(status=204)
    if request.path.startswith("/static/"):
        found = static.get(request.path.removeprefix("/static/"))
        if found is None or method != "GET":
            return views.not_found(ctx, request)
        return Response(found[0], content_type=found[1], headers=[("Cache-Control", "no-cache")])

    for pattern, handlers in ROUTES:
        match = pattern.fullmatch(request.path)
        if match is None:
            continue
        handler = handlers.get(method)
        if handler is None:
            allowed = ", ".join(handlers)
            return Response(
                "Method not allowed.",
                status=405,
                content_type="text/plain; charset=utf-8",
                headers=[("Allow", allowed)],
            )
        if method == "POST" and not _same_origin(request):
            return Response(
                "Cross-site form posts are refused.",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        return handler(ctx, request, **match.groupdict())
    return views.not_found(ctx, request)


def _same_origin(request: Request) -> bool:
    # No sessions, so no CSRF token; refusing foreign Origins is enough to
    # stop another site from creating charts or syncing cards through the sim.
    return request.origin is None or request.origin in (
        f"http://{request.host}",
        f"https://{request.host}",
    )


def _security_headers(response: Response) -> list[tuple[str, str]]:
    frame_src = " ".join(dict.fromkeys(response.frame_origins)) or "'none'"
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; frame-src {frame_src}; frame-ancestors 'none'; base-uri 'none'"
    )
    return [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        # Chart ids stay inside the sim; the hub gets only its own one-time URL.
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
