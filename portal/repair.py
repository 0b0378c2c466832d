"""What staff see of the directory batches waiting for repair (docs/operations.md): a panel of
the home page and the detail of ``/healthz?detail=1``. The rows themselves are in the admin
(Directory journal), read-only; the recovery repairs them (``Portal::DirectoryRecover``)."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import reverse

from portal.contributions import Panel, dashboard_panel_register
from portal.engine import DOMAIN_ADMINS, Caller
from portal.engine.journal import pending, unrepaired_summary

log = logging.getLogger(__name__)


def repair_panel(request: HttpRequest, caller: Caller, obj) -> dict | None:
    """The batches waiting for repair, for DomainAdmins; left out when there are none."""
    if not caller.has_role(DOMAIN_ADMINS):
        return None
    try:
        rows = pending()
    except DatabaseError:
        log.exception("the directory journal cannot be read")
        return {"unreadable": True, "batches": []}
    if not rows:
        return None
    return {
        "batches": [
            {
                "row": row,
                "url": reverse("admin:journal_journalbatch_change", args=[row.pk]),
                "waiting": "owner process gone" if row.state == "open" else "repair",
            }
            for row in rows
        ]
    }


def health_detail() -> dict:
    """``/healthz?detail=1``: how many directory batches wait for repair, and since when."""
    try:
        return {"directory_batches_waiting_for_repair": unrepaired_summary()}
    except DatabaseError:
        return {"directory_batches_waiting_for_repair": {"error": "the directory journal cannot be read"}}


def register() -> None:
    """Register the panel (from ``PortalConfig.ready``)."""
    dashboard_panel_register(
        Panel("directory-repair", "portal/_directory_repair.html", repair_panel, order=1)
    )
