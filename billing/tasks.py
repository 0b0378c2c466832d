"""Billing's periodic work: dunning every day. With Celery (``CELERY_BROKER_URL`` set) the beat
schedule ``billing-dunning-daily`` runs :func:`dunning_daily_task`; without it, cron runs
``manage.py run_dunning``. Both run ``Billing::RunDunning`` for the day as the portal's service
identity, through the engine (audited; the run and its notices are shown on the dunning page)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


def dunning_daily(day: dt.date | None = None) -> dict:
    """Run dunning for ``day`` (today by default) as the portal's service identity."""
    from billing import money
    from portal.engine import Caller, run

    day = day or money.today()
    return run(Caller.service(), "Billing::RunDunning", {"date": day.isoformat()}, door="schedule")


@shared_task(name="billing.dunning_daily", acks_late=True)
def dunning_daily_task() -> dict:
    """The Celery beat task of daily dunning."""
    from django.db import connections

    try:
        return dunning_daily()
    finally:
        connections.close_all()
