"""`rewardshub automations run`: pay the automatic points that come with time.

The one entry point, whether cron, a worker or a systemd timer calls it (hourly
is plenty). For every practice it pays:
- birthday points: members whose birthday, in the practice's time zone, is
  within three days either side of today, once a year (once.pay_birthdays);
- treatment milestones the set card or update did not pay at once: charts
  the nightly batch moved to the practice's milestone status whose patient
  has a card (milestones.pay_milestones).

Running it again pays nothing twice (each payment has its AutoAward row);
after days without a run it catches up, birthdays within their week. It
prints one line of counts per practice, never a patient. A failure in one
practice is reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.automations.milestones import pay_milestones
from rewardshub.automations.once import pay_birthdays
from rewardshub.practices.models import Practice


@dataclass(frozen=True)
class Paid:
    birthdays: int
    milestones: int


def run_practice(practice: Practice) -> Paid:
    """What the time-based rules pay in one practice now."""
    return Paid(birthdays=pay_birthdays(practice), milestones=pay_milestones(practice))


def _where(exc: BaseException) -> str:
    """Where the error was raised (file, line, function): no values, so no patient data."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class Command(BaseCommand):
    help = "Automatic points that come with time: birthdays and treatment milestones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        run = sub.add_parser(
            "run",
            help="Pay every practice's birthday and treatment-milestone points that are due "
            "(idempotent; run it hourly).",
        )
        run.add_argument("--practice", metavar="SLUG", help="Run only this practice.")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = Practice.objects.order_by("slug")
        slug = options.get("practice")
        if slug:
            practices = practices.filter(slug=slug)
            if not practices.exists():
                raise CommandError(
                    f"No practice has the slug {slug!r}. Leave out --practice to run them all."
                )
        failed = []
        for practice in practices:
            try:
                paid = run_practice(practice)
            except Exception as exc:  # noqa: BLE001  (one practice's error must not stop the others)
                failed.append(practice.slug)
                self.stderr.write(
                    f"practice {practice.slug}: failed ({type(exc).__name__}{_where(exc)}); "
                    "what it paid before the error stays paid, the rest waits for the next run."
                )
                continue
            self.stdout.write(
                f"practice {practice.slug}: {paid.birthdays} birthday(s), "
                f"{paid.milestones} treatment milestone(s) paid"
            )
        if failed:
            raise CommandError(
                f"Automatic points failed in {len(failed)} practice(s): {', '.join(failed)}; "
                "see above. The other practices were paid.",
                returncode=1,
            )
