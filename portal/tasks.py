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
