"""Django's SQLite backend, with transactions that hold the write lock only while they write.

SQLite has one writer at a time, and the portal's transactions are ``BEGIN IMMEDIATE`` (no lock
upgrade in the middle of an engine batch, so no ``database is locked`` half-way). Two things made
every engine batch of the whole server wait for the one before it, however little it wrote:

- Django sends the ``BEGIN`` when ``atomic`` is entered, and a batch enters its transaction before
  its first procedure runs: the batch held the write lock while it waited for the directory.
  Here ``atomic`` only notes that a transaction is due; ``BEGIN IMMEDIATE`` goes out right before
  the transaction's first statement. The transaction is the same, begun later: nothing touched the
  database between the two moments. A transaction that sends no statement takes no lock at all.
- With ``synchronous=FULL`` SQLite flushes the write-ahead log to the disk at every commit while
  it still holds the lock, so the flushes (milliseconds each on a busy disk) came one after the
  other. Here SQLite commits with ``synchronous=NORMAL`` (the log stays consistent) and the commit
  then flushes the log itself (``fdatasync``, through a descriptor the connection keeps), after
  the lock is released and before it returns: a commit is on the disk when it returns, as
  before, and the flushes of concurrent commits overlap (the file system's journal takes them
  together) instead of queueing behind the lock. The same holds for a
  change made outside ``atomic`` (autocommit).

- SQLite makes a writer that finds the lock taken sleep and try again (1 ms, 2 ms, 5 ms, … up to
  100 ms between tries), so under concurrency the lock often sat free while the next writer slept.
  Here the threads of one process queue for the write lock in the process (a lock per database
  file, handed over as soon as it is released), and only one thread of each process waits for the
  other processes, on an advisory lock of a file beside the database (``<database>-writer.lock``),
  looking again every fraction of a millisecond (a process that dies releases it). The turn is held
  from ``BEGIN IMMEDIATE`` to the end of the commit or rollback; a thread that holds it and begins
  a transaction on a second connection goes straight to SQLite, as before.

A transaction that changed nothing (it only read; SQLite's ``total_changes`` did not move)
commits without that flush: there is nothing of it to put on the disk. The engine asks
:meth:`DatabaseWrapper.transaction_changed` to write the audit records of such a batch after it
(``portal/engine/audit_writer.py``).

A read that may take the latest committed rows instead of waiting for the lock (a repeated
registration that finds its record already there, and so writes nothing) runs inside
:meth:`DatabaseWrapper.reads_before_begin`: its ``SELECT`` goes out before the transaction's
``BEGIN``, which stays due.

:meth:`DatabaseWrapper.transaction_apart` runs a write transaction of its own straight on SQLite
(the turn at the write lock, ``BEGIN IMMEDIATE``, the work, ``COMMIT``, the flush), without
``atomic`` and Django's cursors: the engine's audit writer sends its many small transactions so.

A connection that asks for less (``PRAGMA synchronous=NORMAL`` or ``OFF``: a series of batches
that flushes once at its end, ``portal.engine.core``) gets that, and the flush after each commit
stops until it asks for ``FULL`` again; ``PRAGMA synchronous`` answers the level asked for.
Databases that are not in write-ahead-log mode (in memory) keep SQLite's own flushing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.backends.sqlite3 import base
from django.db.transaction import TransactionManagementError

T = TypeVar("T")

_SYNCHRONOUS = re.compile(r"\s*PRAGMA\s+synchronous\s*(?:=\s*(\w+))?\s*;?\s*$", re.IGNORECASE)
_LEVELS = {"off": 0, "normal": 1, "full": 2, "extra": 3, "0": 0, "1": 1, "2": 2, "3": 3}
_SCHEMA_WORDS = ("create", "drop", "alter", "reindex", "vacuum")


class _WriteLock:
    """The process's turn at one database file's write lock: which thread has it; and, while a
    thread has it, the turn among the server's processes (an advisory lock on a file beside the
    database, ``<database>-writer.lock``)."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def between_processes(self, timeout: float) -> bool:
        """Wait for the other processes' turn to end (False when ``timeout`` passed first). A
        waiting process looks again every fraction of a millisecond, where SQLite's own retry sleeps
        1, 2, 5 … 100 ms and so leaves the lock free while it sleeps; a dead holder's lock goes
        with it."""
        fd = self._file()
        deadline = time.monotonic() + timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def between_processes_end(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_write_locks: dict[str, _WriteLock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(path: str) -> _WriteLock:
    with _write_locks_guard:
        lock = _write_locks.get(path)
        if lock is None:
            lock = _write_locks[path] = _WriteLock(f"{path}-writer.lock")
        return lock


#: statements as SQLite takes them (``?`` placeholders), by their text as Django writes them
_converted: dict[str, str] = {}
_CONVERTED_MAX = 2048


class LazyBeginCursor(base.SQLiteCursorWrapper):
    """A cursor that first sends its transaction's pending ``BEGIN``, and flushes a change made
    outside a transaction."""

    wrapper = None  # the DatabaseWrapper, set when the cursor is made

    def convert_query(self, query, *, param_names=None):
        """Django's conversion of ``%s`` placeholders, done once per statement text (a regular
        expression over the whole text on every execution otherwise)."""
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _converted.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(_converted) >= _CONVERTED_MAX:
                _converted.clear()
            _converted[query] = converted
        return converted

    def execute(self, query, params=None):
        wrapper = self.wrapper
        if params is None and wrapper._flush_own:
            asked = _SYNCHRONOUS.match(query)
            if asked and asked.group(1) is None:  # the level the connection asked for
                return super().execute(f"SELECT {wrapper._level}")
            if asked and asked.group(1).lower() in _LEVELS:
                wrapper._synchronous_asked(_LEVELS[asked.group(1).lower()])
                return self
        if not (wrapper._reads_unlocked and wrapper._begin_due and query.lstrip()[:6].lower() == "select"):
            wrapper._begin_pending()
        connection = wrapper.connection
        before = connection.total_changes
        result = super().execute(query, params)
        schema = query.lstrip()[:7].lower().startswith(_SCHEMA_WORDS)
        if schema and connection.in_transaction:
            wrapper._schema_changed = True  # total_changes counts rows only
        changed = connection.total_changes != before or schema
        if wrapper._flush_each and not connection.in_transaction and changed:
            wrapper._flush_log()
        return result

    def executemany(self, query, param_list):
        wrapper = self.wrapper
        wrapper._begin_pending()
        connection = wrapper.connection
        before = connection.total_changes
        result = super().executemany(query, param_list)
        if wrapper._flush_each and not connection.in_transaction and connection.total_changes != before:
            wrapper._flush_log()
        return result

    def executescript(self, script):
        self.wrapper._begin_pending()
        self.wrapper._schema_changed = True  # a script may hold anything
        result = super().executescript(script)
        if self.wrapper._flush_each and not self.wrapper.connection.in_transaction:
            self.wrapper._flush_log()
        return result


class DatabaseWrapper(base.DatabaseWrapper):
    _begin_due = False
    #: the commit flushes the log itself (write-ahead log, SQLite at synchronous=NORMAL)
    _flush_own = False
    #: ... and the connection has not asked for fewer flushes
    _flush_each = False
    _log_path = ""
    #: (process, descriptor) of the write-ahead log, open while the connection is
    _log_fd = None
    #: the ``synchronous`` level the connection asked for (what ``PRAGMA synchronous`` answers)
    _level = 2
    #: the process's write lock of this database file, while this connection's transaction holds it
    _holding = None
    #: SQLite's ``total_changes`` when the transaction's ``BEGIN`` went out (None: not begun)
    _changes_at_begin = None
    #: the open transaction changed the schema (not counted by ``total_changes``)
    _schema_changed = False
    #: inside :meth:`reads_before_begin`
    _reads_unlocked = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        self._begin_due = False
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        (level,) = conn.execute("PRAGMA synchronous").fetchone()
        self._flush_own = mode.lower() == "wal" and level >= 2 and not self.is_in_memory_db()
        self._flush_each = self._flush_own
        self._level = level
        if self._flush_own:
            conn.execute("PRAGMA synchronous=NORMAL")
            self._log_path = f"{self.settings_dict['NAME']}-wal"
        return conn

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=LazyBeginCursor)
        cursor.wrapper = self
        return cursor

    def _synchronous_asked(self, level: int) -> None:
        """``PRAGMA synchronous=…`` on a connection whose commits flush themselves: FULL (or
        EXTRA) keeps that; NORMAL or OFF is given to SQLite and the own flush stops."""
        self._flush_each = level >= 2
        self._level = level
        with self.wrap_database_errors:
            self.connection.execute(f"PRAGMA synchronous={min(level, 1)}")

    def _flush_log(self) -> None:
        """Put the write-ahead log on the disk (what SQLite's FULL does inside the commit, with
        ``fdatasync`` as SQLite's own). The log file stays open for the connection's next flushes:
        SQLite removes the log only when the database's last connection closes, and this one is
        open."""
        if self._log_fd is None or self._log_fd[0] != os.getpid():
            try:
                self._log_fd = (os.getpid(), os.open(self._log_path, os.O_RDONLY))
            except FileNotFoundError:
                return  # the last connection checkpointed the log into the database and flushed it
        os.fdatasync(self._log_fd[1])

    def _log_close(self) -> None:
        opened, self._log_fd = self._log_fd, None
        if opened is not None and opened[0] == os.getpid():
            os.close(opened[1])

    def _start_transaction_under_autocommit(self):
        self._begin_due = True

    def _take_turn(self) -> None:
        """Wait for this thread's turn at the write lock (in the process, then among the
        processes), where the connection's commits flush themselves."""
        if self._flush_own and self._holding is None:
            turn = _write_lock(self.settings_dict["NAME"])
            if turn.owner != threading.get_ident():  # else: a second connection of the holder
                timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
                if not turn.lock.acquire(timeout=timeout):
                    raise self.Database.OperationalError("database is locked")
                if not turn.between_processes(timeout):
                    turn.lock.release()
                    raise self.Database.OperationalError("database is locked")
                turn.owner = threading.get_ident()
                self._holding = turn

    def _begin_pending(self):
        if self._begin_due:
            self._begin_due = False
            self._take_turn()
            try:
                super()._start_transaction_under_autocommit()
            except BaseException:
                self._release()
                raise
            self._changes_at_begin = self.connection.total_changes

    def transaction_apart(self, work: Callable[[Any], T]) -> T:
        """``work(cursor)`` in a write transaction of its own, sent to SQLite itself: the turn at
        the write lock, ``BEGIN IMMEDIATE``, ``work`` with a cursor of the ``sqlite3`` module
        (``?`` placeholders, values as the database takes them), ``COMMIT`` (``ROLLBACK`` when
        ``work`` raises), then the flush of the log. What ``atomic`` and Django's cursors do
        around each statement is left out: for the many small transactions of the engine's audit
        writer it cost several times the statements themselves. Not inside ``atomic``; errors are
        Django's database errors, as from a Django cursor."""
        if self.in_atomic_block:
            raise TransactionManagementError("transaction_apart() cannot run inside atomic().")
        self.ensure_connection()
        with self.wrap_database_errors:
            self._take_turn()
            try:
                cursor = self.connection.cursor()
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    result = work(cursor)
                    cursor.execute("COMMIT")
                except BaseException:
                    if self.connection.in_transaction:
                        with contextlib.suppress(self.Database.Error):
                            cursor.execute("ROLLBACK")
                    raise
                finally:
                    cursor.close()
            finally:
                self._release()
        if self._flush_each:
            self._flush_log()
        return result

    @contextlib.contextmanager
    def reads_before_begin(self):
        """``SELECT`` statements sent inside this block while the transaction's ``BEGIN`` is still
        due run before it, outside the transaction: they read the latest committed rows and take
        no lock. Once the ``BEGIN`` has gone out (the transaction wrote or reserved something),
        they are the transaction's own reads as usual."""
        saved, self._reads_unlocked = self._reads_unlocked, True
        try:
            yield
        finally:
            self._reads_unlocked = saved

    def transaction_changed(self) -> bool:
        """Whether the open transaction has changed a row so far (False when it has sent no
        statement yet: its ``BEGIN`` is still due)."""
        if self._changes_at_begin is None or self.connection is None:
            return False
        return self._schema_changed or self.connection.total_changes != self._changes_at_begin

    def _release(self) -> None:
        turn, self._holding = self._holding, None
        if turn is not None:
            turn.owner = None
            try:
                turn.between_processes_end()
            finally:
                turn.lock.release()

    def _commit(self):
        self._begin_due = False
        began = self.connection is not None and self.connection.in_transaction
        changed = began and self.transaction_changed()
        self._changes_at_begin = None
        self._schema_changed = False
        try:
            result = super()._commit()
        finally:
            self._release()
        if changed and self._flush_each:
            self._flush_log()
        return result

    def _rollback(self):
        self._begin_due = False
        self._changes_at_begin = None
        self._schema_changed = False
        try:
            return super()._rollback()
        finally:
            self._release()

    def _set_autocommit(self, autocommit):
        self._begin_due = False
        return super()._set_autocommit(autocommit)

    def _close(self):
        self._begin_due = False
        self._changes_at_begin = None
        self._schema_changed = False
        try:
            return super()._close()
        finally:
            self._log_close()
            self._release()
