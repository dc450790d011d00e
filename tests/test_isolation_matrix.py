"""The isolation matrix: every route and every API operation, tried by every kind of outsider.

Routes come from the URL resolver (tests/url_walk.py) and API operations from
GET /api/v1/openapi.json, so a page or operation added later is tried without
editing this file. The target is Acworth (tests/url_walk.build_world) with a
PMS link, points, a prize order and patients who use the portal. Each is
tried, GET and POST (with a body pointing at Acworth's objects), as:

- anonymous: no session, no key;
- Riverside staff: the owner of another practice, signed in;
- a Riverside integration key: `Authorization: Bearer` of another practice;
- a Riverside patient: signed in to the portal at another practice;
- an Acworth patient: signed in to the portal at the same practice, going
  after another patient's (Zebulon's) data.

Every attempt on someone else's data is refused: 401/403/404/405 or a
redirect to a sign-in page. Pages that need no principal (sign-in pages,
health check, an unknown launch link) and pages that show the caller's own
data (Riverside staff on /patients/, a patient on their portal home) may
answer, but never with Acworth's (or, for the Acworth patient, Zebulon's)
names, usernames, card numbers or chart id. Acworth's profiles, cards,
ledger, links, orders and tags are unchanged at the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from tests.conftest import SYSTEM
from tests.fuzz.answers import refusal
from tests.integrations.conftest import Api, make_key
from tests.url_walk import (
    ZEB_CHART,
    Acworth,
    Route,
    attempts,
    build_world,
    objects_of,
    payloads,
    routes,
)

from rewardshub.cards.models import Card
from rewardshub.families.actions import invite_guardian
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile, ProfileTag
from rewardshub.points.models import LedgerEntry, Prize, PrizeOrder
from rewardshub.points.orders import order_prize
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

CHART = "OT-ZEB"
PORTAL_PASSWORD = "sparkly-braces-42"
SYSTEM_SLUG = "orthotrac"
# Routes that need no principal and show no one's data: anyone may get an answer.
PUBLIC = {
    "healthz",
    # Counts only; /metrics answers the operator's own address (the test client's) alone.
    "readyz",
    "metrics",
    "favicon",
    "login",
    "logout",
    "portal:login",
    "portal:logout",
    "portal:activate",
    "portal:reset_request",
    "portal:reset_confirm",
    "portal_family:login",
    "portal_family:welcome",
    "portal_family:forgot",
    "portal_family:reset",
    "integrations:launch",
    "integrations:synced",
}
# Static files hold no one's data; the API (and its JSON 404 for unknown API
# addresses) is walked from the OpenAPI document instead.
SKIPPED = ("static/", "api/")
LOGIN_PAGES = {"/login/", "/portal/login/", "/portal/family/login/"}
REFUSED = {401, 403, 404, 405}
# Routes with object ids are tried with up to this many combinations of Acworth's objects.
COMBINATIONS = 30
# A minimal valid body per request schema of the API; a new schema must be added here.
API_BODIES: dict[str, Callable[[Acworth], dict[str, Any]]] = {
    "SetCardIn": lambda w: {
        "card": w.card,
        "first_name": "Probe",
        "last_name": "Visitor",
        "birth_date": "2012-01-01",
    },
    "UpdateIn": lambda w: {"first_name": "Probe", "last_name": "Visitor"},
    "LaunchIn": lambda w: {"view": "profile"},
    "BatchIn": lambda w: {
        "patients": [{"chart_id": CHART, "first_name": "Probe", "last_name": "Visitor"}]
    },
    "PointsIn": lambda w: {"amount": 5, "description": "probe"},
    "FhirBundle": lambda w: {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "urn:rewardshub:chart", "value": CHART}],
                    "name": [{"family": "Visitor", "given": ["Probe"]}],
                },
                "request": {"method": "PUT", "url": "Patient"},
            }
        ],
    },
    "AppointmentIn": lambda w: {"starts_at": "2026-12-04T09:30:00-05:00", "status": "completed"},
    "AppointmentBatchIn": lambda w: {
        "appointments": [
            {
                "chart_id": CHART,
                "appointment_id": "A-BATCH",
                "starts_at": "2026-12-04T09:30:00-05:00",
                "status": "completed",
            }
        ]
    },
}
# Rows whose count and content must not move, whoever calls what.
GUARDED = (Profile, Card, LedgerEntry, PmsLink, PrizeOrder, ProfileTag)


@dataclass
class World:
    acworth: Acworth
    zeb: Profile
    polly: Profile
    rita: Profile
    outsider: Any
    riverside_token: str
    acworth_token: str
    zeb_secrets: list[str] = field(default_factory=list)


def _activate(profile: Profile) -> None:
    activate_account(
        profile=profile,
        temp_hash=temp_password_hashes(profile, None)[0],
        password=PORTAL_PASSWORD,
        email="",
        actor=SYSTEM,
    )


@pytest.fixture
def world(
    acworth: Practice,
    riverside: Practice,
    owner: Any,
    outsider: Any,
    issue_cards: Any,
    make_profile: Any,
) -> World:
    target = build_world(acworth, issue_cards, make_profile)
    zeb, pip = target.profiles
    acworth_token = make_key(acworth)[1]
    api = Api(client=Client(), token=acworth_token)
    assert api.set_card(CHART, zeb.username, **ZEB_CHART).status_code == 200
    assert api.call("POST", api.path(CHART, "/points"), {"amount": 40, "description": "x"}).json()
    prize = Prize.objects.create(practice=acworth, name="Glitter pencil", cost=5)
    zeb.refresh_from_db()
    order_prize(practice=acworth, profile=zeb, prize=prize, actor=SYSTEM)
    _activate(zeb)
    # A parent of Zebulon's, invited (the link's buttons are routes of their own).
    invite_guardian(practice=acworth, profile=zeb, email="quack.parent@family.test", actor=SYSTEM)
    # Another patient of Acworth, with a card of her own and the portal.
    polly = make_profile(acworth, first="Polly", last="Parrot", card=issue_cards(acworth, 1)[0])
    _activate(polly)
    rita = make_profile(riverside, first="Rita", last="Rivers", card=issue_cards(riverside, 1)[0])
    _activate(rita)
    target.objects.update({k: v for k, v in objects_of(acworth).items() if k not in target.objects})
    target.secrets += [CHART, prize.name]
    zeb_cards = [c.number for c in Card.objects.filter(profile=zeb)]
    zeb_secrets = ["Zebulon", "Quackenbush", zeb.username, CHART, *zeb_cards]
    zeb_secrets += ["Philippa", "Wobbleton", pip.username]
    zeb_secrets += ["acworth-hygienist", "Orthotrac Acworth PC"]
    return World(
        target, zeb, polly, rita, outsider, make_key(riverside)[1], acworth_token, zeb_secrets
    )


# --- The roles --------------------------------------------------------------


@dataclass
class Role:
    name: str
    client: Client
    prepare: Callable[[Client], None]
    headers: dict[str, str]
    secrets: list[str]
    # Kinds of objects this role may legitimately reach (its practice's prize catalog).
    allowed_models: frozenset[str] = frozenset()
    is_staff: bool = False
    is_patient: bool = False
    is_key: bool = False


def _portal_login(profile: Profile) -> Callable[[Client], None]:
    def prepare(client: Client) -> None:
        if client.session.get("portal_profile_id") != profile.pk:
            response = client.post(
                "/portal/login/", {"identifier": profile.username, "password": PORTAL_PASSWORD}
            )
            assert response.status_code == 302, response.content

    return prepare


def _staff_login(user: Any) -> Callable[[Client], None]:
    def prepare(client: Client) -> None:
        if str(client.session.get("_auth_user_id")) != str(user.pk):
            client.force_login(user)

    return prepare


def _nothing(client: Client) -> None:
    return None


def _roles(world: World) -> list[Role]:
    secrets = world.acworth.secrets

    def new() -> Client:
        return Client(raise_request_exception=False)

    return [
        Role("anonymous", new(), _nothing, {}, secrets),
        Role("Riverside staff", new(), _staff_login(world.outsider), {}, secrets, is_staff=True),
        Role(
            "Riverside key",
            new(),
            _nothing,
            {"HTTP_AUTHORIZATION": f"Bearer {world.riverside_token}"},
            secrets,
            is_key=True,
        ),
        Role(
            "Riverside patient",
            new(),
            _portal_login(world.rita),
            {},
            secrets,
            is_patient=True,
        ),
        Role(
            "Acworth patient on another patient",
            new(),
            _portal_login(world.polly),
            {},
            world.zeb_secrets,
            allowed_models=frozenset({"prize"}),
            is_patient=True,
        ),
    ]


# --- Judging an answer -------------------------------------------------------


def _refused(response: HttpResponse) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        return urlsplit(response["Location"]).path in LOGIN_PAGES
    return False


def _kind(route: Route) -> str:
    if route.name in PUBLIC:
        return "public"
    if route.route.startswith("portal/") and not route.name.startswith("portal:staff"):
        return "portal"
    return "staff"


def _may_answer(role: Role, route: Route) -> bool:
    """True when the role may get a real answer here (about its own data, never Acworth's)."""
    kind = _kind(route)
    if kind == "public":
        return True
    if route.object_kwargs:
        return False
    if kind == "staff":
        return role.is_staff
    return role.is_patient


def _guarded(practice: Practice) -> dict[str, list[tuple[Any, ...]]]:
    shot = {}
    for model in GUARDED:
        rows = model._default_manager.filter(practice=practice).order_by("pk")
        shot[model._meta.label] = list(
            rows.values_list(*[f.attname for f in model._meta.concrete_fields])
        )
    return shot


@dataclass
class Tally:
    requests: int = 0
    problems: list[str] = field(default_factory=list)

    def judge(
        self, role: Role, label: str, response: HttpResponse, may_answer: bool, sent: str
    ) -> None:
        self.requests += 1
        body = response.content.decode(errors="replace")
        shown = [s for s in role.secrets if s in body and s not in sent]
        if shown:
            self.problems.append(f"{role.name}: {label} shows {shown}")
        if response.status_code >= 500:
            self.problems.append(f"{role.name}: {label} failed with {response.status_code}")
        elif not may_answer and not _refused(response):
            where = response.get("Location", "")
            self.problems.append(f"{role.name}: {label} answered {response.status_code} {where}")


# --- The API from its OpenAPI document ---------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    schema: str | None


def api_operations(client: Client) -> list[Operation]:
    document = client.get("/api/v1/openapi.json").json()
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref")
            found.append(Operation(method.upper(), path, ref.rsplit("/", 1)[-1] if ref else None))
    return found


# --- The tests ---------------------------------------------------------------


def test_it_covers_every_route_and_api_operation(db: Any) -> None:
    names = {r.name for r in routes(SKIPPED)}
    assert {"patients:detail", "portal:home", "portal:order", "integrations:chart"} <= names
    assert names >= PUBLIC, PUBLIC - names
    operations = api_operations(Client())
    assert len(operations) >= 7
    unknown = {o.schema for o in operations if o.schema} - set(API_BODIES)
    assert not unknown, f"add a minimal body for {unknown} to API_BODIES"


def test_it_refuses_every_outsider_on_every_route(world: World, record_property: Any) -> None:
    target = world.acworth
    before = _guarded(target.practice)
    roles = _roles(world)
    body = payloads(target)[0]
    sent = " ".join(body.values())
    tally = Tally()
    all_routes = routes(SKIPPED)
    for role in roles:
        # One object of every kind, so each route meets each kind (a prize, a ledger
        # entry, a card, ...) within the combination limit.
        objects = {k: v[:1] for k, v in target.objects.items() if k not in role.allowed_models}
        for route in all_routes:
            may_answer = _may_answer(role, route)
            for path in attempts(route, objects, COMBINATIONS):
                for method in ("get", "post"):
                    role.prepare(role.client)
                    call = getattr(role.client, method)
                    response = (
                        call(path, body, **role.headers)
                        if method == "post"
                        else call(path, **role.headers)
                    )
                    label = f"{method.upper()} {path} ({route.name})"
                    tally.judge(role, label, response, may_answer, sent if method == "post" else "")
    assert len(target.objects) <= COMBINATIONS, "raise COMBINATIONS: some kinds go untried"
    record_property(
        "summary",
        f"isolation matrix, pages: {len(all_routes)} routes "
        f"({sum(1 for r in all_routes if r.object_kwargs)} with object ids) x {len(roles)} roles "
        f"x GET+POST = {tally.requests} requests"
    )
    assert tally.problems == [], "\n".join(tally.problems)
    assert _guarded(target.practice) == before


def _call(role: Role, operation: Operation, chart_id: str, body: Any) -> HttpResponse:
    kwargs: dict[str, Any] = {**role.headers, "HTTP_IDEMPOTENCY_KEY": f"matrix-{chart_id}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    path = (
        operation.path.replace("{system}", SYSTEM_SLUG)
        .replace("{chart_id}", chart_id)
        .replace("{appointment_id}", appointment_id(chart_id))
    )
    return getattr(role.client, operation.method.lower())(path, **kwargs)


def appointment_id(chart_id: str) -> str:
    """Appointment ids are the practice's own: one per chart, so a call for one
    chart never finds the other's appointment (and none spells a chart id)."""
    return "A-" + hashlib.sha256(chart_id.encode()).hexdigest()[:8]


def _same_answer(one: HttpResponse, other: HttpResponse, chart: str, twin: str) -> bool:
    if one.status_code != other.status_code:
        return False
    if one.status_code >= 400:
        return refusal(one.json()) == refusal(other.json())
    text = one.content.decode().replace(appointment_id(chart), appointment_id(twin))
    return text == other.content.decode()


def test_it_refuses_every_outsider_on_every_api_operation(
    world: World, record_property: Any
) -> None:
    target = world.acworth
    before = _guarded(target.practice)
    roles = _roles(world)
    # Per-chart operations first: the batch (last) makes Riverside a chart of its own.
    operations = sorted(api_operations(Client()), key=lambda o: "{chart_id}" not in o.path)
    tally = Tally()
    for role in roles:
        for operation in operations:
            make = API_BODIES.get(operation.schema or "")
            body = make(target) if make else None
            role.prepare(role.client)
            response = _call(role, operation, CHART, body)
            label = f"{operation.method} {operation.path}"
            if not role.is_key:
                # A session (staff or patient) is no API credential.
                tally.judge(role, label, response, False, "")
                if response.status_code != 401:
                    tally.problems.append(f"{role.name}: {label} answered {response.status_code}")
                continue
            # A valid key, of Riverside: it may get answers about Riverside's own data only.
            tally.judge(role, label, response, True, json.dumps(body or {}))
            if response.status_code >= 400 and refusal(response.json()) is None:
                tally.problems.append(f"{role.name}: {label} error without error/message")
            if "{chart_id}" in operation.path:
                # Acworth's chart must look exactly like a chart that exists nowhere.
                twin = _call(role, operation, "OT-NOWHERE", body)
                tally.requests += 1
                if not _same_answer(response, twin, CHART, "OT-NOWHERE"):
                    tally.problems.append(
                        f"{role.name}: {label} answered {response.status_code} "
                        f"{response.content[:120]!r} for Acworth's chart, "
                        f"{twin.status_code} {twin.content[:120]!r} for no chart"
                    )
    record_property(
        "summary",
        f"isolation matrix, API: {len(operations)} operations x {len(roles)} roles "
        f"= {tally.requests} requests"
    )
    assert tally.problems == [], "\n".join(tally.problems)
    assert _guarded(target.practice) == before
    # The Riverside batch made a Riverside patient, never touched Acworth's link.
    assert PmsLink.objects.get(practice=target.practice, chart_id=CHART).profile == world.zeb
