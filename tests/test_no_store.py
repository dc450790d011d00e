"""No browser keeps a page with patient data: `Cache-Control: no-store` on every dynamic answer.

Every route the URL resolver knows is walked (tests/url_walk.py) with the ids
of Acworth's objects: staff pages and CSV downloads as Acworth's owner, the
portal as an Acworth patient, and every GET operation of the integration API
(from its OpenAPI document) with Acworth's key. Each 200 must say no-store;
static files keep their caching. A route added later is walked without
editing this file.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from tests.integrations.conftest import Api
from tests.test_isolation_matrix import (
    CHART,
    PORTAL_PASSWORD,
    World,
    api_operations,
    world,  # noqa: F401 (the fixture)
)
from tests.url_walk import Route, attempts, ensure_signed_in, routes

from rewardshub.points import reports

# Answers that choose their own caching, and why they may.
OWN_CACHING = {
    # A prize's picture: the practice's catalog artwork, no patient data.
    "prizes:picture": "private, max-age=300",
    # The practice's colours and logo (branding): revalidated with their ETag.
    "portal_brand:css": "private, no-cache",
    "portal_brand:logo": "private, no-cache",
    "branding:logo": "private, no-cache",
}
# Each route is tried with Acworth's objects until one answers 200.
TRIES_PER_ROUTE = 40


def _addresses(route: Route, target: World) -> list[str]:
    if route.name == "reports:export":
        return [f"/reports/{table}.csv" for table in reports.TABLES]
    return list(attempts(route, target.acworth.objects, limit=TRIES_PER_ROUTE))


def _check(response: Any, label: str, name: str, problems: list[str]) -> None:
    control = response.get("Cache-Control", "")
    if name in OWN_CACHING:
        if control != OWN_CACHING[name]:
            problems.append(f"{label}: Cache-Control {control!r}")
    elif "no-store" not in control:
        problems.append(f"{label}: Cache-Control {control!r}")


def test_every_answer_with_patient_data_says_no_store(
    world: World, owner: Any, record_property: Any  # noqa: F811
) -> None:
    staff = Client()
    patient = Client()

    def portal_sign_in() -> None:
        if not patient.session.get("portal_profile_id"):
            answer = patient.post(
                "/portal/login/", {"identifier": world.zeb.username, "password": PORTAL_PASSWORD}
            )
            assert answer.status_code == 302, answer.content

    problems: list[str] = []
    ok = 0
    answered: set[str] = set()
    for route in routes(("static/", "api/")):
        is_portal = route.name.startswith("portal:") and not route.name.startswith("portal:staff")
        for address in _addresses(route, world):
            if is_portal:
                portal_sign_in()
                response = patient.get(address)
            else:
                ensure_signed_in(staff, owner)
                response = staff.get(address)
            if response.status_code == 200:
                ok += 1
                answered.add(route.name)
                _check(response, f"{route.name} {address}", route.name, problems)
                if route.name != "reports:export":
                    break
    api = Api(client=Client(), token=world.acworth_token)
    for operation in api_operations(Client()):
        if operation.method != "GET":
            continue
        path = operation.path.replace("{system}", "orthotrac").replace("{chart_id}", CHART)
        response = api.call("GET", path)
        assert response.status_code == 200, (path, response.content)
        ok += 1
        _check(response, f"GET {path}", "api", problems)
    written = api.call("POST", api.path(CHART, "/points"), {"amount": 1, "description": "x"})
    assert written.status_code == 200
    _check(written, "POST points", "api", problems)
    assert not problems, problems
    # The pages that matter most did answer (a walk that only met refusals proves nothing).
    assert {
        "patients:list", "patients:detail", "reports:export", "orders:list", "audit:log",
        "portal:home", "portal:history", "integrations:chart",
    } <= answered, answered
    record_property("summary", f"no-store: {ok} answers with 200 checked, all no-store")


def test_static_files_keep_their_caching(client: Client) -> None:
    response = client.get("/static/css/hub.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
