"""`rewardshub cards issue|import`: card batches from the command line.

    rewardshub cards issue --practice acworth --count 500 --out cards.csv [--label TEXT] [--force]
    rewardshub cards import --practice acworth old-cards.csv [--label TEXT]

Bad input stops with a message on stderr and exit status 1, and changes
nothing: no cards are created and no file is written.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import (
    MAX_BATCH,
    import_cards,
    issue_batch,
    read_import_csv,
    write_issued_csv,
)
from rewardshub.errors import ActionError
from rewardshub.practices.models import Practice
from rewardshub.wording import count_of

MAX_SHOWN_PROBLEMS = 50


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        who = "unknown"
    return Actor.system(f"command line ({who})"[:200])


def _practice(slug: str) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is not None:
        return practice
    known = list(Practice.objects.order_by("slug").values_list("slug", flat=True))
    if not known:
        raise CommandError(
            f"No practice has the slug “{slug}”: there are no practices yet. "
            "Load the demo (rewardshub demo) or create a practice first."
        )
    raise CommandError(f"No practice has the slug “{slug}”. Known practices: {', '.join(known)}.")


def _count(raw: str) -> int:
    text = raw.strip().replace(",", "").replace("_", "")
    if not text.isdigit() or int(text) < 1:
        raise CommandError(f"--count must be a whole number from 1 to {MAX_BATCH:,}, not “{raw}”.")
    count = int(text)
    if count > MAX_BATCH:
        raise CommandError(
            f"--count {count:,} is more than one batch may hold ({MAX_BATCH:,}). "
            "Issue several batches instead."
        )
    return count


def _output_path(raw: str, force: bool) -> Path:
    out = Path(raw).expanduser()
    if out.is_dir():
        raise CommandError(f"--out {out} is a directory. Give a file name, e.g. {out}/cards.csv.")
    if not out.parent.is_dir():
        raise CommandError(
            f"The folder {out.parent} does not exist. Create it first, or write the file elsewhere."
        )
    if out.exists() and not force:
        raise CommandError(
            f"{out} already exists. Choose another file name, or add --force to overwrite it."
        )
    return out


def _move_into_place(tmp: Path, out: Path, *, overwrite: bool) -> None:
    if overwrite:
        tmp.replace(out)
        return
    try:
        # link() fails if the name appeared meanwhile: never overwrite by accident.
        os.link(tmp, out)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if out.exists():
            raise FileExistsError(out) from None
        tmp.replace(out)


class Command(BaseCommand):
    help = "Issue a new batch of hub cards, or import the card numbers of another program."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="issue|import")
        issue = sub.add_parser("issue", help="Issue new cards and write their printer file (CSV).")
        issue.add_argument("--practice", required=True, help="The practice's slug, e.g. acworth.")
        issue.add_argument("--count", required=True, help=f"How many cards (1 to {MAX_BATCH:,}).")
        issue.add_argument("--out", required=True, help="The CSV file to write (must not exist).")
        issue.add_argument("--label", default="", help="A label for the batch.")
        issue.add_argument("--force", action="store_true", help="Overwrite --out if it exists.")
        imp = sub.add_parser("import", help="Register existing card numbers from a CSV file.")
        imp.add_argument("--practice", required=True, help="The practice's slug, e.g. acworth.")
        imp.add_argument("file", help="CSV with a card_number column (or numbers in column 1).")
        imp.add_argument("--label", default="", help="A label for the batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "issue":
            self._issue(options)
        else:
            self._import(options)

    def _issue(self, options: dict[str, Any]) -> None:
        practice = _practice(options["practice"])
        count = _count(str(options["count"]))
        out = _output_path(options["out"], options["force"])
        label = options["label"][:200]
        # The file is written inside the transaction: if it cannot be written
        # the cards are rolled back, so no card exists whose password is lost.
        try:
            # mkstemp creates the file readable by its owner only (0600): it
            # will hold the cards' temporary passwords.
            fd, tmp_name = tempfile.mkstemp(prefix=".cards-", suffix=".csv", dir=out.parent)
        except OSError as exc:
            raise CommandError(f"Cannot write to {out.parent} ({exc.strerror}).") from None
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            with transaction.atomic():
                issued = issue_batch(practice=practice, count=count, actor=_actor(), label=label)
                with tmp.open("w", newline="", encoding="utf-8") as handle:
                    write_issued_csv(issued, handle)  # type: ignore[arg-type]
                    handle.flush()
                    os.fsync(handle.fileno())
                _move_into_place(tmp, out, overwrite=options["force"])
        except ActionError as exc:
            raise CommandError(exc.message) from None
        except FileExistsError:
            raise CommandError(
                f"{out} appeared while the cards were being issued; nothing was issued. "
                "Choose another file name."
            ) from None
        except OSError as exc:
            raise CommandError(
                f"Could not write {out} ({exc.strerror}); nothing was issued."
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
        self.stdout.write(
            f"Issued {count_of(len(issued), 'card')} to {practice.name} ({practice.slug}). "
            f"Card numbers, temporary passwords and track data: {out}\n"
            "Keep that file safe and delete it once the cards are printed: the hub stores "
            "only hashes of the temporary passwords."
        )

    def _import(self, options: dict[str, Any]) -> None:
        practice = _practice(options["practice"])
        path = Path(options["file"]).expanduser()
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file. Check the path.")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(
                f"{path} is not UTF-8 text. Save it as CSV (UTF-8) and try again."
            ) from None
        except OSError as exc:
            raise CommandError(f"Could not read {path} ({exc.strerror}).") from None
        numbers, problems = read_import_csv(text)
        if problems:
            lines = [
                f"  line {p.line}: {p.message}" if p.line else f"  {p.message}"
                for p in problems[:MAX_SHOWN_PROBLEMS]
            ]
            if len(problems) > MAX_SHOWN_PROBLEMS:
                lines.append(f"  … and {len(problems) - MAX_SHOWN_PROBLEMS} more.")
            raise CommandError(
                f"{path} has {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
                "nothing was imported. Fix these lines and import again:\n" + "\n".join(lines)
            )
        try:
            batch = import_cards(
                practice=practice, numbers=numbers, actor=_actor(), label=options["label"][:200]
            )
        except ActionError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Imported {count_of(batch.size, 'card')} into {practice.name} ({practice.slug}). "
            f"Staff can now connect {'it' if batch.size == 1 else 'them'} to patients."
        )
