"""WCAG 2.x contrast of the branding colours: known pairs, the messages, and the rules' bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewardshub.branding.contrast import (
    NEAR_BLACK,
    WHITE,
    ColourError,
    contrast_ratio,
    parse_colour,
    problems,
    relative_luminance,
    shown_ratio,
    text_on,
)

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#ffffff", "#000000", 21.0),
        ("#777777", "#ffffff", 4.48),  # the classic near miss
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
        ("#1d4ed8", "#ffffff", 6.70),
        ("#ff0000", "#ffffff", 4.00),
        ("#949494", "#ffffff", 3.03),
    ],
)
def test_it_computes_the_ratios_wcag_gives(first: str, second: str, ratio: float) -> None:
    assert round(contrast_ratio(first, second), 2) == ratio
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


def test_it_computes_relative_luminance_at_the_ends_and_the_linear_part() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    # 10/255 is below the 0.04045 knee: the linear segment, c / 12.92.
    assert relative_luminance("#0a0a0a") == pytest.approx(10 / 255 / 12.92)


def test_it_refuses_white_text_on_777777_and_says_the_ratios_and_the_need() -> None:
    [problem] = problems("#777777", "")
    assert problem.field == "primary_colour"
    assert problem.message == (
        "Text on the primary colour #777777 would be hard to read: white text on it has a "
        "contrast of 4.48:1 and near-black text (#1a1a1a) 3.89:1, and WCAG AA needs at least "
        "4.5:1 for text. Choose a darker primary colour (for white text) or a lighter one (for "
        "near-black text)."
    )


def test_it_takes_767676_with_white_text_and_a_light_colour_with_near_black() -> None:
    assert problems("#767676", "") == []
    assert text_on("#767676") == WHITE
    assert text_on("#ffcc00") == NEAR_BLACK


def test_it_refuses_an_accent_below_3_to_1_against_the_page_background() -> None:
    [problem] = problems("", "#a0a0a0")
    assert problem.field == "accent_colour"
    assert problem.message == (
        "The accent colour #a0a0a0 against the portal's page background (#fff8ec) has a "
        "contrast of 2.48:1, and WCAG AA needs at least 3:1 for the parts of a page people must "
        "see, such as the focus ring and the current page's marker. Choose a darker accent colour."
    )
    assert problems("", "#8a8a8a") == []  # 3.2:1 on the page, 3.4:1 on white


def test_the_hubs_own_colours_need_no_check() -> None:
    assert problems("", "") == []


def test_a_ratio_just_under_the_need_is_never_shown_as_reaching_it() -> None:
    assert shown_ratio(4.4999, 4.5) == "4.49:1"
    assert shown_ratio(4.478, 4.5) == "4.48:1"
    assert shown_ratio(3.0, 3.0) == "3:1"


@pytest.mark.parametrize(
    ("typed", "colour"),
    [("#1D4ED8", "#1d4ed8"), ("1d4ed8", "#1d4ed8"), (" #14d ", "#1144dd")],
)
def test_it_reads_colours_as_people_type_them(typed: str, colour: str) -> None:
    assert parse_colour(typed) == colour


@pytest.mark.parametrize("typed", ["blue", "#12345", "#1234567", "rgb(0,0,0)", "#ggg000"])
def test_it_refuses_what_is_not_a_colour_and_says_how_to_write_one(typed: str) -> None:
    with pytest.raises(ColourError) as refused:
        parse_colour(typed)
    assert "Write it as # and six hexadecimal digits, e.g. #1d4ed8" in str(refused.value)


@given(colours, colours)
def test_ratios_run_from_1_to_21(first: str, second: str) -> None:
    assert 1 <= contrast_ratio(first, second) <= 21.0000001


@given(colours)
def test_the_text_colour_chosen_always_reaches_aa(primary: str) -> None:
    text = text_on(primary)
    if text is None:
        assert problems(primary, "")[0].field == "primary_colour"
        assert contrast_ratio(WHITE, primary) < 4.5 and contrast_ratio(NEAR_BLACK, primary) < 4.5
    else:
        assert contrast_ratio(text, primary) >= 4.5
        assert problems(primary, "") == []
