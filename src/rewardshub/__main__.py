"""`rewardshub` / `python -m rewardshub`: the project's management commands with its settings.

`rewardshub serve` runs gunicorn; every other word is a Django management
command (`migrate`, `demo`, `cards`, `createsuperuser`, ...).
"""

from __future__ import annotations

import os
import sys


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
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rewardshub", *args])


if __name__ == "__main__":
    main()
