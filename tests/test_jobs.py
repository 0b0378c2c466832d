"""Background jobs on the in-process worker pool and on Celery with the local Redis."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings
from django.utils import timezone

from portal.engine import Caller, run
from portal.errors import Conflict
from portal.jobs import JobRun, job_execute, job_kind, job_start, jobs_sweep, jobs_wait
from portal.models import AuditRecord, Job, JobItem
from tests.engine import procedures  # noqa: F401 - registers Engine Test procedures
from tests.jobs.broker import celery_broker_use


@job_kind("test-echo")
def echo_rows(run_: object, params: dict) -> dict:
    """Run Engine Test::Echo once per row as the job's user; a row "bad" fails alone."""
    caller = Caller.from_user(run_.user)
    rows = params["rows"]
    run_.progress(0, len(rows))
    failed = 0
    for line, text in enumerate(rows, start=1):
        try:
            if text == "bad":
                raise Conflict("this row is bad")
            run(caller, "Engine Test::Echo", {"text": text}, door="job")
            run_.item(line, "created", text)
        except Conflict as err:
            failed += 1
            run_.item(line, "failed", text, err.text)
        run_.progress(line)
    return {"rows": len(rows), "failed": failed, "thread": threading.current_thread().name}


@job_kind("test-crash")
def crash(run_: object, params: dict) -> dict:
    raise RuntimeError("internals")


@pytest.mark.django_db(transaction=True)
def test_job_runs_on_the_worker_pool_after_commit_with_progress_and_rows(login, client):
    user = login("administrator")
    with transaction.atomic():
        job = job_start("test-echo", user=user, params={"rows": ["a", "bad", "c"]}, title="Echo")
        assert Job.objects.get(pk=job.pk).status == "queued"
    jobs_wait()
    job.refresh_from_db()
    assert job.status == "partly failed"  # one row of three failed
    assert job.error == "1 of 3 rows failed: see the rows marked failed; the others were done."
    assert (job.done, job.total, job.percent) == (3, 3, 100)
    assert (job.summary["rows"], job.summary["failed"]) == (3, 1)
    assert job.summary["thread"].startswith("job")  # the in-process pool
    assert list(job.items.values_list("line", "status", "message")) == [
        (1, "created", ""),
        (2, "failed", "this row is bad"),
        (3, "created", ""),
    ]
    assert AuditRecord.objects.filter(door="job", caller="administrator").count() == 2
    client.force_login(user)
    page = client.get(f"/jobs/{job.pk}/")
    assert b"this row is bad" in page.content
    assert b"partly failed" in page.content and b"1 of 3 rows failed" in page.content
    status = client.get(f"/jobs/{job.pk}/status").json()
    assert (status["status"], status["finished"], status["error"]) == ("partly failed", True, job.error)
    csv_text = b"".join(client.get(f"/jobs/{job.pk}/results.csv").streaming_content).decode()
    assert csv_text.splitlines() == [
        "line,status,subject,message",
        "1,created,a,",
        "2,failed,bad,this row is bad",
        "3,created,c,",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("rows", "status", "error"),
    [
        (["a", "c"], "succeeded", ""),
        (["bad", "bad"], "failed", "Every row failed (2 of 2): see the rows marked failed."),
    ],
)
def test_a_job_succeeds_only_when_no_row_failed_and_fails_when_every_row_did(login, rows, status, error):
    job = job_start("test-echo", user=login("administrator"), params={"rows": rows}, title="Echo")
    jobs_wait()
    job.refresh_from_db()
    assert (job.status, job.error, job.finished, job.summary["rows"]) == (status, error, True, 2)


@pytest.mark.django_db(transaction=True)
def test_job_that_crashes_is_failed_with_a_plain_message(login):
    job = job_start("test-crash", user=login("administrator"), params={}, title="Crash")
    jobs_wait()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The job stopped on an unexpected error; it was logged."


@pytest.mark.django_db
def test_someone_elses_job_is_not_found(login, client):
    job = Job.objects.create(
        id="4f0c1f0e-0000-4000-8000-000000000001", kind="test-echo", title="x", created_by=login("cm-admin")
    )
    client.force_login(login("contoso-admin"))
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    client.force_login(login("administrator"))
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_job_runs_once_even_if_two_workers_take_it(login):
    job = Job.objects.create(
        id="4f0c1f0e-0000-4000-8000-000000000002",
        kind="test-echo",
        title="x",
        params={"rows": ["a"]},
        created_by=login("administrator"),
    )
    job_execute(job.pk)
    job_execute(job.pk)
    assert job.items.count() == 1


@pytest.mark.django_db(transaction=True)
def test_job_runs_on_celery_with_redis(login):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    broker = "redis://127.0.0.1:6379/15"
    celery_broker_use(broker)
    with (
        override_settings(CELERY_BROKER_URL=broker),
        # the queue the jobs are sent to, named (an earlier test's queue may linger in the app)
        start_worker(
            app,
            perform_ping_check=False,
            pool="solo",
            loglevel="WARNING",
            queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
        ),
    ):
        job = job_start(
            "test-echo", user=login("administrator"), params={"rows": ["x", "y"]}, title="Celery echo"
        )
        jobs_wait(timeout=30)
    celery_broker_use(None)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.items.count() == 2
    assert not job.summary["thread"].startswith("job")  # a Celery worker, not the in-process pool


# --- a job whose worker died ------------------------------------------------------------------------
@job_kind("test-resumable", resumable=True)
def resumable_rows(run_: JobRun, params: dict) -> dict:
    """Record a row per entry of ``rows``, passing over those an earlier run recorded; a row
    ``"lose"`` hands the job to another worker first (as a sweep elsewhere would)."""
    rows = params["rows"]
    done = run_.done_lines() if run_.resumed else set()
    for line, text in enumerate(rows, start=1):
        if line in done:
            continue
        if text == "lose":
            Job.objects.filter(pk=run_.job.pk).update(owner="elsewhere 1 1")
            run_.flush()
        run_.item(line, "done", text)
        run_.progress(line, len(rows))
    return {"rows": run_.item_counts().get("done", 0)}


def _job_held_by(user, owner: str, *, kind: str = "test-resumable", lease: float = -5, rows=None, attempts=1):
    now = timezone.now()
    return Job.objects.create(
        id=uuid.uuid4(),
        kind=kind,
        title="Held",
        params={"rows": rows or ["a", "b", "c", "d", "e"]},
        created_by=user,
        status=Job.Status.RUNNING,
        owner=owner,
        started_at=now,
        heartbeat_at=now,
        lease_until=now + timedelta(seconds=lease),
        attempts=attempts,
    )


def _dead_process() -> str:
    """An owner naming a process of this host that has ended."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return f"{socket.gethostname()} {ended.pid} 1"


@pytest.mark.django_db(transaction=True)
def test_sweep_resumes_a_resumable_job_whose_lease_expired_after_its_last_recorded_row(login, client):
    user = login("administrator")
    job = _job_held_by(user, "otherhost 4242 99")
    JobItem.objects.bulk_create(
        [JobItem(job=job, line=1, status="done"), JobItem(job=job, line=2, status="done")]
    )
    first_ids = set(job.items.values_list("pk", flat=True))
    assert jobs_sweep() == [(str(job.pk), "resumed")]
    jobs_wait()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert list(job.items.values_list("line", flat=True)) == [1, 2, 3, 4, 5]
    assert first_ids <= set(job.items.values_list("pk", flat=True))
    assert job.summary == {"rows": 5}
    assert "(process 4242 on host otherhost) stopped after 2 recorded rows" in job.interruptions
    assert "resumed after its last recorded row" in job.interruptions
    client.force_login(user)
    assert "resumed after its last recorded row" in client.get(f"/jobs/{job.pk}/").content.decode()
    assert jobs_sweep() == []  # nothing left to recover


@pytest.mark.django_db(transaction=True)
def test_a_job_that_cannot_resume_is_failed_with_its_results_and_shown_to_staff(login, client):
    user = login("administrator")
    job = _job_held_by(user, "otherhost 4242 99", kind="test-echo", rows=["a", "b", "c"])
    JobItem.objects.create(job=job, line=1, status="created", subject="a")
    assert jobs_sweep() == [(str(job.pk), "failed")]
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == (
        "The worker running this job stopped before the job ended (this kind of job cannot be resumed). "
        "The 1 result rows recorded before it stopped are kept below."
    )
    assert job.items.count() == 1
    client.force_login(user)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "this kind of job cannot be resumed" in page and "<td>a</td>" in page
    home = client.get("/").content.decode()
    assert "Jobs whose worker stopped" in home and "process 4242 on host otherhost" in home
    client.force_login(login("contoso-admin"))
    assert "Jobs whose worker stopped" not in client.get("/").content.decode()  # staff only


@pytest.mark.django_db(transaction=True)
def test_a_resumable_job_that_keeps_dying_is_given_up(login, settings):
    settings.PORTAL_JOB_MAX_ATTEMPTS = 3
    job = _job_held_by(login("administrator"), "otherhost 1 1", attempts=3)
    assert jobs_sweep() == [(str(job.pk), "failed")]
    job.refresh_from_db()
    assert job.status == "failed"
    assert "it stopped 3 times and was not resumed again" in job.error


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_lives_elsewhere_is_left_alone(login):
    job = _job_held_by(login("administrator"), "otherhost 4242 99", lease=60)
    assert jobs_sweep() == []
    job_execute(job.pk)  # a message delivered again while the job runs elsewhere
    job.refresh_from_db()
    assert (job.status, job.owner, job.attempts, job.items.count()) == ("running", "otherhost 4242 99", 1, 0)


@pytest.mark.django_db(transaction=True)
def test_a_job_of_a_process_of_this_host_that_ended_is_recovered_at_once(login, client):
    """The lease has not run out, but the process that held the job is gone: the job's page
    notices it on load and resumes the job."""
    user = login("administrator")
    job = _job_held_by(user, _dead_process(), lease=600)
    client.force_login(user)
    client.get(f"/jobs/{job.pk}/")
    jobs_wait()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.items.count() == 5 and job.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_a_job_whose_worker_died_run_it_once(login):
    job = _job_held_by(login("administrator"), "otherhost 4242 99", rows=[str(n) for n in range(30)])
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        try:
            job_execute(job.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert job.items.count() == 30
    assert job.interruptions.count("stopped") == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_lost_its_job_stops_and_leaves_it_to_the_new_owner(login):
    job = _job_held_by(login("administrator"), "", rows=["a", "lose", "c"])
    Job.objects.filter(pk=job.pk).update(status="queued", owner="", attempts=0)
    job_execute(job.pk)
    job.refresh_from_db()
    assert (job.status, job.owner) == ("running", "elsewhere 1 1")  # not ended by the worker that lost it
    assert list(job.items.values_list("line", flat=True)) == [1]


@pytest.mark.django_db(transaction=True)
def test_rows_are_recorded_while_the_job_runs(login):
    """Results reach the database as rows finish, not only when the job ends."""
    seen: list[int] = []

    @job_kind("test-watch")
    def watch(run_: JobRun, params: dict) -> dict:
        for line in range(1, 121):
            run_.item(line, "done")
            seen.append(JobItem.objects.filter(job=run_.job).count())
        return {}

    job = job_start("test-watch", user=login("administrator"), params={}, title="Watch")
    jobs_wait()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.items.count() == 120
    assert seen[0] == 1  # the first row is written at once
    assert all(
        line - count < JobRun.FLUSH_ROWS for line, count in enumerate(seen, start=1)
    )  # a chunk at most


def test_the_celery_job_task_is_acknowledged_late_and_given_back_when_its_worker_dies():
    from portal.tasks import job_execute_task

    assert job_execute_task.acks_late is True
    assert job_execute_task.reject_on_worker_lost is True


@pytest.mark.django_db(transaction=True)
def test_jobs_sweep_command_reports_what_it_did(login):
    job = _job_held_by(login("administrator"), "otherhost 7 7", kind="test-echo")
    out = io.StringIO()
    call_command("jobs_sweep", stdout=out)
    assert out.getvalue() == f"job {job.pk}: failed\nThe resumed jobs ended.\n"
    out = io.StringIO()
    call_command("jobs_sweep", stdout=out)
    assert out.getvalue() == "No job needed recovery.\n"


@pytest.mark.django_db(transaction=True)
def test_a_bill_run_whose_worker_died_is_failed_with_what_to_do(login, client):
    """A bill run is one transaction: killed, it committed nothing of its batch, and is not run
    again by itself; its page says to start it again for the same date."""
    user = login("administrator")
    job = _job_held_by(user, _dead_process(), kind="bill-run", lease=600)
    client.force_login(user)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == "failed"
    assert "start it again for the same date" in job.error and job.error in page
    assert client.get(f"/jobs/{job.pk}/status").json()["interruptions"] == job.interruption_lines
