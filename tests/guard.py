"""The guard that finds every change of the portal's state made outside the engine.

While a test runs, every SQL write (INSERT, UPDATE, DELETE: ``save``, ``delete``, ``update()``,
``bulk_create()``, ``bulk_update()``, many-to-many changes) to a table of one of the portal's own
apps (every installed app whose code lies in this repository, new ones included) and every
directory write (the gateway's ``directory_written`` signal) is checked. Outside a running engine
batch (``portal.engine.batch_current()``), or inside one while only read procedures (``reads``,
which run with no transaction of their own) have been called in it, the write is a violation (and
so is a read's row lock, ``SELECT … FOR UPDATE``, which PostgreSQL refuses outside a transaction),
unless

- it is a job's own bookkeeping (``Job``, ``JobItem``: progress and result rows of a running job)
  or the engine's journal of directory intent (``JournalBatch``, ``JournalChunk``: written on its
  own connection, outside the batch's transaction, by the engine and its recovery);
- it is Django's login bookkeeping: ``last_login`` and django-auth-ldap's mirror of the directory
  user at login (sessions are not a table of the portal's apps);
- the test arranged it: the first frame of the repository's code that led to the write, leaving
  out Django, libraries and the write mechanism itself (the models' own ``save``, the directory
  package's session), lies in ``tests/`` or in the benchmarks' data loaders (``bench/``).

SQL writes are watched below the ORM (a connection's ``execute_wrapper``, on every connection, job
threads included, through Django's ``connection_created`` signal), because the model signals
(``pre_save``, ``pre_delete``) stay silent for ``update()``, ``bulk_create()``, ``bulk_update()``
and fast deletes.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_HARNESS = (str(ROOT / "tests") + "/", str(ROOT / "bench") + "/")
_SKIPPED_FILES = {str(Path(__file__).resolve()), str(ROOT / "portal" / "directory" / "gateway.py")}
_LOCK = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)
_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.IGNORECASE)
#: bookkeeping of the jobs themselves (portal.jobs), written outside batches on purpose
_EXEMPT_MODELS = {"portal.job", "portal.jobitem", "journal.journalbatch", "journal.journalchunk"}


@dataclass(frozen=True)
class Violation:
    """A write outside the engine: what was written and the repository's code that wrote it."""

    what: str
    where: str

    def __str__(self) -> str:
        return f"{self.what} from {self.where}"


def _in_repository(filename: str) -> bool:
    return filename.startswith(str(ROOT)) and "/.venv/" not in filename and "site-packages" not in filename


def _write_mechanism(module: str, filename: str) -> bool:
    """Frames that only carry a write out (the ORM, a model's own ``save``, the guard itself)."""
    return (
        module.startswith(("django.db", "django.dispatch"))
        or module.endswith(".models")
        or ".models." in module
        or filename in _SKIPPED_FILES
    )


def _origin() -> str | None:
    """Where the repository's code made the write (``path:line in function``, with the innermost
    code that is not the write mechanism when that lies outside the repository, such as a Django
    admin form); None when the write is allowed (login bookkeeping, arranged by the test, or made
    by no code of the repository)."""
    frame = sys._getframe(1)
    origin = via = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        filename = frame.f_code.co_filename
        if module.startswith("django_auth_ldap") or (
            module == "django.contrib.auth.models" and frame.f_code.co_name == "update_last_login"
        ):
            return None  # login bookkeeping
        if origin is None and not _write_mechanism(module, filename):
            if _in_repository(filename):
                if filename.startswith(_HARNESS):
                    return None  # the test arranges its data
                relative = Path(filename).relative_to(ROOT)
                origin = f"{relative}:{frame.f_lineno} in {frame.f_code.co_name}"
                if via is not None:
                    origin += f" (via {via})"
            elif via is None:
                via = f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return origin


class StateGuard:
    """Collects the violations of one test (see the module's docstring)."""

    def __init__(self, tables: dict[str, str]) -> None:
        self.tables = tables  # table name (lower case) -> app_label.ModelName
        self.violations: list[Violation] = []
        self._lock = threading.Lock()

    def _found(self, what: str) -> None:
        from portal.engine import batch_current

        batch = batch_current()
        if batch is not None:
            if batch.writing or batch.journal.current is None:
                return
            # a read procedure's call (its batch opens no transaction for reads): reads change nothing
            what += " by a read procedure"
        where = _origin()
        if where is not None:
            with self._lock:
                self.violations.append(Violation(what, where))

    def sql(self, sql: str) -> None:
        """Check one SQL statement about to run."""
        match = _WRITE.match(sql)
        if match is None:
            if _LOCK.search(sql):
                self._locked(sql)
            return
        model = self.tables.get(match.group(1).lower())
        if model is None or model.lower() in _EXEMPT_MODELS:
            return
        self._found(f"{sql.split(None, 1)[0].upper()} of {model}")

    def _locked(self, sql: str) -> None:
        """A row lock (``SELECT … FOR UPDATE``, PostgreSQL's) taken by a read procedure: a batch of
        reads runs in no transaction, where PostgreSQL refuses the lock."""
        from portal.engine import batch_current

        batch = batch_current()
        if batch is None or batch.writing or batch.journal.current is None:
            return
        where = _origin()
        if where is not None:
            with self._lock:
                self.violations.append(Violation("SELECT … FOR UPDATE by a read procedure", where))

    def directory(self, operation: str, dn: str) -> None:
        """Check one directory write that the server accepted."""
        self._found(f"directory {operation} of {dn}")

    def take(self) -> list[str]:
        """The violations found so far, as text, forgetting them."""
        with self._lock:
            found, self.violations = [str(item) for item in self.violations], []
        return found


_active: StateGuard | None = None


def _execute(execute, sql, params, many, context):
    guard = _active
    if guard is not None and isinstance(sql, str):
        guard.sql(sql)
    return execute(sql, params, many, context)


def _attach(connection) -> None:
    if _execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(_execute)


def _connection_created(sender, connection, **kwargs) -> None:
    _attach(connection)


def _directory_written(sender, operation: str, dn: str, **kwargs) -> None:
    guard = _active
    if guard is not None:
        guard.directory(operation, dn)


@functools.cache
def portal_tables() -> dict[str, str]:
    """Every table of an installed app whose code lies in this repository, to its model's name."""
    from django.apps import apps

    labels = {
        config.label for config in apps.get_app_configs() if _in_repository(str(Path(config.path)) + "/")
    }
    return {
        model._meta.db_table.lower(): model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels
    }


def guard_start(tables: dict[str, str]) -> StateGuard:
    """Start watching: every connection, present and future, and the directory."""
    global _active
    from django.db import connections
    from django.db.backends.signals import connection_created

    from portal.directory import directory_written

    _active = StateGuard(tables)
    for connection in connections.all(initialized_only=True):
        _attach(connection)
    connection_created.connect(_connection_created, dispatch_uid="portal-state-guard")
    directory_written.connect(_directory_written, dispatch_uid="portal-state-guard")
    return _active


def guard_stop() -> None:
    """Stop watching (wrappers left on other threads' connections do nothing without a guard)."""
    global _active
    from django.db import connections
    from django.db.backends.signals import connection_created

    from portal.directory import directory_written

    _active = None
    connection_created.disconnect(dispatch_uid="portal-state-guard")
    directory_written.disconnect(dispatch_uid="portal-state-guard")
    for connection in connections.all(initialized_only=True):
        if _execute in connection.execute_wrappers:
            connection.execute_wrappers.remove(_execute)
