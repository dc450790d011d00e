"""`rewardshub-bridge` run as Orthotrac runs it: a subprocess, against the live hub.

What it prints, what it opens, its exit codes, and what the hub's database holds
afterwards. Argument and file checks that need no hub are in test_bridge_cli_usage.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rewardshub.cards.actions import replace_card
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.integrations.actions import revoke_key
from rewardshub.integrations.models import LaunchToken, PmsLink, SyncEvent
from rewardshub.integrations.systems import not_synced_message
from rewardshub.patients.models import Profile
from rewardshub_bridge.cli import CONFIRMATION_NEEDED, SWIPE_PROMPT
from rewardshub_bridge.client import HubClient

from .conftest import SYSTEM, Hub, WriteConfig, hub_state, last_failure

# The console script Orthotrac's menu items run, installed next to this Python.
BRIDGE = str(Path(sys.executable).with_name("rewardshub-bridge"))
CHART = "OT-10001"
LIAM = {"first_name": "Liam", "last_name": "Carter"}


def swipe(number: str) -> str:
    """What a card reader types: track 2 and Enter."""
    return f";{number}=9912?\n"


def bridge(
    config: Path | None, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [BRIDGE, *(["--config", str(config)] if config else []), *args]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def hub_said(message: str) -> str:
    return f"Patient Rewards Hub: {message}\n"


@pytest.fixture
def info_file(tmp_path: Path) -> Path:
    path = tmp_path / "patient.txt"
    # As a Windows PMS writes it: ANSI code page, CRLF, blanks for unknowns, US dates.
    path.write_bytes(
        "# written by Orthotrac\r\nfirst_name = Zoë\r\nlast_name=Carter\r\nemail=\r\n"
        "birth_date=3/14/2011\r\nphone_mobile=770-555-0101\r\nOffice=ACW\r\n".encode("cp1252")
    )
    return path


@pytest.fixture
def browser_log(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A BROWSER command (as webbrowser honours it) that records the URLs it is given."""
    log = tmp_path / "opened.txt"
    script = tmp_path / "record-browser"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n', encoding="utf-8")
    script.chmod(0o755)
    return {"BROWSER": str(script), "REWARDSHUB_BRIDGE_NO_BROWSER": ""}, log


def _opened(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def _link(client: HubClient, chart_id: str, number: str) -> dict[str, object]:
    return client.set_card("orthotrac", chart_id, number, LIAM)


# -- set-card ---------------------------------------------------------------------


def test_set_card_reads_a_swipe_and_an_info_file_and_creates_the_profile(
    hub: Hub, config_file: Path, cards: list[str], info_file: Path
) -> None:
    done = bridge(
        config_file,
        "set-card", "--chart-id", CHART, "--info-file", str(info_file), "--pms-user", "FRONTDESK",
        stdin=swipe(cards[0]),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    outcome, url = done.stdout.splitlines()
    assert outcome == f"created {cards[0]}"
    assert url.startswith(f"{hub.url}/launch/")
    # A pipe is not a terminal: no prompt, nothing on stderr.
    assert done.stderr == ""
    profile = Profile.objects.get(username=cards[0])
    assert (profile.practice, profile.first_name, profile.last_name) == (
        hub.practice,
        "Zoë",
        "Carter",
    )
    assert (str(profile.birth_date), profile.phone_mobile, profile.email) == (
        "2011-03-14",
        "770-555-0101",
        "",
    )
    assert PmsLink.objects.get(chart_id=CHART).profile == profile
    token = LaunchToken.objects.get()
    assert (token.chart_id, token.view, token.used_at) == (CHART, "synced", None)
    assert SyncEvent.objects.get(action="set_card").pms_user == "FRONTDESK"


def test_set_card_sends_every_demographics_option(config_file: Path, cards: list[str]) -> None:
    done = bridge(
        config_file,
        "set-card", "--chart-id", CHART, "--card", cards[0],
        "--first", "Liam", "--last", "Carter", "--preferred", "Li",
        "--birth-date", "03/14/2011", "--email", "carter@example.com",
        "--phone-mobile", "770-555-0101", "--phone-home", "770-555-0111",
        "--responsible-party", "Megan Carter", "--pms-status", "Active Tx", "--office", "ACW",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    profile = PmsLink.objects.get(chart_id=CHART).profile
    assert (
        profile.username, profile.first_name, profile.last_name, profile.preferred_name,
        str(profile.birth_date), profile.email, profile.phone_mobile, profile.phone_home,
        profile.responsible_party,
    ) == (
        cards[0], "Liam", "Carter", "Li",
        "2011-03-14", "carter@example.com", "770-555-0101", "770-555-0111",
        "Megan Carter",
    )  # fmt: skip


EMMA_OPTIONS = ["--first", "Emma", "--last", "Johnson", "--birth-date", "05/09/2010"]


def test_set_card_links_an_existing_profile_by_its_pasted_username(
    hub: Hub, config_file: Path, make_profile: Callable[..., Profile]
) -> None:
    emma = make_profile(hub.practice, "Emma", "Johnson", birth_date=dt.date(2010, 5, 9))

    done = bridge(config_file, "set-card", "--chart-id", "OT-10004", *EMMA_OPTIONS,
                  stdin=emma.username + "\n")  # fmt: skip

    assert (done.returncode, done.stdout.splitlines()[0]) == (0, f"linked {emma.username}")
    assert PmsLink.objects.get(chart_id="OT-10004").profile == emma


def test_set_card_of_another_patient_opens_the_confirmation_window_and_exits_0(
    hub: Hub,
    config_file: Path,
    make_profile: Callable[..., Profile],
    browser_log: tuple[dict[str, str], Path],
) -> None:
    # The chart's birth date is not the hub patient's: the hub links nothing yet.
    emma = make_profile(hub.practice, "Emma", "Johnson", birth_date=dt.date(2010, 9, 5))
    env, log = browser_log

    done = bridge(config_file, "set-card", "--chart-id", "OT-10004", *EMMA_OPTIONS,
                  stdin=emma.username + "\n", env=env)  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"needs_confirmation {emma.username}"
    assert lines[1].startswith(f"{hub.url}/launch/")
    assert lines[2].startswith(CONFIRMATION_NEEDED + " This chart is not synced yet: its birth")
    assert _opened(log) == [lines[1]]
    assert LaunchToken.objects.latest("id").view == "confirm"
    assert not PmsLink.objects.filter(chart_id="OT-10004").exists()

    # Launch meanwhile opens that window again, and says why.
    launched = bridge(config_file, "launch", "--chart-id", "OT-10004", env=env)

    assert launched.returncode == 0, launched.stderr
    url, said = launched.stdout.splitlines()
    assert said.startswith(CONFIRMATION_NEEDED)
    assert _opened(log) == [lines[1], url]
    assert LaunchToken.objects.latest("id").view == "confirm"


def test_set_card_prompts_for_the_swipe_on_a_terminal(config_file: Path, cards: list[str]) -> None:
    # A real terminal on stdin, as when staff run the bridge from a console.
    controller, terminal = pty.openpty()
    try:
        os.write(controller, swipe(cards[0]).encode())
        done = subprocess.run(
            [BRIDGE, "--config", str(config_file), "set-card", "--chart-id", CHART, *_liam()],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)

    assert done.returncode == 0, done.stderr
    assert done.stderr == SWIPE_PROMPT + " "
    assert PmsLink.objects.get(chart_id=CHART).profile.username == cards[0]


def _liam() -> list[str]:
    return ["--first", LIAM["first_name"], "--last", LIAM["last_name"]]


@pytest.mark.parametrize("typed", ["", "\n", "   \n"])
def test_set_card_refuses_an_empty_swipe_without_asking_the_hub(
    config_file: Path, typed: str
) -> None:
    done = bridge(config_file, "set-card", "--chart-id", CHART, *_liam(), stdin=typed)

    assert done.returncode == 2
    assert done.stderr == (
        "rewardshub-bridge: The card number is empty: swipe the card or type its number.\n"
    )
    assert not SyncEvent.objects.exists()


def test_set_card_opens_the_browser_on_the_synced_notice(
    config_file: Path, cards: list[str], browser_log: tuple[dict[str, str], Path]
) -> None:
    env, log = browser_log

    done = bridge(config_file, "set-card", "--chart-id", CHART, *_liam(), stdin=swipe(cards[0]),
                  env=env)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert _opened(log) == [done.stdout.splitlines()[1]]


@pytest.mark.parametrize(
    ("extra", "no_browser_env"),
    [(["--no-browser"], ""), ([], "1")],
    ids=["--no-browser", "REWARDSHUB_BRIDGE_NO_BROWSER=1"],
)
def test_set_card_opens_no_browser_when_told_not_to(
    config_file: Path,
    cards: list[str],
    browser_log: tuple[dict[str, str], Path],
    extra: list[str],
    no_browser_env: str,
) -> None:
    env, log = browser_log
    env = {**env, "REWARDSHUB_BRIDGE_NO_BROWSER": no_browser_env}

    done = bridge(config_file, "set-card", "--chart-id", CHART, *_liam(), *extra,
                  stdin=swipe(cards[0]), env=env)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "/launch/" in done.stdout
    assert _opened(log) == []


# -- set-card errors: the hub's message, exit 1, nothing changed -------------------------


def test_set_card_of_a_retired_card_exits_1_with_the_hubs_message(
    hub: Hub, config_file: Path, cards: list[str], make_profile: Callable[..., Profile]
) -> None:
    liam = make_profile(hub.practice, "Liam", "Brown", card=cards[0])
    replace_card(practice=hub.practice, profile=liam, raw=cards[1], actor=SYSTEM)
    replace_card(practice=hub.practice, profile=liam, raw=cards[2], actor=SYSTEM)
    before = hub_state()

    done = bridge(config_file, "set-card", "--chart-id", CHART, *_liam(), stdin=swipe(cards[1]))

    failure = last_failure()
    assert failure.error == "card_retired"
    assert failure.message.startswith("This card was replaced on ")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", hub_said(failure.message))
    assert hub_state() == before


def test_set_card_of_a_card_in_use_exits_1_with_the_hubs_message(
    hub: Hub,
    client: HubClient,
    config_file: Path,
    cards: list[str],
    make_profile: Callable[..., Profile],
) -> None:
    _link(client, CHART, cards[0])
    other = make_profile(hub.practice, "Ava", "Martinez", card=cards[1])
    replace_card(practice=hub.practice, profile=other, raw=cards[2], actor=SYSTEM)
    before = hub_state()

    done = bridge(config_file, "set-card", "--chart-id", CHART, stdin=swipe(cards[2]))

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == hub_said(
        "This card is already connected to Ava Martinez. "
        "Use another card, or open that patient's profile."
    )
    assert hub_state() == before


def test_set_card_of_an_unknown_card_exits_1_with_the_hubs_message(
    config_file: Path, cards: list[str], browser_log: tuple[dict[str, str], Path]
) -> None:
    env, log = browser_log
    body = "627799999999999"
    before = hub_state()

    done = bridge(config_file, "set-card", "--chart-id", CHART, *_liam(),
                  "--card", body + luhn_check_digit(body), env=env)  # fmt: skip

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == hub_said(
        "No card with that number belongs to this practice. Check the number, "
        "or use a card from one of this practice's card batches."
    )
    assert hub_state() == before
    assert last_failure().error == "card_unknown"
    assert _opened(log) == []


# -- launch, chart-url, status ----------------------------------------------------------


def test_launch_prints_a_one_time_url_of_the_profile(
    client: HubClient, config_file: Path, cards: list[str]
) -> None:
    _link(client, CHART, cards[0])

    done = bridge(config_file, "launch", "--chart-id", CHART, "--pms-user", "FRONTDESK")

    assert done.returncode == 0, done.stderr
    token = LaunchToken.objects.latest("id")
    assert (token.chart_id, token.view, token.pms_user, token.used_at) == (
        CHART,
        "profile",
        "FRONTDESK",
        None,
    )
    assert done.stdout == f"{client.base_url}/launch/{done.stdout.strip().rsplit('/', 1)[1]}\n"


def test_launch_opens_the_browser(
    client: HubClient,
    config_file: Path,
    cards: list[str],
    browser_log: tuple[dict[str, str], Path],
) -> None:
    _link(client, CHART, cards[0])
    env, log = browser_log

    done = bridge(config_file, "launch", "--chart-id", CHART, "--view", "chart", env=env)

    assert done.returncode == 0, done.stderr
    assert _opened(log) == [done.stdout.strip()]
    assert LaunchToken.objects.latest("id").view == "chart"


def test_launch_of_a_chart_never_synced_exits_1_with_the_hubs_message(
    config_file: Path, browser_log: tuple[dict[str, str], Path]
) -> None:
    env, log = browser_log

    done = bridge(config_file, "launch", "--chart-id", CHART, env=env)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == hub_said(not_synced_message("orthotrac"))
    assert not LaunchToken.objects.exists()
    assert last_failure().error == "not_synced"
    assert _opened(log) == []


def test_chart_url_prints_a_chart_view_url_and_opens_nothing(
    client: HubClient,
    config_file: Path,
    cards: list[str],
    browser_log: tuple[dict[str, str], Path],
) -> None:
    _link(client, CHART, cards[0])
    env, log = browser_log

    done = bridge(config_file, "chart-url", "--chart-id", CHART, env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{client.base_url}/launch/")
    token = LaunchToken.objects.latest("id")
    assert (token.chart_id, token.view) == (CHART, "chart")
    assert _opened(log) == []


def test_status_prints_the_hubs_json(
    client: HubClient, config_file: Path, cards: list[str]
) -> None:
    unlinked = bridge(config_file, "status", "--chart-id", CHART)
    created = _link(client, CHART, cards[0])

    linked = bridge(config_file, "status", "--chart-id", CHART)

    assert (unlinked.returncode, json.loads(unlinked.stdout)) == (0, {"linked": False})
    assert linked.returncode == 0, linked.stderr
    status = json.loads(linked.stdout)
    assert (status["linked"], status["username"], status["profile_id"]) == (
        True,
        cards[0],
        created["profile_id"],
    )


def test_it_finds_the_config_through_the_environment(config_file: Path) -> None:
    done = bridge(
        None, "status", "--chart-id", CHART, env={"REWARDSHUB_BRIDGE_CONFIG": str(config_file)}
    )

    assert (done.returncode, json.loads(done.stdout)) == (0, {"linked": False})


def test_it_takes_the_config_after_the_command_too(config_file: Path) -> None:
    done = bridge(None, "status", "--chart-id", CHART, "--config", str(config_file))

    assert (done.returncode, json.loads(done.stdout)) == (0, {"linked": False})


def test_it_runs_as_a_module(config_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rewardshub_bridge", "--config", str(config_file),
         "status", "--chart-id", CHART],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip

    assert (done.returncode, json.loads(done.stdout)) == (0, {"linked": False})


# -- keys, config and reachability -----------------------------------------------------


def test_a_bad_key_exits_1_with_the_hubs_message(
    hub: Hub, write_config: WriteConfig, cards: list[str]
) -> None:
    config = write_config(f"[hub]\nurl = {hub.url}\napi_key = rh_00000000_not-a-key\n")
    before = hub_state()

    done = bridge(config, "set-card", "--chart-id", CHART, *_liam(), stdin=swipe(cards[0]))

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == hub_said(
        "This integration key is not valid. Check the key in the bridge config, "
        "or create a new one in Settings > Integration keys."
    )
    assert hub_state() == before
    assert not SyncEvent.objects.exists()


def test_a_revoked_key_exits_1_with_the_hubs_message(hub: Hub, config_file: Path) -> None:
    revoke_key(practice=hub.practice, key=hub.key, actor=SYSTEM)

    done = bridge(config_file, "status", "--chart-id", CHART)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("Patient Rewards Hub: This integration key was revoked on ")
    assert done.stderr.endswith("update the PMS bridge.\n")


def test_an_unreachable_hub_exits_3(write_config: WriteConfig, dead_url: str) -> None:
    config = write_config(f"[hub]\nurl = {dead_url}\napi_key = rh_00000000_any\ntimeout = 2\n")

    done = bridge(config, "set-card", "--chart-id", CHART, *_liam(), "--card", "6277")

    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.startswith(
        f"Patient Rewards Hub: The hub at {dead_url} could not be reached"
    )
    assert done.stderr.count("\n") == 1


def test_a_missing_config_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.ini"

    done = bridge(missing, "set-card", "--chart-id", CHART, *_liam(), stdin=swipe("6277"))

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"rewardshub-bridge: Config file {missing} not found.")
