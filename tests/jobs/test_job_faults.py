"""A job's worker killed mid-job (SIGKILL), on the in-process pool and on Celery with the local
Redis: after recovery (a sweep, a redelivered message, a worker that starts) the bulk import is
resumed after its last recorded row and ends, every row recorded before the kill is kept as it
was, every row has exactly one result, each user is in the directory once and was created by at
most one successful call, and no job stays ``running``.

Each scenario runs ``PORTAL_JOB_FAULT_TRIES`` tries (else ``PORTAL_FAULT_TRIES``, else 20), each in a few seconds: 40 rows
slowed to about 60 ms each by the worker process (``tests/jobs/worker.py``), killed after a random
number of rows, so that kills land inside a row's batch, between its commit and the recording of
its result, and between rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import ldap
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from customers.jobs import uploads_dir
from portal.jobs import job_start
from portal.models import AuditRecord, Job
from tests.conftest import ALPINE, ROOT
from tests.customers.conftest import STRONG
from tests.jobs.broker import celery_broker_use

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TRIES = int(os.environ.get("PORTAL_JOB_FAULT_TRIES") or os.environ.get("PORTAL_FAULT_TRIES", "20"))
ROWS = 40
ROW_DELAY = 0.06
HEADER = "container,sAMAccountName,userPrincipalName,newPassword,mail,customerTypeName\n"
REDIS = "redis://127.0.0.1:6379/14"


def _env(**extra: str) -> dict[str, str]:
    """The environment of a worker process: the test database and directory, short leases."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    directory = settings.DIRECTORY
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        PORTAL_DEMO="1",
        DATABASE_URL=url,
        PORTAL_VAR_DIR=str(settings.VAR_DIR),
        LDAP_DOMAIN_CONTROLLERS=",".join(
            f"{dc}={uri}" for dc, uri in directory["DOMAIN_CONTROLLERS"].items()
        ),
        LDAP_FLAVOR=directory["FLAVOR"],
        LDAP_BIND_DN=directory["BIND_DN"],
        LDAP_BIND_PASSWORD=directory["BIND_PASSWORD"],
        DOVECOT_CONFIG="/nonexistent/dovecot.conf",
        PORTAL_JOB_HEARTBEAT_SECONDS="1",
        PORTAL_JOB_LEASE_SECONDS="3",
        JOB_ROW_DELAY=str(ROW_DELAY),
        PYTHONPATH=str(ROOT),
    )
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def _worker(mode: str, target: str, log: Path, **env: str) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker", mode, target],
            cwd=ROOT,
            env=_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(autouse=True)
def _no_upload_left():
    """A try that failed leaves no uploaded file behind (a job that ends removes its own)."""
    before = set(uploads_dir().iterdir())
    yield
    for path in set(uploads_dir().iterdir()) - before:
        path.unlink(missing_ok=True)


def _import_file(tag: str) -> Path:
    path = uploads_dir() / f"{tag}.csv"
    rows = [f'"LDAP://{ALPINE}",{tag}r{i},{tag}r{i}@alpineskihouse.com,{STRONG},,\n' for i in range(ROWS)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _wait(predicate, what: str, timeout: float = 60.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.03)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    jobs = list(Job.objects.values_list("title", "status", "done", "owner", "attempts"))
    raise AssertionError(f"timed out waiting until {what}\njobs: {jobs}\n{tail}")


def _kill_point(job_id, rng: random.Random, log: Path) -> None:
    """Wait until the job has done a random number of rows (and a random moment more)."""
    rows = rng.randint(2, 22)
    _wait(
        lambda: Job.objects.filter(pk=job_id, status="running", done__gte=rows).exists(),
        "rows are done",
        log=log,
    )
    time.sleep(rng.uniform(0, 0.2))


def _recorded(job_id) -> dict[int, tuple[int, str]]:
    return {
        line: (pk, status)
        for pk, line, status in Job.objects.get(pk=job_id).items.values_list("pk", "line", "status")
    }


def _check(job_id, tag: str, before: dict[int, tuple[int, str]], ldap_admin) -> Job:
    """The job ended after being resumed, with every row recorded once and done once."""
    job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", (job.status, job.error, job.interruptions)
    assert job.attempts >= 2 and "stopped" in job.interruptions, (job.attempts, job.interruptions)
    after = _recorded(job_id)
    assert sorted(after) == list(range(2, ROWS + 2))  # CSV lines 2..41, each with one result row
    assert job.items.count() == ROWS
    assert all(after[line] == recorded for line, recorded in before.items())  # kept as recorded
    statuses = Counter(status for _, status in after.values())
    assert set(statuses) <= {"created", "exists"}, statuses
    assert job.summary["Rows"] == ROWS and job.summary["Created"] == statuses["created"]
    found = ldap_admin.search_s(ALPINE, ldap.SCOPE_ONELEVEL, f"(cn={tag}r*)", ["1.1"])
    assert len(found) == ROWS
    created = Counter(
        (record.input or {}).get("userPrincipalName", "")
        for record in AuditRecord.objects.filter(procedure="CreateUser", status="succeeded", door="job")
    )
    mine = {upn: n for upn, n in created.items() if upn.startswith(f"{tag}r")}
    assert all(n == 1 for n in mine.values()), mine  # no row done twice
    assert len(mine) >= statuses["created"]
    assert not Job.objects.filter(status="running").exists()
    return job


def test_import_on_the_pool_resumes_after_its_process_is_killed(login, ldap_admin, tmp_path):
    user = login("administrator")
    rng = random.Random(os.environ.get("PORTAL_FAULT_SEED", "pool"))
    log = tmp_path / "worker.log"
    for attempt in range(TRIES):
        tag = f"p{attempt}x{uuid.uuid4().hex[:4]}"
        path = _import_file(tag)
        job = Job.objects.create(
            id=uuid.uuid4(),
            kind="users-import",
            title=f"Import {tag}",
            params={"path": str(path), "name": path.name},
            created_by=user,
        )
        worker = _worker("pool", str(job.pk), log)
        try:
            _kill_point(job.pk, rng, log)
        finally:
            worker.kill()
            worker.wait()
        before = _recorded(job.pk)
        assert Job.objects.get(pk=job.pk).status == "running"  # killed mid-job, not after it
        call_command("jobs_sweep", timeout=60)  # resumes it here and waits for its end
        _check(job.pk, tag, before, ldap_admin)
        assert not path.exists()  # the upload is removed when the job ends


@pytest.fixture
def celery_queue(settings):
    """A queue of its own on the local Redis, for this test's workers and jobs."""
    import redis

    queue = f"portal-jobs-test-{uuid.uuid4().hex[:8]}"
    celery_broker_use(REDIS)
    settings.CELERY_BROKER_URL = REDIS
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    yield queue
    celery_broker_use(None)
    client = redis.Redis.from_url(REDIS)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_import_on_celery_resumes_when_its_worker_child_is_killed(login, ldap_admin, tmp_path, celery_queue):
    """The pool child running the task is killed: the message goes back to the broker
    (``reject_on_worker_lost``), a new child takes it and resumes the job."""
    user = login("administrator")
    rng = random.Random(os.environ.get("PORTAL_FAULT_SEED", "celery-child"))
    log = tmp_path / "worker.log"
    worker = _worker("celery", celery_queue, log, CELERY_BROKER_URL=REDIS, CELERY_QUEUE=celery_queue)
    try:
        for attempt in range(TRIES):
            tag = f"c{attempt}x{uuid.uuid4().hex[:4]}"
            path = _import_file(tag)
            job = job_start(
                "users-import", user=user, params={"path": str(path), "name": path.name}, title=tag
            )
            _kill_point(job.pk, rng, log)
            owner = Job.objects.get(pk=job.pk).owner
            os.kill(int(owner.split()[1]), signal.SIGKILL)
            time.sleep(0.05)
            before = _recorded(job.pk)
            _wait(
                lambda job=job: Job.objects.filter(pk=job.pk, status__in=Job.ENDED).exists(),
                "the job ends",
                log=log,
            )
            before = {line: rec for line, rec in before.items()}
            _check(job.pk, tag, before, ldap_admin)
            assert worker.poll() is None
    finally:
        _stop(worker)


def test_import_on_celery_resumes_when_a_new_worker_starts_after_the_old_one_was_killed(
    login, ldap_admin, tmp_path, celery_queue
):
    """The whole worker is killed (its unacknowledged message stays with the broker until its
    visibility timeout): the next worker to start sweeps the job and resumes it; the old message,
    delivered again later, does nothing."""
    user = login("administrator")
    rng = random.Random(os.environ.get("PORTAL_FAULT_SEED", "celery-worker"))
    log = tmp_path / "worker.log"
    env = {"CELERY_BROKER_URL": REDIS, "CELERY_QUEUE": celery_queue, "CELERY_VISIBILITY_TIMEOUT": "4"}
    worker = _worker("celery", celery_queue, log, **env)
    try:
        for attempt in range(TRIES):
            tag = f"w{attempt}x{uuid.uuid4().hex[:4]}"
            path = _import_file(tag)
            job = job_start(
                "users-import", user=user, params={"path": str(path), "name": path.name}, title=tag
            )
            _kill_point(job.pk, rng, log)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            time.sleep(0.05)
            before = _recorded(job.pk)
            assert Job.objects.get(pk=job.pk).status == "running"
            worker = _worker("celery", celery_queue, log, **env)  # also the next try's worker
            _wait(
                lambda job=job: Job.objects.filter(pk=job.pk, status__in=Job.ENDED).exists(),
                "the job ends",
                log=log,
            )
            _check(job.pk, tag, before, ldap_admin)
    finally:
        _stop(worker)
