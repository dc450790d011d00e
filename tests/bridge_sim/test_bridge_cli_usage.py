"""`rewardshub-bridge` refusing bad arguments and input before any call: no hub needed.

The config names a closed port, so a call that slipped through would exit 3, not 2.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from rewardshub_bridge.cli import SWIPE_PROMPT, main

from .conftest import WriteConfig

CARD = "6277123412341234"


class FakeStdin(io.StringIO):
    def __init__(self, text: str, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def config(write_config: WriteConfig, dead_url: str) -> Path:
    return write_config(f"[hub]\nurl = {dead_url}\napi_key = rh_00000000_any\ntimeout = 2\n")


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def set_card(*extra: str) -> list[str]:
    return ["set-card", "--chart-id", "OT-10001", "--card", CARD, *extra]


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
    config: Path, tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    info = tmp_path / "patient.txt"
    info.write_text(content, encoding="utf-8")

    assert run(config, *set_card("--info-file", str(info))) == 2

    assert message in capsys.readouterr().err


def test_it_refuses_a_missing_info_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, *set_card("--info-file", str(tmp_path / "none.txt"))) == 2

    assert "could not be read" in capsys.readouterr().err


def test_it_refuses_options_and_info_file_together(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = tmp_path / "patient.txt"
    info.write_text("first_name=Liam\n", encoding="utf-8")

    assert run(config, *set_card("--first", "Liam", "--info-file", str(info))) == 2

    assert "as options or with --info-file, not both" in capsys.readouterr().err


def test_it_refuses_a_bad_birth_date_option(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, *set_card("--birth-date", "2011-02-30")) == 2

    assert "Birth date '2011-02-30' is not a date" in capsys.readouterr().err


def test_it_checks_the_config_before_asking_for_a_swipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = FakeStdin(f";{CARD}=9912?\n", tty=True)
    monkeypatch.setattr(sys, "stdin", stdin)

    assert main(["--config", str(tmp_path / "missing.ini"), "set-card", "--chart-id", "OT-1"]) == 2

    assert SWIPE_PROMPT not in capsys.readouterr().err
    assert stdin.tell() == 0


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
    config: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, *args) == 2

    assert "usage: rewardshub-bridge" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["set-card", "--help"]) == 0

    assert "--info-file" in capsys.readouterr().out
