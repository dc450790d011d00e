"""The pure card-number rules: Luhn, swipe parsing, number ranges. No database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewardshub.cards.numbers import (
    CardInputError,
    is_card_input,
    is_reserved_username,
    luhn_check_digit,
    luhn_valid,
    new_card_number,
    new_username,
    parse_card_input,
    track_data,
)

sixteen_digits = st.text(alphabet="0123456789", min_size=16, max_size=16)
names = st.text(alphabet=st.characters(blacklist_characters="^?%;\r\n"), max_size=30)


def _error(raw: str) -> CardInputError:
    with pytest.raises(CardInputError) as caught:
        parse_card_input(raw)
    return caught.value


class TestLuhn:
    def test_it_accepts_known_valid_numbers(self) -> None:
        assert luhn_valid("4111111111111111")
        assert luhn_valid("79927398713")

    def test_it_rejects_a_changed_digit(self) -> None:
        assert not luhn_valid("4111111111111112")

    @given(st.text(alphabet="0123456789", min_size=1, max_size=30))
    def test_it_makes_any_prefix_valid_with_its_check_digit(self, partial: str) -> None:
        assert luhn_valid(partial + luhn_check_digit(partial))

    @given(sixteen_digits, st.integers(min_value=0, max_value=15), st.integers(1, 9))
    def test_it_catches_every_single_digit_error(self, number: str, pos: int, delta: int) -> None:
        valid = number[:-1] + luhn_check_digit(number[:-1])
        wrong = valid[:pos] + str((int(valid[pos]) + delta) % 10) + valid[pos + 1 :]
        assert not luhn_valid(wrong)


class TestNumberRanges:
    def test_it_issues_luhn_valid_sixteen_digit_card_numbers(self) -> None:
        for _ in range(200):
            number = new_card_number()
            assert len(number) == 16 and number.isdigit() and luhn_valid(number)
            assert not is_reserved_username(number)

    def test_it_generates_usernames_only_in_the_reserved_range(self) -> None:
        for _ in range(200):
            username = new_username()
            assert len(username) == 16 and username.isdigit() and is_reserved_username(username)


class TestParse:
    def test_it_reads_track_two(self) -> None:
        parsed = parse_card_input(";6277123412341234=9912?\n")
        assert (parsed.number, parsed.swiped) == ("6277123412341234", True)

    def test_it_reads_track_one(self) -> None:
        parsed = parse_card_input("%B6277123412341234^JOHNSON/EMMA^9912?")
        assert parsed.number == "6277123412341234"

    def test_it_reads_both_tracks_in_a_row(self) -> None:
        raw = "%B6277123412341234^JOHNSON/EMMA^9912?;6277123412341234=9912?"
        assert parse_card_input(raw).number == "6277123412341234"

    def test_it_reads_typed_numbers_with_spaces_and_dashes(self) -> None:
        parsed = parse_card_input(" 6277 1234-1234 1234 ")
        assert (parsed.number, parsed.swiped) == ("6277123412341234", False)

    @pytest.mark.parametrize("raw", ["E", "%E?", ";E?", "%E?;E?", "EE"])
    def test_it_says_swipe_again_on_a_read_error(self, raw: str) -> None:
        error = _error(raw)
        assert error.code == "card_read_error"
        assert error.message == (
            "The card reader could not read the card. Swipe it again, or type the number."
        )

    @pytest.mark.parametrize("raw", ["e", "ee"])
    def test_it_takes_lowercase_text_for_a_mistyped_number_not_a_read_error(self, raw: str) -> None:
        # Readers send uppercase; lowercase is typed, and the search box looks for a name.
        assert _error(raw).code == "card_invalid"
        assert not is_card_input("e")

    def test_it_counts_the_digits_when_the_length_is_wrong(self) -> None:
        error = _error("6277 1234 1234")
        assert error.code == "card_invalid"
        assert error.message == (
            "A card number has 16 digits, but 12 were entered. Check the number and enter it again."
        )

    def test_it_rejects_letters(self) -> None:
        assert _error("6277abcd12341234").code == "card_invalid"

    def test_it_asks_for_input_when_blank(self) -> None:
        assert _error("   ").message == "Enter a card number, or swipe the card."

    def test_it_treats_a_garbled_stripe_as_a_read_error(self) -> None:
        assert _error(";62771234").code == "card_read_error"

    @given(sixteen_digits, names)
    def test_it_round_trips_the_printer_track_data(self, number: str, name: str) -> None:
        track1, track2 = track_data(number, name)
        assert parse_card_input(track1).number == number
        assert parse_card_input(track2).number == number
        assert parse_card_input(track1 + track2 + "\r\n").number == number

    @given(sixteen_digits, st.lists(st.sampled_from([" ", "-"]), max_size=16))
    def test_it_ignores_separators_anywhere_after_the_first_digit(
        self, number: str, seps: list[str]
    ) -> None:
        typed = number[0] + "".join(
            (seps[i] if i < len(seps) else "") + digit for i, digit in enumerate(number[1:])
        )
        assert parse_card_input(typed).number == number

    @given(st.text(max_size=60))
    def test_it_never_fails_other_than_with_a_card_input_error(self, raw: str) -> None:
        try:
            parsed = parse_card_input(raw)
        except CardInputError as exc:
            assert exc.code in {"card_invalid", "card_read_error"} and exc.message
        else:
            assert len(parsed.number) == 16 and parsed.number.isdigit()
