"""A body over the hub's limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) is a 413 that says
so: JSON from the API, a page for a form; and no log line ever names a PMS chart id.

Once through the test client and once against a real `rewardshub serve`, whose
whole output is read for the chart id.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.http import HttpResponse
from django.test import Client
from tests.integrations.conftest import Api

from rewardshub.integrations.api import api as hub_api
from rewardshub.integrations.models import SyncEvent
from rewardshub.observability import RequestIdMiddleware
from rewardshub.points.models import LedgerEntry

SECRET_CHART = "CHART-SECRET-413"
THREE_MB = 3 * 1024 * 1024
TOO_LARGE = {
    "error": "body_too_large",
    "message": "The request body is larger than the 2.5 MB the hub takes; nothing was done. "
    "Send less: split a batch into smaller ones (a few hundred patients each).",
}


def _big_json() -> str:
    return json.dumps({"amount": 5, "description": "x" * THREE_MB})


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as a handler would print it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_a_3_mb_api_body_is_a_413_in_json_and_no_log_line_names_the_chart(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for method, suffix in (("post", "/points"), ("post", "/card"), ("put", "")):
        response = getattr(api.client, method)(
            api.path(SECRET_CHART, suffix),
            data=_big_json(),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )
        assert response.status_code == 413, response.content[:300]
        assert response["Content-Type"] == "application/json"
        assert response.json() == TOO_LARGE
    assert not LedgerEntry.objects.exists()
    assert not SyncEvent.objects.exists()
    assert SECRET_CHART not in _logged(caplog)


def test_a_3_mb_form_post_is_a_413_page(client: Client) -> None:
    response = client.post("/login/", {"username": "frontdesk", "password": "x" * THREE_MB})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Too much to send</h1>" in page
    assert "larger than the 2.5 MB the hub takes, so nothing was saved" in page
    assert 'rel="stylesheet"' in page  # the hub's page, not a bare error


def test_every_call_with_a_body_declares_the_413() -> None:
    document = hub_api.get_openapi_schema()
    with_body = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            if "requestBody" not in operation:
                continue
            with_body += 1
            declared = operation["responses"][413]
            assert "body_too_large" in declared["description"]
            # The FHIR door refuses with an OperationOutcome, the others with ErrorOut.
            refusal = (
                declared["content"].get("application/json")
                or declared["content"]["application/fhir+json"]
            )
            assert refusal["schema"]["$ref"] in (
                "#/components/schemas/ErrorOut",
                "#/components/schemas/FhirOperationOutcome",
            )
    assert with_body == 8


def test_log_records_of_an_api_request_never_name_its_chart(
    rf: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The class: whatever logs during an API request (Django, ninja, gunicorn, our code),
    with the path, the chart id alone, or in a traceback, prints no chart id."""
    caplog.set_level(logging.DEBUG)
    path = f"/api/v1/pms/orthotrac/patients/{SECRET_CHART}/points"

    def view(request: Any) -> Any:
        logging.getLogger("django.request").error("Internal Server Error: %s", request.path)
        logging.getLogger("gunicorn.error").info("Error handling request %s", path + "?page=2")
        try:
            raise LookupError(f"no link for chart {SECRET_CHART} (see {SECRET_CHART}.)")
        except LookupError:
            logging.getLogger("rewardshub").exception("lookup failed")
        logging.getLogger("rewardshub").warning("kept: %s and %s", "CHART-SECRET-4130", "OT-1")
        return HttpResponse()

    RequestIdMiddleware(view)(rf.post(path))
    # Outside a request the path still loses its chart id.
    logging.getLogger("django.request").error("Internal Server Error: %s", path)

    text = _logged(caplog)
    assert SECRET_CHART + " " not in text and f"{SECRET_CHART}." not in text
    assert SECRET_CHART not in text.replace("CHART-SECRET-4130", "")
    assert "/api/v1/pms/<system>/patients/<chart_id>/points" in text
    assert "no link for chart <chart_id> (see <chart_id>.)" in text
    assert "Traceback" in text
    assert "kept: CHART-SECRET-4130 and OT-1" in text  # other values are left alone


# -- against a real server --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


MAKE_KEY = """
import django, sys
django.setup()
from rewardshub.audit.actors import Actor
from rewardshub.integrations.actions import create_key
from rewardshub.practices.actions import create_practice
system = Actor.system("tests")
practice = create_practice(name="Acworth Orthodontics", slug="acworth", actor=system)
print(create_key(practice=practice, name="PC", system="orthotrac", actor=system).token)
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`rewardshub serve` on its own SQLite file: (base URL, integration key, output file)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "rewardshub.settings",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    subprocess.run([sys.executable, "-m", "rewardshub", "migrate", "-v", "0"], env=env, check=True)
    made = subprocess.run(
        [sys.executable, "-c", MAKE_KEY], env=env, check=True, capture_output=True, text=True
    )
    token = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    output = tmp_path / "server.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rewardshub", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    requests.get(f"{base}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            yield base, token, output
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.mark.slow
def test_a_real_server_answers_413s_and_prints_no_chart_id(
    server: tuple[str, str, Path],
) -> None:
    base, token, output = server
    key = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    points = f"{base}/api/v1/pms/orthotrac/patients/{SECRET_CHART}/points"

    big = requests.post(points, data=_big_json(), headers=key, timeout=30)
    assert (big.status_code, big.json()) == (413, TOO_LARGE)
    browser = requests.Session()
    browser.get(f"{base}/login/", timeout=9)  # the CSRF cookie, as a browser has it
    form = browser.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "password": "x" * THREE_MB},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    assert form.status_code == 413
    assert "<h1>Too much to send</h1>" in form.text
    # An ordinary refusal about the same chart.
    small = requests.post(points, json={"amount": 5, "description": "Fair"}, headers=key, timeout=9)
    assert small.json()["error"] == "not_synced"

    time.sleep(0.5)  # the access log line of the last request
    written = output.read_text()
    assert "/api/v1/pms/<system>/patients/<chart_id>/points" in written
    assert '"POST /login/" 413' in written
    assert SECRET_CHART not in written
