"""The audit records of batches that changed nothing, written many batches to one transaction.

A batch that changed nothing (no directory write, no database row: a read, or a write that found
everything already as asked) has nothing its audit records must commit with. On a database with
one writer at a time (SQLite), giving each such batch a write transaction of its own for its audit
records made every read of the whole server queue for the write lock and flush the log once per
request. Here the batch ends its transaction (which wrote nothing), hands its records to the
process's audit writer and waits: the writer takes every batch waiting at that moment and inserts
all their records in one transaction (one lock, one flush), then wakes them. The door answers only
after its records are committed, as before; if that transaction fails, each batch of it fails as
a batch whose audit could not be written always has (``Batch.__exit__``: a 503, the records kept
by the journal if the database cannot take them).

Used only where the database says what a transaction changed (``transaction_changed``: the
portal's SQLite backend) and only for a batch that is not part of an outer transaction (a test
case's); elsewhere the records are written inside the batch's own transaction.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

from django.db import connections, router, transaction

log = logging.getLogger(__name__)

#: batches written in one transaction at most
GROUP_MAX = 256
#: how long a batch waits for its records to be committed before it gives up on them and fails
#: (its records are then written apart; should the writer still commit them afterwards, the
#: batch's calls have two records each: a writer that slow has met a database that is itself
#: failing its writes, which time out first)
WAIT_SECONDS = 60.0


class AuditNotWritten(RuntimeError):
    """The audit writer did not commit a batch's records in time."""


class _Pending:
    __slots__ = ("batch", "done", "error")

    def __init__(self, batch) -> None:
        self.batch = batch
        self.done = threading.Event()
        self.error: BaseException | None = None


class AuditWriter:
    """One thread per process that commits waiting batches' audit records together: ``insert``
    writes the records of the batches it is given in the open transaction (the engine's
    ``audit_write_elsewhere``)."""

    def __init__(self, insert: Callable[[list], None]) -> None:
        self.insert = insert
        self._guard = threading.Lock()
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def write(self, batch) -> None:
        """Commit ``batch``'s audit records (with those of other batches waiting now); raise what
        made the transaction fail."""
        pending = _Pending(batch)
        self._ready().put(pending)
        if not pending.done.wait(WAIT_SECONDS):
            raise AuditNotWritten(f"the audit records of batch {batch.id} were not committed in time")
        if pending.error is not None:
            raise pending.error

    def _ready(self) -> queue.SimpleQueue[_Pending]:
        with self._guard:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                if self._pid != os.getpid():  # a forked child starts with a queue of its own
                    self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._loop, args=(self._queue,), name="portal-audit-writer", daemon=True
                )
                self._thread.start()
            return self._queue

    def _loop(self, waiting: queue.SimpleQueue[_Pending]) -> None:
        while True:
            group = [waiting.get()]
            while len(group) < GROUP_MAX:
                try:
                    group.append(waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(group)
            except BaseException as exc:  # each batch of the group hears it
                for pending in group:
                    pending.error = exc
            finally:
                for pending in group:
                    pending.done.set()

    def _commit(self, group: list[_Pending]) -> None:
        from portal.models import AuditRecord

        alias = router.db_for_write(AuditRecord)
        try:
            with transaction.atomic(using=alias, durable=True):
                self.insert([pending.batch for pending in group])
        except BaseException:
            log.warning("the audit records of %d batches could not be committed", len(group), exc_info=True)
            connections[alias].close()  # the next group starts on a fresh connection
            raise


def changed_nothing(alias: str = "default") -> bool:
    """Whether the open transaction of ``alias`` has changed nothing so far, where the database
    can tell (False where it cannot: the records then commit with the transaction)."""
    connection = connections[alias]
    probe = getattr(connection, "transaction_changed", None)
    return probe is not None and not probe()
