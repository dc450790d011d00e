"""The bar chart geometry: bars stay inside the plot, a zero draws no bar, heights
are in proportion to the values, and the ticks are round numbers covering them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardshub.points.chart_geometry import CHAR_WIDTH, LABEL_PAD, MAX_BAR, bar_chart, nice_step

values = st.lists(st.integers(min_value=-10**7, max_value=10**7), min_size=1, max_size=16)
series_sets = values.flatmap(
    lambda first: st.lists(
        st.lists(st.integers(min_value=-10**7, max_value=10**7), min_size=len(first),
                 max_size=len(first)),
        max_size=2,
    ).map(lambda more: [first, *more])
)
EPSILON = 0.02  # the geometry is rounded to hundredths of a unit


@settings(max_examples=300, deadline=None)
@given(series_sets)
def test_bars_stay_in_the_plot_and_are_in_proportion(sets: list[list[int]]) -> None:
    categories = [f"Week of {n}" for n in range(len(sets[0]))]
    chart = bar_chart(categories, [(f"s{n}", v) for n, v in enumerate(sets)])
    assert len(chart.bars) == len(categories) * len(sets)
    span = chart.ticks[-1].value - chart.ticks[0].value
    plot_height = chart.plot_bottom - chart.plot_top
    for bar in chart.bars:
        assert bar.height >= 0
        assert chart.plot_top - EPSILON <= bar.y
        assert bar.y + bar.height <= chart.plot_bottom + EPSILON
        assert chart.plot_left - EPSILON <= bar.x
        assert bar.x + bar.width <= chart.plot_right + EPSILON
        # Height in proportion to the value, up from or down from the zero line.
        assert bar.height == pytest.approx(abs(bar.value) / span * plot_height, abs=0.03)
        if bar.value > 0:
            assert bar.y + bar.height == pytest.approx(chart.zero_y, abs=0.03)
        elif bar.value < 0:
            assert bar.y == pytest.approx(chart.zero_y, abs=0.03)
        else:
            assert bar.height == 0
    # The ticks cover every value, in equal steps, the top one at the plot's top.
    assert chart.ticks[0].value <= min(v for s in sets for v in s)
    assert chart.ticks[-1].value >= max(v for s in sets for v in s)
    assert chart.ticks[-1].y == pytest.approx(chart.plot_top)
    assert chart.ticks[0].y == pytest.approx(chart.plot_bottom)
    steps = {b.value - a.value for a, b in zip(chart.ticks, chart.ticks[1:], strict=False)}
    assert len(steps) == 1
    # Groups never overlap; labels never crowd each other.
    for a, b in zip(chart.bars, chart.bars[1:], strict=False):
        assert a.x + a.width <= b.x + EPSILON
    gaps = [b.x - a.x for a, b in zip(chart.labels, chart.labels[1:], strict=False)]
    room = max(len(label.text) for label in chart.labels) * CHAR_WIDTH + LABEL_PAD
    assert all(gap >= room - EPSILON for gap in gaps)
    assert chart.labels[0].text == categories[0]


def test_the_bars_of_a_week_sit_side_by_side() -> None:
    chart = bar_chart(["Mar 2", "Mar 9"], [("Awarded", [100, 0]), ("Redeemed", [50, 25])])
    awarded, redeemed, zero, late = chart.bars
    assert [t.value for t in chart.ticks] == [0, 20, 40, 60, 80, 100]
    assert (awarded.category, awarded.series, awarded.value) == ("Mar 2", "Awarded", 100)
    assert awarded.height == pytest.approx(chart.plot_bottom - chart.plot_top)
    assert redeemed.height == pytest.approx(awarded.height / 2, abs=0.01)
    assert redeemed.x == pytest.approx(awarded.x + awarded.width)
    assert zero.height == 0
    assert late.x > redeemed.x + redeemed.width


def test_an_empty_chart_has_a_scale_and_no_bars() -> None:
    chart = bar_chart([], [("Orders", [])])
    assert chart.bars == ()
    assert [t.value for t in chart.ticks] == [0, 1]
    all_zero = bar_chart(["a"], [("Orders", [0])])
    assert [bar.height for bar in all_zero.bars] == [0]


def test_a_month_of_days_labels_every_few_days_and_few_bars_stay_narrow() -> None:
    days = [f"2026-03-{n:02}" for n in range(1, 32)]
    chart = bar_chart(days, [("Awarded", list(range(31)))])
    assert [label.text for label in chart.labels][:3] == ["2026-03-01", "2026-03-05", "2026-03-09"]
    assert len(chart.bars) == 31
    two = bar_chart(["Sticker pack", "Headphones"], [("Orders", [2, 1])])
    assert all(bar.width == MAX_BAR for bar in two.bars)
    assert two.bars[0].x + MAX_BAR / 2 == pytest.approx(two.labels[0].x, abs=EPSILON)


def test_a_long_label_is_cut_and_kept_whole_on_its_bar() -> None:
    chart = bar_chart(["Noise-cancelling headphones"], [("Orders", [3])])
    assert chart.labels[0].text == "Noise-cancell…"
    assert chart.bars[0].category == "Noise-cancelling headphones"


def test_it_refuses_series_that_do_not_fit_the_categories() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2 categories"):
        bar_chart(["a", "b"], [("Orders", [1])])
    with pytest.raises(ValueError, match="at least one series"):
        bar_chart(["a"], [])


@pytest.mark.parametrize(("span", "step"), [(0, 1), (3, 1), (10, 2), (100, 20), (411, 100),
                                            (1000, 200), (24, 5)])
def test_steps_are_round(span: int, step: int) -> None:
    assert nice_step(span) == step
