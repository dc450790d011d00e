"""REWARDSHUB_LOG_FORMAT=json: every line a served hub prints is one JSON object with
time, level, logger, message and request_id, and the redaction still holds."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from tests.live_hub import serve
from tests.ops.conftest import served_env

from rewardshub.json_logs import JsonFormatter

CHART = "CHART-SECRET-5521"
FIELDS = {"time", "level", "logger", "message", "request_id"}


def test_it_formats_a_record_as_one_json_line_with_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "rewardshub.x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    record.request_id = "abc12345"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed here" and entry["request_id"] == "abc12345"
    assert entry["level"] == "ERROR" and entry["logger"] == "rewardshub.x"
    assert entry["time"].endswith("+00:00")
    assert "ValueError: boom" in entry["exception"]


def test_it_refuses_an_unknown_log_format(tmp_path: Path) -> None:
    env = served_env(tmp_path, REWARDSHUB_LOG_FORMAT="xml")
    result = subprocess.run(
        [sys.executable, "-m", "rewardshub", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "REWARDSHUB_LOG_FORMAT is 'xml'; use text or json" in result.stderr


@pytest.mark.slow
def test_a_served_hub_logs_json_lines_with_the_request_id_and_no_chart_id(
    tmp_path: Path,
) -> None:
    # A hub started before `rewardshub migrate`: /readyz says why it is not ready,
    # and an API call fails on the missing tables (a logged error with a traceback).
    env = served_env(tmp_path, REWARDSHUB_LOG_FORMAT="json")
    with serve(env, tmp_path / "hub.log") as hub:
        ready = requests.get(
            f"{hub.url}/readyz", headers={"X-Request-Id": "readyz-check-0001"}, timeout=20
        )
        failed = requests.get(
            f"{hub.url}/api/v1/pms/orthotrac/patients/{CHART}",
            headers={"X-Request-Id": "api-call-0002", "Authorization": "Bearer rh_x_y"},
            timeout=20,
        )
    assert ready.status_code == 503 and ready.json()["migrations"] == "pending"
    assert failed.status_code >= 400
    text = hub.output()
    assert CHART not in text
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(set(entry) >= FIELDS for entry in entries), entries

    by_request = [entry for entry in entries if entry["request_id"] == "readyz-check-0001"]
    app = [entry for entry in by_request if entry["logger"] == "rewardshub.monitoring.readiness"]
    assert app and app[0]["level"] == "WARNING"
    assert "migration(s) not applied (contenttypes.0001_initial" in app[0]["message"]
    assert app[0]["message"].endswith("; run `rewardshub migrate`.")
    access = [entry for entry in by_request if entry["logger"] == "gunicorn.access"]
    assert len(access) == 1 and '"GET /readyz" 503' in access[0]["message"]

    api = [entry for entry in entries if entry["request_id"] == "api-call-0002"]
    assert any("/api/v1/pms/<system>/patients/<chart_id>" in entry["message"] for entry in api), api
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)
