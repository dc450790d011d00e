"""Must show 3: the dashboard's charts rendered in chromium, each bar's number
matching its table, the bars drawn in proportion inside their chart, and the
strict CSP reporting nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from tests.points.conftest import menu as points_menu
from tests.points.conftest import prizes as points_prizes
from tests.points.dashboard_scene import make_weeks
from tests.points.test_dashboard import recent

from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize, RewardItem
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
menu = points_menu
prizes = points_prizes

# Each chart's bars and each table's cells, as [chart, row label, column, value, bar height].
READ = """() => {
  const found = {bars: [], cells: [], outside: []};
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const box = svg.getBoundingClientRect();
    for (const rect of svg.querySelectorAll('rect[data-value]')) {
      const r = rect.getBoundingClientRect();
      found.bars.push([svg.dataset.chart, rect.dataset.category, rect.dataset.series,
                       Number(rect.dataset.value), r.height]);
      if (r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        found.outside.push(rect.dataset.category);
      }
    }
  }
  for (const table of document.querySelectorAll('table[data-chart]')) {
    const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cells = [...tr.children].map(cell => cell.textContent.trim());
      cells.slice(1).forEach((cell, n) =>
        found.cells.push([table.dataset.chart, cells[0], headers[n + 1], Number(cell)]));
    }
  }
  return found;
}"""


def test_the_dashboard_charts_draw_the_tables_numbers(
    page: Page,
    sign_in: Callable[[str, str], Page],
    owner: Any,
    acworth: Practice,
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> None:
    make_weeks(acworth, recent(acworth), menu, prizes, make_profile, issue_cards(acworth, 2))
    csp: list[str] = []
    page.on("console", lambda message: csp.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in("owner", PASSWORD)
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/reports/dashboard/")
    found = page.evaluate(READ)
    bars = {(c, row, col): value for c, row, col, value, _ in found["bars"]}
    cells = {(c, row, col): value for c, row, col, value in found["cells"]}
    assert {key[0] for key in bars} == {"points", "sources", "active", "cards", "prizes"}
    assert bars == cells
    assert found["outside"] == []
    # Drawn heights in proportion to the numbers within each chart; a zero draws nothing.
    for chart in {key[0] for key in bars}:
        drawn = [(value, height) for c, _, _, value, height in found["bars"] if c == chart]
        big_value, big_height = max(drawn, key=lambda pair: abs(pair[0]))
        assert big_height > 10
        for value, height in drawn:
            assert height == pytest.approx(abs(value) / abs(big_value) * big_height, abs=1.0)
    monday = recent(acworth)[1]
    week = f"{monday:%b} {monday.day}"
    assert bars[("points", week, "Redeemed")] == 315
    assert bars[("prizes", "Sticker pack", "Orders")] == 2
    # The table is there for screen readers; the drawing is hidden from them.
    assert page.locator("svg[data-chart]").first.get_attribute("aria-hidden") == "true"
    assert page.get_by_role("table", name="Points awarded and redeemed by week").is_visible()
    assert csp == []
