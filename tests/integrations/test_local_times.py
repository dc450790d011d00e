"""Every time a staff page shows is in the practice's time zone, with the zone's name,
and the same moment reads the same on every page (local_time.py)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from tests.integrations.conftest import SYSTEM, Api
from tests.points.conftest import menu, prizes  # noqa: F401 (fixtures)

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import SyncEvent
from rewardshub.local_time import format_when
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.models import Prize, PrizeOrder, RewardItem
from rewardshub.points.orders import order_prize
from rewardshub.practices.models import IntegrationKey, Practice

SYNC_LOG = "/settings/integrations/sync-log/"
AUDIT_LOG = "/audit/"
KEYS = "/settings/integrations/keys/"

MOMENT = dt.datetime(2026, 12, 4, 22, 29, 3, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 7, 1, 4, 5, 0, tzinfo=dt.UTC)

# The same instant in each zone, as a person there reads it.
EXPECTED = {
    "America/New_York": {
        "seconds": "Dec. 4, 2026, 5:29:03 p.m. EST",
        "minutes": "Dec. 4, 2026, 5:29 p.m. EST",
        "later": "July 1, 2026, 12:05 a.m. EDT",
    },
    "Pacific/Auckland": {
        "seconds": "Dec. 5, 2026, 11:29:03 a.m. NZDT",
        "minutes": "Dec. 5, 2026, 11:29 a.m. NZDT",
        "later": "July 1, 2026, 4:05 p.m. NZST",
    },
}


def in_zone(practice: Practice, zone: str) -> None:
    practice.time_zone = zone
    practice.save(update_fields=["time_zone"])


def text(cell: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell))).strip()


def sync_log_time(client: Client, chart_id: str) -> str:
    page = client.get(SYNC_LOG).content.decode()
    section = page.split('id="sync-log"', 1)[1]
    found = re.search(rf"<tr[^>]*>\s*<td>([^<]*)</td>\s*<td>{re.escape(chart_id)}</td>", section)
    assert found is not None
    return text(found.group(1))


def audit_log_times(client: Client) -> list[str]:
    page = client.get(AUDIT_LOG).content.decode()
    return [text(cell) for cell in re.findall(r'<td class="nowrap">(.*?)</td>', page)]


@pytest.mark.parametrize("zone", sorted(EXPECTED))
def test_it_shows_one_sync_at_the_same_local_time_on_the_sync_log_and_the_audit_log(
    owner_client: Client,
    acworth: Practice,
    api: Api,
    zone: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_zone(acworth, zone)
    # The call's two rows (the Sync log's and the audit log's), at one known
    # instant: audit rows are append-only, so the clock is set before the call.
    monkeypatch.setattr(AuditEvent._meta.get_field("created_at"), "_get_default", lambda: MOMENT)
    api.status("OT-77")
    monkeypatch.undo()
    assert SyncEvent.objects.filter(chart_id="OT-77").update(created_at=MOMENT) == 1
    assert AuditEvent.objects.filter(action="pms.status", created_at=MOMENT).count() == 1

    on_sync_log = sync_log_time(owner_client, "OT-77")
    on_audit_log = audit_log_times(owner_client)

    assert on_sync_log == EXPECTED[zone]["seconds"]
    assert on_audit_log.count(on_sync_log) == 1


@pytest.mark.parametrize("zone", sorted(EXPECTED))
def test_it_shows_integration_keys_created_and_last_used_in_practice_time(
    owner_client: Client, acworth: Practice, api: Api, zone: str
) -> None:
    in_zone(acworth, zone)
    IntegrationKey.objects.filter(practice=acworth).update(created_at=MOMENT, last_used_at=LATER)

    page = owner_client.get(KEYS).content.decode()
    row = text(page.split('id="keys"', 1)[1].split("</table>", 1)[0])

    assert EXPECTED[zone]["minutes"] in row
    assert EXPECTED[zone]["later"] in row


@pytest.mark.parametrize("zone", sorted(EXPECTED))
def test_it_shows_an_order_at_the_same_local_time_on_the_orders_page_and_its_receipt(
    owner_client: Client,
    acworth: Practice,
    make_profile: Callable[..., Profile],
    menu: dict[str, RewardItem],  # noqa: F811
    prizes: dict[str, Prize],  # noqa: F811
    zone: str,
) -> None:
    in_zone(acworth, zone)
    emma = make_profile(acworth)
    award_items(practice=acworth, profile=emma, items=[menu["survey"]], actor=SYSTEM)
    emma.refresh_from_db()
    order = order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=SYSTEM)
    PrizeOrder.objects.filter(pk=order.pk).update(created_at=MOMENT)

    orders = text(owner_client.get("/orders/").content.decode())
    receipt = text(owner_client.get(f"/orders/{order.public_id}/receipt/").content.decode())

    assert EXPECTED[zone]["minutes"] in orders
    assert EXPECTED[zone]["minutes"] in receipt


def test_the_time_zone_of_the_practice_is_used_for_a_request_and_only_that_request(
    owner_client: Client, acworth: Practice
) -> None:
    in_zone(acworth, "Pacific/Auckland")

    owner_client.get(SYNC_LOG)

    assert timezone.get_current_timezone_name() == "UTC"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "Dec. 4, 2026, 10:29 p.m. UTC"),
        ("Asia/Dubai", "Dec. 5, 2026, 2:29 a.m. UTC+04"),  # the zone database has no letters
        ("America/Chicago", "Dec. 4, 2026, 4:29 p.m. CST"),
    ],
)
def test_format_when_names_the_zone(zone: str, expected: str) -> None:
    with timezone.override(zone):
        assert format_when(MOMENT) == expected
        assert format_when(MOMENT, "date") == expected.split(", ")[0] + ", 2026"
