"""No secret reaches a log line: every flow that handles one, against a real `rewardshub serve`.

The hub runs as in production (gunicorn, its access log, the hub's own log
on stderr) and everything it writes is captured. Then each flow that carries a
secret is driven over HTTP: staff sign-in (session cookie), a new temporary
portal password, the integration API with a key and Idempotency-Keys, a
launch link opened in a browser session, a portal sign-in with a temporary
password, a password reset requested and its link followed, and cards issued
from the command line. Every secret is then searched for in the output: 0
hits. Mail goes to files under var/mail/ (0600) by default, with only the
path logged, and over SMTP, to a real SMTP server, when REWARDSHUB_EMAIL_URL
names one.
"""

from __future__ import annotations

import csv
import email.policy
import json
import re
import secrets
import stat
import threading
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from tests.live_hub import Browser, free_port, hub_env, rewardshub, serve
from tests.test_backup import scratch_env  # noqa: F401 (the fixture)

NEW_PORTAL_PASSWORD = "a-fresh-portal-password"
EMMA_PASSWORD = "emma-first-password"
EMMA_EMAIL = "emma.secret@example.com"
RESET_LINK = re.compile(r"http://[^/\s]+(/portal/password/reset/([^/\s]+)/)")
SHOWN_PASSWORD = re.compile(r'data-testid="temp-password">(\d{4})<')

SETUP = """
import json
from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
emma = Profile.objects.get(username={emma!r})
activate_account(
    profile=emma, temp_hash=temp_password_hashes(emma, None)[0], password={password!r},
    email={email!r}, actor=Actor.system("test"),
)
olivia = Profile.objects.get(username={olivia!r})
print(json.dumps({{"emma": str(emma.public_id), "olivia": str(olivia.public_id)}}))
"""

# Numbers log lines hold that a 4-digit password could match by chance:
# timestamps, process ids, and the access log's status, size and duration.
NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d+)?(?: [+-]\d{4})?"
    r"|\[\d+\]|\(\d+\)|pid:? \d+"
    r'|" \d{3} (?:\d+|-) \d+\.\d+s$',
    re.MULTILINE,
)


def hits(output: str, found: dict[str, str]) -> dict[str, int]:
    """How often each secret appears in the output (short numeric ones as whole words)."""
    scrubbed = NOISE.sub(" ", output)
    counts = {}
    for name, value in found.items():
        if value.isdigit() and len(value) < 8:
            # A whole word: not part of a longer number, a hex id or a file name.
            counts[name] = len(re.findall(rf"(?<![0-9A-Za-z]){value}(?![0-9A-Za-z])", scrubbed))
        else:
            counts[name] = output.count(value)
    return counts


def _wait_for(predicate: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _hub(
    env_base: dict[str, str], var: Path
) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """A migrated hub with the demo and Emma's portal account (email set); its ids and secrets."""
    env = hub_env(env_base, var)
    rewardshub(env, "migrate", "-v0")
    rewardshub(env, "demo", "--out", str(var / "demo.json"))
    acworth = json.loads((var / "demo.json").read_text())["practices"][0]
    by_name = {p["name"]: p for p in acworth["profiles"]}
    emma, olivia = by_name["Emma Johnson"], by_name["Olivia Chen"]
    script = SETUP.format(
        emma=emma["username"], password=EMMA_PASSWORD, email=EMMA_EMAIL, olivia=olivia["username"]
    )
    ids = json.loads(rewardshub(env, "shell", "-c", script).stdout.strip().splitlines()[-1])
    ids.update(emma_username=emma["username"], olivia_username=olivia["username"])
    found = {
        "staff password": "rewardshub-demo",
        "API key": acworth["api_key"],
        "Emma's first password": EMMA_PASSWORD,
        "Olivia's demo temporary password": olivia["temp_password"],
    }
    return env, {**acworth, "ids": ids}, found


def _reset_password(hub_url: str, mail_text: str, found: dict[str, str]) -> None:
    """Follow the emailed link and choose a new password; Emma then signs in with it."""
    match = RESET_LINK.search(mail_text)
    assert match is not None, mail_text
    path, token = match.groups()
    found["reset token"] = token
    follower = Browser(hub_url)
    assert follower.get_page(path).status_code == 200
    done = follower.submit(
        path, {"password1": NEW_PORTAL_PASSWORD, "password2": NEW_PORTAL_PASSWORD}
    )
    assert done.status_code == 302, done.text
    found["new portal password"] = NEW_PORTAL_PASSWORD


@pytest.mark.slow
def test_no_secret_of_any_flow_reaches_the_servers_output(
    scratch_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    record_property: Any,
) -> None:
    var = tmp_path / "var"
    env, acworth, found = _hub(scratch_env, var)
    ids = acworth["ids"]
    cards_file = tmp_path / "cards.csv"
    issued = rewardshub(
        env, "cards", "issue", "--practice", "acworth", "--count", "3", "--out", str(cards_file)
    )
    with cards_file.open() as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            found[f"issued card {n} temporary password"] = row["temp_password"]
    assert hits(issued.stdout + issued.stderr, found) == dict.fromkeys(found, 0)

    with serve(env, tmp_path / "server.log", workers=2) as hub:
        # Staff sign-in: the session cookie, and a new temporary portal password.
        staff = Browser(hub.url)
        signed_in = staff.submit(
            "/login/", {"username": "frontdesk", "password": "rewardshub-demo"}
        )
        assert signed_in.status_code == 302, signed_in.text
        found["staff session id"] = staff.cookies["sessionid"]
        found["CSRF token"] = staff.cookies["csrftoken"]
        olivia_page = f"/patients/{ids['olivia']}/"
        made = staff.submit(
            f"/portal/staff/{ids['olivia']}/temp-password/", {}, form_page=olivia_page
        )
        assert made.status_code == 200, made.text
        shown = SHOWN_PASSWORD.search(made.text)
        assert shown is not None
        found["staff-issued temporary password"] = shown.group(1)

        # The integration API: a key, Idempotency-Keys, a chart id and a launch link.
        chart = f"OT-{secrets.token_hex(6)}"
        found["chart id"] = chart
        api = Browser(hub.url)
        api.headers["Authorization"] = f"Bearer {acworth['api_key']}"
        base = f"{hub.url}/api/v1/pms/orthotrac/patients/{chart}"
        for n, (suffix, body) in enumerate(
            [
                ("/card", {"card": acworth["cards_available"][0], "first_name": "Ada",
                           "last_name": "Lovelace", "birth_date": "2011-02-03"}),
                ("/points", {"amount": 5, "description": "Good brushing"}),
            ]
        ):
            key = f"idem-{secrets.token_urlsafe(16)}"
            found[f"Idempotency-Key {n}"] = key
            answer = api.post(
                base + suffix, json=body, headers={"Idempotency-Key": key}, timeout=30
            )
            assert answer.status_code == 200, answer.text
        launch = api.post(base + "/launch", json={"view": "profile"}, timeout=30)
        assert launch.status_code == 200, launch.text
        url = launch.json()["url"]
        found["launch token"] = url.rstrip("/").rsplit("/", 1)[-1]
        frame = Browser(hub.url)
        opened = frame.get(hub.url + "/launch/" + found["launch token"], timeout=30)
        assert opened.status_code == 200 and "Lovelace" in opened.text
        found["launch session id"] = frame.cookies["sessionid"]

        # The portal: a sign-in with a temporary password, then a reset by email.
        olivia = Browser(hub.url)
        first = olivia.submit(
            "/portal/login/",
            {
                "identifier": ids["olivia_username"],
                "password": found["staff-issued temporary password"],
            },
        )
        assert first.status_code == 302 and first.headers["Location"] == "/portal/welcome/"
        asked = Browser(hub.url).submit("/portal/password/forgot/", {"email": EMMA_EMAIL})
        assert asked.status_code == 200
        mail_dir = var / "mail"
        mail_file = _wait_for(lambda: sorted(mail_dir.glob("*.eml")))[0]
        _reset_password(hub.url, mail_file.read_text(), found)
        emma = Browser(hub.url)
        back = emma.submit(
            "/portal/login/",
            {"identifier": ids["emma_username"], "password": NEW_PORTAL_PASSWORD},
        )
        assert back.status_code == 302 and back.headers["Location"] == "/portal/"
        found["portal session id"] = emma.cookies["sessionid"]
        _wait_for(lambda: "/portal/login/" in hub.output())
    output = hub.output()

    assert stat.S_IMODE(mail_file.stat().st_mode) == 0o600
    assert f"Mail written to {mail_file}" in output
    assert "/portal/password/reset/<token>/" in output
    assert "/launch/<token>" in output
    counts = hits(output, found)
    assert counts == dict.fromkeys(found, 0), {k: v for k, v in counts.items() if v}
    record_property(
        "summary",
        f"secrets in logs: {len(found)} secrets from 7 flows, "
        f"{len(output.splitlines())} lines of server output, 0 hits",
    )


class _Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.messages.append(bytes(envelope.content or b""))
        return "250 OK"


@pytest.mark.slow
def test_a_reset_email_goes_out_over_smtp_and_its_link_works(
    scratch_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    inbox = _Inbox()
    smtp_user, smtp_password = "hub-mailer", f"smtp-{secrets.token_hex(8)}"

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            smtp_user.encode(), smtp_password.encode()
        )
        if ok:
            inbox.logins.append((data.login, data.password))
        return AuthResult(success=ok)

    port = free_port()
    smtp = Controller(
        inbox, hostname="127.0.0.1", port=port,
        authenticator=authenticate, auth_require_tls=False,
    )
    smtp.start()
    var = tmp_path / "var"
    try:
        env, acworth, found = _hub(scratch_env, var)
        env["REWARDSHUB_EMAIL_URL"] = f"smtp://{smtp_user}:{smtp_password}@127.0.0.1:{port}"
        found["SMTP password"] = smtp_password
        with serve(env, tmp_path / "server.log") as hub:
            asked = Browser(hub.url).submit("/portal/password/forgot/", {"email": EMMA_EMAIL})
            assert asked.status_code == 200
            raw = _wait_for(lambda: inbox.messages)[0]
            message = message_from_bytes(raw, policy=email.policy.default)
            assert message["To"] == EMMA_EMAIL
            # Plain text and HTML (notify.compose): the link is read from the text part.
            text_part = message.get_body(preferencelist=("plain",))
            assert text_part is not None
            body = text_part.get_content()
            _reset_password(hub.url, body, found)
    finally:
        smtp.stop()
    output = hub.output()
    assert inbox.logins == [(smtp_user.encode(), smtp_password.encode())]
    assert not (var / "mail").exists() or not any((var / "mail").iterdir())
    counts = hits(output, found)
    assert counts == dict.fromkeys(found, 0), {k: v for k, v in counts.items() if v}


def test_the_search_finds_a_leaked_secret_and_not_numbers_that_match_by_chance() -> None:
    output = (
        "[2026-12-04 19:24:09 +0000] [7465] Listening at: http://127.0.0.1:55945 (7465)\n"
        '127.0.0.1 "GET /portal/" 200 7465 0.007465s\n'
        "2026-12-04 19:24:16,565 INFO rewardshub.mail request_id=ab7465cd "
        "Mail written to var/mail/20261204-192416-7465d0a1b2c3.eml\n"
    )
    found = {"temporary password": "7465", "token": "tok-Abc"}
    assert hits(output, found) == {"temporary password": 0, "token": 0}
    leaked = output + "password=7465 link=/portal/password/reset/tok-Abc/\n"
    assert hits(leaked, found) == {"temporary password": 1, "token": 1}
