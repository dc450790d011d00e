"""Two hub servers behind Debian's nginx, with the configuration the docs tell operators to use.

Two `rewardshub serve` (2 workers each, a var dir each, as two hosts would
have) share one PostgreSQL database and one Redis; nginx terminates TLS (a
certificate made here) and spreads requests over them with
deploy/nginx/rewardshub.conf, rendered with this test's ports, upstream
addresses, certificate paths and temp dirs only. Each hub names itself in
X-Served-By (REWARDSHUB_SERVED_BY, off unless an operator asks), so every
check knows which server answered; nginx takes them in turn, so a request
is sent to a chosen one by letting /healthz land on the other first.

Through nginx: the seed's set card -> launch -> Connect Card on both
servers; a launch link made on one and opened on the other (once); a staff
lockout reached across both; an Idempotency-Key replayed by the other;
concurrent awards over both; a prize picture uploaded through one and served
by the other; `audit verify` intact. Then one server is SIGKILLed under
load, with a keyed 1,000-chart batch being written on it: nginx passes the
GETs and PUTs cut off (and any request it could not send) to the other, the
client sends a POST (or PUT) answered 502 again with the same
Idempotency-Key, and every write is applied exactly once.
"""

from __future__ import annotations

import getpass
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection
from django.db.models import Count, Sum
from PIL import Image
from tests.conftest import PASSWORD, SYSTEM
from tests.integrations.conftest import make_key
from tests.integrations.test_crash_safety import ROOT, Hub, hub_env

from rewardshub.cards.batches import issue_batch
from rewardshub.cards.models import Card, CardState
from rewardshub.integrations.models import IdempotencyRecord, PmsLink
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, Prize
from rewardshub.practices.models import Practice
from rewardshub.uploads.models import StoredFile

__all__ = ["hub_env"]  # the fixture, used by name below

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two hub servers share one database: PostgreSQL (the hosted set-up) only; "
        "SQLite is one machine's file",
    ),
]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = ROOT / "deploy" / "nginx" / "rewardshub.conf"
REDIS_URL = os.environ.get("REWARDSHUB_TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"
API = "/api/v1/pms/orthotrac/patients"
SERVERS = ("a", "b")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render(shipped: str, *, https: int, http: int, upstreams: list[str], cert: Path,
           key: Path) -> str:
    """The shipped configuration with this test's listen ports, upstream addresses and
    certificate paths: each replaced where the file has it, nothing else touched."""
    replacements = [
        ("listen 443 ssl;", f"listen {https} ssl;"),
        ("listen 80;", f"listen {http};"),
        ("ssl_certificate     /etc/ssl/certs/rewardshub.pem;", f"ssl_certificate     {cert};"),
        ("ssl_certificate_key /etc/ssl/private/rewardshub.key;", f"ssl_certificate_key {key};"),
    ]
    text = shipped
    for old, new in replacements:
        assert text.count(old) == 1, f"deploy/nginx/rewardshub.conf no longer has {old!r}"
        text = text.replace(old, new)
    examples = re.findall(r"^\s*server (10\.0\.0\.\d+:8000) ", text, flags=re.MULTILINE)
    assert len(examples) == len(upstreams), examples
    for example, address in zip(examples, upstreams, strict=True):
        text = text.replace(f"server {example} ", f"server {address} ", 1)
    return text


NGINX_MAIN = """\
{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {d}/access.log;
    client_body_temp_path {d}/temp/client_body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    include {d}/rewardshub.conf;
}}
"""


@dataclass
class Site:
    """nginx at `url` in front of the hubs; what a check needs to reach and judge them."""

    url: str
    cert: Path
    env: dict[str, str]  # the hubs' environment, less each one's name and var dir
    hubs: dict[str, Hub]
    upstream: dict[str, str]  # server name -> the address nginx passes its requests to
    nginx_dir: Path
    practice: Practice
    token: str  # the practice's integration key

    def error_log(self) -> str:
        return (self.nginx_dir / "error.log").read_text(errors="replace")


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "hub.pem", folder / "hub.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def _start_nginx(folder: Path, conf: str) -> subprocess.Popen[bytes]:
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / temp).mkdir(parents=True, exist_ok=True)
    (folder / "rewardshub.conf").write_text(conf)
    # As root, nginx's workers would switch to nobody: keep them this user's, like the files.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(NGINX_MAIN.format(user=user, d=folder))
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
               "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    return subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def site(hub_env: dict[str, str], tmp_path: Path, acworth: Practice) -> Iterator[Site]:
    assert os.path.exists(NGINX), "nginx is missing: run scripts/ensure-nginx.sh (make test does)"
    assert _redis_answers(), f"Redis does not answer at {REDIS_URL}: start it (.ci/run does)"
    cert, key = _certificate(tmp_path)
    env = {
        **hub_env,
        "REWARDSHUB_PRODUCTION": "true",
        "REWARDSHUB_SECRET_KEY": secrets.token_urlsafe(50),
        "REWARDSHUB_EMAIL_FILES_IN_PRODUCTION": "true",
        "REWARDSHUB_REDIS_URL": REDIS_URL,
        "REWARDSHUB_CACHE_PREFIX": f"two-servers-{uuid.uuid4().hex}",
        "REWARDSHUB_TRUSTED_PROXIES": "127.0.0.1",
        "REWARDSHUB_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), hub_env.get("PYTHONPATH", "")]),
    }
    for name in ("REWARDSHUB_THROTTLE_STORE", "REWARDSHUB_PUBLIC_URL", "REWARDSHUB_EMAIL_URL"):
        env.pop(name, None)  # throttles in Redis; launch links from the request's address
    hubs: dict[str, Hub] = {}
    nginx: subprocess.Popen[bytes] | None = None
    try:
        for name in SERVERS:
            own = {**env, "REWARDSHUB_SERVED_BY": name,
                   "REWARDSHUB_VAR_DIR": str(tmp_path / f"host-{name}")}
            hubs[name] = Hub(own, tmp_path / f"hub-{name}.log", workers=2)
        https, http = _free_port(), _free_port()
        upstream = {name: f"127.0.0.1:{hub.port}" for name, hub in hubs.items()}
        conf = render(CONF.read_text(), https=https, http=http,
                      upstreams=[upstream[name] for name in SERVERS], cert=cert, key=key)
        nginx = _start_nginx(tmp_path / "nginx", conf)
        url = f"https://127.0.0.1:{https}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/healthz", verify=str(cert), timeout=5)
                break
            except requests.ConnectionError:
                assert nginx.poll() is None, (tmp_path / "nginx" / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield Site(url, cert, env, hubs, upstream, tmp_path / "nginx", acworth,
                   make_key(acworth)[1])
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=30)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        for hub in hubs.values():
            hub.stop()


class Visitor:
    """One browser or PMS through nginx: its cookies, and who answered each request."""

    def __init__(self, site: Site, token: str = "") -> None:
        self.site = site
        self.http = requests.Session()
        # Django checks the Referer of HTTPS form posts; a browser sends it.
        self.http.headers["Referer"] = site.url + "/"
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.served: list[str] = []

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        # verify on each call: a session's own is overridden by REQUESTS_CA_BUNDLE.
        response = self.http.request(
            method, self.site.url + path, timeout=120, allow_redirects=False,
            verify=str(self.site.cert), **kwargs,
        )
        self.served.append(response.headers.get("X-Served-By", "?"))
        return response

    def api(self, method: str, path: str, body: Any = None, key: str = "") -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.send(method, API + path, json=body, headers=headers)

    def form(
        self, path: str, data: dict[str, str], on: str = "", **kwargs: Any
    ) -> requests.Response:
        """Load the form at `path` and post it with its CSRF token (to server `on`, if given)."""
        page = self.send("GET", path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found is not None, f"no form at {path}: {page.status_code}"
        if on:
            self.next_on(on)
        return self.send("POST", path, data={"csrfmiddlewaretoken": found.group(1), **data},
                         **kwargs)

    def next_on(self, server: str) -> None:
        """Let the next request land on `server`: nginx takes the servers in turn."""
        for _ in range(len(SERVERS) + 1):
            answered = self.send("GET", "/healthz").headers["X-Served-By"]
            if answered != server:
                return
        raise AssertionError(f"nginx never passed a request to {server}")


def other(server: str) -> str:
    return next(name for name in SERVERS if name != server)


def _issue(practice: Practice, n: int) -> list[str]:
    return [card.number for card in issue_batch(practice=practice, count=n, actor=SYSTEM)]


def _link(visitor: Visitor, chart: str, number: str) -> str:
    created = visitor.api("POST", f"/{chart}/card", {
        "card": number, "first_name": "Emma", "last_name": "Johnson", "birth_date": "2012-04-17",
    })
    assert created.status_code == 200, created.text
    assert created.json()["outcome"] == "created"
    return str(created.json()["username"])


def _ledger_holds(profile: Profile) -> int:
    profile.refresh_from_db()
    total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == total >= 0
    return total


def _audit_verify(site: Site) -> str:
    verified = subprocess.run(
        [sys.executable, "-m", "rewardshub", "audit", "verify"], env=site.env, cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("Audit chain intact"), verified.stdout
    return verified.stdout


def check_seed_flow(site: Site) -> Profile:
    """Set card -> launch -> Connect Card, the launch link opened on the other server, once."""
    pms = Visitor(site, site.token)
    [number] = _issue(site.practice, 1)
    assert _link(pms, "OT-2001", number) == number
    launched = pms.api("POST", "/OT-2001/launch", {"view": "profile"})
    assert launched.status_code == 200, launched.text
    browser_url = launched.json()["url"]
    assert browser_url.startswith(f"{site.url}/launch/")  # https and the proxy's host: trusted
    made_on = pms.served[-1]

    browser = Visitor(site)
    browser.next_on(other(made_on))
    opened = browser.send("GET", browser_url.removeprefix(site.url))
    assert (opened.status_code, browser.served[-1]) == (302, other(made_on))
    profile = Profile.objects.get(practice=site.practice, username=number)
    assert opened.headers["Location"] == f"/patients/{profile.public_id}/"
    again = browser.send("GET", browser_url.removeprefix(site.url))
    assert again.status_code == 410  # spent, whichever server is asked

    page = browser.send("GET", f"/patients/{profile.public_id}/")
    assert page.status_code == 200 and "Connect Card" in page.text
    connected = browser.form(f"/cards/connect/{profile.public_id}/",
                             {"card_number": f";{number}=9912?"})
    assert connected.status_code == 302, connected.text
    card = Card.objects.get(number=number)
    assert (card.state, card.profile_id) == (CardState.ACTIVE, profile.pk)
    assert "Replace Card" in browser.send("GET", f"/patients/{profile.public_id}/").text
    assert set(pms.served + browser.served) == set(SERVERS)
    return profile


def check_lockout(site: Site, username: str) -> None:
    """Five failures spread over both servers lock the name on both (the count is in Redis)."""
    staff = Visitor(site)
    answers = []
    for n in range(5):
        server = SERVERS[n % 2]
        answer = staff.form("/login/", {"username": username, "password": "wrong"}, on=server)
        answers.append((answer.status_code, staff.served[-1]))
    assert answers == [(401, "a"), (401, "b"), (401, "a"), (401, "b"), (429, "a")]
    for server in SERVERS:
        right = staff.form("/login/", {"username": username, "password": PASSWORD}, on=server)
        assert (right.status_code, staff.served[-1]) == (429, server)


def check_replay_on_other_server(site: Site, chart: str, profile: Profile) -> None:
    pms = Visitor(site, site.token)
    body = {"amount": 5, "description": "Good hygiene"}
    first = pms.api("POST", f"/{chart}/points", body, key="visit-1")
    assert first.status_code == 200, first.text
    first_on = pms.served[-1]
    pms.next_on(other(first_on))
    second = pms.api("POST", f"/{chart}/points", body, key="visit-1")
    assert (second.status_code, pms.served[-1]) == (200, other(first_on))
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    assert LedgerEntry.objects.filter(profile=profile, idempotency_key="pms:visit-1#0").count() == 1


def check_concurrent_awards(site: Site, chart: str, profile: Profile) -> None:
    before = _ledger_holds(profile)
    served: Counter[str] = Counter()
    lock = threading.Lock()

    def award(n: int) -> int:
        pms = Visitor(site, site.token)
        answer = pms.api("POST", f"/{chart}/points", {"amount": 1, "description": f"Elastics {n}"})
        with lock:
            served[pms.served[-1]] += 1
        return answer.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(award, range(40)))
    assert statuses == [200] * 40
    assert set(served) == set(SERVERS), served
    assert _ledger_holds(profile) == before + 40


def check_picture(site: Site, username: str) -> None:
    """Uploaded through one server, served by the other: it is in the database, not a disk."""
    owner = Visitor(site)
    signed_in = owner.form("/login/", {"username": username, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(picture, format="PNG")
    added = owner.form(
        "/settings/prizes/add/",
        {"name": "Kite", "description": "", "cost": "30", "stock": "", "active": "on"},
        files={"picture": ("kite.png", picture.getvalue(), "image/png")},
    )
    assert added.status_code == 302, added.text
    uploaded_on = owner.served[-1]
    prize = Prize.objects.get(practice=site.practice, name="Kite")
    owner.next_on(other(uploaded_on))
    served = owner.send("GET", f"/settings/prizes/{prize.public_id}/picture")
    assert (served.status_code, owner.served[-1]) == (200, other(uploaded_on))
    assert served.content == bytes(StoredFile.objects.get(name=prize.picture.name).content)
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (64, 48)
    owner.next_on(uploaded_on)
    cached = owner.send("GET", f"/settings/prizes/{prize.public_id}/picture",
                        headers={"If-None-Match": served.headers["ETag"]})
    assert (cached.status_code, owner.served[-1]) == (304, uploaded_on)
    for host in SERVERS:  # neither host wrote it to its own disk
        media = Path(site.env["REWARDSHUB_VAR_DIR"]).parent / f"host-{host}" / "media"
        assert not media.exists()


@dataclass
class Load:
    """What the client saw while one server was killed."""

    # status, server, and whether it was sent after the kill
    gets: list[tuple[int, str, bool]] = field(default_factory=list)
    writes: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    killed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _write_once(site: Site, load: Load, method: str, path: str, body: Any, key: str) -> Any:
    """A POST or PUT sent until answered, each time with the same Idempotency-Key."""
    for attempt in range(6):
        pms = Visitor(site, site.token)
        try:
            answer = pms.api(method, path, body, key=key)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            answer = None  # refused, or cut off after its headers: sent again
        if answer is not None and answer.status_code == 200:
            with load.lock:
                load.writes[method] += 1
                load.retried[method] += attempt > 0
            return answer.json()
        assert answer is None or answer.status_code in (502, 503, 504), answer.text
        time.sleep(0.2)
    raise AssertionError(f"{method} {key} was never answered")


def _writing_elsewhere() -> bool:
    """Whether another connection to this database holds an open write transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def check_kill(site: Site, chart: str, profile: Profile) -> str:
    load = Load()
    before = _ledger_holds(profile)
    victim, survivor = "b", "a"

    def get(n: int) -> None:
        pms = Visitor(site, site.token)
        after_kill = load.killed.is_set()
        try:
            answer = pms.api("GET", f"/{chart}")
        except requests.exceptions.ChunkedEncodingError:
            # The victim died between sending an answer's headers and its body:
            # nginx had passed the headers on, so it could not send the GET to the
            # survivor, and the client asks again (the victim is gone by now).
            with load.lock:
                load.retried["GET"] += 1
            after_kill = True
            answer = pms.api("GET", f"/{chart}")
        with load.lock:
            load.gets.append((answer.status_code, pms.served[-1], after_kill))

    def post(n: int) -> None:
        _write_once(site, load, "POST", f"/{chart}/points",
                    {"amount": 2, "description": f"On time {n}"}, key=f"kill-post-{n}")

    def put(n: int) -> None:
        _write_once(site, load, "PUT", f"/{chart}", {"phone_mobile": f"770-555-{n:04d}"},
                    key=f"kill-put-{n}")

    # A batch of 1,000 charts on the victim, cut off by the kill, sent again by the client.
    charts = [{"chart_id": f"K-{n:04d}", "first_name": f"First{n}", "last_name": f"Last{n}"}
              for n in range(1000)]
    batch_answer: dict[str, Any] = {}

    def batch() -> None:
        pms = Visitor(site, site.token)
        pms.next_on(victim)
        first = pms.send("POST", f"{API}:batch", json={"patients": charts},
                         headers={"Idempotency-Key": "kill-batch"})
        batch_answer["first"] = (first.status_code, pms.served[-1])
        batch_answer["retry"] = _write_once(site, load, "POST", ":batch", {"patients": charts},
                                            key="kill-batch")

    work: list[Callable[[], None]] = []
    for n in range(90):
        work.append(lambda n=n: get(n))
        if n % 3 == 0:
            work.append(lambda n=n: post(n))
    puts = threading.Thread(target=lambda: [put(n) for n in range(15)])
    batcher = threading.Thread(target=batch)
    batcher.start()
    deadline = time.monotonic() + 30
    while not _writing_elsewhere():  # the batch's transaction is open on the victim
        assert time.monotonic() < deadline and batcher.is_alive(), batch_answer
        time.sleep(0.005)
    with ThreadPoolExecutor(6) as pool:
        puts.start()
        futures = [pool.submit(job) for job in work]
        while sum(f.done() for f in futures) < 3:
            time.sleep(0.005)
        site.hubs[victim].kill()
        load.killed.set()
        # However fast the first ones went, some GETs are sent after the kill.
        futures += [pool.submit(lambda n=n: get(n)) for n in range(90, 100)]
        for future in futures:
            future.result()
    puts.join()
    batcher.join()

    # GETs: every one answered, those after the kill by the survivor (nginx retried them).
    assert [status for status, _, _ in load.gets] == [200] * len(load.gets)
    assert {server for _, server, after in load.gets if after} == {survivor}
    # nginx's own account: what it could not get from the victim (and so sent on, for GETs).
    failed = [line for line in site.error_log().splitlines()
              if "[error]" in line and f'upstream: "http://{site.upstream[victim]}/' in line]
    gets_moved = sum('request: "GET ' in line for line in failed)
    puts_moved = sum('request: "PUT ' in line for line in failed)
    assert failed, "nginx never found the victim gone"
    # POSTs: one ledger entry per key, and the ledger still adds up.
    posts = [n for n in range(90) if n % 3 == 0]
    keyed = LedgerEntry.objects.filter(profile=profile, idempotency_key__startswith="pms:kill-post")
    per_key = dict(keyed.values_list("idempotency_key").annotate(n=Count("id")))
    assert per_key == {f"pms:kill-post-{n}#0": 1 for n in posts}
    assert _ledger_holds(profile) == before + 2 * len(posts)
    # PUTs: each answered and recorded once; the last one is what the profile holds.
    assert IdempotencyRecord.objects.filter(key__startswith="kill-put-").count() == 15
    profile.refresh_from_db()
    assert re.sub(r"\D", "", profile.phone_mobile).endswith("7705550014")
    # The batch: cut off on the victim, answered on the retry; each chart linked once.
    assert batch_answer["first"] == (502, "?"), batch_answer["first"]  # nginx's own 502
    assert any('"POST /api/v1/pms/orthotrac/patients:batch ' in line for line in failed)
    outcomes = Counter(r["outcome"] for r in batch_answer["retry"]["results"])
    assert outcomes == {"created": 1000}
    assert PmsLink.objects.filter(practice=site.practice, chart_id__startswith="K-").count() == 1000
    return (
        f"killed server {victim} under load: {len(load.gets)} GETs all answered "
        f"({gets_moved} cut off on {victim} and passed on by nginx, "
        f"{sum(after for *_, after in load.gets)} sent after the kill, all by {survivor}; "
        f"{load.retried['GET']} cut off after their headers and sent again by the client); "
        f"{len(posts)} award POSTs and {load.writes['PUT']} PUTs applied once each "
        f"({puts_moved} PUTs cut off on {victim} and passed on by nginx; "
        f"{load.retried['POST']} POSTs and {load.retried['PUT']} PUTs sent again by the client "
        "with their Idempotency-Key); a 1,000-chart batch cut off and resent, each chart "
        "linked once"
    )


def test_two_servers_behind_nginx_share_everything_and_survive_a_kill(
    site: Site, owner: Any, frontdesk: Any, record_property: Any
) -> None:
    started = time.monotonic()
    profile = check_seed_flow(site)
    check_lockout(site, "frontdesk")
    check_replay_on_other_server(site, "OT-2001", profile)
    check_concurrent_awards(site, "OT-2001", profile)
    check_picture(site, "owner")
    _audit_verify(site)
    summary = check_kill(site, "OT-2001", profile)
    # One more write through the survivor seals anything the victim left unlinked.
    pms = Visitor(site, site.token)
    assert pms.api("POST", "/OT-2001/points", {"amount": 1, "description": "After"}).ok
    verified = _audit_verify(site)
    record_property(
        "summary",
        f"two servers behind nginx: {summary}; {verified.splitlines()[0]} "
        f"({time.monotonic() - started:.0f} s)",
    )
