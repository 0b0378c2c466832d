"""The home dashboard: what a caller's scope holds, how it is used and billed, and what changed.

The figures and sections come from the apps (``portal/contributions.py``), each already
filtered by the caller's scope; the last changes come from the audit records.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from portal import contributions
from portal.engine import Caller
from portal.models import Job
from portal.selectors import audit_changes_in_scope


def dashboard(request: HttpRequest, caller: Caller) -> dict:
    """Everything the home page shows for ``caller``."""
    if caller.read_scope_dn is None:
        return {"empty": True}
    return {
        "counts": contributions.counts(caller),
        "panels": contributions.dashboard_panels(request, caller),
        "changes": audit_changes_in_scope(caller, limit=10),
        "interrupted_jobs": jobs_interrupted(limit=10) if request.user.is_staff else [],
    }


def jobs_interrupted(*, days: int = 7, limit: int = 10) -> list[Job]:
    """For staff: the jobs of the last ``days`` days whose worker died, with what was done about it
    (resumed, or marked failed) in words."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Job.objects.filter(created_at__gte=since)
        .exclude(interruptions="")
        .select_related("created_by")
        .order_by("-created_at")[:limit]
    )
