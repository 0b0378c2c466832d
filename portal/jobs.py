"""Background jobs: long work with live progress, on a real task runner, that survives its worker.

``job_start(kind, user=..., params=..., title=...)`` records a :class:`~portal.models.Job` and hands
it to the runner once the transaction commits: Celery (``CELERY_BROKER_URL`` set, e.g. Redis) or
the in-process worker pool otherwise. A job kind is a function registered with :func:`job_kind`;
it receives a :class:`JobRun` to report progress and per-row results, and does its state changes
through the engine as the user who started the job.

A worker holds a running job by a lease: the job's row names its owner (host, process id and the
process's start time) and ``lease_until``, which a heartbeat thread renews every
``PORTAL_JOB_HEARTBEAT_SECONDS``. A job whose owner is gone (a process of this host that no longer
runs, or a lease that expired) is recovered by :func:`jobs_sweep` (at start-up of the web process
and of Celery workers, periodically, on the job's page and by ``manage.py jobs_sweep``) and by a
redelivered Celery message: a kind declared ``resumable`` is queued again and resumes after its
last recorded row; any other is marked failed with the results it recorded and a message in
words. Every change of a job's state is a conditional UPDATE, so two workers, two sweeps or two
deliveries of one message never run a job twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection, connections, transaction
from django.db.models import Count, DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.models import Job, JobItem

#: the Celery task that runs a job (``portal/tasks.py``)
JOB_TASK = "portal.job_execute"
#: the Celery task that sweeps jobs whose worker died (``portal/tasks.py``, Celery beat)
SWEEP_TASK = "portal.jobs_sweep"

log = logging.getLogger(__name__)

JobFunction = Callable[["JobRun", dict], dict | None]


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job: its function, whether a job of it may be resumed after its
    worker died, and what to clean up when a job of it is given up."""

    run: JobFunction
    resumable: bool = False
    abandon: Callable[[Job], None] | None = None
    #: what to tell the user when a job of this kind was stopped by its worker's death
    stopped_hint: str = ""


_kinds: dict[str, JobKind] = {}
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_submitted: set[str] = set()  # jobs this process's pool holds (queued or running)
_sweeper: threading.Thread | None = None


def job_kind(
    name: str,
    *,
    resumable: bool = False,
    abandon: Callable[[Job], None] | None = None,
    stopped_hint: str = "",
) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job kind ``name``.

    ``resumable``: after its worker died, a job of this kind runs again with
    :attr:`JobRun.resumed` set and must skip what :meth:`JobRun.done_lines` holds (rows whose
    results were recorded); a row whose work committed but whose result was not yet recorded
    runs again, so its work must be idempotent (a bulk import reports such a user as
    ``exists``). Otherwise the job is marked failed. ``abandon(job)`` runs once when a job is
    given up that way (to remove an uploaded file, say).
    """

    def register(fn: JobFunction) -> JobFunction:
        _kinds[name] = JobKind(fn, resumable=resumable, abandon=abandon, stopped_hint=stopped_hint)
        return fn

    return register


def progress_key(job_id: uuid.UUID | str) -> str:
    """Where a running job's progress is kept in the shared cache."""
    return f"portal:job:{job_id}:progress"


def _seconds(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease_seconds() -> float:
    """How long a worker holds a job without renewing its lease."""
    return _seconds("PORTAL_JOB_LEASE_SECONDS", 30)


def heartbeat_seconds() -> float:
    """How often a worker renews the lease of the job it runs."""
    return _seconds("PORTAL_JOB_HEARTBEAT_SECONDS", 5)


# --- who runs a job ---------------------------------------------------------------------------------
_HOST = socket.gethostname()


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, as /proc has it), or None when
    there is no such process (or it is a zombie); "" when this system cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def job_owner() -> str:
    """This process as a job's owner: ``host pid start`` (the start time tells a reused process
    id from the process that held the job)."""
    pid = os.getpid()
    return f"{_HOST} {pid} {_process_start(pid) or ''}".strip()


def _owner_parts(owner: str) -> tuple[str, int | None, str]:
    parts = owner.split()
    host = parts[0] if parts else ""
    pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return host, pid, parts[2] if len(parts) > 2 else ""


def owner_words(owner: str) -> str:
    """A job's owner in words: ``process 1234 on host web1``."""
    host, pid, _ = _owner_parts(owner)
    return f"process {pid} on host {host}" if pid is not None else "a worker"


def owner_gone(job: Job, now: datetime | None = None) -> bool:
    """Whether the worker that holds the running ``job`` is gone: a process of this host that no
    longer runs (known at once), or a lease that expired (a worker of another host, or where
    processes cannot be seen)."""
    host, pid, start = _owner_parts(job.owner)
    if host == _HOST and pid is not None:
        running = _process_start(pid)
        if running is None:
            return True
        if running and start:
            return running != start
        if running and not start:
            return False
    now = now or timezone.now()
    return job.lease_until is None or job.lease_until < now


# --- a running job ----------------------------------------------------------------------------------
class JobLost(Exception):
    """The job's lease went to another worker (or the job was given up): this worker stops."""


class JobRun:
    """What a running job uses to report: progress, result rows, and the user it runs for.

    Progress goes to the shared cache at once (a job that works inside one engine transaction
    cannot show it through the database until it commits) and to the job's row whenever no
    transaction is open; result rows are written as they come, in chunks of at most
    ``FLUSH_ROWS`` rows or ``FLUSH_SECONDS`` seconds, outside transactions, so that a worker that
    dies forgets at most the last chunk.
    """

    FLUSH_ROWS = 50
    FLUSH_SECONDS = 0.5

    def __init__(self, job: Job, owner: str = "") -> None:
        self.job = job
        self.owner = owner
        self.user = job.created_by
        self.lost = False
        self._items: list[JobItem] = []
        self._last = 0.0  # when rows and progress were last written
        self._shown = 0.0  # when progress was last reported

    @property
    def resumed(self) -> bool:
        """Whether an earlier worker ran this job and died (the job resumes where it stopped)."""
        return self.job.attempts > 1

    def done_lines(self) -> set[int]:
        """The lines whose results are recorded (by this run or an earlier one)."""
        recorded = set(JobItem.objects.filter(job=self.job).values_list("line", flat=True))
        return recorded | {item.line for item in self._items}

    def item_counts(self) -> dict[str, int]:
        """Recorded result rows by status (earlier runs' included)."""
        self.flush()
        rows = JobItem.objects.filter(job=self.job).values("status").annotate(n=Count("id"))
        return {row["status"]: row["n"] for row in rows}

    def _check(self) -> None:
        if self.lost:
            raise JobLost(f"job {self.job.pk} is no longer held by {self.owner}")

    def _due(self) -> bool:
        return time.monotonic() - self._last >= self.FLUSH_SECONDS

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress; shown at most every half second (and at once when the total becomes
        known or changes, and on the last row)."""
        self._check()
        self.job.done = done
        new_total = total is not None and total != self.job.total
        if total is not None:
            self.job.total = total
        now = time.monotonic()
        if (
            new_total
            or now - self._shown >= self.FLUSH_SECONDS
            or (self.job.total and done >= self.job.total)
        ):
            self._shown = now
            cache.set(progress_key(self.job.pk), (self.job.done, self.job.total), 24 * 3600)
            if not connection.in_atomic_block:
                self.flush()

    def item(self, line: int, status: str, subject: str = "", message: str = "") -> None:
        """Record one result row (written with the next chunk)."""
        self._check()
        self._items.append(
            JobItem(job=self.job, line=line, status=status, subject=subject[:1024], message=message)
        )
        if (len(self._items) >= self.FLUSH_ROWS or self._due()) and not connection.in_atomic_block:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows and the progress."""
        self._last = time.monotonic()
        if self._items:
            JobItem.objects.bulk_create(self._items)
            self._items = []
        held = Job.objects.filter(pk=self.job.pk)
        if self.owner:
            held = held.filter(owner=self.owner, status=Job.Status.RUNNING)
        if not held.update(done=self.job.done, total=self.job.total) and self.owner:
            self.lost = True


class _Heartbeat(threading.Thread):
    """Renews the lease of one running job until stopped; notes when the lease was lost."""

    def __init__(self, run: JobRun) -> None:
        super().__init__(name=f"job-heartbeat-{run.job.pk}", daemon=True)
        self.run_ = run
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                now = timezone.now()
                try:
                    renewed = Job.objects.filter(
                        pk=self.run_.job.pk, owner=self.run_.owner, status=Job.Status.RUNNING
                    ).update(heartbeat_at=now, lease_until=now + timedelta(seconds=lease_seconds()))
                except DatabaseError:
                    log.warning("job %s: lease not renewed this time", self.run_.job.pk, exc_info=True)
                    close_old_connections()
                    continue
                if not renewed:
                    log.warning("job %s: lease lost, this worker stops it", self.run_.job.pk)
                    self.run_.lost = True
                    return
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


# --- starting and running ---------------------------------------------------------------------------
def job_start(kind: str, *, user, params: dict, title: str) -> Job:
    """Record a job and queue it to run after the current transaction commits."""
    if kind not in _kinds:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(id=uuid.uuid4(), kind=kind, title=title, params=params, created_by=user)
    transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _celery() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", None))


def _dispatch(job_id: uuid.UUID | str) -> None:
    if _celery():
        # by the task's name: the Celery task module imports this one, not the other way round
        from celery import current_app

        current_app.send_task(
            JOB_TASK, args=[str(job_id)], queue=getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or None
        )
        return
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.PORTAL_JOB_WORKERS, thread_name_prefix="job")
        if str(job_id) in _submitted:
            return
        _submitted.add(str(job_id))
    _pool.submit(_run_in_thread, job_id)


def _run_in_thread(job_id: uuid.UUID | str) -> None:
    close_old_connections()
    try:
        job_execute(job_id)
    finally:
        with _pool_lock:
            _submitted.discard(str(job_id))
        connections.close_all()  # this thread's connections; a job is long, reconnecting is cheap


def _claim(job_id: uuid.UUID | str, owner: str) -> bool:
    """Take the queued job for ``owner`` (one conditional UPDATE: one taker wins)."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            owner=owner,
            heartbeat_at=now,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
        )
    )


def job_execute(job_id: uuid.UUID | str) -> None:
    """Run a job to its end (called by the runner; also usable from a command).

    Idempotent: a job that finished, or that a live worker holds, is left alone; a running job
    whose worker is gone is recovered first (resumed here, or marked failed).
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    if job.status == Job.Status.RUNNING and (not owner_gone(job) or job_recover(job) != Job.Status.QUEUED):
        return
    owner = job_owner()
    if not _claim(job_id, owner):
        return  # finished, or taken by another worker
    job = Job.objects.select_related("created_by").get(pk=job_id)
    kind = _kinds.get(job.kind)
    if kind is None:
        _finish(job, owner, Job.Status.FAILED, error="The worker that took this job does not know its kind.")
        return
    run = JobRun(job, owner)
    heartbeat = _Heartbeat(run)
    heartbeat.start()
    try:
        summary = kind.run(run, job.params) or {}
        status, error = job_outcome(run.item_counts())
        _finish(job, owner, status, summary=summary, error=error)
    except JobLost:
        log.warning("job %s (%s): another worker holds it now; this one stopped", job.pk, job.kind)
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        try:
            run.flush()
        except (DatabaseError, JobLost):
            log.exception("job %s: the last results could not be recorded", job.pk)
        text = getattr(exc, "text", None) or "The job stopped on an unexpected error; it was logged."
        _finish(job, owner, Job.Status.FAILED, error=text)
    finally:
        heartbeat.stop()


#: the status of a result row that failed (a bulk import's row that was not imported)
ITEM_FAILED = "failed"


def job_outcome(counts: dict[str, int]) -> tuple[str, str]:
    """The status of a job that ran to its end, from its result rows by status, and what to say
    about it: ``succeeded`` when no row failed; ``failed`` when every row failed; ``partly
    failed`` when some did. The error text counts them in words."""
    failed = counts.get(ITEM_FAILED, 0)
    rows = sum(counts.values())
    if not failed:
        return Job.Status.SUCCEEDED, ""
    if failed == rows:
        return Job.Status.FAILED, f"Every row failed ({failed} of {rows}): see the rows marked failed."
    return (
        Job.Status.PARTLY_FAILED,
        f"{failed} of {rows} rows failed: see the rows marked failed; the others were done.",
    )


def _finish(job: Job, owner: str, status: str, *, summary: dict | None = None, error: str = "") -> None:
    """End the job, if ``owner`` still holds it."""
    fields = {"status": status, "finished_at": timezone.now(), "lease_until": None}
    if summary is not None:
        fields["summary"] = summary
    if error:
        fields["error"] = error
    Job.objects.filter(pk=job.pk, owner=owner, status=Job.Status.RUNNING).update(**fields)
    cache.delete(progress_key(job.pk))


# --- recovery ---------------------------------------------------------------------------------------
def max_attempts() -> int:
    """How many times a resumable job is started before it is given up."""
    return int(getattr(settings, "PORTAL_JOB_MAX_ATTEMPTS", 3))


def job_recover(job: Job, now: datetime | None = None) -> str | None:
    """Recover the running ``job`` whose worker is gone: queue it again to resume (a resumable
    kind, fewer than ``PORTAL_JOB_MAX_ATTEMPTS`` starts) or mark it failed with a message in
    words. Answers the new status, or None when someone else changed the job first."""
    now = now or timezone.now()
    kind = _kinds.get(job.kind)
    done = JobItem.objects.filter(job=job).count()
    when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S %Z")
    who = owner_words(job.owner)
    resumable = kind is not None and kind.resumable and job.attempts < max_attempts()
    if resumable:
        line = (
            f"{when}: the worker running this job ({who}) stopped after {done} recorded rows; "
            "the job was resumed after its last recorded row."
        )
        fields = {"status": Job.Status.QUEUED, "lease_until": None, "heartbeat_at": now}
    else:
        reason = (
            f"it stopped {job.attempts} times and was not resumed again"
            if kind is not None and kind.resumable
            else "this kind of job cannot be resumed"
        )
        line = f"{when}: the worker running this job ({who}) stopped; {reason}. The job was marked failed."
        error = (
            f"The worker running this job stopped before the job ended ({reason}). "
            f"The {done} result rows recorded before it stopped are kept below."
        )
        if kind is not None and kind.stopped_hint:
            error += " " + kind.stopped_hint
        fields = {"status": Job.Status.FAILED, "finished_at": now, "lease_until": None, "error": error}
    changed = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, owner=job.owner).update(
        interruptions=job.interruptions + line + "\n", **fields
    )
    if not changed:
        return None
    log.warning("job %s (%s): %s", job.pk, job.kind, line)
    cache.delete(progress_key(job.pk))
    if fields["status"] == Job.Status.FAILED and kind is not None and kind.abandon is not None:
        try:
            kind.abandon(job)
        except Exception:
            log.exception("job %s: clean-up after giving it up failed", job.pk)
    return fields["status"]


def job_check(job: Job) -> Job:
    """The job as it stands, recovered first when it runs and its worker is gone (the job's
    page calls this on load and while it polls)."""
    if job.status == Job.Status.RUNNING and owner_gone(job):
        if job_recover(job) == Job.Status.QUEUED:
            _dispatch(job.pk)
        job.refresh_from_db()
    return job


def jobs_sweep(*, dispatch: bool = True) -> list[tuple[str, str]]:
    """Recover every running job whose worker is gone and queue again the queued jobs no runner
    took within a lease; answers ``(job id, what was done)`` pairs."""
    now = timezone.now()
    outcomes: list[tuple[str, str]] = []
    for job in Job.objects.filter(status=Job.Status.RUNNING):
        if owner_gone(job, now):
            status = job_recover(job, now)
            if status is None:
                continue
            outcomes.append((str(job.pk), "resumed" if status == Job.Status.QUEUED else "failed"))
            if status == Job.Status.QUEUED and dispatch:
                _dispatch(job.pk)
    stale = now - timedelta(seconds=lease_seconds())
    waiting = Job.objects.filter(status=Job.Status.QUEUED).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )
    for job in waiting:
        with _pool_lock:
            if str(job.pk) in _submitted:
                continue
        if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED, heartbeat_at=job.heartbeat_at).update(
            heartbeat_at=now
        ):
            outcomes.append((str(job.pk), "queued again"))
            if dispatch:
                _dispatch(job.pk)
    return outcomes


def _sweep_forever(interval: float) -> None:
    while True:
        try:
            jobs_sweep()
        except Exception:
            log.exception("jobs sweep failed")
        finally:
            connections.close_all()
        time.sleep(interval)


def sweeper_start() -> None:
    """In the web process without Celery: sweep now (start-up) and every
    ``PORTAL_JOB_SWEEP_SECONDS`` in a background thread (once per process)."""
    global _sweeper
    if _celery():
        return
    with _pool_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return
        _sweeper = threading.Thread(
            target=_sweep_forever,
            args=(_seconds("PORTAL_JOB_SWEEP_SECONDS", 60),),
            name="jobs-sweep",
            daemon=True,
        )
        _sweeper.start()


# --- reading ----------------------------------------------------------------------------------------
def job_progress(job: Job) -> tuple[int, int]:
    """``(done, total)`` of a job: the running job's latest report, else its row."""
    if job.status == Job.Status.RUNNING:
        reported = cache.get(progress_key(job.pk))
        if reported is not None:
            return reported
    return job.done, job.total


def jobs_wait(timeout: float = 30.0, *, ids: list[str] | None = None) -> None:
    """Wait until no job is queued or running (only those of ``ids`` when given), for commands
    and tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        if not pending.exists():
            return
        time.sleep(0.05)
    raise TimeoutError("jobs still running")
