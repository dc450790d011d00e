"""The Sync log's "failures only" and per-call filters: GET parameters of calls and
outcomes only, kept by the page links, inside the practice, bad values refused."""

from __future__ import annotations

import re

from django.test import Client
from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.integrations.models import SyncAction, SyncEvent, SyncOutcome
from rewardshub.practices.models import Practice

SYNC_LOG = "/settings/integrations/sync-log/"


def log_rows(client: Client, query: str = "") -> tuple[int, str]:
    response = client.get(SYNC_LOG + query)
    page = response.content.decode()
    section = page.split('id="sync-log"', 1)[1].split("</section>", 1)[0]
    return response.status_code, section


def chart_cells(section: str) -> list[str]:
    """The chart column of each row, in order."""
    return re.findall(r"<tr[^>]*>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", section)


class TestSyncLogFilters:
    def test_failures_only_leaves_out_what_succeeded(
        self, owner_client: Client, api: Api, cards: list[str]
    ) -> None:
        api.launch("OT-404")  # fails: never synced
        api.set_card(CHART, cards[0], **EMMA)
        api.status(CHART)

        status, section = log_rows(owner_client, "?failures=1")

        assert status == 200
        assert chart_cells(section) == ["OT-404"]
        assert 'name="failures" value="1" checked' in section

    def test_it_shows_one_call(self, owner_client: Client, api: Api, cards: list[str]) -> None:
        api.launch("OT-404")
        api.set_card(CHART, cards[0], **EMMA)
        api.status(CHART)
        api.status("OT-77")

        _, section = log_rows(owner_client, "?action=status")

        assert chart_cells(section) == ["OT-77", CHART]
        assert '<option value="status" selected>' in section

    def test_both_filters_together_and_the_page_links_keep_them(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        rows = [
            SyncEvent(
                practice=acworth,
                system="orthotrac",
                chart_id=f"OT-{n}",
                action=SyncAction.LAUNCH if n % 2 else SyncAction.UPDATE,
                outcome=SyncOutcome.ERROR if n % 3 else SyncOutcome.UPDATED,
            )
            for n in range(200)
        ]
        SyncEvent.objects.bulk_create(rows)
        expected = sum(1 for n in range(200) if n % 2 and n % 3)  # 67

        _, first = log_rows(owner_client, "?failures=1&action=launch")
        _, second = log_rows(owner_client, "?failures=1&action=launch&page=2")

        assert "Page 1 of 2" in first
        assert 'href="?failures=1&amp;action=launch&amp;page=2"' in first
        assert 'href="?failures=1&amp;action=launch&amp;page=1"' in second
        charts = chart_cells(first) + chart_cells(second)
        assert len(charts) == expected
        for chart in charts:
            n = int(chart.removeprefix("OT-"))
            assert n % 2 and n % 3

    def test_it_refuses_an_unknown_call_and_says_which_exist(
        self, owner_client: Client, api: Api
    ) -> None:
        api.launch("OT-404")

        status, section = log_rows(owner_client, "?action=delete")

        assert status == 422
        assert "“delete” is not a PMS call. Choose one from the list: Set card, Update" in section
        assert chart_cells(section) == []

    def test_it_shows_no_other_practices_failures(
        self, owner_client: Client, api: Api, riverside_api: Api
    ) -> None:
        riverside_api.launch("SECRET-CHART")
        api.launch("OT-404")

        _, section = log_rows(owner_client, "?failures=1&action=launch")

        assert chart_cells(section) == ["OT-404"]

    def test_the_filter_form_sends_calls_and_outcomes_only(self, owner_client: Client) -> None:
        _, section = log_rows(owner_client)
        form = section.split('<form method="get"', 1)[1].split("</form>", 1)[0]

        assert set(re.findall(r'name="([^"]+)"', form)) == {"failures", "action"}
