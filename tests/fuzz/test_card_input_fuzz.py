"""Fuzzing the pure rules: the card parser, the card import reader, the export cells.

Whatever a person or a reader types, the parser answers a 16-digit number or
a CardInputError with a sentence; the import reader answers numbers or
problems by line, never an exception; every exported cell is safe to open in
a spreadsheet and reads back as what was stored.
"""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fuzz.counts import Fuzz

from rewardshub.cards.batches import read_import_csv
from rewardshub.cards.numbers import (
    CardInputError,
    luhn_check_digit,
    parse_card_input,
    track_data,
)
from rewardshub.points.reports import FORMULA_STARTS, FULL_WIDTH_STARTS, csv_cell

CARD_CODES = {"card_invalid", "card_read_error"}
# What readers and people type, so the fuzzer spends its time near real input.
CARD_ALPHABET = "0123456789 -%;^?=EeB/\r\n\t"

digits = st.text(alphabet="0123456789", min_size=0, max_size=24)
sixteen = st.text(alphabet="0123456789", min_size=15, max_size=15).map(
    lambda body: body + luhn_check_digit(body)
)
swipe_like = st.builds(
    lambda start, number, sep, data, end: f"{start}{number}{sep}{data}{end}",
    st.sampled_from(["%B", ";", "%", ";;", "%B ", ""]),
    digits,
    st.sampled_from(["^", "=", "^^", ""]),
    st.text(max_size=40),
    st.sampled_from(["?", "", "?\n", "?;E?"]),
)
card_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=CARD_ALPHABET, max_size=60),
    swipe_like,
    st.text(alphabet=st.characters(categories=("Nd", "Zs", "Pd")), max_size=30),
)


def _is_card_number(number: str) -> bool:
    return len(number) == 16 and number.isascii() and number.isdigit()


@settings(max_examples=2000, deadline=None, database=None)
@given(raw=card_text)
def _check_any_card_input(fuzz: Fuzz, raw: str) -> None:
    fuzz.tried("card parser")
    try:
        parsed = parse_card_input(raw)
    except CardInputError as exc:
        assert exc.code in CARD_CODES
        assert exc.message.strip().endswith(".") and len(exc.message) > 20
        return
    assert _is_card_number(parsed.number)
    assert parsed.number in raw.replace(" ", "").replace("-", "")


def test_it_reads_any_card_input_as_a_number_or_says_what_is_wrong(fuzz: Fuzz) -> None:
    _check_any_card_input(fuzz)


@settings(max_examples=300, deadline=None, database=None)
@given(number=sixteen, name=st.text(max_size=40), both=st.booleans())
def _check_swipes_round_trip(fuzz: Fuzz, number: str, name: str, both: bool) -> None:
    fuzz.tried("card parser")
    track1, track2 = track_data(number, name)
    raw = track1 + track2 if both else track1
    assert parse_card_input(raw + "\n").number == number


def test_it_reads_back_every_swipe_the_card_printer_encodes(fuzz: Fuzz) -> None:
    _check_swipes_round_trip(fuzz)


@settings(max_examples=300, deadline=None, database=None)
@given(number=sixteen, cuts=st.lists(st.integers(1, 15), max_size=6), sep=st.sampled_from(" -"))
def _check_typed_round_trip(fuzz: Fuzz, number: str, cuts: list[int], sep: str) -> None:
    fuzz.tried("card parser")
    typed = number
    for cut in sorted(set(cuts), reverse=True):
        typed = typed[:cut] + sep + typed[cut:]
    parsed = parse_card_input(f"  {typed} ")
    assert (parsed.number, parsed.swiped) == (number, False)


def test_it_reads_typed_numbers_with_any_spacing(fuzz: Fuzz) -> None:
    _check_typed_round_trip(fuzz)


# --- The card import reader (rewardshub cards import) ---

cell = st.one_of(
    sixteen,
    digits,
    st.text(max_size=20),
    st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(1)", '"', "card_number", ""]),
)
row = st.lists(cell, min_size=0, max_size=4).map(",".join)
csv_text = st.one_of(
    st.lists(row, max_size=12).flatmap(
        lambda rows: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda nl: nl.join(rows))
    ),
    st.text(max_size=200),
    st.text(alphabet='0123456789,;"\r\n =-+@\x00\ufeff', max_size=200),
)
# A line longer than the csv module's field limit, by its length (a short
# repr when hypothesis reports an example).
huge_line = st.one_of(st.none(), st.none(), st.none(), st.integers(130_000, 140_000))


@settings(max_examples=500, deadline=None, database=None)
@given(text=csv_text, huge=huge_line)
def _check_import_text(fuzz: Fuzz, text: str, huge: int | None) -> None:
    fuzz.tried("CSV import")
    if huge is not None:
        text += "\n" + "6" * huge
    numbers, problems = read_import_csv(text)
    assert numbers or problems
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert _is_card_number(number) and not number.startswith("0000")
    for problem in problems:
        assert problem.line >= 0 and len(problem.message) > 10


def test_it_reads_any_import_file_as_numbers_or_problems_by_line(fuzz: Fuzz) -> None:
    _check_import_text(fuzz)


def test_it_reads_old_mac_line_ends() -> None:
    first, second = "6277000000000018", "6277000000000026"
    assert read_import_csv(f"card_number\r{first}\r{second}\r") == ([first, second], [])


def test_it_says_which_line_is_too_long() -> None:
    numbers, problems = read_import_csv("card_number\n6277000000000018\n" + "6" * 200_000)
    assert numbers == ["6277000000000018"]
    assert [(p.line, p.message) for p in problems] == [
        (3, "This line is too long to hold a card number. Check that the file is a card list.")
    ]


# --- CSV exports (reports) ---

dangerous = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from([*FORMULA_STARTS, *FULL_WIDTH_STARTS, "\n", " =", " \n+", "'"]),
    st.text(max_size=20),
)


@settings(max_examples=500, deadline=None, database=None)
@given(value=st.one_of(st.text(max_size=30), dangerous, st.integers(), st.none()))
def _check_export_cell(fuzz: Fuzz, value: object) -> None:
    fuzz.tried("CSV export")
    safe = csv_cell(value)
    out = io.StringIO()
    csv.writer(out).writerow([safe])
    [read] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert read == [safe]
    if isinstance(value, int):
        assert safe == str(value)
        return
    text = "" if value is None else str(value)
    assert not safe.lstrip().startswith((*FORMULA_STARTS, *FULL_WIDTH_STARTS))
    assert safe in (text, "'" + text)


def test_it_exports_every_cell_safe_for_a_spreadsheet(fuzz: Fuzz) -> None:
    _check_export_cell(fuzz)


def test_it_quotes_formulas_behind_blanks_and_in_full_width() -> None:
    assert [csv_cell(v) for v in [" =1+1", "\n@x", "\uff1dSUM(A1)", "Emma -", "a=b"]] == [
        "' =1+1", "'\n@x", "'\uff1dSUM(A1)", "Emma -", "a=b"
    ]
