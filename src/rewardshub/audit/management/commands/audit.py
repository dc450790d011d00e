"""`rewardshub audit verify [--practice SLUG]`: check the tamper-evident audit chains."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.audit.chain import ChainReport, verify_all
from rewardshub.practices.models import Practice


def _name(report: ChainReport, slugs: dict[int, str]) -> str:
    if report.practice_id is None:
        return "events with no practice"
    return f"practice {slugs.get(report.practice_id, report.practice_id)}"


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks every practice's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify",
            help="Recompute each practice's audit chain and report the first broken link.",
        )
        verify.add_argument("--practice", metavar="SLUG", help="Check only this practice.")

    def handle(self, *args: Any, **options: Any) -> None:
        slugs = dict(Practice.objects.values_list("id", "slug"))
        practice_ids: list[int | None] | None = None
        if options.get("practice"):
            practice = Practice.objects.filter(slug=options["practice"]).first()
            if practice is None:
                raise CommandError(f"No practice has the slug {options['practice']!r}.")
            practice_ids = [practice.pk]
        events = chains = broken = 0
        for report in verify_all(practice_ids):
            events += report.events
            chains += report.practice_id is not None
            if report.broken is None:
                continue
            broken += 1
            b = report.broken
            when = f", written {b.created_at:%Y-%m-%d %H:%M:%S} UTC" if b.created_at else ""
            self.stderr.write(f"BROKEN {_name(report, slugs)}: at seq {b.seq}{when}: {b.problem}")
        if broken:
            raise CommandError(
                f"Audit chain broken in {broken} chain(s); see above. "
                "Find out who changed the database; a backup from before holds the originals.",
                returncode=1,
            )
        self.stdout.write(
            f"Audit chain intact: {events} events in {chains} "
            f"{'practice' if chains == 1 else 'practices'}"
        )
