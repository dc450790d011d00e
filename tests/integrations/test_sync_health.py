"""Sync health: each key's last call and last failure on the keys page, the practice's
"warn when the PMS is silent" setting, and the warning owners and admins see."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.conftest import staff_client
from tests.integrations.conftest import SYSTEM, Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.integrations.actions import revoke_key, save_sync_watch
from rewardshub.integrations.health import sync_health
from rewardshub.integrations.models import SyncEvent, SyncOutcome, SyncWatch
from rewardshub.integrations.silence import (
    OpeningHours,
    counted_silence,
    duration_words,
    too_silent,
)
from rewardshub.local_time import format_when
from rewardshub.practices.models import IntegrationKey, Practice, Role

KEYS = "/settings/integrations/keys/"
WATCH = "/settings/integrations/keys/sync-health/"
PATIENTS = "/patients/"
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
OFFICE = OpeningHours(dt.time(8), dt.time(17), WEEKDAYS, NEW_YORK)


def local(*args: int, zone: ZoneInfo = NEW_YORK) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)  # type: ignore[misc]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def key_row(page: str, key: IntegrationKey) -> str:
    table = page.split('id="keys"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if f"rh_{key.prefix}_" in r)
    return text(row)


def watch(practice: Practice, minutes: int | None, **hours: Any) -> None:
    save_sync_watch(
        practice=practice,
        silence_minutes=minutes,
        opens_at=hours.get("opens_at"),
        closes_at=hours.get("closes_at"),
        weekdays=hours.get("weekdays", []),
        actor=SYSTEM,
    )


def last_called(key: IntegrationKey, at: dt.datetime | None, created: dt.datetime) -> None:
    IntegrationKey.objects.filter(pk=key.pk).update(last_used_at=at, created_at=created)


# -- the rule: silence counted in opening hours (no database) ---------------------


class TestCountedSilence:
    def test_it_counts_every_hour_without_opening_hours(self) -> None:
        since = local(2026, 12, 7, 9, 0)
        assert counted_silence(since, since + dt.timedelta(hours=30), None) == dt.timedelta(
            hours=30
        )

    def test_it_warns_only_past_the_threshold(self) -> None:
        since, two = local(2026, 12, 7, 9, 0), dt.timedelta(hours=2)
        assert not too_silent(since, since + two, two, None)
        assert too_silent(since, since + two + dt.timedelta(seconds=1), two, None)

    def test_it_counts_nothing_before_the_last_call(self) -> None:
        since = local(2026, 12, 7, 9, 0)
        assert counted_silence(since, since - dt.timedelta(minutes=5), OFFICE) == dt.timedelta(0)

    def test_it_counts_from_opening_when_the_last_call_was_before_it(self) -> None:
        since = local(2026, 12, 7, 6, 30)  # a Monday
        assert counted_silence(since, local(2026, 12, 7, 8, 0), OFFICE) == dt.timedelta(0)
        assert counted_silence(since, local(2026, 12, 7, 9, 15), OFFICE) == dt.timedelta(
            hours=1, minutes=15
        )

    def test_it_stops_counting_at_closing(self) -> None:
        since = local(2026, 12, 7, 16, 0)
        assert counted_silence(since, local(2026, 12, 7, 23, 59), OFFICE) == dt.timedelta(hours=1)

    def test_it_skips_the_weekend_until_the_threshold_passes_on_monday(self) -> None:
        friday = local(2026, 12, 4, 16, 0)
        two = dt.timedelta(hours=2)
        assert not too_silent(friday, local(2026, 12, 5, 12, 0), two, OFFICE)
        assert not too_silent(friday, local(2026, 12, 7, 9, 0), two, OFFICE)  # exactly 2 h
        assert too_silent(friday, local(2026, 12, 7, 9, 1), two, OFFICE)

    def test_it_counts_a_closed_day_call_from_the_next_opening(self) -> None:
        saturday = local(2026, 12, 5, 10, 0)
        assert counted_silence(saturday, local(2026, 12, 7, 8, 30), OFFICE) == dt.timedelta(
            minutes=30
        )

    def test_it_reads_weekdays_in_the_practice_zone(self) -> None:
        auckland = ZoneInfo("Pacific/Auckland")
        mondays = OpeningHours(dt.time(8), dt.time(12), frozenset({0}), auckland)
        # Monday 9:00 in Auckland is still Sunday in UTC.
        since = local(2026, 12, 7, 9, 0, zone=auckland)
        assert since.astimezone(dt.UTC).weekday() == 6
        now = local(2026, 12, 7, 11, 0, zone=auckland)
        assert counted_silence(since, now, mondays) == dt.timedelta(hours=2)

    def test_it_counts_real_time_across_a_clock_change(self) -> None:
        # New York springs forward at 2:00 on Sunday, March 8, 2026: 0:00-5:00 is 4 hours.
        nights = OpeningHours(dt.time(0), dt.time(5), frozenset({6}), NEW_YORK)
        since = local(2026, 3, 7, 12, 0)
        assert counted_silence(since, local(2026, 3, 8, 12, 0), nights) == dt.timedelta(hours=4)

    @pytest.mark.parametrize(
        ("minutes", "words"),
        [(1, "1 minute"), (119, "119 minutes"), (120, "2 hours"), (179, "2 hours"),
         (47 * 60 + 59, "47 hours"), (48 * 60, "2 days"), (73 * 60, "3 days")],
    )  # fmt: skip
    def test_it_words_a_silence_rounded_down(self, minutes: int, words: str) -> None:
        assert duration_words(dt.timedelta(minutes=minutes)) == words


# -- sync_health: the settings and the keys, in one query --------------------------

NOW = local(2026, 12, 7, 12, 12)  # Monday noon in New York


@pytest.fixture
def key(acworth_key: tuple[IntegrationKey, str]) -> IntegrationKey:
    return acworth_key[0]


class TestSyncHealth:
    def test_it_watches_nothing_without_a_threshold(
        self, acworth: Practice, key: IntegrationKey
    ) -> None:
        last_called(key, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=30))
        assert not sync_health(acworth, NOW).watched
        watch(acworth, None, opens_at=dt.time(8), closes_at=dt.time(17), weekdays=[0, 1])
        assert not sync_health(acworth, NOW).silent

    def test_it_watches_nothing_without_an_active_key(
        self, acworth: Practice, key: IntegrationKey
    ) -> None:
        watch(acworth, 120)
        last_called(key, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=30))
        assert sync_health(acworth, NOW).silent
        revoke_key(practice=acworth, key=key, actor=SYSTEM)
        assert not sync_health(acworth, NOW).watched

    def test_it_says_how_long_and_since_when(self, acworth: Practice, key: IntegrationKey) -> None:
        watch(acworth, 120)
        last_called(key, local(2026, 12, 7, 9, 12), NOW - dt.timedelta(days=30))
        health = sync_health(acworth, NOW)
        assert health.silent
        assert health.last_call == local(2026, 12, 7, 9, 12)
        assert health.threshold == dt.timedelta(hours=2)
        assert health.message == (
            "Orthotrac has not called the hub for 3 hours (last call today at 9:12 a.m. EST). "
            "Check the bridge on the front-desk PC."
        )

    def test_it_is_quiet_at_the_threshold(self, acworth: Practice, key: IntegrationKey) -> None:
        watch(acworth, 180)
        last_called(key, local(2026, 12, 7, 9, 12), NOW - dt.timedelta(days=30))
        health = sync_health(acworth, NOW)
        assert health.watched and not health.silent and health.message == ""
        assert sync_health(acworth, NOW + dt.timedelta(minutes=1)).silent

    def test_it_takes_the_newest_call_of_any_active_key(
        self, acworth: Practice, key: IntegrationKey
    ) -> None:
        other = make_key(acworth, "dolphin")[0]
        watch(acworth, 120)
        last_called(key, NOW - dt.timedelta(hours=5), NOW - dt.timedelta(days=30))
        last_called(other, NOW - dt.timedelta(hours=1), NOW - dt.timedelta(days=30))
        assert not sync_health(acworth, NOW).silent
        revoke_key(practice=acworth, key=other, actor=SYSTEM)
        health = sync_health(acworth, NOW)
        assert health.silent and health.message.startswith(
            "Orthotrac has not called the hub for 5 hours"
        )

    def test_it_counts_a_key_never_used_from_its_creation(
        self, acworth: Practice, key: IntegrationKey
    ) -> None:
        watch(acworth, 60)
        last_called(key, None, local(2026, 12, 6, 16, 50))
        assert sync_health(acworth, NOW).message == (
            "Orthotrac has not called the hub for 19 hours, since its integration key was "
            "created (yesterday at 4:50 p.m. EST). Check that the bridge on the front-desk PC "
            "is running and has the new key."
        )

    def test_it_counts_only_opening_hours(self, acworth: Practice, key: IntegrationKey) -> None:
        watch(acworth, 120, opens_at=dt.time(8), closes_at=dt.time(17), weekdays=[0, 1, 2, 3, 4])
        last_called(key, local(2026, 12, 4, 16, 0), NOW - dt.timedelta(days=30))  # Friday
        assert not sync_health(acworth, local(2026, 12, 7, 9, 0)).silent
        health = sync_health(acworth, local(2026, 12, 7, 9, 1))
        assert health.silent
        assert "(last call on Dec. 4, 2026, 4 p.m. EST)" in health.message

    def test_it_reads_in_one_query(self, acworth: Practice, key: IntegrationKey) -> None:
        watch(acworth, 60)
        for _ in range(3):
            make_key(acworth)
        with CaptureQueriesContext(connection) as queries:
            sync_health(acworth, NOW)
        assert len(queries) == 1


# -- the keys page: last call and last failure per key ------------------------------


def failing_calls(api: Api, n: int) -> None:
    for i in range(n):
        assert api.launch(f"OT-UNSYNCED-{i}").status_code == 404


class TestKeysPage:
    def test_it_shows_each_keys_last_call_and_last_failure(
        self, owner_client: Client, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        front, quiet = acworth_key[0], make_key(acworth, "dolphin")[0]
        api = Api(client=Client(), token=acworth_key[1])
        failing_calls(api, 1)
        assert api.set_card("OT-2", "1234").status_code == 422  # the newest failure
        front.refresh_from_db()

        failed = SyncEvent.objects.filter(key=front, outcome=SyncOutcome.ERROR).latest("id")

        page = owner_client.get(KEYS).content.decode()
        row = key_row(page, front)
        assert (
            f"{format_when(front.last_used_at, zone=NEW_YORK)} "
            f"{format_when(failed.created_at, zone=NEW_YORK)} "
            "A card number has 16 digits, but 4 were entered. Check the number and enter it "
            "again. Active Revoke"
        ) in row
        assert "has not synced" not in row
        assert key_row(page, quiet).endswith("never none Active Revoke")

    def test_it_reads_the_page_in_the_same_queries_for_any_number_of_keys(
        self, owner_client: Client, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        watch(acworth, 120)
        failing_calls(Api(client=Client(), token=acworth_key[1]), 1)
        owner_client.get(KEYS)
        with CaptureQueriesContext(connection) as one:
            assert owner_client.get(KEYS).status_code == 200
        for _ in range(4):
            failing_calls(Api(client=Client(), token=make_key(acworth)[1]), 2)
        with CaptureQueriesContext(connection) as five:
            page = owner_client.get(KEYS).content.decode()
        assert page.count("outcome-failed") == 5
        assert len(five) == len(one)


# -- the setting ---------------------------------------------------------------------


def form(**values: Any) -> dict[str, Any]:
    return {"silence": "2", "unit": "hours", "opens_at": "", "closes_at": "", **values}


class TestSaving:
    def test_it_saves_a_threshold_and_opening_hours(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        data = form(opens_at="08:00", closes_at="17:30", weekdays=["0", "1", "2", "3", "4"])
        response = owner_client.post(WATCH, data)
        assert response.status_code == 302
        saved = SyncWatch.objects.get(practice=acworth)
        assert (saved.silence_minutes, saved.opens_at, saved.closes_at, saved.weekdays) == (
            120,
            dt.time(8),
            dt.time(17, 30),
            "01234",
        )
        event = AuditEvent.objects.get(action="sync_watch.update")
        assert event.detail["after"]["opens_at"] == "08:00"
        assert describe_action(event.action, event.outcome, event.detail) == (
            "Warn when the PMS is silent for 2 h (08:00–17:30)"
        )
        page = owner_client.get(KEYS).content.decode()
        assert "Sync health settings saved." in page
        assert 'name="silence" value="2"' in page and 'value="08:00"' in page

    def test_it_saves_minutes_and_turns_off_with_an_empty_threshold(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        assert owner_client.post(WATCH, form(silence="45", unit="minutes")).status_code == 302
        assert SyncWatch.objects.get(practice=acworth).silence_minutes == 45
        assert owner_client.post(WATCH, form(silence="")).status_code == 302
        assert SyncWatch.objects.get(practice=acworth).silence_minutes is None
        assert AuditEvent.objects.filter(action="sync_watch.update").count() == 2

    def test_it_changes_nothing_when_nothing_changed(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        owner_client.post(WATCH, form(silence=""))
        assert not SyncWatch.objects.exists()
        assert not AuditEvent.objects.filter(action="sync_watch.update").exists()

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"silence": "two"}, "Enter a whole number, e.g. 2, or leave it empty."),
            ({"silence": "0"}, "Choose from 15 minutes to 168 hours (7 days); 0 hours is outside"),
            ({"silence": "10", "unit": "minutes"}, "10 minutes is outside that range"),
            ({"silence": "169"}, "169 hours is outside that range"),
            ({"unit": "weeks"}, "Choose minutes or hours."),
            ({"opens_at": "8am"}, "Enter the opening time as hours and minutes, e.g. 08:00."),
            (
                {"opens_at": "08:00", "weekdays": ["0"]},
                "Opening hours need an opening time, a closing time and at least one day.",
            ),
            (
                {"opens_at": "08:00", "closes_at": "17:00"},
                "Opening hours need an opening time, a closing time and at least one day.",
            ),
            (
                {"opens_at": "17:00", "closes_at": "08:00", "weekdays": ["0"]},
                "The closing time must be after the opening time (17:00)",
            ),
            (
                {"opens_at": "08:00", "closes_at": "17:00", "weekdays": ["7"]},
                "Choose the days from Monday to Sunday.",
            ),
        ],
    )
    def test_it_refuses_bad_input_and_changes_nothing(
        self, owner_client: Client, acworth: Practice, values: dict[str, Any], message: str
    ) -> None:
        watch(acworth, 60)
        response = owner_client.post(WATCH, form(**values))
        assert response.status_code == 422
        page = html.unescape(response.content.decode())
        assert message in page
        assert "The sync health settings were not saved." in page
        assert SyncWatch.objects.get(practice=acworth).silence_minutes == 60
        assert AuditEvent.objects.filter(action="sync_watch.update").count() == 1

    def test_it_is_for_owners_and_admins_only(
        self, frontdesk_client: Client, acworth: Practice
    ) -> None:
        assert frontdesk_client.post(WATCH, form()).status_code == 403
        assert staff_client(acworth, "admin", Role.ADMIN).post(WATCH, form()).status_code == 302
        assert SyncWatch.objects.get(practice=acworth).silence_minutes == 120

    def test_it_saves_for_the_signed_in_practice_only(
        self, outsider_client: Client, acworth: Practice, riverside: Practice
    ) -> None:
        assert outsider_client.post(WATCH, form()).status_code == 302
        assert SyncWatch.objects.get().practice == riverside


# -- the warning on staff pages -------------------------------------------------------


def banner(client: Client, path: str = PATIENTS) -> str:
    page = client.get(path).content.decode()
    found = re.search(r'<p class="warning sync-warning"[^>]*>(.*?)</p>', page, re.S)
    return text(found.group(1)) if found else ""


@pytest.fixture
def silent(acworth: Practice, key: IntegrationKey) -> IntegrationKey:
    """Acworth's PMS last called 3 hours ago; the practice allows 2."""
    watch(acworth, 120)
    now = timezone.now()
    last_called(key, now - dt.timedelta(hours=3, minutes=1), now - dt.timedelta(days=30))
    return key


class TestBanner:
    def test_it_warns_owners_on_every_staff_page(self, owner_client: Client, silent: Any) -> None:
        for path in (PATIENTS, KEYS, "/settings/"):
            shown = banner(owner_client, path)
            assert shown.startswith("Orthotrac has not called the hub for 3 hours (last call ")
            assert shown.endswith("Check the bridge on the front-desk PC. Integration keys")

    def test_it_warns_admins(self, acworth: Practice, silent: Any) -> None:
        assert "has not called the hub" in banner(staff_client(acworth, "admin", Role.ADMIN))

    @pytest.mark.parametrize("role", [Role.REWARDS, Role.MARKETING, Role.FINANCIAL])
    def test_it_does_not_warn_other_roles(self, acworth: Practice, silent: Any, role: str) -> None:
        client = staff_client(acworth, "someone", role)
        path = "/orders/" if role == Role.FINANCIAL else PATIENTS
        assert client.get(path).status_code == 200
        assert banner(client, path) == ""

    def test_it_does_not_warn_while_the_pms_calls(
        self, owner_client: Client, acworth: Practice, api: Api, silent: Any
    ) -> None:
        IntegrationKey.objects.update(last_used_at=None, created_at=timezone.now())
        assert banner(owner_client) == ""
        watch(acworth, 15)
        IntegrationKey.objects.update(last_used_at=timezone.now() - dt.timedelta(hours=1))
        assert banner(owner_client) != ""
        api.status("OT-1")  # the PMS calls again
        assert banner(owner_client) == ""

    def test_it_does_not_warn_another_practice(self, outsider_client: Client, silent: Any) -> None:
        make_key(Practice.objects.get(slug="riverside"))
        assert banner(outsider_client) == ""

    def test_it_costs_one_query_per_page(self, owner_client: Client, silent: Any) -> None:
        with CaptureQueriesContext(connection) as queries:
            assert banner(owner_client) != ""
        table = SyncWatch._meta.db_table
        assert sum(table in q["sql"] for q in queries.captured_queries) == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_both_succeed() -> None:
    # Two admins save the first sync health settings at the same moment: the
    # second waits for the first and finds its row, never a duplicate row.
    import threading

    from django.db import connections

    from rewardshub.audit.actors import Actor
    from rewardshub.practices.actions import create_practice

    practice = create_practice(name="Race", slug="race", actor=Actor.system("t"))
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def save(minutes: int) -> None:
        try:
            start.wait()
            watch(practice, minutes)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(30 + n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SyncWatch.objects.filter(practice=practice).count() == 1
    assert AuditEvent.objects.filter(practice=practice, action="sync_watch.update").count() == 4
