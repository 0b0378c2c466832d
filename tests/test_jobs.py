"""Background jobs on the in-process worker pool and on Celery with the local Redis."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction
from django.test import override_settings

from portal.engine import Caller, run
from portal.errors import Conflict
from portal.jobs import job_execute, job_kind, job_start, jobs_wait
from portal.models import AuditRecord, Job
from tests.engine import procedures  # noqa: F401 - registers Engine Test procedures


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
    assert job.status == "succeeded"
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
    assert client.get(f"/jobs/{job.pk}/status").json()["finished"] is True
    csv_text = b"".join(client.get(f"/jobs/{job.pk}/results.csv").streaming_content).decode()
    assert csv_text.splitlines() == [
        "line,status,subject,message",
        "1,created,a,",
        "2,failed,bad,this row is bad",
        "3,created,c,",
    ]


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
    app.conf.broker_url = broker
    app.conf.task_always_eager = False
    with (
        override_settings(CELERY_BROKER_URL=broker),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"),
    ):
        job = job_start(
            "test-echo", user=login("administrator"), params={"rows": ["x", "y"]}, title="Celery echo"
        )
        jobs_wait(timeout=30)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.items.count() == 2
    assert not job.summary["thread"].startswith("job")  # a Celery worker, not the in-process pool
