"""The Celery side of background jobs (used when ``CELERY_BROKER_URL`` is set)."""

from __future__ import annotations

from celery import shared_task
from django.db import connections

from portal.jobs import JOB_TASK, job_execute


@shared_task(name=JOB_TASK, acks_late=True)
def job_execute_task(job_id: str) -> None:
    """Run one portal job."""
    try:
        job_execute(job_id)
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
