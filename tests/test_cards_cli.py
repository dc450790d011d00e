"""`rewardshub cards issue|import` and the Card batches settings page."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import BatchSource, Card, CardBatch, CardState
from rewardshub.cards.numbers import luhn_check_digit, luhn_valid
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.practices.models import Practice

ROOT = Path(__file__).resolve().parent.parent


def _state() -> tuple[int, int, int]:
    return Card.objects.count(), CardBatch.objects.count(), AuditEvent.objects.count()


def _issue(*args: str) -> str:
    out = io.StringIO()
    call_command("cards", "issue", *args, stdout=out)
    return out.getvalue()


def _import(*args: str) -> str:
    out = io.StringIO()
    call_command("cards", "import", *args, stdout=out)
    return out.getvalue()


def _fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("cards", *args, stdout=io.StringIO())
    return str(caught.value)


def _valid(prefix: str, n: int) -> str:
    body = f"{prefix}{n:0{15 - len(prefix)}d}"
    return body + luhn_check_digit(body)


class TestIssue:
    def test_it_issues_a_batch_and_writes_the_printer_file(
        self, acworth: Practice, tmp_path: Path
    ) -> None:
        out = tmp_path / "cards.csv"
        printed = _issue(
            "--practice", "acworth", "--count", "25", "--out", str(out), "--label", "Spring"
        )
        assert printed.startswith("Issued 25 cards to Acworth Orthodontics (acworth). ")
        rows = list(csv.DictReader(out.open()))
        assert len(rows) == 25
        assert list(rows[0]) == ["card_number", "temp_password", "track1", "track2"]
        cards = {c.number: c for c in Card.objects.filter(practice=acworth)}
        for row in rows:
            card = cards[row["card_number"]]
            assert luhn_valid(card.number) and card.state == CardState.AVAILABLE
            assert check_temp_password(row["temp_password"], card.temp_password_hash)
            assert row["track2"] == f";{card.number}=9912?"
        batch = CardBatch.objects.get()
        assert (batch.label, batch.size, batch.source) == ("Spring", 25, BatchSource.ISSUED)
        # The file holds temporary passwords: readable by its owner only.
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        event = AuditEvent.objects.get(action="cards.issue")
        assert event.actor_label.startswith("command line (") and event.detail["count"] == 25

    def test_it_names_the_known_practices_for_an_unknown_slug(
        self, acworth: Practice, riverside: Practice, tmp_path: Path
    ) -> None:
        before = _state()
        message = _fails(
            "issue", "--practice", "acwort", "--count", "5", "--out", str(tmp_path / "c.csv")
        )
        assert message == "No practice has the slug “acwort”. Known practices: acworth, riverside."
        assert _state() == before and not (tmp_path / "c.csv").exists()

    def test_it_says_when_there_are_no_practices(self, db: Any, tmp_path: Path) -> None:
        message = _fails("issue", "--practice", "x", "--count", "5", "--out", str(tmp_path / "c"))
        assert message == (
            "No practice has the slug “x”: there are no practices yet. "
            "Load the demo (rewardshub demo) or create a practice first."
        )

    @pytest.mark.parametrize("count", ["abc", "0", "-3", "2.5", ""])
    def test_it_refuses_a_count_that_is_not_a_positive_whole_number(
        self, acworth: Practice, tmp_path: Path, count: str
    ) -> None:
        before = _state()
        message = _fails(
            "issue", "--practice", "acworth", f"--count={count}", "--out", str(tmp_path / "c.csv")
        )
        assert message == f"--count must be a whole number from 1 to 100,000, not “{count}”."
        assert _state() == before

    def test_it_refuses_a_count_above_the_maximum(self, acworth: Practice, tmp_path: Path) -> None:
        message = _fails(
            "issue", "--practice", "acworth", "--count", "100001", "--out", str(tmp_path / "c.csv")
        )
        assert message == (
            "--count 100,001 is more than one batch may hold (100,000). "
            "Issue several batches instead."
        )
        assert Card.objects.count() == 0

    def test_it_refuses_to_overwrite_a_file(self, acworth: Practice, tmp_path: Path) -> None:
        out = tmp_path / "cards.csv"
        out.write_text("keep me")
        message = _fails("issue", "--practice", "acworth", "--count", "3", "--out", str(out))
        assert message == (
            f"{out} already exists. Choose another file name, or add --force to overwrite it."
        )
        assert out.read_text() == "keep me" and Card.objects.count() == 0

    def test_it_overwrites_with_force(self, acworth: Practice, tmp_path: Path) -> None:
        out = tmp_path / "cards.csv"
        out.write_text("old")
        _issue("--practice", "acworth", "--count", "3", "--out", str(out), "--force")
        assert len(out.read_text().splitlines()) == 4
        assert Card.objects.count() == 3

    def test_it_refuses_a_missing_folder(self, acworth: Practice, tmp_path: Path) -> None:
        out = tmp_path / "nope" / "cards.csv"
        message = _fails("issue", "--practice", "acworth", "--count", "3", "--out", str(out))
        assert message == (
            f"The folder {out.parent} does not exist. Create it first, or write the file elsewhere."
        )
        assert Card.objects.count() == 0

    def test_it_leaves_no_temporary_file_behind(self, acworth: Practice, tmp_path: Path) -> None:
        _issue("--practice", "acworth", "--count", "2", "--out", str(tmp_path / "a.csv"))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


class TestImport:
    def _file(self, tmp_path: Path, text: str) -> str:
        path = tmp_path / "old.csv"
        path.write_text(text)
        return str(path)

    def test_it_imports_card_numbers_of_another_program(
        self, acworth: Practice, tmp_path: Path
    ) -> None:
        # Imported numbers need not carry a check digit.
        path = self._file(
            tmp_path, "card_number,name\n1234 5678 9012 3456,x\n9999-8888-7777-6666,y\n"
        )
        printed = _import("--practice", "acworth", path, "--label", "Old program")
        assert printed.startswith("Imported 2 cards into Acworth Orthodontics (acworth).")
        assert sorted(Card.objects.values_list("number", flat=True)) == [
            "1234567890123456",
            "9999888877776666",
        ]
        batch = CardBatch.objects.get()
        assert (batch.source, batch.label, batch.size) == (BatchSource.IMPORTED, "Old program", 2)
        assert AuditEvent.objects.get(action="cards.import").detail["count"] == 2

    def test_it_reports_every_bad_line_and_imports_nothing(
        self, acworth: Practice, tmp_path: Path
    ) -> None:
        good = _valid("5", 1)
        path = self._file(
            tmp_path,
            f"card_number\n{good}\n12345\n0000123412341234\n{good}\nabc\n",
        )
        message = _fails("import", "--practice", "acworth", path)
        assert message == (
            f"{path} has 4 problems; nothing was imported. Fix these lines and import again:\n"
            "  line 3: A card number has 16 digits, but 5 were entered. "
            "Check the number and enter it again.\n"
            "  line 4: Numbers starting with 0000 are reserved for hub usernames.\n"
            "  line 5: This number is also on line 2.\n"
            "  line 6: A card number has 16 digits and nothing else. "
            "Check the number and enter it again, or swipe the card."
        )
        assert Card.objects.count() == 0 and CardBatch.objects.count() == 0

    def test_it_refuses_numbers_already_registered(
        self, acworth: Practice, riverside: Practice, issue_cards: Any, tmp_path: Path
    ) -> None:
        taken = issue_cards(riverside, 1)[0]
        path = self._file(tmp_path, f"{_valid('5', 2)}\n{taken}\n")
        before = _state()
        message = _fails("import", "--practice", "acworth", path)
        assert message == (
            f"1 of these numbers is already registered in the hub (…{taken[-4:]}). "
            "Remove them from the file and import again; nothing was imported."
        )
        assert _state() == before

    def test_it_refuses_a_missing_file(self, acworth: Practice, tmp_path: Path) -> None:
        path = tmp_path / "missing.csv"
        message = _fails("import", "--practice", "acworth", str(path))
        assert message == f"{path} does not exist or is not a file. Check the path."

    def test_it_refuses_an_empty_file(self, acworth: Practice, tmp_path: Path) -> None:
        path = self._file(tmp_path, "")
        message = _fails("import", "--practice", "acworth", path)
        assert message == (
            f"{path} has 1 problem; nothing was imported. Fix these lines and import again:\n"
            "  The file is empty: it needs one card number per line."
        )

    def test_it_refuses_a_file_that_is_not_text(self, acworth: Practice, tmp_path: Path) -> None:
        path = tmp_path / "cards.xlsx"
        path.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
        message = _fails("import", "--practice", "acworth", str(path))
        assert message == f"{path} is not UTF-8 text. Save it as CSV (UTF-8) and try again."

    def test_it_refuses_an_unknown_practice(self, riverside: Practice, tmp_path: Path) -> None:
        path = self._file(tmp_path, _valid("5", 3) + "\n")
        message = _fails("import", "--practice", "acworth", path)
        assert message == "No practice has the slug “acworth”. Known practices: riverside."


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "rewardshub"), *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_it_works_from_the_installed_command_line(tmp_path: Path) -> None:
    # A database of its own: the subprocess cannot see the test transaction.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
    }
    assert _run(["migrate", "-v", "0"], env, tmp_path).returncode == 0
    assert _run(["demo", "--out", str(tmp_path / "demo.json")], env, tmp_path).returncode == 0
    issued = _run(
        ["cards", "issue", "--practice", "riverside", "--count", "7", "--out", "new.csv"],
        env,
        tmp_path,
    )
    assert issued.returncode == 0, issued.stderr
    assert "Issued 7 cards to Riverside Dental (riverside)." in issued.stdout
    assert len((tmp_path / "new.csv").read_text().splitlines()) == 8
    again = _run(
        ["cards", "issue", "--practice", "riverside", "--count", "7", "--out", "new.csv"],
        env,
        tmp_path,
    )
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "CommandError: new.csv already exists. Choose another file name, or add --force to "
        "overwrite it."
    )
    (tmp_path / "old.csv").write_text("1111222233334444\n")
    imported = _run(["cards", "import", "--practice", "riverside", "old.csv"], env, tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 1 card into Riverside Dental (riverside)." in imported.stdout


# --- Settings > Card batches --------------------------------------------------


def _flashes(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestBatchesPage:
    url = "/cards/batches/"

    def test_it_lists_batches_with_card_counts(
        self, owner_client: Client, acworth: Practice, issue_cards: Any, make_profile: Any
    ) -> None:
        numbers = issue_cards(acworth, 5)
        make_profile(acworth, card=numbers[0])
        response = owner_client.get(self.url)
        assert response.status_code == 200
        [batch] = response.context["batches"]
        assert (batch.size, batch.available, batch.active, batch.retired) == (5, 4, 1, 0)
        assert b'aria-current="page">Card batches</a>' in response.content

    def test_it_is_for_owners_and_admins_only(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(self.url).status_code == 403
        assert frontdesk_client.post("/cards/batches/issue/", {"count": 5}).status_code == 403
        assert Card.objects.count() == 0

    def test_it_answers_the_issue_with_the_card_list(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        page = owner_client.get(self.url)
        assert b"The card list downloads as soon as you press Issue cards, and only then." in (
            page.content
        )
        response = owner_client.post("/cards/batches/issue/", {"count": 12, "label": "Fall"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="cards-acworth-')
        assert response["Cache-Control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert len(rows) == 12
        batch = CardBatch.objects.get(practice=acworth)
        assert {card.number for card in batch.cards.all()} == {r["card_number"] for r in rows}
        card = Card.objects.get(number=rows[0]["card_number"])
        assert check_temp_password(rows[0]["temp_password"], card.temp_password_hash)
        filename = response["Content-Disposition"].split('"')[1]
        assert _flashes(owner_client.get(self.url)) == [
            f"Issued 12 cards. Their card list came as the download {filename}: keep that file "
            "until the cards are printed, it is the only copy of their temporary passwords. "
            "If it is lost, issue a new batch."
        ]

    @pytest.mark.parametrize(
        ("count", "error"),
        [
            (
                "0",
                "Issue from 1 to 5,000 cards at a time here; 0 was asked for. For bigger "
                "batches run “rewardshub cards issue” on the server.",
            ),
            ("many", "Enter the number of cards as a whole number, e.g. 100."),
        ],
    )
    def test_it_refuses_a_bad_count(
        self, owner_client: Client, acworth: Practice, count: str, error: str
    ) -> None:
        response = owner_client.post("/cards/batches/issue/", {"count": count})
        assert response.status_code == 422
        assert response.context["form"].errors["count"] == [error]
        assert CardBatch.objects.count() == 0
