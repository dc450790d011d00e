"""The next prize on the portal home (issue 15, item 6) and prize pictures in the store.

The rule (portal.progress) is plain Python, checked against a brute-force
reading of it with hypothesis; the home page is checked on the database: which
prizes count, the <progress> bar's numbers and the words beside them.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.portal.progress import next_prize
from rewardshub.practices.models import Practice

from .conftest import Patient


@dataclass(frozen=True)
class Item:
    name: str
    cost: int


def _cost(item: Item) -> int:
    return item.cost


# --- The rule -----------------------------------------------------------------


def test_it_aims_at_the_cheapest_prize_above_the_balance() -> None:
    prizes = [Item("pencil", 10), Item("comic", 60), Item("yoyo", 40), Item("kite", 60)]
    progress = next_prize(35, prizes, cost=_cost)
    assert progress is not None
    assert (progress.goal, progress.affordable) == (Item("yoyo", 40), Item("pencil", 10))
    assert (progress.missing, progress.affordable_count) == (5, 1)


def test_it_has_no_goal_when_every_prize_is_in_reach() -> None:
    progress = next_prize(100, [Item("pencil", 10), Item("kite", 100)], cost=_cost)
    assert progress is not None
    assert (progress.goal, progress.affordable, progress.missing) == (None, Item("kite", 100), 0)


def test_it_has_nothing_without_prizes() -> None:
    assert next_prize(50, [], cost=_cost) is None


def test_a_prize_that_costs_exactly_the_balance_is_in_reach() -> None:
    progress = next_prize(40, [Item("yoyo", 40), Item("comic", 60)], cost=_cost)
    assert progress is not None
    assert (progress.goal, progress.affordable) == (Item("comic", 60), Item("yoyo", 40))


def test_ties_keep_the_catalogs_order() -> None:
    items = [Item("a", 10), Item("b", 10), Item("c", 1), Item("d", 1)]
    progress = next_prize(5, items, cost=_cost)
    assert progress is not None
    assert (progress.goal, progress.affordable) == (Item("a", 10), Item("c", 1))


@given(
    balance=st.integers(min_value=0, max_value=10_000),
    costs=st.lists(st.integers(min_value=1, max_value=10_000), max_size=12),
)
def test_it_agrees_with_a_brute_force_reading(balance: int, costs: list[int]) -> None:
    prizes = [Item(str(i), cost) for i, cost in enumerate(costs)]
    progress = next_prize(balance, prizes, cost=_cost)
    if not prizes:
        assert progress is None
        return
    assert progress is not None
    above = [p for p in prizes if p.cost > balance]
    within = [p for p in prizes if p.cost <= balance]
    assert progress.goal == (min(above, key=lambda p: p.cost) if above else None)
    assert progress.affordable == (max(within, key=lambda p: p.cost) if within else None)
    assert progress.affordable_count == len(within)
    if progress.goal is not None:
        assert 0 < progress.missing <= progress.goal.cost


# --- The home page --------------------------------------------------------------

BAR = re.compile(r"<progress[^>]*>[^<]*</progress>")


def _bar(page: str) -> dict[str, str]:
    found = BAR.findall(page)
    assert len(found) == 1, found
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', found[0]))


def _text(page: str) -> str:
    """The page's words, without tags or extra spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_home_shows_the_next_prize_and_a_bar_toward_it(
    portal_client: Client,
    activated: Patient,
    acworth: Practice,
    riverside: Practice,
    give_points: Callable[[Profile, int], None],
) -> None:
    give_points(activated.profile, 20)
    Prize.objects.create(practice=acworth, name="Sticker pack", cost=5)
    Prize.objects.create(practice=acworth, name="Headphones", cost=300)
    # Not goals: out of stock, no longer offered, another practice's.
    Prize.objects.create(practice=acworth, name="Yo-yo", cost=30, stock=0)
    Prize.objects.create(practice=acworth, name="Old kite", cost=25, active=False)
    Prize.objects.create(practice=riverside, name="Riverside mug", cost=21)
    page = portal_client.get("/portal/").content.decode()
    bar = _bar(page)
    assert (bar["value"], bar["max"]) == ("20", "300")
    assert bar["aria-labelledby"] == "p-goal-title"
    assert '<h2 id="p-goal-title">Next prize: Headphones</h2>' in page
    text = _text(page)
    assert "20 of 300 points: 280 more to go!" in text
    assert "You can already order Sticker pack (5 points). Or keep saving!" in text
    for other in ("Yo-yo", "Old kite", "Riverside mug"):
        assert other not in page


def test_it_counts_the_prizes_already_in_reach(
    portal_client: Client,
    activated: Patient,
    acworth: Practice,
    give_points: Callable[[Profile, int], None],
) -> None:
    give_points(activated.profile, 50)
    for name, cost in (("Sticker", 5), ("Pencil", 10), ("Comic", 45), ("Kite", 80)):
        Prize.objects.create(practice=acworth, name=name, cost=cost, stock=3)
    text = _text(portal_client.get("/portal/").content.decode())
    assert "Next prize: Kite" in text and "50 of 80 points: 30 more to go!" in text
    assert "You can already order 3 prizes, like Comic (45 points)." in text


def test_with_points_for_every_prize_the_bar_is_full(
    portal_client: Client,
    activated: Patient,
    acworth: Practice,
    give_points: Callable[[Profile, int], None],
) -> None:
    give_points(activated.profile, 500)
    Prize.objects.create(practice=acworth, name="Sticker", cost=5)
    Prize.objects.create(practice=acworth, name="Headphones", cost=300)
    page = portal_client.get("/portal/").content.decode()
    assert (_bar(page)["value"], _bar(page)["max"]) == ("300", "300")
    text = _text(page)
    assert "You can order any prize!" in text
    assert "enough points for every prize, even the biggest: Headphones (300 points)" in text


def test_a_new_patient_starts_at_zero(
    portal_client: Client, activated: Patient, acworth: Practice
) -> None:
    Prize.objects.create(practice=acworth, name="Sticker", cost=1)
    page = portal_client.get("/portal/").content.decode()
    assert (_bar(page)["value"], _bar(page)["max"]) == ("0", "1")
    text = _text(page)
    assert "0 of 1 point: 1 more to go!" in text and "already order" not in text


def test_without_prizes_to_order_there_is_no_bar(
    portal_client: Client, activated: Patient, acworth: Practice
) -> None:
    Prize.objects.create(practice=acworth, name="Gone", cost=5, stock=0)
    page = portal_client.get("/portal/").content.decode()
    assert "<progress" not in page and "Next prize" not in page


def test_the_bar_needs_no_inline_style_or_script(
    portal_client: Client, activated: Patient, acworth: Practice
) -> None:
    # The hub's CSP allows no inline style or script: the bar is drawn by portal.css.
    Prize.objects.create(practice=acworth, name="Sticker", cost=5)
    response = portal_client.get("/portal/")
    page = response.content.decode()
    assert "style=" not in page and "<script" not in page
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy


def test_the_home_adds_one_query_for_the_next_prize(
    portal_client: Client,
    activated: Patient,
    acworth: Practice,
    django_assert_max_num_queries: Any,
) -> None:
    Prize.objects.create(practice=acworth, name="Sticker", cost=5)
    portal_client.get("/portal/")
    for cost in range(10, 30):
        Prize.objects.create(practice=acworth, name=f"Prize {cost}", cost=cost)
    # The number of prizes does not change the number of statements.
    with django_assert_max_num_queries(40) as captured:
        portal_client.get("/portal/")
    prize_reads = [q for q in captured.captured_queries if 'FROM "points_prize"' in q["sql"]]
    assert len(prize_reads) == 1, prize_reads


# --- Pictures in the store --------------------------------------------------------


def test_the_store_shows_each_prizes_picture_named_for_the_prize(
    portal_client: Client, activated: Patient, acworth: Practice, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 90)).save(buffer, format="JPEG")
    kite = Prize.objects.create(practice=acworth, name="Rainbow kite", cost=5)
    kite.picture.save("kite.jpg", SimpleUploadedFile("kite.jpg", buffer.getvalue()))
    Prize.objects.create(practice=acworth, name="Sticker", cost=5)
    page = portal_client.get("/portal/prizes/").content.decode()
    src = f"/settings/prizes/{kite.public_id}/picture"
    assert f'src="{src}" alt="Rainbow kite">' in page
    # A prize without a picture shows the star, hidden from screen readers.
    assert page.count("<img") == 1 and 'class="p-prize-nopic" aria-hidden="true"' in page
    picture = portal_client.get(src)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert b"".join(picture.streaming_content)[:2] == b"\xff\xd8"
    # The confirmation page shows it too.
    confirm = portal_client.get(f"/portal/prizes/{kite.public_id}/order/").content.decode()
    assert f'src="{src}" alt="Rainbow kite">' in confirm
