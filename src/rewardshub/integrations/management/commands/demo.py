"""`rewardshub demo`: load the demo practices (idempotent) and write var/demo.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rewardshub.demo import load_demo


def _read_previous(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable: the card passwords just start empty
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


class Command(BaseCommand):
    help = "Load the demo practices, staff, patients and cards (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        port = os.environ.get("HUB_PORT", "8000")
        parser.add_argument(
            "--hub-url", default=f"http://127.0.0.1:{port}", help="The hub's address."
        )
        parser.add_argument(
            "--pms-sim-url", default="", help="The Orthotrac simulator's address, if running."
        )
        parser.add_argument(
            "--out",
            default=str(Path(settings.VAR_DIR) / "demo.json"),
            help="Where to write the demo logins and cards (JSON).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"]).expanduser()
        if out.is_dir():
            raise CommandError(
                f"--out {out} is a directory. Give a file name, e.g. {out}/demo.json."
            )
        data = load_demo(
            options["hub_url"],
            pms_sim_url=options["pms_sim_url"] or None,
            previous=_read_previous(out),
        )
        try:
            _write(out, data)
        except OSError as exc:
            raise CommandError(f"Could not write {out} ({exc.strerror}).") from None
        self._print(data, out)

    def _print(self, data: dict[str, Any], out: Path) -> None:
        lines = [f"RewardsHub demo: {data['hub_url']}"]
        for practice in data["practices"]:
            lines.append(f"  {practice['name']} ({practice['slug']})")
            for staff in practice["staff"]:
                lines.append(
                    f"    sign in as {staff['username']} / {staff['password']} ({staff['role']})"
                )
            spare = practice["cards_available"][:3]
            if spare:
                lines.append(f"    unused cards, e.g. {', '.join(spare)}")
        if data.get("pms_sim_url"):
            lines.append(
                f"  Orthotrac simulator: {data['pms_sim_url']} (patients: see charts in the file)"
            )
        lines.append(f"Demo logins, cards and integration keys written to {out}")
        self.stdout.write("\n".join(lines))
