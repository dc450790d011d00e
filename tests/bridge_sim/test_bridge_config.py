"""The bridge's INI config: where it is looked for, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardshub_bridge.config import (
    DEFAULT_PATH,
    ENV_VAR,
    BridgeConfig,
    ConfigError,
    config_path,
    load_config,
)

from .conftest import WriteConfig


def test_it_reads_url_key_and_system(write_config: WriteConfig) -> None:
    path = write_config("[hub]\nurl = https://hub.example.com/\napi_key = k%1\nsystem = dolphin\n")

    assert load_config(path) == BridgeConfig(
        url="https://hub.example.com/", api_key="k%1", system="dolphin", timeout=10.0
    )


def test_it_defaults_system_to_orthotrac(write_config: WriteConfig) -> None:
    path = write_config("[hub]\nurl = http://127.0.0.1:8000\napi_key = abc\n")

    assert load_config(path).system == "orthotrac"


def test_it_reads_a_timeout(write_config: WriteConfig) -> None:
    path = write_config("[hub]\nurl = http://h\napi_key = abc\ntimeout = 2.5\n")

    assert load_config(path).timeout == 2.5


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "nan", "inf"])
def test_it_refuses_a_bad_timeout(write_config: WriteConfig, raw: str) -> None:
    path = write_config(f"[hub]\nurl = http://h\napi_key = abc\ntimeout = {raw}\n")

    with pytest.raises(ConfigError, match="timeout .* must be a number of seconds above 0"):
        load_config(path)


def test_it_reads_a_file_saved_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bridge.ini"
    path.write_bytes(b"\xef\xbb\xbf[hub]\r\nurl = http://h\r\napi_key = abc\r\n")

    assert load_config(path).api_key == "abc"


def test_it_says_where_a_missing_file_should_be(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.ini"

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert f"Config file {path} not found" in str(caught.value)
    assert "[hub]" in str(caught.value)


def test_it_refuses_a_file_without_hub_section(write_config: WriteConfig) -> None:
    path = write_config("[other]\nurl = http://h\n")

    with pytest.raises(ConfigError, match=r"has no \[hub\] section"):
        load_config(path)


def test_it_names_every_missing_key(write_config: WriteConfig) -> None:
    path = write_config("[hub]\nsystem = orthotrac\napi_key =   \n")

    with pytest.raises(ConfigError, match=r"is missing url and api_key in \[hub\]"):
        load_config(path)


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://hub", "http://"])
def test_it_refuses_a_url_that_is_not_http(write_config: WriteConfig, url: str) -> None:
    path = write_config(f"[hub]\nurl = {url}\napi_key = abc\n")

    with pytest.raises(ConfigError, match="must be the hub's address, starting with http://"):
        load_config(path)


def test_it_refuses_a_file_that_is_not_ini(write_config: WriteConfig) -> None:
    path = write_config("url = http://h\n")

    with pytest.raises(ConfigError, match="is not a valid INI file"):
        load_config(path)


def test_the_option_wins_over_the_environment() -> None:
    assert config_path("/etc/a.ini", {ENV_VAR: "/etc/b.ini"}) == Path("/etc/a.ini")


def test_the_environment_wins_over_the_default() -> None:
    assert config_path(None, {ENV_VAR: "/etc/b.ini"}) == Path("/etc/b.ini")


def test_the_default_is_in_the_users_config_folder() -> None:
    assert config_path(None, {}) == DEFAULT_PATH.expanduser()
    assert str(config_path(None, {})).endswith(".config/rewardshub/bridge.ini")
