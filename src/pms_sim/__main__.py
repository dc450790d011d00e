"""`python -m pms_sim serve [--port N]` and `python -m pms_sim seed`.

Settings come from PMS_SIM_PORT, PMS_SIM_DB, PMS_SIM_HUB_URL and PMS_SIM_API_KEY.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pms_sim import seed, server
from pms_sim.app import app_from_settings
from pms_sim.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pms_sim", description="Orthotrac-like PMS simulator."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the simulator on 127.0.0.1")
    serve.add_argument("--port", type=int, help="port (default: $PMS_SIM_PORT or 8001)")
    commands.add_parser("seed", help="create the charts table and the demo charts if missing")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ValueError as err:
        parser.error(str(err))
    if args.command == "seed":
        added = seed.seed(settings.db_path)
        print(f"{settings.db_path}: {added} demo chart(s) added.")
        return 0
    if not settings.api_key:
        print(
            "pms_sim: PMS_SIM_API_KEY is not set; the hub will refuse the sim's calls.",
            file=sys.stderr,
        )
    server.serve(args.port or settings.port, app_from_settings(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
