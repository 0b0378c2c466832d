"""Timeouts everywhere, against the portal as it runs in production: gunicorn with one worker of four
threads, on the test database and the test slapd.

- A frozen directory (slapd SIGSTOPped) holds no worker for long: logins and operations time out
  (``LDAP_OPERATION_TIMEOUT``), the domain controller then counts as down and the calls after fail
  at once with the documented 503, and ``/healthz`` keeps answering.
- Database connections kept between requests are health-checked: after the database server ends
  every backend of the portal (``pg_terminate_backend``), the next requests succeed.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from lxml import etree

from portal.directory import DirectoryGateway, dn_to_path
from portal.errors import DirectoryError
from tests.conftest import ALPINE, DC, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 1  # LDAP_TIMEOUT and LDAP_OPERATION_TIMEOUT of the server under test, in seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


@pytest.fixture
def server(slapd):
    """gunicorn serving the portal (1 worker, 4 threads) on a free port: its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_DEMO": "1",
        "DATABASE_URL": _database_url(),
        "LDAP_DOMAIN_CONTROLLERS": f"{DC}={slapd.server.ldap_uri.rstrip('/')}",
        "LDAP_TIMEOUT": str(TIMEOUT),
        "LDAP_OPERATION_TIMEOUT": str(TIMEOUT),
        "LDAP_DOWN_SECONDS": "30",
        "PORTAL_CREDENTIAL_CACHE_SECONDS": "0",  # every request checks its credentials with the directory
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def _get(url: str, *, user: str | None = None, body: bytes | None = None, timeout: float = 30):
    """(status, body, seconds) of a GET (or POST of ``body``)."""
    request = urllib.request.Request(url, data=body)
    if user:
        token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    if body is not None:
        request.add_header("Content-Type", "text/xml")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read(), time.monotonic() - started
    except urllib.error.HTTPError as err:
        return err.code, err.read(), time.monotonic() - started


GET_ORG_TYPE = (
    '<request><procedure><execute namespace="Managed Hosting" procedure="GetOrgType" impersonate="1">'
    f"<executeData><path>{dn_to_path(ALPINE)}</path><preferredDomainController>{DC}</preferredDomainController>"
    "</executeData></execute></procedure></request>"
).encode()


def test_a_frozen_directory_fails_requests_fast_with_503_and_healthz_keeps_answering(server, slapd):
    status, _, _ = _get(f"{server}/mps/", user="cm-admin", body=GET_ORG_TYPE)
    assert status == 200  # the directory answers before it is frozen

    pid = slapd.server._proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=13) as pool:
            calls = [
                pool.submit(_get, f"{server}/mps/", user="cm-admin", body=GET_ORG_TYPE) for _ in range(12)
            ]
            time.sleep(0.3)  # every thread of the server is waiting for the directory now
            health = pool.submit(_get, f"{server}/healthz", timeout=10)
            answers = [call.result() for call in calls]
            health_status, health_body, health_seconds = health.result()
    finally:
        os.kill(pid, signal.SIGCONT)

    assert (health_status, health_body) == (200, b'{"status": "ok"}')
    assert health_seconds < 2
    texts = []
    for status, body, _seconds in answers:
        assert status == 503, body
        context = etree.fromstring(body).find("errorContext")
        assert context.get("code") == "0x8007203A"  # DirectoryError
        texts.append(context.get("description"))
    # The first four (one per thread) wait out the timeout; the eight after them fail at once,
    # without asking the directory. Without that, each turn of four would wait the timeout again.
    waited = [text for text in texts if text.startswith(f"The directory did not answer within {TIMEOUT} s")]
    refused = [text for text in texts if text.startswith("No domain controller is answering")]
    assert len(waited) <= 4
    assert len(waited) + len(refused) == 12
    assert max(seconds for _, _, seconds in answers) < 3 * TIMEOUT


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":", 1)[0] not in ("postgres", "postgresql"),
    reason="server backends exist on PostgreSQL only (SQLite is a file the process opens itself)",
)
def test_requests_after_the_databases_backends_were_killed_succeed(server):
    def read(_: int):
        return _get(f"{server}/api/customer-records/", user="cm-admin")[0]

    assert read(0) == 200  # the account exists (its first login creates it)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(read, range(16))) == {200}  # every thread of the server holds a connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (killed,) = cursor.fetchone()
    assert killed >= 1
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(read, range(40)))
    assert statuses == [200] * 40


def test_an_operation_on_a_frozen_directory_times_out_then_calls_fail_at_once(slapd, settings):
    conf = settings.DIRECTORY
    gateway = DirectoryGateway(
        DC,
        slapd.server.ldap_uri.rstrip("/"),
        bind_dn=conf["BIND_DN"],
        bind_password=conf["BIND_PASSWORD"],
        suffix=conf["SUFFIX"],
        hosting_root=conf["HOSTING_ROOT"],
        timeout=TIMEOUT,
        operation_timeout=TIMEOUT,
        down_seconds=2,
    )
    assert gateway.get(ALPINE) is not None  # a pooled, bound connection
    pid = slapd.server._proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(DirectoryError, match="did not answer within 1 s"):
            gateway.get(ALPINE)
        assert TIMEOUT * 0.9 < time.monotonic() - started < TIMEOUT + 3
        started = time.monotonic()
        with pytest.raises(DirectoryError, match="is not answering"):  # the server is not asked
            gateway.get(ALPINE)
        assert time.monotonic() - started < TIMEOUT  # failed at once
        assert not gateway.answers()
    finally:
        os.kill(pid, signal.SIGCONT)
    # counted as down no longer once its down time is over (and slapd has caught up)
    deadline = time.monotonic() + 20
    while True:
        time.sleep(2.1)
        try:
            assert gateway.get(ALPINE) is not None
            break
        except DirectoryError:
            if time.monotonic() > deadline:
                raise
    gateway.close()


def test_while_the_only_dc_counts_as_down_logins_on_every_door_answer_503_at_once(client, gateway, db):
    gateway.mark_unresponsive()
    try:
        started = time.monotonic()
        page = client.post("/login/", {"username": "cm-admin", "password": PASSWORD})
        mps = client.post(
            "/mps/",
            data=GET_ORG_TYPE,
            content_type="text/xml",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"cm-admin:{PASSWORD}".encode()).decode(),
        )
        rest = client.get(
            "/api/customer-records/",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"cm-admin:{PASSWORD}".encode()).decode(),
        )
        elapsed = time.monotonic() - started
    finally:
        gateway.unresponsive_until = gateway.down_until = 0.0

    assert elapsed < 2  # nothing waited for the directory
    assert page.status_code == 503
    assert "<h1>Temporarily unavailable</h1>" in page.content.decode()
    assert "No domain controller is answering" in page.content.decode()
    assert mps.status_code == 503
    assert etree.fromstring(mps.content).find("errorContext").get("code") == "0x8007203A"
    assert rest.status_code == 503
    assert rest.json()["error"]["name"] == "DirectoryError"


def test_a_dc_that_timed_out_is_refused_at_once_for_longer_than_an_operation_waits():
    # During a long freeze, most calls must fail at once: were the refusal shorter than the
    # operation timeout, every other call would wait the whole timeout again.
    from django.conf import settings

    assert settings.DIRECTORY["DOWN_SECONDS"] >= 2 * settings.DIRECTORY["OPERATION_TIMEOUT"]
