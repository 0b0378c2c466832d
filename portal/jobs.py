"""Background jobs: long work with live progress, on a real task runner.

``job_start(kind, user=..., params=..., title=...)`` records a :class:`~portal.models.Job` and hands
it to the runner once the transaction commits: Celery (``CELERY_BROKER_URL`` set, e.g. Redis) or
the in-process worker pool otherwise. A job kind is a function registered with :func:`job_kind`;
it receives a :class:`JobRun` to report progress and per-row results, and does its state changes
through the engine as the user who started the job.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from portal.models import Job, JobItem

#: the Celery task that runs a job (``portal/tasks.py``)
JOB_TASK = "portal.job_execute"

log = logging.getLogger(__name__)

JobFunction = Callable[["JobRun", dict], dict | None]
_kinds: dict[str, JobFunction] = {}
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def job_kind(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job kind ``name``."""

    def register(fn: JobFunction) -> JobFunction:
        _kinds[name] = fn
        return fn

    return register


def progress_key(job_id: uuid.UUID | str) -> str:
    """Where a running job's progress is kept in the shared cache."""
    return f"portal:job:{job_id}:progress"


class JobRun:
    """What a running job uses to report: progress, result rows, and the user it runs for.

    Progress goes to the shared cache at once (a job that works inside one engine transaction
    cannot show it through the database until it commits) and to the job's row whenever no
    transaction is open; result rows are written in chunks, outside transactions.
    """

    FLUSH_ROWS = 500
    FLUSH_SECONDS = 0.5

    def __init__(self, job: Job) -> None:
        self.job = job
        self.user = job.created_by
        self._items: list[JobItem] = []
        self._last = 0.0

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress; shown at most every half second (and on the last row)."""
        self.job.done = done
        if total is not None:
            self.job.total = total
        now = time.monotonic()
        if now - self._last >= self.FLUSH_SECONDS or (self.job.total and done >= self.job.total):
            self._last = now
            cache.set(progress_key(self.job.pk), (self.job.done, self.job.total), 24 * 3600)
            if not connection.in_atomic_block:
                self.flush()

    def item(self, line: int, status: str, subject: str = "", message: str = "") -> None:
        """Record one result row."""
        self._items.append(JobItem(job=self.job, line=line, status=status, subject=subject, message=message))
        if len(self._items) >= self.FLUSH_ROWS and not connection.in_atomic_block:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows and the progress."""
        if self._items:
            JobItem.objects.bulk_create(self._items)
            self._items = []
        Job.objects.filter(pk=self.job.pk).update(done=self.job.done, total=self.job.total)


def job_start(kind: str, *, user, params: dict, title: str) -> Job:
    """Record a job and queue it to run after the current transaction commits."""
    if kind not in _kinds:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(id=uuid.uuid4(), kind=kind, title=title, params=params, created_by=user)
    transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _dispatch(job_id: uuid.UUID) -> None:
    if getattr(settings, "CELERY_BROKER_URL", None):
        # by the task's name: the Celery task module imports this one, not the other way round
        from celery import current_app

        current_app.send_task(JOB_TASK, args=[str(job_id)])
        return
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.PORTAL_JOB_WORKERS, thread_name_prefix="job")
    _pool.submit(_run_in_thread, job_id)


def _run_in_thread(job_id: uuid.UUID) -> None:
    close_old_connections()
    try:
        job_execute(job_id)
    finally:
        connections.close_all()  # this thread's connections; a job is long, reconnecting is cheap


def job_execute(job_id: uuid.UUID | str) -> None:
    """Run a queued job to its end (called by the runner; also usable from a command)."""
    updated = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not updated:
        return  # already taken by another worker
    job = Job.objects.select_related("created_by").get(pk=job_id)
    run = JobRun(job)
    try:
        summary = _kinds[job.kind](run, job.params) or {}
        run.flush()
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED, summary=summary, finished_at=timezone.now()
        )
        cache.delete(progress_key(job.pk))
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        run.flush()
        text = getattr(exc, "text", None) or "The job stopped on an unexpected error; it was logged."
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error=text, finished_at=timezone.now())
        cache.delete(progress_key(job.pk))


def job_progress(job: Job) -> tuple[int, int]:
    """``(done, total)`` of a job: the running job's latest report, else its row."""
    if job.status == Job.Status.RUNNING:
        reported = cache.get(progress_key(job.pk))
        if reported is not None:
            return reported
    return job.done, job.total


def jobs_wait(timeout: float = 30.0) -> None:
    """Wait until the in-process pool has no work left (for commands and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
            return
        time.sleep(0.05)
    raise TimeoutError("jobs still running")
