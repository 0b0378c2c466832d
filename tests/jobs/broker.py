"""Point the portal's Celery application at a broker for a test (and back)."""

from __future__ import annotations


def celery_broker_use(url: str | None) -> None:
    """Send the tasks of this process to ``url``: the application forgets the broker connections
    and producers it keeps for the broker it used before."""
    from config.celery import app

    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._pool = None  # not closed: kombu keeps producer pools per broker, for the next test
    app.amqp._producer_pool = None
