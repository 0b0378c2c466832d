"""``Portal::DirectoryRecover``: the directory recovery as a procedure (audited, DomainAdmins),
and the ways it runs: at start-up (``manage.py directory_recover`` in ``scripts/run.py``), every
minute (Celery beat, or a thread of each web process started when ``config/wsgi.py`` loads) and on
demand. What it does: :func:`portal.engine.journal.recover`."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections

from portal.engine import journal
from portal.engine.core import CallContext, run
from portal.engine.registry import procedure
from portal.engine.schema import Arg
from portal.engine.security import DOMAIN_ADMINS, Caller, Security

log = logging.getLogger(__name__)

RECOVER = "Portal::DirectoryRecover"


@procedure(
    RECOVER,
    args=(
        Arg(
            "batch",
            "guid",
            description="(optional) Only this batch (its id, as its audit records name it).",
        ),
    ),
    security=Security(roles=(DOMAIN_ADMINS,), description="DomainAdmins only."),
)
def directory_recover(ctx: CallContext, *, batch=None) -> dict:
    """Finish the batches a crash, a lost commit or an unreachable domain controller left
    unfinished: undo their directory writes where the database kept nothing of them (each step
    only where the directory still needs it), write their missing audit records and mark them
    repaired. Answers ``repaired``, ``committed`` (batches that had committed: nothing to undo),
    ``left`` (not finished yet, with the last error: tried again next time) and ``running``."""
    return journal.recover(batch=batch)


def recover_now(door: str = "recovery") -> dict:
    """Run ``Portal::DirectoryRecover`` as the portal's service identity."""
    return run(Caller.service(), RECOVER, {}, door=door)


def recover_if_needed(door: str = "recovery") -> dict | None:
    """The periodic run: ``Portal::DirectoryRecover`` (audited) only when the journal holds a
    batch to repair (one read of the journal otherwise, and no audit record every minute)."""
    if not journal.pending():
        return None
    return recover_now(door=door)


_thread: threading.Thread | None = None


def recovery_thread_start() -> bool:
    """Run the recovery in this (web) process every ``PORTAL_RECOVERY_SECONDS``, the first time
    at once, unless Celery beat runs it (``CELERY_BROKER_URL`` set) or it is off (0). Answers
    whether a thread was started."""
    global _thread
    every = settings.PORTAL_RECOVERY_SECONDS
    if every <= 0 or settings.CELERY_BROKER_URL or (_thread is not None and _thread.is_alive()):
        return False

    def loop() -> None:
        while True:
            try:
                report = recover_if_needed()
                if report and report["left"]:
                    log.warning("directory recovery: %d batch(es) wait for repair", len(report["left"]))
            except Exception:
                log.exception("the directory recovery failed")
            finally:
                for alias in ("default", journal.JOURNAL):
                    connections[alias].close()
            time.sleep(every)

    _thread = threading.Thread(target=loop, name="directory-recovery", daemon=True)
    _thread.start()
    return True
