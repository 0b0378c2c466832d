"""Provisioning's background jobs: the bulk import of users from an uploaded file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from customers.bulk import users_import
from portal.engine import Caller
from portal.jobs import JobRun, job_kind


def uploads_dir() -> Path:
    """Where uploaded files wait for their job (removed when it ends)."""
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@job_kind("users-import")
def users_import_job(run: JobRun, params: dict) -> dict:
    """Import the uploaded file ``params["path"]`` as the user who started the job: each row
    through the engine, its outcome as a result row of the job."""
    path = Path(params["path"])
    try:
        result = users_import(
            path,
            caller=Caller.from_user(run.user),
            progress=run.progress,
            preferred_domain_controller=params.get("dc"),
            door="job",
            name=params["name"],
        )
        try:
            for row in result.rows():
                subject = row.userPrincipalName or row.name
                run.item(row.line, row.status, subject, row.message)
            return {
                "File": params["name"],
                "Rows": result.total,
                "Created": result.created,
                "Already there": result.exists,
                "Failed": result.failed,
            }
        finally:
            result.close()
    finally:
        path.unlink(missing_ok=True)
