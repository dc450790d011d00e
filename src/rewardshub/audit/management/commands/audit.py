"""`rewardshub audit verify|anchor|seal|keygen`: check, anchor and sign the audit trail.

- `verify [--practice SLUG] [--anchor FILE]`: check every chain and MAC; writes nothing.
- `anchor`: print each chain's head as JSON lines, to keep outside the hub.
- `seal`: link events still pending (the server does it by itself; this is for
  events left pending by a process that stopped before its sealing).
- `keygen [--file PATH]`: make an audit key; with --file, put it first in that
  key file (created 0600 if missing), keeping the older keys for verifying.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.audit.chain import seal_all
from rewardshub.audit.keyring import KeyRingError, new_entry
from rewardshub.audit.keys import ring
from rewardshub.audit.verify import AnchorError, ChainReport, heads, parse_anchors, verify_all
from rewardshub.practices.models import Practice

SHOWN = 20  # problems printed a chain; the rest counted


def _name(practice_id: int | None, slugs: dict[int, str]) -> str:
    if practice_id is None:
        return "events with no practice"
    return f"practice {slugs.get(practice_id, practice_id)}"


class Command(BaseCommand):
    help = "Audit trail tools: verify, anchor, seal, keygen."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify",
            help="Check every practice's audit chain and every event's signature; writes nothing.",
        )
        verify.add_argument("--practice", metavar="SLUG", help="Check only this practice.")
        verify.add_argument(
            "--anchor",
            metavar="FILE",
            help="Also prove the chains still reach the heads `audit anchor` printed into FILE.",
        )
        sub.add_parser("anchor", help="Print each chain's head (JSON lines) to keep elsewhere.")
        sub.add_parser("seal", help="Link events still pending into their chains.")
        keygen = sub.add_parser("keygen", help="Make a new audit key (KEYID:BASE64SECRET).")
        keygen.add_argument(
            "--file",
            metavar="PATH",
            help="Put the new key first in this key file (0600), keeping the older keys.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "anchor":
            return self._anchor()
        if command == "seal":
            self.stdout.write(f"Sealed {seal_all()} pending audit events.")
            return None
        if command == "keygen":
            return self._keygen(options.get("file"))
        return self._verify(options.get("practice"), options.get("anchor"))

    def _anchor(self) -> None:
        slugs = dict(Practice.objects.values_list("id", "slug"))
        taken = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for practice_id, seq, digest in heads():
            line = {
                "practice_id": practice_id,
                "practice": slugs.get(practice_id) if practice_id is not None else None,
                "seq": seq,
                "hash": digest,
                "taken_at": taken,
            }
            self.stdout.write(json.dumps(line))

    def _keygen(self, file: str | None) -> None:
        entry = new_entry()
        if not file:
            self.stdout.write(entry)
            return
        path = Path(file).expanduser()
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        draft = path.with_name(f".{path.name}.new")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"{entry}\n{old}")
        os.replace(draft, path)
        key_id = entry.split(":", 1)[0]
        self.stdout.write(
            f"Wrote the new audit key {key_id!r} first in {path}: new events are signed with it, "
            "the keys below it still verify older events."
        )

    def _verify(self, slug: str | None, anchor_file: str | None) -> None:
        slugs = dict(Practice.objects.values_list("id", "slug"))
        practice_ids: list[int | None] | None = None
        if slug:
            practice = Practice.objects.filter(slug=slug).first()
            if practice is None:
                raise CommandError(f"No practice has the slug {slug!r}.")
            practice_ids = [practice.pk]
        anchors = None
        if anchor_file:
            try:
                text = Path(anchor_file).read_text(encoding="utf-8")
                anchors = parse_anchors(text, anchor_file)
            except OSError as exc:
                raise CommandError(
                    f"Cannot read the anchor file {anchor_file}: {exc.strerror}."
                ) from None
            except AnchorError as exc:
                raise CommandError(str(exc)) from None
        try:
            keys = ring(create=False)
        except KeyRingError as exc:
            raise CommandError(f"Cannot check the audit signatures. {exc}") from None
        reports = list(verify_all(keys, practice_ids, anchors))
        self._report(reports, slugs, anchored=anchors is not None)

    def _report(self, reports: list[ChainReport], slugs: dict[int, str], anchored: bool) -> None:
        events = chains = 0
        failed = [r for r in reports if not r.ok]
        notes = []
        for report in reports:
            events += report.events
            chains += report.practice_id is not None
            name = _name(report.practice_id, slugs)
            for b in report.problems[:SHOWN]:
                when = f", written {b.created_at:%Y-%m-%d %H:%M:%S} UTC" if b.created_at else ""
                where = f"seq {b.seq}" if b.seq is not None else f"unsealed event id {b.event_id}"
                self.stderr.write(f"BROKEN {name}: at {where}{when}: {b.problem}")
            if len(report.problems) > SHOWN:
                self.stderr.write(f"BROKEN {name}: {len(report.problems) - SHOWN} more problems")
            for key_id, count in sorted(report.unverifiable.items()):
                self.stderr.write(
                    f"UNVERIFIABLE {name}: {count} events signed with the audit key {key_id!r} "
                    "cannot be checked: that key is not in the key ring. Put its line back in "
                    "REWARDSHUB_AUDIT_KEY_FILE (below the newest key) to check them."
                )
            if report.unsigned:
                notes.append(
                    f"{name}: {report.unsigned} events before seq {report.first_signed} have no "
                    "signature (written before the audit trail was signed)"
                )
            if report.unsealed:
                ids = ", ".join(map(str, report.unsealed[:SHOWN]))
                more = "..." if len(report.unsealed) > SHOWN else ""
                notes.append(
                    f"{name}: {len(report.unsealed)} events not yet sealed into the chain "
                    f"(ids {ids}{more}); their signatures were checked"
                )
        if failed:
            raise CommandError(
                f"Audit trail failed verification in {len(failed)} chain(s); see above. "
                "Find out who changed the database; a backup from before holds the originals.",
                returncode=1,
            )
        self.stdout.write(
            f"Audit chain intact: {events} events in {chains} "
            f"{'practice' if chains == 1 else 'practices'}"
        )
        if anchored:
            reached = sum(r.anchor is not None for r in reports)
            self.stdout.write(f"Anchors: {reached} chain(s) reach their anchored heads unchanged")
        for note in notes:
            self.stdout.write(note)
