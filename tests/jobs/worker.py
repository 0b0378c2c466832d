"""A job runner in a process of its own, for the tests that kill it mid-job.

``python -m tests.jobs.worker pool <job id>`` runs one job on the in-process worker pool and
waits for it; ``python -m tests.jobs.worker celery <queue>`` is a Celery worker (prefork, one
child) of ``<queue>``. Settings come from the environment (``tests/jobs/faults.py`` passes the
test database, the test directory and short leases). ``JOB_ROW_DELAY`` (seconds) slows each row of
a bulk import, half before its batch and half after it, so that a kill lands inside a job and
also between a row's commit and the recording of its result: the only fault injected.
"""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

DELAY = float(os.environ.get("JOB_ROW_DELAY", "0"))

if DELAY:
    import customers.bulk as bulk

    _run_row = bulk._run_row

    def _slowed_row(*args, **kwargs):
        time.sleep(DELAY / 2)
        outcome = _run_row(*args, **kwargs)
        time.sleep(DELAY / 2)
        return outcome

    bulk._run_row = _slowed_row


def main(mode: str, target: str) -> int:
    if mode == "pool":
        from portal.jobs import _dispatch, jobs_wait

        _dispatch(target)
        jobs_wait(timeout=300, ids=[target])
        return 0
    from config.celery import app

    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=" + os.environ.get("JOB_WORKER_LOGLEVEL", "WARNING"),
            "--queues",
            target,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
