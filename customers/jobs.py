"""Provisioning's background jobs: the bulk import of users from an uploaded file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from customers.bulk import CREATED, EXISTS, ImportRow, users_import
from portal.engine import Caller
from portal.jobs import JobLost, JobRun, job_kind
from portal.models import Job


def uploads_dir() -> Path:
    """Where uploaded files wait for their job (removed when it ends)."""
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remove_upload(job: Job) -> None:
    Path(job.params["path"]).unlink(missing_ok=True)


@job_kind(
    "users-import",
    resumable=True,
    abandon=_remove_upload,
    stopped_hint="Importing the same file again creates the users that are missing and reports the others "
    "as already there.",
)
def users_import_job(run: JobRun, params: dict) -> dict:
    """Import the uploaded file ``params["path"]`` as the user who started the job: each row
    through the engine, its outcome recorded as a result row of the job as soon as the row's batch
    ended. Resumed after its worker died, the job passes over the rows already recorded; a row
    that was done but not yet recorded finds its user there and is reported as already there."""
    path = Path(params["path"])
    keep_file = False

    def record(row: ImportRow) -> None:
        run.item(row.line, row.status, row.userPrincipalName or row.name, row.message)

    try:
        result = users_import(
            path,
            caller=Caller.from_user(run.user),
            progress=run.progress,
            preferred_domain_controller=params.get("dc"),
            door="job",
            name=params["name"],
            on_row=record,
            skip_lines=run.done_lines() if run.resumed else (),
        )
        result.close()
        counts = run.item_counts()
        return {
            "File": params["name"],
            "Rows": sum(counts.values()),
            "Created": counts.get(CREATED, 0),
            "Already there": counts.get(EXISTS, 0),
            "Failed": sum(n for status, n in counts.items() if status not in (CREATED, EXISTS)),
        }
    except JobLost:
        keep_file = True  # another worker holds the job now and reads the file
        raise
    finally:
        if not keep_file:
            path.unlink(missing_ok=True)
