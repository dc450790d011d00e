"""Issuing new card batches and importing the cards of another rewards program."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.cards.models import BatchSource, Card, CardBatch
from rewardshub.cards.numbers import (
    CardInputError,
    is_reserved_username,
    new_card_number,
    parse_card_input,
    track_data,
)
from rewardshub.cards.temp_passwords import hash_temp_password, new_temp_password
from rewardshub.errors import ActionError
from rewardshub.fastsql import insert
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

MAX_BATCH = 100_000
# Numbers checked per query: SQLite allows at most 32,766 parameters in one statement.
CHECK_CHUNK = 5_000


@dataclass(frozen=True)
class IssuedCard:
    number: str
    temp_password: str
    track1: str
    track2: str


def registered_numbers(numbers: set[str] | list[str]) -> set[str]:
    """Which of `numbers` are already a card number or a profile username, in any practice."""
    wanted = list(numbers)
    found: set[str] = set()
    for start in range(0, len(wanted), CHECK_CHUNK):
        chunk = wanted[start : start + CHECK_CHUNK]
        found |= set(Card.objects.filter(number__in=chunk).values_list("number", flat=True))
        found |= set(Profile.objects.filter(username__in=chunk).values_list("username", flat=True))
    return found


def issue_batch(
    *, practice: Practice, count: int, actor: Actor, label: str = ""
) -> list[IssuedCard]:
    """Create `count` new Luhn-valid card numbers, unique across every practice."""
    if not 1 <= count <= MAX_BATCH:
        raise ActionError(
            "invalid_count", f"A batch holds 1 to {MAX_BATCH:,} cards; {count} was asked for."
        )
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = count - len(numbers)
        candidates = {new_card_number() for _ in range(wanted)} - numbers
        taken = registered_numbers(candidates)
        numbers |= candidates - taken
    issued = []
    with transaction.atomic():
        batch = CardBatch.objects.create(
            practice=practice,
            source=BatchSource.ISSUED,
            label=label,
            size=count,
            created_by_id=actor.user_id,
        )
        cards = []
        for number in sorted(numbers):
            password = new_temp_password()
            track1, track2 = track_data(number)
            issued.append(IssuedCard(number, password, track1, track2))
            cards.append(
                Card(
                    number=number,
                    practice=practice,
                    batch=batch,
                    temp_password_hash=hash_temp_password(password),
                )
            )
        # The bulk writer (fastsql.Rows): half bulk_create's time for 10,000 cards
        # (BENCHMARKS.md, "One bulk writer"); the cards' ids are not needed here.
        insert(cards)
        record_event(
            practice=practice,
            actor=actor,
            action="cards.issue",
            detail={"batch": batch.public_id.hex, "count": count},
        )
    return issued


def write_issued_csv(issued: list[IssuedCard], out: io.TextIOBase) -> None:
    writer = csv.writer(out)
    writer.writerow(["card_number", "temp_password", "track1", "track2"])
    for card in issued:
        writer.writerow([card.number, card.temp_password, card.track1, card.track2])


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str


TOO_LONG = "This line is too long to hold a card number. Check that the file is a card list."
UNREADABLE = "This line cannot be read as CSV. Check its quotes and commas."


def _csv_rows(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line number, cells or None, problem) for each row of `text`.

    Any line ending counts (old Macs end lines with a bare CR), and a line the
    csv module refuses (a huge one, for instance) becomes a problem on that
    line instead of an exception.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            too_long = "field larger than field limit" in str(exc)
            yield reader.line_num, None, TOO_LONG if too_long else UNREADABLE
            continue
        yield reader.line_num, cells, ""


def read_import_csv(text: str) -> tuple[list[str], list[ImportProblem]]:
    """Card numbers from a CSV (a `card_number` column, or the first column); problems by line."""
    rows = _csv_rows(text)
    first = next(rows, None)
    if first is None:
        return [], [ImportProblem(0, "The file is empty: it needs one card number per line.")]
    header = [cell.strip().lower() for cell in first[1] or []]
    column = header.index("card_number") if "card_number" in header else 0
    is_number = bool(header) and header[column].replace(" ", "").replace("-", "").isdigit()
    numbers: list[str] = []
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    for line, row, problem in itertools.chain(
        [first] if is_number or first[1] is None else [], rows
    ):
        if row is None:
            problems.append(ImportProblem(line, problem))
            continue
        if not row or not "".join(row).strip():
            continue
        raw = row[column] if column < len(row) else ""
        try:
            number = parse_card_input(raw).number
        except CardInputError as exc:
            problems.append(ImportProblem(line, exc.message))
            continue
        if is_reserved_username(number):
            problems.append(
                ImportProblem(line, "Numbers starting with 0000 are reserved for hub usernames.")
            )
        elif number in seen:
            problems.append(ImportProblem(line, f"This number is also on line {seen[number]}."))
        else:
            seen[number] = line
            numbers.append(number)
    if not numbers and not problems:
        problems.append(ImportProblem(0, "The file has no card numbers."))
    return numbers, problems


def import_cards(
    *, practice: Practice, numbers: list[str], actor: Actor, label: str = ""
) -> CardBatch:
    """Register existing card numbers; all or nothing."""
    if not numbers:
        raise ActionError("no_cards", "There are no card numbers to import.")
    taken = sorted(registered_numbers(numbers))
    if taken:
        shown = ", ".join(f"…{number[-4:]}" for number in taken[:5])
        raise ActionError(
            "cards_exist",
            f"{len(taken):,} of these numbers {'is' if len(taken) == 1 else 'are'} already "
            f"registered in the hub ({shown}). "
            "Remove them from the file and import again; nothing was imported.",
            status=409,
        )
    with transaction.atomic():
        batch = CardBatch.objects.create(
            practice=practice,
            source=BatchSource.IMPORTED,
            label=label,
            size=len(numbers),
            created_by_id=actor.user_id,
        )
        insert(Card(number=n, practice=practice, batch=batch) for n in numbers)
        record_event(
            practice=practice,
            actor=actor,
            action="cards.import",
            detail={"batch": batch.public_id.hex, "count": len(numbers)},
        )
    return batch
