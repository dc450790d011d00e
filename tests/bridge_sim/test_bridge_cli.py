"""`rewardshub-bridge`: arguments, stdin swipes, output and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewardshub_bridge.cli import SWIPE_PROMPT, main

from .conftest import SRC, WriteConfig
from .fake_hub import API_KEY, EMMA_USERNAME, NOT_SYNCED, FakeHub

CARD = "6277123412341234"
SWIPE = f";{CARD}=2812?"


class FakeStdin(io.StringIO):
    def __init__(self, text: str, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def new_patient(*extra: str) -> list[str]:
    return ["set-card", "--chart-id", "OT-10001", "--first", "Liam", "--last", "Carter", *extra]


# -- set-card -------------------------------------------------------------------


def test_it_sets_a_card_prints_the_outcome_and_opens_the_browser(
    config_file: Path, hub: FakeHub, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(config_file, *new_patient("--card", SWIPE, "--pms-user", "FRONTDESK"))

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == f"created {CARD}"
    assert out[1].startswith(f"{hub.url}/launch/")
    assert opened == [out[1]]
    assert hub.requests[-1].body == {
        "first_name": "Liam",
        "last_name": "Carter",
        "card": SWIPE,
        "pms_user": "FRONTDESK",
    }


def test_it_sends_every_demographics_option(config_file: Path, hub: FakeHub) -> None:
    code = run(
        config_file,
        *new_patient(
            "--card", CARD,
            "--preferred", "Li",
            "--birth-date", "2011-03-14",
            "--email", "carter@example.com",
            "--phone-mobile", "770-555-0101",
            "--phone-home", "770-555-0111",
            "--responsible-party", "Megan Carter",
            "--pms-status", "Active Tx",
            "--office", "ACW",
            "--email", "",
        ),
    )  # fmt: skip

    assert code == 0
    assert hub.requests[-1].body == {
        "first_name": "Liam",
        "last_name": "Carter",
        "preferred_name": "Li",
        "birth_date": "2011-03-14",
        "phone_mobile": "770-555-0101",
        "phone_home": "770-555-0111",
        "responsible_party": "Megan Carter",
        "pms_status": "Active Tx",
        "office": "ACW",
        "card": CARD,
    }


def test_it_reads_the_swipe_from_stdin_without_prompting_a_pipe(
    config_file: Path,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(SWIPE + "\r\n"))

    code = run(config_file, *new_patient())

    assert code == 0
    assert hub.requests[-1].body["card"] == SWIPE
    assert capsys.readouterr().err == ""


def test_it_prompts_for_a_swipe_on_a_terminal(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(SWIPE + "\n", tty=True))

    assert run(config_file, *new_patient()) == 0

    assert capsys.readouterr().err == SWIPE_PROMPT + " "


@pytest.mark.parametrize("typed", ["", "\n", "   \n"])
def test_it_refuses_an_empty_swipe(
    config_file: Path,
    hub: FakeHub,
    typed: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(typed))

    assert run(config_file, *new_patient()) == 2

    assert "The card number is empty" in capsys.readouterr().err
    assert hub.requests == []


def test_it_does_not_open_the_browser_with_no_browser(
    config_file: Path, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_file, *new_patient("--card", CARD, "--no-browser")) == 0

    assert opened == []
    assert "/launch/" in capsys.readouterr().out


def test_it_does_not_open_the_browser_when_the_environment_says_so(
    config_file: Path, opened: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDSHUB_BRIDGE_NO_BROWSER", "1")

    assert run(config_file, *new_patient("--card", CARD)) == 0

    assert opened == []


def test_it_reads_demographics_from_an_info_file(
    config_file: Path, hub: FakeHub, tmp_path: Path
) -> None:
    info = tmp_path / "patient.txt"
    # As a Windows PMS writes it: ANSI code page, CRLF, blanks for unknowns, US dates.
    info.write_bytes(
        "# written by Orthotrac\r\nfirst_name = Zoë\r\nlast_name=Carter\r\nemail=\r\n"
        "birth_date=3/14/2011\r\nOffice=ACW\r\n".encode("cp1252")
    )

    code = run(
        config_file, "set-card", "--chart-id", "OT-1", "--card", CARD, "--info-file", str(info)
    )

    assert code == 0
    assert hub.requests[-1].body == {
        "first_name": "Zoë",
        "last_name": "Carter",
        "birth_date": "2011-03-14",
        "office": "ACW",
        "card": CARD,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firstname=Liam\n", "line 1: unknown field 'firstname'"),
        ("first_name Liam\n", "line 1: expected field=value"),
        ("office=ACW\noffice=MAR\n", "line 2: field 'office' is given twice"),
        ("birth_date=14.03.2011\n", "Birth date '14.03.2011' is not a date"),
    ],
)
def test_it_refuses_a_bad_info_file(
    config_file: Path,
    hub: FakeHub,
    tmp_path: Path,
    content: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = tmp_path / "patient.txt"
    info.write_text(content, encoding="utf-8")

    code = run(
        config_file, "set-card", "--chart-id", "OT-1", "--card", CARD, "--info-file", str(info)
    )

    assert code == 2
    assert message in capsys.readouterr().err
    assert hub.requests == []


def test_it_refuses_a_missing_info_file(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(config_file, "set-card", "--chart-id", "OT-1", "--card", CARD,
               "--info-file", str(tmp_path / "none.txt"))  # fmt: skip

    assert code == 2
    assert "could not be read" in capsys.readouterr().err


def test_it_refuses_options_and_info_file_together(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = tmp_path / "patient.txt"
    info.write_text("first_name=Liam\n", encoding="utf-8")

    code = run(config_file, *new_patient("--card", CARD, "--info-file", str(info)))

    assert code == 2
    assert "as options or with --info-file, not both" in capsys.readouterr().err


def test_it_refuses_a_bad_birth_date_option(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_file, *new_patient("--card", CARD, "--birth-date", "2011-02-30")) == 2

    assert "is not a date" in capsys.readouterr().err


# -- errors and exit codes ----------------------------------------------------------


def test_it_prints_the_hubs_message_and_exits_1_on_a_conflict(
    config_file: Path, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_file, *new_patient("--card", CARD)) == 0
    capsys.readouterr()

    code = run(config_file, "set-card", "--chart-id", "OT-2", "--card", CARD)

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == "Patient Rewards Hub: That profile is linked to another chart.\n"
    assert captured.out == ""
    assert len(opened) == 1


def test_it_prints_not_synced_and_exits_1_on_launch(
    config_file: Path, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_file, "launch", "--chart-id", "OT-9") == 1

    assert capsys.readouterr().err == f"Patient Rewards Hub: {NOT_SYNCED}\n"
    assert opened == []


def test_it_exits_3_when_the_hub_is_unreachable(
    write_config: WriteConfig, dead_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(f"[hub]\nurl = {dead_url}\napi_key = {API_KEY}\ntimeout = 2\n")

    assert run(config, "status", "--chart-id", "OT-1") == 3

    err = capsys.readouterr().err
    assert err.startswith(f"Patient Rewards Hub: The hub at {dead_url} could not be reached")


def test_it_exits_2_without_a_config_file(
    tmp_path: Path, hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.ini"

    assert run(missing, *new_patient("--card", CARD)) == 2

    assert f"Config file {missing} not found" in capsys.readouterr().err
    assert hub.requests == []


def test_it_checks_the_config_before_asking_for_a_swipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = FakeStdin(SWIPE + "\n", tty=True)
    monkeypatch.setattr(sys, "stdin", stdin)

    assert run(tmp_path / "missing.ini", *new_patient()) == 2

    assert SWIPE_PROMPT not in capsys.readouterr().err
    assert stdin.tell() == 0


def test_it_finds_the_config_through_the_environment(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDSHUB_BRIDGE_CONFIG", str(config_file))

    assert main(["status", "--chart-id", "OT-1"]) == 0


def test_it_takes_config_after_the_command_too(config_file: Path) -> None:
    assert main(["status", "--chart-id", "OT-1", "--config", str(config_file)]) == 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["set-card"],
        ["launch", "--chart-id", "OT-1", "--view", "settings"],
        ["status", "--chart-id", "OT 1"],
        ["status", "--chart-id", "x" * 65],
        ["refund", "--chart-id", "OT-1"],
    ],
)
def test_it_exits_2_on_bad_usage(
    config_file: Path, hub: FakeHub, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_file, *args) == 2

    assert "usage: rewardshub-bridge" in capsys.readouterr().err
    assert hub.requests == []


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["set-card", "--help"]) == 0

    assert "--info-file" in capsys.readouterr().out


# -- launch, chart-url, status ------------------------------------------------------


def test_it_launches_the_profile_and_opens_the_browser(
    config_file: Path, hub: FakeHub, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    hub.state.links["OT-10004"] = EMMA_USERNAME

    code = run(config_file, "launch", "--chart-id", "OT-10004", "--pms-user", "FRONTDESK")

    url = capsys.readouterr().out.strip()
    assert code == 0
    assert opened == [url]
    assert hub.requests[-1].body == {"view": "profile", "pms_user": "FRONTDESK"}
    assert hub.state.tokens[url.rsplit("/", 1)[1]] == ("OT-10004", "profile")


def test_it_launches_the_chart_view_on_request(
    config_file: Path, hub: FakeHub, opened: list[str]
) -> None:
    hub.state.links["OT-10004"] = EMMA_USERNAME

    assert run(config_file, "launch", "--chart-id", "OT-10004", "--view", "chart") == 0

    assert hub.requests[-1].body == {"view": "chart"}


def test_chart_url_prints_a_chart_view_url_without_a_browser(
    config_file: Path, hub: FakeHub, opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    hub.state.links["OT-10004"] = EMMA_USERNAME

    assert run(config_file, "chart-url", "--chart-id", "OT-10004") == 0

    url = capsys.readouterr().out.strip()
    assert hub.state.tokens[url.rsplit("/", 1)[1]] == ("OT-10004", "chart")
    assert opened == []


def test_status_prints_the_hubs_json(
    config_file: Path, hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.state.links["OT-10004"] = EMMA_USERNAME

    assert run(config_file, "status", "--chart-id", "OT-10004") == 0

    status = json.loads(capsys.readouterr().out)
    assert (status["linked"], status["username"]) == (True, EMMA_USERNAME)


def test_it_runs_as_a_module(config_file: Path, hub: FakeHub) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "REWARDSHUB_BRIDGE_CONFIG": str(config_file)}

    done = subprocess.run(
        [sys.executable, "-m", "rewardshub_bridge", "status", "--chart-id", "OT-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )

    assert (done.returncode, json.loads(done.stdout)) == (0, {"linked": False})
