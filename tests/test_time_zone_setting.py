"""Settings > Practice: the time zone is a short searchable list, and any IANA zone is accepted."""

from __future__ import annotations

import re
import zoneinfo

import pytest
from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.practices.models import Practice

URL = "/settings/"


def save(client: Client, zone: str) -> object:
    return client.post(URL, {"name": "Acworth", "time_zone": zone, "idle_timeout_minutes": 15})


def test_the_time_zone_is_a_text_box_with_a_short_list_of_common_zones(
    owner_client: Client,
) -> None:
    page = owner_client.get(URL).content.decode()
    box = re.search(r'<input [^>]*name="time_zone"[^>]*>', page)
    assert box is not None
    assert 'list="time-zone-list"' in box.group(0)
    assert 'value="America/New_York"' in box.group(0)  # the practice's zone, shown as set
    assert '<select name="time_zone"' not in page
    datalist = page.split('<datalist id="time-zone-list">')[1].split("</datalist>")[0]
    zones = re.findall(r'<option value="([^"]+)" label="([^"]+)">', datalist)
    assert 10 <= len(zones) <= 40  # not the database's 600 names
    assert ("America/Chicago", "United States: Central") in zones
    assert all(zone in zoneinfo.available_timezones() for zone, _ in zones)


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("America/Boise", "America/Boise"),  # a valid zone not on the short list
        ("america/chicago", "America/Chicago"),
        ("  America/New York ", "America/New_York"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_it_accepts_any_iana_zone_as_typed(
    owner_client: Client, acworth: Practice, typed: str, saved: str
) -> None:
    response = save(owner_client, typed)
    assert response.status_code == 302  # type: ignore[attr-defined]
    acworth.refresh_from_db()
    assert acworth.time_zone == saved


@pytest.mark.parametrize("typed", ["Mars/Olympus", "America", "EST5EDT/x", "../etc/passwd"])
def test_it_refuses_a_name_that_is_no_zone_and_changes_nothing(
    owner_client: Client, acworth: Practice, typed: str
) -> None:
    response = save(owner_client, typed)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.context["form"].errors["time_zone"] == [  # type: ignore[attr-defined]
        f"“{typed}” is not a time zone. Choose one from the list, e.g. America/New_York."
    ]
    acworth.refresh_from_db()
    assert (acworth.name, acworth.time_zone) == ("Acworth Orthodontics", "America/New_York")
    assert not AuditEvent.objects.filter(action="practice.update").exists()
