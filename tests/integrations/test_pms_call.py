"""Every PMS operation runs through `pms_call`: found from the OpenAPI document
(the PMS API at /api/v1/pms/ and its FHIR door at /api/v1/fhir/), so a new route
that skips it (its key's system check, its Sync log entry, the PMS user of its
body) fails here without anyone remembering to add it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.fuzz.answers import refusal
from tests.integrations.conftest import CHART, Api

from rewardshub.integrations.models import SyncEvent

# A valid body for each operation that takes one, naming the PMS user.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/card"): {"card": "4000000000000002", "pms_user": "FD1"},
    ("put", ""): {"first_name": "Emma", "pms_user": "FD1"},
    ("post", "/launch"): {"view": "profile", "pms_user": "FD1"},
    ("post", "patients:batch"): {"patients": [{"chart_id": CHART}], "pms_user": "FD1"},
    ("post", "/points"): {"amount": 5, "description": "Art", "pms_user": "FD1"},
    ("put", "/appointments/{appointment_id}"): {
        "starts_at": "2026-12-04T09:30:00-05:00",
        "status": "scheduled",
        "pms_user": "FD1",
    },
    ("post", "appointments:batch"): {"appointments": [], "pms_user": "FD1"},
    # A FHIR Bundle names no PMS user.
    ("post", "/Bundle"): {"resourceType": "Bundle", "type": "batch", "entry": []},
}
DOORS = ("/api/v1/pms/", "/api/v1/fhir/")


def _operations() -> list[tuple[str, str]]:
    document = Client().get("/api/v1/openapi.json").json()
    return [
        (method, path)
        for path, item in document["paths"].items()
        if path.startswith(DOORS)
        for method in item
    ]


def _suffix(path: str) -> str:
    suffixes = ("/card", "/launch", "/points", "patients:batch", "appointments:batch", "/Bundle")
    for suffix in (*suffixes, "/appointments/{appointment_id}"):
        if path.endswith(suffix):
            return suffix
    return ""


@pytest.fixture(scope="module")
def operations(django_db_blocker: Any) -> list[tuple[str, str]]:
    with django_db_blocker.unblock():
        return _operations()


def test_it_finds_every_pms_operation(operations: list[tuple[str, str]]) -> None:
    assert len(operations) == 12


@pytest.mark.parametrize("index", range(12))
def test_each_operation_checks_the_system_and_logs_the_refusal_with_its_pms_user(
    api: Api, operations: list[tuple[str, str]], index: int
) -> None:
    method, path = operations[index]
    body = BODIES.get((method, _suffix(path)))
    address = (
        path.replace("{system}", "dolphin")
        .replace("{chart_id}", CHART)
        .replace("{appointment_id}", "A-1")
    )

    response = api.call(method.upper(), address, body)

    assert response.status_code == 404, response.json()
    found = refusal(response.json())
    assert found is not None and found[0] == "unknown_system"
    event = SyncEvent.objects.get()
    assert (event.outcome, event.error) == ("error", "unknown_system")
    assert event.chart_id == ("" if "{chart_id}" not in path else CHART)
    assert event.pms_user == ("FD1" if body and "pms_user" in body else "")
