"""The Celery side of background jobs (used when ``CELERY_BROKER_URL`` is set).

The job task is acknowledged late and given back to the broker when its worker process dies
(``reject_on_worker_lost``), so a job whose worker was killed is delivered again; running it is
idempotent per job (``portal.jobs.job_execute``): a delivery for a finished job, or for a job a
live worker holds, does nothing, and one for a job whose worker is gone resumes it (or marks it
failed). Each worker sweeps such jobs when it starts, and Celery beat every
``PORTAL_JOB_SWEEP_SECONDS``.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from portal.jobs import JOB_TASK, SWEEP_TASK, job_execute, jobs_sweep

log = logging.getLogger(__name__)


@shared_task(name=JOB_TASK, acks_late=True, reject_on_worker_lost=True)
def job_execute_task(job_id: str) -> None:
    """Run one portal job."""
    try:
        job_execute(job_id)
    finally:
        connections.close_all()


@shared_task(name=SWEEP_TASK, ignore_result=True)
def jobs_sweep_task() -> list[tuple[str, str]]:
    """Recover jobs whose worker died (periodic, from Celery beat)."""
    try:
        return jobs_sweep()
    finally:
        connections.close_all()


@worker_ready.connect
def _sweep_at_start(sender=None, **kwargs) -> None:
    """A worker that starts recovers the jobs of workers that died before it."""
    try:
        for job_id, action in jobs_sweep():
            log.warning("job %s %s at worker start-up", job_id, action)
    except Exception:
        log.exception("jobs sweep at worker start-up failed")
    finally:
        connections.close_all()


@shared_task(name="portal.directory_recover")
def directory_recover_task() -> None:
    """The directory recovery, every minute from Celery beat (settings.CELERY_BEAT_SCHEDULE)."""
    from portal.engine.recovery import recover_if_needed

    try:
        recover_if_needed(door="job")
    finally:
        connections.close_all()
