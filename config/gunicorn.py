"""gunicorn's settings for the portal (``gunicorn -c config/gunicorn.py config.wsgi``).

Each worker runs the directory recovery in a thread every ``PORTAL_RECOVERY_SECONDS`` (60), the
first time as it starts, unless Celery beat runs it (docs/operations.md). The recovery of several
workers never repairs one batch twice at once (each takes a batch before it repairs it)."""

from __future__ import annotations


def post_worker_init(worker) -> None:
    from portal.engine.recovery import recovery_thread_start

    recovery_thread_start()
