"""The audit records of batches that changed nothing, written many batches to one transaction.

A batch that changed nothing (no directory write, no database row: a read, or a write that found
everything already as asked) has nothing its audit records must commit with. On a database with
one writer at a time (SQLite), giving each such batch a write transaction of its own for its audit
records made every read of the whole server queue for the write lock and flush the log once per
request. Here the batch ends its transaction (which wrote nothing) and hands its records to the
process's audit writer, which commits the records of every batch waiting at that moment in one
transaction (one lock, one flush). The door answers only after its records are committed, as
before; if that transaction fails, each batch of it fails as a batch whose audit could not be
written always has (``Batch.__exit__``: a 503, the records kept by the journal if the database
cannot take them).

The writer is no thread of its own: the first batch that finds no transaction of the writer
running leads. It takes every batch waiting (itself first), commits their records on its own
connection, wakes the others and hands the lead to the first batch that came meanwhile, which does
the same for all that came while it waited. A batch that leads is not handed from one thread to
another (which cost as much as its insert); the others wait on a lock of their own.

Before its transaction a leader waits for the other batches running in the process to come too,
at most ``PORTAL_AUDIT_GROUP_WAIT_MS`` (2 ms): under load the records of several requests then
share one transaction (its lock, its flush) instead of each taking its own. A batch running alone
does not wait.

Used only where the database says what a transaction changed (``transaction_changed``: the
portal's SQLite backend) and only for a batch that is not part of an outer transaction (a test
case's); elsewhere the records are written inside the batch's own transaction.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections, router

from portal.engine.journal import running_count

log = logging.getLogger(__name__)

#: batches written in one transaction at most
GROUP_MAX = 256
#: how long a batch waits for its records to be committed before it gives up on them and fails
#: (its records are then written apart; should a leader that had already taken them still commit
#: them afterwards, the batch's calls have two records each: a transaction that slow has met a
#: database that is itself failing its writes, which time out first)
WAIT_SECONDS = 60.0


class AuditNotWritten(RuntimeError):
    """The audit writer did not commit a batch's records in time."""


class _Pending:
    __slots__ = ("batch", "done", "error", "lead")

    def __init__(self, batch) -> None:
        self.batch = batch
        # held until the batch's records are committed or it is to lead (a bare lock: the
        # cheapest way to wake one waiting thread)
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None
        #: woken to lead the next transaction (its own records are not written yet)
        self.lead = False


class AuditWriter:
    """Commits waiting batches' audit records together: ``insert`` writes the records of the
    batches it is given in one transaction of its own (the engine's ``audit_write_apart``)."""

    def __init__(self, insert: Callable[[list], None]) -> None:
        self.insert = insert
        self._forked()
        # a forked child (gunicorn's and Celery's workers) starts with nothing waiting and no
        # leader: those were its parent's threads
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self._guard = threading.Lock()
        #: a leader gathering the batches still running, woken as each comes
        self._arrived = threading.Condition(self._guard)
        self._gathering = False
        self._waiting: list[_Pending] = []
        self._leading = False

    def waiting(self) -> int:
        """How many batches wait for a transaction of the writer."""
        with self._guard:
            return len(self._waiting)

    def write(self, batch) -> None:
        """Commit ``batch``'s audit records (with those of other batches waiting now); raise what
        made the transaction fail."""
        pending = _Pending(batch)
        with self._guard:
            self._waiting.append(pending)
            leads = not self._leading
            self._leading = True
            if self._gathering:
                self._arrived.notify()
        if not leads and not self._wait(pending):
            if pending.error is not None:
                raise pending.error
            return
        self._lead(pending)

    def _wait(self, pending: _Pending) -> bool:
        """Wait for ``pending``'s records to be committed; True when it is to lead instead."""
        late = f"the audit records of batch {pending.batch.id} were not committed in time"
        if not pending.done.acquire(timeout=WAIT_SECONDS):
            with self._guard:
                if pending.lead:  # woken to lead just now
                    return True
                if any(waiting is pending for waiting in self._waiting):  # no leader took it
                    self._waiting.remove(pending)
                    raise AuditNotWritten(late)
            if not pending.done.acquire(timeout=WAIT_SECONDS):  # a leader is writing it
                raise AuditNotWritten(late)
        return pending.lead

    def _gather(self) -> None:
        """Wait until every batch running in the process waits for the writer too, at most
        ``PORTAL_AUDIT_GROUP_WAIT_MS``: their records then go in one transaction. While a batch runs
        that will not come soon (a long write, a batch that commits its own records), each leader
        waits the whole time."""
        longest = settings.PORTAL_AUDIT_GROUP_WAIT_MS / 1000
        if longest <= 0:
            return
        with self._arrived:
            if len(self._waiting) >= running_count():
                return
            deadline = time.monotonic() + longest
            self._gathering = True
            try:
                while len(self._waiting) < running_count():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._arrived.wait(remaining)
            finally:
                self._gathering = False

    def _lead(self, own: _Pending) -> None:
        """Commit the waiting batches' records, ``own``'s among them, then hand the lead on."""
        try:
            self._gather()
            while not any(pending is own for pending in self._take()):
                pass
        finally:
            with self._guard:
                if self._waiting:
                    following = self._waiting[0]
                    following.lead = True
                    following.done.release()
                else:
                    self._leading = False
        if own.error is not None:
            raise own.error

    def _take(self) -> list[_Pending]:
        """Commit the records of the batches waiting first (``GROUP_MAX`` at most); wake them."""
        with self._guard:
            group = self._waiting[:GROUP_MAX]
            del self._waiting[:GROUP_MAX]
        try:
            self._commit(group)
        except BaseException as exc:  # each batch of the group hears it
            for pending in group:
                pending.error = exc
        finally:
            for pending in group:
                if not pending.lead and pending.done.locked():
                    pending.done.release()
        return group

    def _commit(self, group: list[_Pending]) -> None:
        from portal.models import AuditRecord

        try:
            self.insert([pending.batch for pending in group])
        except BaseException:
            log.warning("the audit records of %d batches could not be committed", len(group), exc_info=True)
            connections[router.db_for_write(AuditRecord)].close()  # the next one starts afresh
            raise


def changed_nothing(alias: str = "default") -> bool:
    """Whether the open transaction of ``alias`` has changed nothing so far, where the database
    can tell (False where it cannot: the records then commit with the transaction)."""
    connection = connections[alias]
    probe = getattr(connection, "transaction_changed", None)
    return probe is not None and not probe()
