"""`rewardshub-bridge`: the commands a PMS menu item runs.

Exit codes: 0 ok, 1 the hub answered an error, 2 usage or config error,
3 the hub could not be reached. A set card the hub holds for staff to confirm
(202 needs_confirmation: the chart and the hub patient differ) is no error:
the bridge opens the hub's confirmation window, says so, and exits 0. Staff
read stderr in a PMS pop-up, so every failure is one plain sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from rewardshub_bridge.client import VIEWS, HubClient, HubError
from rewardshub_bridge.config import ConfigError, config_path, load_config
from rewardshub_bridge.demographics import (
    InfoFileError,
    normalize_birth_date,
    read_info_file,
)

__all__ = ["main", "build_parser", "SWIPE_PROMPT", "NO_BROWSER_ENV", "CONFIRMATION_NEEDED"]

EXIT_OK, EXIT_HUB_ERROR, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
NO_BROWSER_ENV = "REWARDSHUB_BRIDGE_NO_BROWSER"
SWIPE_PROMPT = "Swipe the rewards card or type its number, then press Enter:"
HUB_PREFIX = "Patient Rewards Hub: "
NEEDS_CONFIRMATION = "needs_confirmation"
CONFIRMATION_NEEDED = (
    "Confirmation needed: nothing is linked until a staff member clicks "
    "Link these records in the hub window."
)
_CHART_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# option -> demographics field of the contract
DEMOGRAPHIC_OPTIONS = {
    "--first": "first_name",
    "--last": "last_name",
    "--preferred": "preferred_name",
    "--birth-date": "birth_date",
    "--email": "email",
    "--phone-mobile": "phone_mobile",
    "--phone-home": "phone_home",
    "--responsible-party": "responsible_party",
    "--pms-status": "pms_status",
    "--office": "office",
}


class UsageError(Exception):
    """Bad arguments or input; exit code 2."""


Connect = Callable[[], tuple[HubClient, str]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or argparse's own usage error
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE

    def connect() -> tuple[HubClient, str]:
        config = load_config(config_path(args.config))
        return HubClient(config.url, config.api_key, config.timeout), config.system

    try:
        return int(args.run(args, connect))
    except (UsageError, ConfigError, InfoFileError) as err:
        print(f"rewardshub-bridge: {err}", file=sys.stderr)
        return EXIT_USAGE
    except HubError as err:
        print(HUB_PREFIX + err.message, file=sys.stderr)
        return EXIT_UNREACHABLE if err.code == "hub_unreachable" else EXIT_HUB_ERROR
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rewardshub-bridge",
        description="Connect a practice-management system to the Patient Rewards Hub.",
    )
    # Accepted before or after the command; SUPPRESS keeps a subcommand from
    # resetting a value given before it.
    parser.add_argument("--config", default=None, help=_CONFIG_HELP)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=_CONFIG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    set_card = commands.add_parser(
        "set-card",
        parents=[common],
        help="link a chart to the hub profile named by a card (Set Patient Rewards Hub Card #)",
        description="Send the chart, its demographics and a swiped or typed card number to "
        "the hub. Without --card, one line is read from standard input (a card reader types "
        "the swipe and Enter).",
    )
    _add_chart_id(set_card)
    set_card.add_argument("--card", help="raw swipe or typed card number (default: read stdin)")
    for option, field in DEMOGRAPHIC_OPTIONS.items():
        set_card.add_argument(option, dest=field, metavar=field.upper())
    set_card.add_argument(
        "--info-file", type=Path, help="file of field=value lines instead of the options above"
    )
    set_card.add_argument("--pms-user", help="PMS user name, recorded in the hub's audit log")
    set_card.add_argument("--idempotency-key", help="makes a retried call harmless")
    _add_no_browser(set_card)
    set_card.set_defaults(run=_set_card)

    launch = commands.add_parser(
        "launch",
        parents=[common],
        help="open the chart's hub profile in the browser (Launch Patient Rewards Hub)",
    )
    _add_chart_id(launch)
    launch.add_argument("--view", choices=VIEWS, default="profile")
    launch.add_argument("--pms-user", help="PMS user name, recorded in the hub's audit log")
    _add_no_browser(launch)
    launch.set_defaults(run=_launch)

    chart_url = commands.add_parser(
        "chart-url",
        parents=[common],
        help="print a one-time URL of the chart view, for embedding in the PMS",
    )
    _add_chart_id(chart_url)
    chart_url.add_argument("--pms-user", help="PMS user name, recorded in the hub's audit log")
    chart_url.set_defaults(run=_chart_url)

    status = commands.add_parser(
        "status", parents=[common], help="print the chart's sync status as JSON"
    )
    _add_chart_id(status)
    status.set_defaults(run=_status)
    return parser


_CONFIG_HELP = "config file (default: $REWARDSHUB_BRIDGE_CONFIG or ~/.config/rewardshub/bridge.ini)"


def _add_chart_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chart-id", required=True, type=_chart_id, help="the PMS chart id")


def _add_no_browser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help=f"only print the URL (also when {NO_BROWSER_ENV}=1)",
    )


def _chart_id(raw: str) -> str:
    if not _CHART_ID.fullmatch(raw):
        raise argparse.ArgumentTypeError("a chart id is 1 to 64 letters, digits, '-', '_' or '.'")
    return raw


# -- commands -------------------------------------------------------------------


def _set_card(args: argparse.Namespace, connect: Connect) -> int:
    # Check everything local before asking anyone to swipe a card.
    demographics = _demographics(args)
    client, system = connect()
    card = args.card if args.card is not None else _read_swipe(sys.stdin, sys.stderr)
    if not card.strip():
        raise UsageError("The card number is empty: swipe the card or type its number.")
    result = client.set_card(
        system,
        args.chart_id,
        card,
        demographics,
        pms_user=args.pms_user,
        idempotency_key=args.idempotency_key,
    )
    print(f"{result.get('outcome', 'ok')} {result.get('username', '')}".rstrip())
    _show(str(result["browser_url"]), args.no_browser)
    _say_if_waiting(result)
    return EXIT_OK


def _say_if_waiting(result: Mapping[str, object]) -> None:
    if result.get("outcome") == NEEDS_CONFIRMATION:
        print(f"{CONFIRMATION_NEEDED} {result.get('message', '')}".rstrip(), flush=True)


def _launch(args: argparse.Namespace, connect: Connect) -> int:
    client, system = connect()
    result = client.launch(system, args.chart_id, view=args.view, pms_user=args.pms_user)
    _show(str(result["url"]), args.no_browser)
    _say_if_waiting(result)
    return EXIT_OK


def _chart_url(args: argparse.Namespace, connect: Connect) -> int:
    client, system = connect()
    result = client.launch(system, args.chart_id, view="chart", pms_user=args.pms_user)
    print(result["url"])
    return EXIT_OK


def _status(args: argparse.Namespace, connect: Connect) -> int:
    client, system = connect()
    print(json.dumps(client.status(system, args.chart_id), indent=2, sort_keys=True))
    return EXIT_OK


# -- helpers --------------------------------------------------------------------


def _demographics(args: argparse.Namespace) -> dict[str, str]:
    given = {
        field: value
        for field in DEMOGRAPHIC_OPTIONS.values()
        if (value := getattr(args, field)) is not None
    }
    if args.info_file is not None:
        if given:
            raise UsageError("Give the demographics as options or with --info-file, not both.")
        return read_info_file(args.info_file)
    # An empty option is how a PMS template passes an unknown value.
    fields = {field: value.strip() for field, value in given.items() if value.strip()}
    if "birth_date" in fields:
        fields["birth_date"] = normalize_birth_date(fields["birth_date"])
    return fields


def _read_swipe(stdin: TextIO | None, stderr: TextIO) -> str:
    if stdin is None:  # started without a console (e.g. pythonw from a PMS menu)
        raise UsageError("No card number: pass --card, or run where a card can be swiped.")
    if stdin.isatty():
        print(SWIPE_PROMPT, end=" ", file=stderr, flush=True)
    line = stdin.readline()
    # The reader's Enter ends the swipe; it is not part of the card input.
    return line.rstrip("\r\n")


def _show(url: str, no_browser: bool, environ: Mapping[str, str] | None = None) -> None:
    print(url, flush=True)
    env = os.environ if environ is None else environ
    if no_browser or env.get(NO_BROWSER_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return
    try:
        opened = webbrowser.open(url, new=2)
    except webbrowser.Error:
        opened = False
    if not opened:
        print("rewardshub-bridge: could not open a browser; open the URL above.", file=sys.stderr)
