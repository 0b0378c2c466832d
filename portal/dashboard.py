"""The home dashboard: what a caller's scope holds, how it is used and billed, and what changed.

The figures and sections come from the apps (``portal/contributions.py``), each already
filtered by the caller's scope; the last changes come from the audit records.
"""

from __future__ import annotations

from django.http import HttpRequest

from portal import contributions
from portal.engine import Caller
from portal.selectors import audit_changes_in_scope


def dashboard(request: HttpRequest, caller: Caller) -> dict:
    """Everything the home page shows for ``caller``."""
    if caller.read_scope_dn is None:
        return {"empty": True}
    return {
        "counts": contributions.counts(caller),
        "panels": contributions.dashboard_panels(request, caller),
        "changes": audit_changes_in_scope(caller, limit=10),
    }
