"""The durable journal of directory intent, and the recovery that finishes what it holds.

A batch's database rows and its directory writes cannot share one transaction. So, before each
directory write, the batch records durably — on a database connection of its own (the ``journal``
alias), outside its own transaction — how to undo it (an undo *step*, as data: see
:func:`portal.directory.undo_step`). A write whose outcome is unknown (the connection dropped, the
server did not answer in time) keeps its step: the undo looks at what is really in the directory.

- A batch that writes nothing to the directory writes no journal row (a read costs nothing here).
- Its first directory write creates the batch's row; each write adds one chunk (one commit of
  the journal's connection per directory write, several steps at once for a subtree delete).
- A batch that commits deletes its row. One that fails runs its undo at once; the row is deleted
  when the undo and the audit are done, else kept for the recovery (state ``repair``).
- A lost COMMIT (the connection broke while the database committed) is decided by the batch's
  audit records, written in the same transaction: found on a fresh connection, the batch
  committed; not found, its directory writes are undone and its audit records written from the
  journal.

:func:`recover` (``Portal::DirectoryRecover``, ``manage.py directory_recover``, at start-up and
periodically) finds the rows left: those in ``repair``, and those still ``open`` whose owner process
is gone (same host: its pid no longer runs with the same start time; another host: the row has not
moved for ``PORTAL_JOURNAL_LEASE_SECONDS``). For each it decides whether the batch committed (its
audit records), undoes the directory steps of one that did not (idempotently, newest first),
writes the missing audit records, and marks it ``repaired``; one it cannot finish yet (a domain
controller that does not answer) stays with its last error, and is tried again next time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from portal.directory import UndoJournal, get_gateway, step_label, undo_step
from portal.errors import DirectoryError, PortalError

log = logging.getLogger(__name__)

JOURNAL = "journal"

#: the audit text of a batch whose process ended in the middle, or whose commit was lost
ENDED_TEXT = (
    "The batch did not finish (its process ended or its database connection was lost); the "
    "database kept nothing of it and the directory recovery undid its directory writes."
)
#: how long the recovery waits before it looks at a batch's last step once more (seconds)
RECHECK_SECONDS = 0.2
#: ERROR_RETRY: "The operation could not be completed. A retry should be performed."
RETRY_CODE = 0x800704D5


class CommitLost(PortalError):
    """The database connection broke while the batch committed: nothing of the call was kept (or,
    when its directory writes could not be undone yet, the directory recovery undoes them)."""

    code = RETRY_CODE
    status = 503
    name = "ServiceUnavailable"


class JournalUnavailable(PortalError):
    """The journal could not be written, so the directory write that needed it was not sent."""

    code = RETRY_CODE
    status = 503
    name = "ServiceUnavailable"


class JournalRouter:
    """The journal's tables live on the ``journal`` alias; where that is a database of its own
    (SQLite), only they are migrated there, and not in the main database."""

    @staticmethod
    def _separate() -> bool:
        return getattr(settings, "PORTAL_JOURNAL_SEPARATE", False)

    def db_for_read(self, model, **hints):
        return JOURNAL if model._meta.app_label == "journal" else None

    def db_for_write(self, model, **hints):
        return JOURNAL if model._meta.app_label == "journal" else None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if not self._separate():
            return None
        if db == JOURNAL:
            return app_label == "journal"
        return False if app_label == "journal" else None


# --- who owns a batch ----------------------------------------------------------------------------
_HOST = socket.gethostname()


def _process_started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, /proc), or None when it runs no more:
    with the pid it names one process for good (a pid is reused, its start time is not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


_own: tuple[int, str] | None = None


def owner() -> tuple[str, int, str]:
    """This process: host, pid and start time (computed again after a fork)."""
    global _own
    pid = os.getpid()
    if _own is None or _own[0] != pid:
        _own = (pid, _process_started(pid) or "")
    return _HOST, pid, _own[1]


def owner_alive(row) -> bool:
    """Whether the process that owns an open row may still be running its batch."""
    if row.owner_host == _HOST:
        return bool(row.owner_started) and _process_started(row.owner_pid) == row.owner_started
    lease = dt.timedelta(seconds=settings.PORTAL_JOURNAL_LEASE_SECONDS)
    return timezone.now() - row.updated_at < lease


# --- the journal of one batch ----------------------------------------------------------------------
def _journal_atomic():
    return transaction.atomic(using=JOURNAL)


def _journal_retry(fn: Callable[[], None]) -> None:
    """Run a journal write; a stale connection is dropped and the write tried once more."""
    connection = connections[JOURNAL]
    try:
        fn()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        connection.close()
        fn()


class BatchJournal(UndoJournal):
    """A batch's undo steps: in memory for its own undo, and durably in the journal before each
    directory write. ``batch`` is the engine's batch (its id, door, caller and call records)."""

    def __init__(self, batch) -> None:
        self.batch = batch
        self.steps: list[dict] = []
        #: the call running now (its record), named by every step it records
        self.current = None
        self.row = False
        self._chunks = 0
        self._calls_written = 0
        self._seq = 0
        self._learned: dict[str, str] = {}
        self._withdrawn: list[int] = []

    # --- UndoJournal ---
    def intend(self, steps: list[dict]) -> None:
        for step in steps:
            step["seq"] = self._seq
            step["call"] = self.current.sequence if self.current is not None else None
            self._seq += 1
        self._write(steps)
        self.steps.extend(steps)

    def withdraw(self, steps: list[dict]) -> None:
        gone = {step["seq"] for step in steps if "seq" in step}
        if not gone:
            return
        self.steps = [step for step in self.steps if step["seq"] not in gone]
        self._withdrawn.extend(sorted(gone))
        try:
            self._write([])
        except PortalError:
            log.warning("batch %s: withdrawn steps kept for the next journal write", self.batch.id)

    def learned(self, step: dict) -> None:
        if "seq" in step and step.get("guid"):
            self._learned[str(step["seq"])] = step["guid"]

    # --- durable writes ---
    def _write(self, steps: list[dict]) -> None:
        from portal.engine.models import JournalBatch, JournalChunk

        records = self.batch.records
        calls = [self.batch.call_dict(record) for record in records[self._calls_written :]]
        now = timezone.now()
        chunk = JournalChunk(
            batch_id=self.batch.id,
            sequence=self._chunks,
            steps=steps,
            withdrawn=list(self._withdrawn),
            learned=dict(self._learned),
            calls=calls,
        )

        def write() -> None:
            with _journal_atomic():
                if not self.row:
                    self._header_create(now)
                else:
                    JournalBatch.objects.filter(pk=self.batch.id).update(updated_at=now)
                chunk.save(force_insert=True)

        try:
            _journal_retry(write)
        except DatabaseError as exc:
            log.exception("batch %s: the directory journal cannot be written", self.batch.id)
            raise JournalUnavailable(
                "The journal of directory changes cannot be written, so the directory was not "
                "changed; try again later."
            ) from exc
        self.row = True
        self._chunks += 1
        self._calls_written = len(records)
        self._learned.clear()
        self._withdrawn.clear()

    def committed(self) -> None:
        """The batch committed: its row goes (a failure here is only logged: the recovery sees
        the batch's audit records and deletes the row itself)."""
        if not self.row:
            return
        try:
            _journal_retry(lambda: _row_delete(self.batch.id))
        except DatabaseError:
            log.exception("batch %s committed; its journal row stays for the recovery", self.batch.id)

    def finished(self, seqs: list[int]) -> None:
        """Steps the batch's own undo carried out (kept with the journal's next write)."""
        self._withdrawn.extend(seqs)

    def ended(
        self, *, rolled_back: bool | None, audit: list[dict] | None, error: str, outcome: list[str]
    ) -> bool:
        """The batch failed, or its commit was lost, and its undo ran. With nothing left (every
        step undone, the audit written: ``audit`` None and no ``error``) the row goes; else it
        stays for the recovery, holding the audit records not written yet. Answers whether
        something was left for the recovery."""
        from portal.engine.models import JournalBatch

        if not error and audit is None:
            self.committed()
            return False
        if not self.row and audit is None:
            return True  # nothing journaled to repair
        now = timezone.now()

        def write() -> None:
            with _journal_atomic():
                if not self.row:
                    self._write_header_only(now)
                JournalBatch.objects.filter(pk=self.batch.id).update(
                    state=JournalBatch.State.REPAIR,
                    updated_at=now,
                    rolled_back=rolled_back,
                    audit=audit,
                    last_error=error[:4000],
                    outcome=outcome,
                )
                if self._withdrawn or self._learned:
                    self._flush_pending()

        try:
            _journal_retry(write)
        except DatabaseError:
            log.exception("batch %s: left unfinished and the journal cannot say so", self.batch.id)
        return True

    def _write_header_only(self, now) -> None:
        self._header_create(now)
        self.row = True

    def _header_create(self, now) -> None:
        """Insert the batch's row: who runs it (host, process), through which door, its first call."""
        from portal.engine.models import JournalBatch

        host, pid, started = owner()
        first = self.batch.records[0] if self.batch.records else None
        JournalBatch.objects.create(
            id=self.batch.id,
            created_at=now,
            updated_at=now,
            door=self.batch.door,
            caller=self.batch.caller.username,
            procedure=f"{first.namespace}::{first.name}" if first else "",
            owner_host=host,
            owner_pid=pid,
            owner_started=started,
        )

    def _flush_pending(self) -> None:
        from portal.engine.models import JournalChunk

        JournalChunk.objects.create(
            batch_id=self.batch.id,
            sequence=self._chunks,
            withdrawn=list(self._withdrawn),
            learned=dict(self._learned),
        )
        self._chunks += 1


def _row_delete(batch_id) -> None:
    from portal.engine.models import JournalBatch, JournalChunk

    with _journal_atomic():
        JournalChunk.objects.filter(batch_id=batch_id)._raw_delete(JOURNAL)
        JournalBatch.objects.filter(pk=batch_id)._raw_delete(JOURNAL)


# --- undo ---------------------------------------------------------------------------------------------
def undo_steps(
    steps: Iterable[dict], finished: list[int] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Run undo steps newest first, each only where the directory needs it. Answers the labels
    undone, the labels not undone (failed, or not tried because their domain controller failed
    before), and the errors; ``finished`` gets the numbers of the steps done (a later pass skips
    them). A domain controller that fails is not asked again in this pass."""
    undone: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    down: set[str] = set()
    for step in reversed(list(steps)):
        label = step_label(step)
        dc = str(step.get("dc", "")).lower()
        if dc in down:
            failed.append(label)
            continue
        try:
            done = undo_step(get_gateway(step["dc"]), step)
        except Exception as exc:
            text = exc.text if isinstance(exc, PortalError) else f"{type(exc).__name__}: {exc}"
            log.warning("undo %s failed: %s", label, text)
            failed.append(label)
            errors.append(f"{label}: {text}")
            if isinstance(exc, DirectoryError) or not isinstance(exc, PortalError):
                down.add(dc)
            continue
        if done.startswith("undone"):
            undone.append(label)
        if finished is not None and "seq" in step:
            finished.append(step["seq"])
    return undone, failed, errors


def journaled_steps(batch_id) -> tuple[list[dict], list[dict]]:
    """A batch's undo steps as journaled (withdrawn ones left out, learned GUIDs put in), and the
    calls recorded with them."""
    from portal.engine.models import JournalChunk

    steps: dict[int, dict] = {}
    calls: list[dict] = []
    withdrawn: set[int] = set()
    learned: dict[str, str] = {}
    for chunk in JournalChunk.objects.filter(batch_id=batch_id).order_by("sequence"):
        for step in chunk.steps:
            steps[step["seq"]] = step
        withdrawn.update(chunk.withdrawn)
        learned.update(chunk.learned)
        calls.extend(chunk.calls)
    for seq, guid in learned.items():
        if int(seq) in steps:
            steps[int(seq)]["guid"] = guid
    return [steps[seq] for seq in sorted(steps) if seq not in withdrawn], calls


# --- did it commit? -------------------------------------------------------------------------------------
def batch_committed(batch_id, *, backend_pid: int | None = None) -> bool | None:
    """Whether the batch's transaction committed, asked on a fresh connection: its audit records
    are written in the same transaction, so a succeeded top-level record says yes. None when the
    database cannot be asked. ``backend_pid``: PostgreSQL's server process of the lost connection,
    waited for (a COMMIT it still carries out is seen)."""
    from portal.models import AuditRecord

    connection = connections["default"]
    try:
        if not connection.in_atomic_block:
            connection.close()
        if backend_pid and connection.vendor == "postgresql":
            deadline = time.monotonic() + 5
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend_pid])
                    if cursor.fetchone() is None:
                        break
                    time.sleep(0.05)
        statuses = set(
            AuditRecord.objects.filter(batch=batch_id, parent=None).values_list("status", flat=True)
        )
    except DatabaseError:
        log.exception("batch %s: whether it committed cannot be asked now", batch_id)
        return None
    return AuditRecord.Status.SUCCEEDED in statuses


def audit_exists(batch_id) -> bool:
    from portal.models import AuditRecord

    return AuditRecord.objects.filter(batch=batch_id).exists()


def audit_write(records: list[dict]) -> None:
    """Write audit records kept as data (``parent_sequence`` names the parent), parents first."""
    from portal.models import AuditRecord

    saved: dict[int, AuditRecord] = {}
    for data in sorted(records, key=lambda item: item["sequence"]):
        fields = {key: value for key, value in data.items() if key != "parent_sequence"}
        row = AuditRecord(**fields)
        parent = data.get("parent_sequence")
        row.parent = saved.get(parent) if parent is not None else None
        row.save(force_insert=True)
        saved[data["sequence"]] = row


def audit_from_calls(row, calls: list[dict], outcome: list[str]) -> list[dict]:
    """Audit records of a batch whose process died: the calls the journal knew, failed (top
    level) or rolled back (nested), with what the recovery did."""
    records = []
    for index, call in enumerate(calls):
        top = call.get("parent_sequence") is None
        records.append(
            {
                **call,
                "batch": str(row.id),
                "door": row.door,
                "duration_ms": "0",
                "output": None,
                "status": "failed" if top else "rolled back",
                "error_code": f"0x{RETRY_CODE:08X}" if top else "",
                "error_text": ENDED_TEXT if top else "",
                "undo_log": outcome if index == 0 else [],
            }
        )
    return records


# --- recovery -------------------------------------------------------------------------------------------
def _claim(row, seconds: int = 120) -> bool:
    """Take a row for this recovery (two recoveries never repair one batch at once)."""
    from portal.engine.models import JournalBatch

    now = timezone.now()
    return bool(
        JournalBatch.objects.filter(pk=row.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=seconds))
    )


def pending(*, include_running: bool = False):
    """Rows the recovery has to look at (not repaired): in ``repair``, or ``open`` with a dead
    owner (or every open one with ``include_running``)."""
    from portal.engine.models import JournalBatch

    rows = list(JournalBatch.objects.exclude(state=JournalBatch.State.REPAIRED).order_by("created_at"))
    if include_running:
        return rows
    return [row for row in rows if row.state != JournalBatch.State.OPEN or not owner_alive(row)]


def recover(*, batch: uuid.UUID | None = None) -> dict:
    """Repair every batch left unfinished (or only ``batch``). Answers ``repaired``, ``committed``
    (rows of batches that had committed, removed), ``left`` (with their last error) and
    ``running`` (open batches whose owner still runs). Database writes (the missing audit
    records) go to the caller's transaction; the journal's rows are marked when it commits."""
    from portal.engine.models import JournalBatch

    report: dict = {"repaired": [], "committed": [], "left": [], "running": []}
    rows = pending(include_running=True)
    if batch is not None:
        rows = [row for row in rows if row.pk == batch]
    for row in rows:
        if row.state == JournalBatch.State.OPEN and _still_running(row):
            if batch_committed(row.pk):  # it committed and could not remove its row
                _journal_retry(lambda row=row: _row_delete(row.pk))
                report["committed"].append(str(row.pk))
            else:
                report["running"].append(str(row.pk))
            continue
        if not _claim(row):
            report["running"].append(str(row.pk))
            continue
        try:
            _repair(row, report)
        except Exception as exc:  # one batch's trouble never stops the others
            log.exception("recovery of batch %s failed", row.pk)
            _left(row, f"{type(exc).__name__}: {exc}", [], report)
    return report


#: ids of the batches running in this process (a recovery in the same process leaves them be)
_running_ids: set = set()
_running_lock = threading.Lock()


def running_add(batch_id) -> None:
    with _running_lock:
        _running_ids.add(batch_id)


def running_remove(batch_id) -> None:
    with _running_lock:
        _running_ids.discard(batch_id)


def running_count() -> int:
    """How many batches run in this process now."""
    return len(_running_ids)


def _still_running(row) -> bool:
    """Whether an open row's batch may still be running: in this process, when it is one of the
    batches running here; elsewhere, when its owner lives."""
    host, pid, started = owner()
    if row.owner_host == host and row.owner_pid == pid and row.owner_started == started:
        with _running_lock:
            return row.pk in _running_ids
    return owner_alive(row)


def _repair(row, report: dict) -> None:
    from portal.engine.models import JournalBatch

    committed = False if row.rolled_back else batch_committed(row.pk)
    if committed is None:
        _left(row, "The database cannot be asked whether the batch committed.", [], report)
        return
    if committed:
        transaction.on_commit(lambda: _journal_retry(lambda: _row_delete(row.pk)), using="default")
        report["committed"].append(str(row.pk))
        return
    steps, calls = journaled_steps(row.pk)
    finished: list[int] = []
    undone, failed, errors = undo_steps(steps, finished)
    outcome = [*(f"undone: {label}" for label in undone), *(f"undo failed: {label}" for label in failed)]
    if failed:
        _finished_record(row.pk, finished)
        _left(row, "; ".join(errors) or "undo failed", outcome, report)
        return
    if steps:
        # The write in flight when the batch stopped may reach the server late (it was queued by
        # a server that froze): its step is looked at once more after a moment.
        time.sleep(RECHECK_SECONDS)
        late, failed, errors = undo_steps(steps[-1:])
        outcome += [f"undone late: {label}" for label in late]
        if failed:
            _left(row, "; ".join(errors) or "undo failed", outcome, report)
            return
        undone += late
    if not audit_exists(row.pk):
        audit_write(
            row.audit
            if row.audit
            else audit_from_calls(row, calls, [f"recovery: {line}" for line in outcome])
        )
    final = [*row.outcome, *(f"recovery: {line}" for line in outcome)]

    def mark() -> None:
        JournalBatch.objects.filter(pk=row.pk).update(
            state=JournalBatch.State.REPAIRED,
            updated_at=timezone.now(),
            attempts=row.attempts + 1,
            outcome=final,
            last_error="",
            claimed_until=None,
        )

    transaction.on_commit(lambda: _journal_retry(mark), using="default")
    report["repaired"].append({"batch": str(row.pk), "procedure": row.procedure, "undone": undone})


def _finished_record(batch_id, finished: list[int]) -> None:
    """Keep which steps are undone already (the next pass skips them)."""
    from portal.engine.models import JournalChunk

    if finished:
        last = JournalChunk.objects.filter(batch_id=batch_id).order_by("-sequence").first()
        JournalChunk.objects.create(
            batch_id=batch_id, sequence=(last.sequence + 1) if last else 0, withdrawn=finished
        )


def _left(row, error: str, outcome: list[str], report: dict) -> None:
    from portal.engine.models import JournalBatch

    JournalBatch.objects.filter(pk=row.pk).update(
        state=JournalBatch.State.REPAIR,
        updated_at=timezone.now(),
        attempts=row.attempts + 1,
        last_error=error[:4000],
        outcome=[*row.outcome, *(f"recovery: {line}" for line in outcome)] if outcome else row.outcome,
        claimed_until=None,
    )
    report["left"].append({"batch": str(row.pk), "procedure": row.procedure, "error": error})


def unrepaired_summary() -> dict:
    """How many batches wait for repair (in ``repair``, or open with a dead owner) and since when."""
    rows = pending()
    oldest = min((row.created_at for row in rows), default=None)
    return {"count": len(rows), "oldest": oldest.isoformat() if oldest else None}
