"""Faults at random points of multi-step batches, on the real slapd and database: slapd killed
(SIGKILL) or frozen (SIGSTOP) right after a random directory write, the database connection lost
at COMMIT, the process running a batch killed. After the directory recovery, the directory and the
database agree (``scenarios.agreement``), the call has its audit record and no batch waits for
repair. Each scenario runs ``TRIES`` times with a random kill point (seeded: the seed is printed)."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connections

from portal.engine.journal import pending
from portal.engine.recovery import recover_now
from portal.errors import PortalError
from tests.conftest import DC
from tests.faults import scenarios
from tests.faults.conftest import WriteCounter

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TRIES = int(os.environ.get("PORTAL_FAULT_TRIES", "20"))
#: directory writes each scenario makes (measured): the kill point is drawn from 1..this
WRITES = {"create": 8, "subscribe": 5, "delete": 5, "import": 5}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rng(request):
    seed = int(os.environ.get("PORTAL_FAULT_SEED", random.randrange(1 << 30)))
    print(f"{request.node.name}: PORTAL_FAULT_SEED={seed}")
    return random.Random(seed)


def _recovered_and_agreeing(scenario: str, name: str, what: str) -> dict:
    report = recover_now(door="test")
    assert report["left"] == [], f"{what}: {report['left']}"
    assert scenarios.agreement() == [], what
    assert scenarios.audited(scenarios.FIRST_CALL[scenario], name), f"{what}: no audit record"
    assert pending(include_running=True) == [], f"{what}: batches wait for repair"
    print(f"{what}: repaired {len(report['repaired'])}, committed {len(report['committed'])}")
    return report


def _slapd_fault(slapd_control, rng, email_plans, *, freeze: bool) -> None:
    for attempt in range(TRIES):
        scenario = rng.choice(scenarios.SCENARIOS)
        name = f"Fault{attempt}n{rng.randrange(10**6)}"
        scenarios.arrange(scenario, name)
        after = rng.randint(1, WRITES[scenario])
        what = f"try {attempt}: {scenario} {name}, {'frozen' if freeze else 'killed'} after write {after}"
        fault = slapd_control.freeze if freeze else slapd_control.kill
        # the call fails or not: either way the state must agree after the recovery
        with WriteCounter(after, fault), contextlib.suppress(PortalError):
            scenarios.run_scenario(scenario, name)
        slapd_control.restart()
        _recovered_and_agreeing(scenario, name, what)


def test_slapd_killed_at_a_random_write(slapd_control, rng, email_plans):
    _slapd_fault(slapd_control, rng, email_plans, freeze=False)


def test_slapd_frozen_at_a_random_write(slapd_control, rng, email_plans):
    _slapd_fault(slapd_control, rng, email_plans, freeze=True)


def _terminate(connection) -> None:
    """End the connection's server process from another connection (PostgreSQL), as a database
    restart or a network cut would."""
    import psycopg

    params = connection.settings_dict
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"],
        port=params["PORT"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _commit_fault(connection, *, nth: int, applied: bool):
    """The ``nth`` COMMIT of the connection breaks: before the database carried it out or after
    (the answer lost). PostgreSQL: its server process is terminated; SQLite: the driver's error."""
    real = connection.commit
    calls = []

    def commit():
        calls.append(1)
        if len(calls) != nth:
            return real()
        if connection.vendor == "postgresql":
            if applied:
                real()
            _terminate(connection)
            if not applied:
                return real()  # raises: the connection is gone
            raise OperationalError("terminating connection due to administrator command")
        if applied:
            real()
        raise OperationalError("disk I/O error")

    return mock.patch.object(connection, "commit", side_effect=commit)


def test_database_connection_lost_at_commit(slapd_control, rng, email_plans):
    for attempt in range(TRIES):
        scenario = rng.choice(scenarios.SCENARIOS)
        name = f"Fault{attempt}n{rng.randrange(10**6)}"
        scenarios.arrange(scenario, name)
        applied = rng.random() < 0.3
        nth = rng.randint(1, 5) if scenario == "import" else 1
        what = (
            f"try {attempt}: {scenario} {name}, commit {nth} lost ({'applied' if applied else 'not applied'})"
        )
        with _commit_fault(connections["default"], nth=nth, applied=applied):
            error = None
            try:
                scenarios.run_scenario(scenario, name)
            except PortalError as err:
                error = err
        assert error is None or (error.status == 503 and not applied), f"{what}: {error}"
        _recovered_and_agreeing(scenario, name, what)


def _child_environment() -> dict:
    from django.conf import settings

    env = dict(os.environ)
    for alias, variable in (("default", "DATABASE_URL"), ("journal", "JOURNAL_DATABASE_URL")):
        params = connections[alias].settings_dict
        if params["ENGINE"].endswith("sqlite3"):
            env[variable] = f"sqlite:///{params['NAME']}"
        else:
            auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
            env[variable] = f"postgres://{auth}@{params['HOST']}:{params['PORT'] or 5432}/{params['NAME']}"
    uri = settings.DIRECTORY["DOMAIN_CONTROLLERS"][DC]
    env.update(PORTAL_DEMO="1", LDAP_DOMAIN_CONTROLLERS=f"{DC}={uri}", PORTAL_RECOVERY_SECONDS="0")
    return env


def test_process_killed_in_the_middle_of_a_batch(slapd_control, rng, email_plans):
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "faults" / "child.py")],
        env=_child_environment(),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for attempt in range(TRIES):
            scenario = rng.choice(scenarios.SCENARIOS)
            name = f"Fault{attempt}n{rng.randrange(10**6)}"
            scenarios.arrange(scenario, name)
            after = rng.randint(1, WRITES[scenario])
            what = f"try {attempt}: {scenario} {name}, process killed after write {after}"
            server.stdin.write(f"{scenario} {name} {after}\n")
            server.stdin.flush()
            pid, status = server.stdout.readline().split()
            assert int(status) in (0, -9), f"{what}: process {pid} ended with {status}"
            _recovered_and_agreeing(scenario, name, what)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
