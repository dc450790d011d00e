"""`rewardshub` / `python -m rewardshub`: the project's management commands with its settings.

`rewardshub serve` runs gunicorn; every other word is a Django management
command (`migrate`, `demo`, `cards`, `createsuperuser`, ...). `rewardshub --help`
lists the hub's own commands first (the README's table); Django's commands that
empty or overwrite the database, or only serve a developer's checkout
(`flush`, `sqlflush`, `runserver`, ...), are refused rather than offered.
"""

from __future__ import annotations

import os
import sys
import textwrap

# The hub's own commands, in the README's order, with a line each.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("serve", "run the hub with gunicorn, as in production (--port N --workers N)"),
    ("migrate", "create or upgrade the database"),
    ("demo", "load the demo practice, staff, patients and cards (idempotent)"),
    ("cards", "issue a batch of cards for the printer, or import a previous program's cards"),
    ("backup", "back up the database while the hub runs (FILE [--force])"),
    ("restore", "replace the database with a backup; stop the hub first (FILE [--force])"),
    ("files", "copy uploads an older version kept on local disk into the database (import-disk)"),
    ("housekeeping", "delete expired launch links, old answers, sessions and task results"),
    ("automations", "pay the points that come with time: birthdays, treatment milestones (run)"),
    ("audit", "verify, anchor or seal the tamper-evident audit chains; make an audit key"),
    ("worker", "run background jobs (mail to patients) until stopped, or --once"),
)

# Django commands an operator is never offered: they empty or overwrite the
# database, print SQL that would, or belong to a developer's checkout.
REFUSED: dict[str, str] = {
    "flush": "it deletes every row of the database",
    "sqlflush": "it prints the SQL that deletes every row of the database",
    "sqlsequencereset": "it prints SQL that resets the database's sequences",
    "loaddata": "it writes fixture rows over the database, bypassing the audit trail",
    "dumpdata": "it prints every patient's data outside the audit trail; use `rewardshub backup`",
    "testserver": "it serves a throwaway database loaded from fixtures",
    "runserver": "it is a development server; use `rewardshub serve`",
    "squashmigrations": "it rewrites the hub's migrations",
    "optimizemigration": "it rewrites the hub's migrations",
    "startapp": "it creates a Django app inside a checkout",
    "startproject": "it creates a Django project inside a checkout",
}

HELP_WORDS = ("help", "--help", "-h")


def usage() -> str:
    """The text `rewardshub --help` prints: the hub's commands, then the administrators' extras."""
    from django.core.management import get_commands

    width = max(len(name) for name, _ in COMMANDS)
    lines = ["Usage: rewardshub COMMAND [options]", "", "RewardsHub commands:"]
    lines += [f"  {name.ljust(width)}  {line}" for name, line in COMMANDS]
    ours = {name for name, _ in COMMANDS}
    extras = sorted(name for name in get_commands() if name not in ours and name not in REFUSED)
    lines += [
        "",
        "Django administration commands (for example createsuperuser, changepassword, check):",
        *textwrap.wrap(", ".join(extras), width=78, initial_indent="  ", subsequent_indent="  "),
        "",
        "`rewardshub COMMAND --help` explains one command's options.",
    ]
    return "\n".join(lines) + "\n"


def refusal(command: str) -> str:
    return (
        f"rewardshub: `{command}` is not one of the hub's commands ({REFUSED[command]}).\n"
        "`rewardshub --help` lists the commands an operator can use.\n"
    )


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    # Before anything is opened: every file the hub creates is its owner's alone.
    from rewardshub.files import restrict_umask

    restrict_umask()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rewardshub.settings")
    if args[:1] == ["serve"]:
        from rewardshub.serve import serve

        serve(args[1:])
        return
    # `rewardshub help flush` is refused like `rewardshub flush`.
    named = args[1:2] if args[:1] == ["help"] else args[:1]
    if named and named[0] in REFUSED:
        sys.stderr.write(refusal(named[0]))
        raise SystemExit(2)
    if not args or (args[0] in HELP_WORDS and len(args) == 1):
        import django

        django.setup()
        sys.stdout.write(usage())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rewardshub", *args])


if __name__ == "__main__":
    main()
