"""The status call's two reads, compiled once, give what their QuerySets give."""

from __future__ import annotations

from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.cards.models import Card, CardState
from rewardshub.integrations import status
from rewardshub.integrations.models import PmsLink, TagRule
from rewardshub.practices.models import Practice


def test_the_chart_summary_and_the_tags_match_the_orm(
    api: Api, cards: list[str], tag_rules: list[TagRule], acworth: Practice, riverside: Practice
) -> None:
    api.set_card(CHART, cards[0], **EMMA, pms_status="Active Tx", office="MAR")
    link = PmsLink.objects.get(chart_id=CHART)

    def compare() -> tuple[object, list[tuple[str]]]:
        summary = status._STATUS_CHART.rows(acworth.pk, "orthotrac", CHART)
        assert summary == list(status._chart_summary(acworth.pk, "orthotrac", CHART))
        tags = status._STATUS_TAGS.rows(acworth.pk, link.profile_id)
        assert tags == list(status._tag_names(acworth.pk, link.profile_id))
        return summary, tags

    summary, tags = compare()
    assert [row[1:4] for row in summary] == [
        (link.profile.username, link.profile.public_id, link.profile.points_balance)
    ]
    assert summary[0][5] is False  # the card set in the PMS is not connected yet
    assert len(tags) == 2
    Card.objects.filter(number=cards[0]).update(state=CardState.ACTIVE, profile=link.profile)
    summary, _ = compare()
    assert summary[0][5] is True
    # Another practice, system or chart finds nothing.
    assert status._STATUS_CHART.rows(riverside.pk, "orthotrac", CHART) == []
    assert status._STATUS_CHART.rows(acworth.pk, "other", CHART) == []
    assert status._STATUS_TAGS.rows(riverside.pk, link.profile_id) == []
