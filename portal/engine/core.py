"""The procedure engine: every state change of the portal runs here.

A door opens a :class:`Batch` for its caller and runs one or more calls in it. The batch is one
durable database transaction (never part of an outer one; many independent calls run as a
:class:`BatchSeries`, one batch each), opened when its first call that may write begins: a batch
of read procedures (``reads``) only opens none, and its reads see the latest committed rows. Every
directory write records its undo in the batch's journal; when any call fails, the undos run in
reverse order, the transaction rolls back and the error reaches the door.
Every call, nested ones included, becomes an append-only :class:`~portal.models.AuditRecord`:
inside the transaction when the batch commits, after the rollback when it fails.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime as dt
import enum
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import Error as DatabaseFailure
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from portal.directory import (
    DirectoryGateway,
    DirectorySession,
    Entry,
    default_gateway,
    dn_is_within,
    dn_key,
    get_gateway,
)
from portal.engine.audit_writer import AuditWriter, changed_nothing
from portal.engine.journal import (
    BatchJournal,
    CommitLost,
    batch_committed,
    running_add,
    running_remove,
    undo_steps,
)
from portal.engine.registry import Procedure, lookup, split_name
from portal.engine.schema import jsonable
from portal.engine.security import DOMAIN_ADMINS, Caller, require_scope
from portal.errors import AccessDenied, InvalidArgument, NotFound, PortalError, database_error

log = logging.getLogger(__name__)


class Impersonate(enum.IntEnum):
    """As whom a call runs: the MPS ``impersonate`` attribute, the REST ``impersonate`` field and
    the audit record's ``impersonate`` column all hold these numbers."""

    #: the identity of the call it is nested in (a top-level call: the caller)
    INHERIT = 0
    #: the caller who made the request
    CALLER = 1
    #: the portal's own service identity (a door asks for it only for DomainAdmins)
    SERVICE = 2


#: the numbers ``impersonate`` may take
_IMPERSONATE_VALUES = tuple(Impersonate)

_current_batch: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("portal_batch", default=None)


def batch_current() -> Batch | None:
    """The batch running in this thread (or task), or None: a write of the portal's state with no
    batch around it went past the engine (the test suite's guard asks this)."""
    return _current_batch.get()


class InternalError(PortalError):
    """An unexpected failure inside a procedure; the cause is logged, not shown."""

    code = 0x80004005
    status = 500
    name = "InternalError"


@dataclass
class _Record:
    """The audit record of one call while the batch runs."""

    sequence: int
    parent: _Record | None
    namespace: str
    name: str
    caller: Caller
    identity: Caller
    impersonate: int
    input: object
    started_at: dt.datetime
    started: float
    subject: str = ""
    output: object = None
    error: PortalError | None = None
    duration_ms: Decimal = Decimal("0")
    undone: list[str] = field(default_factory=list)
    undo_failed: list[str] = field(default_factory=list)
    rolled_back: bool = False


def _masked_guess(data: object) -> object:
    """Input of a call whose schema is not known yet: mask whatever looks like a secret."""
    if not isinstance(data, Mapping):
        return jsonable(data)
    return {
        str(key): "***"
        if any(word in str(key).lower() for word in ("password", "secret"))
        else jsonable(value)
        for key, value in data.items()
    }


class CallContext:
    """What a running procedure sees: who called, as whom, its arguments and the directory."""

    def __init__(self, batch: Batch, record: _Record, proc: Procedure, args: dict, raw: Mapping) -> None:
        self.batch = batch
        self.procedure = proc
        self._record = record
        self.caller = record.caller
        self.identity = record.identity
        self.args = args
        self.raw = raw
        self._directory: DirectorySession | None = None

    @property
    def door(self) -> str:
        """The door the batch came through (``mps``, ``api``, ``page``, ``soap``, ``command``)."""
        return self.batch.door

    @property
    def directory(self) -> DirectorySession:
        """The directory of this call's ``preferredDomainController``, its writes journaled."""
        if self._directory is None:
            name = self.args.get("preferredDomainController")
            gateway = self.batch.gateway_named(name) if name else default_gateway()
            self._directory = DirectorySession(gateway, self.batch.journal, self.batch.entry_cache)
            # entries the door read before the batch, put in the cache once per domain controller
            # (later calls must not bring back an entry that a write of this batch made stale)
            known = self.batch.known_entries.pop(gateway.name.lower(), ())
            for entry in known:
                self._directory.remember(entry)
        return self._directory

    @property
    def lineage(self) -> list[str]:
        """``Namespace::Procedure`` of this call and of every call it is nested in, innermost
        first (a step that marks what it processed can name the procedures it ran for)."""
        names, record = [], self._record
        while record is not None:
            names.append(f"{record.namespace}::{record.name}")
            record = record.parent
        return names

    def moved(self, dn: str) -> None:
        """Name the object this call moved in as its audit subject (instead of the place it was
        moved from, which no page reaches any more), and as that of the calls it is nested in that
        named the same object, so the move is a line of the object's history at its new place."""
        parent_subject, record = self._record.subject, self._record
        while record is not None and record.subject == parent_subject:
            record.subject = dn_key(dn)
            record = record.parent

    def call(self, full_name: str, data: Mapping, *, impersonate: int = Impersonate.INHERIT) -> dict:
        """Run another procedure as a nested step of this one."""
        return self.batch._run(full_name, data, impersonate=impersonate, parent=self._record)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report how far a long procedure has come (shown by the job that runs it, if any)."""
        if self.batch.progress is not None:
            self.batch.progress(done, total)

    def mirror(self) -> dict:
        """A copy of the input as given: "A successful request will mirror the input data"."""
        return _copied(dict(self.raw))

    def require_scope(self, dn: str, *, argument: str = "path") -> None:
        """Refuse a DN outside the identity's scope."""
        require_scope(self.identity, dn, argument=argument)


_IMMUTABLE = (str, int, float, Decimal, bool, type(None), uuid.UUID)


def _copied(value):
    """A deep copy of data as the doors hand it over (dicts, lists and plain values): what
    ``copy.deepcopy`` answers, without its bookkeeping for shared and cyclic objects, which such
    data does not hold (anything else is copied by ``copy.deepcopy``)."""
    if isinstance(value, _IMMUTABLE):
        return value
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) for item in value]
    return copy.deepcopy(value)


class _AuditInsert:
    """The audit table's INSERT for one kind of database, prepared once: the column list, the
    statement text and, per column, how its value is made ready for the database (the field's own
    ``get_db_prep_value`` for the JSON, UUID, date and decimal columns, given values of the
    field's own Python type as ``_audit_values`` makes them; text and numbers as they are)."""

    _prepared: dict[tuple[str, str], _AuditInsert] = {}

    def __init__(self, connection) -> None:
        from django.db import models

        from portal.models import AuditRecord

        meta = AuditRecord._meta
        fields = [f for f in meta.concrete_fields if f.attname not in ("id", "batch")]
        self.batch_field = meta.get_field("batch")
        self.fields = [self.batch_field, *fields]
        plain = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)
        self.prepare = [(f.attname, None if isinstance(f, plain) else f.get_db_prep_value) for f in fields]
        quote = connection.ops.quote_name
        names = ", ".join(quote(f.column) for f in [self.batch_field, *fields])
        self.row_marks = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        # only quoted table and column names go into the text; the values are parameters
        self.head = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608
        # the new keys come back with each row's batch and sequence (unique together): the order
        # of the rows of a RETURNING is not promised
        self.tail = (
            f" RETURNING {quote(meta.pk.column)}, {quote(self.batch_field.column)}, "
            f"{quote(meta.get_field('sequence').column)}"
        )
        # the same INSERT as SQLite takes it itself (``transaction_apart``): one row per execution,
        # with the key given (nested records point at their parent's) or left to the database
        table, key = quote(meta.db_table), quote(meta.pk.column)
        marks = ", ".join(["?"] * (len(fields) + 1))
        self.apart = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        self.apart_keyed = f"INSERT INTO {table} ({key}, {names}) VALUES (?, {marks})"  # noqa: S608
        # the first key free: above every key given so far (AUTOINCREMENT keeps the highest in
        # sqlite_sequence, also of rows gone) and above every row there
        self.next_key = (
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "  # noqa: S608
            f"COALESCE((SELECT MAX({key}) FROM {table}), 0)) + 1"
        )
        self.table = meta.db_table
        self.parent_column = 1 + [name for name, _ in self.prepare].index("parent_id")

    @classmethod
    def get(cls, connection) -> _AuditInsert:
        key = (connection.alias, connection.vendor)
        found = cls._prepared.get(key)
        if found is None:
            found = cls._prepared[key] = cls(connection)
        return found

    def values(self, row: dict, batch: uuid.UUID, connection) -> list:
        out = [self.batch_field.get_db_prep_value(batch, connection, True)]
        for name, prepare in self.prepare:
            value = row[name]
            if prepare is not None and value is not None:
                value = prepare(value, connection, True)
            out.append(value)
        return out

    def run(self, cursor, rows: list[list], connection, *, keys_wanted: bool = True) -> dict[tuple, int]:
        """Insert ``rows``, as many in one statement as the database takes parameters for (as
        ``bulk_create`` divides them); their new keys by (batch as stored, sequence), when
        ``keys_wanted`` (the rows of the last level have no nested rows to point at them)."""
        size = max(1, connection.ops.bulk_batch_size(self.fields, rows))
        keys: dict[tuple, int] = {}
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = self.head + ", ".join([self.row_marks] * len(chunk)) + (self.tail if keys_wanted else "")
            cursor.execute(sql, [value for row in chunk for value in row])
            if keys_wanted:
                keys.update({(batch, sequence): key for key, batch, sequence in cursor.fetchall()})
        return keys


def _call_fields(record: _Record) -> dict:
    """What the journal's copy of a call and its audit record share: who, as whom, what, on what."""
    return {
        "caller": record.caller.username,
        "caller_dn": record.caller.dn or "",
        "acting_as": record.identity.username,
        "impersonate": int(record.impersonate),
        "namespace": record.namespace,
        "procedure": record.name,
        "input": record.input if isinstance(record.input, dict) else {"value": record.input},
        "subject": record.subject,
    }


def audit_write(batches: list[Batch]) -> None:
    """Insert the audit records of ``batches`` in the open transaction: one INSERT per nesting
    level for all of them (a record's parent is written, and has its key, before the record).

    The rows go through one prepared statement per level (:class:`_AuditInsert`), not through
    model instances and the ORM's compiler: the same columns and values, for a fraction of the
    CPU; a backend that cannot answer the new keys of an INSERT takes the ORM's way."""
    from portal.models import AuditRecord

    connection = connections[router.db_for_write(AuditRecord)]
    if not connection.features.can_return_columns_from_insert:
        for batch in batches:
            batch._write_audit_models()
        return
    insert = _AuditInsert.get(connection)
    keys: dict[int, int] = {}
    levels: dict[int, list[tuple[Batch, _Record]]] = {}
    for batch in batches:
        for record in batch.records:
            depth, parent = 0, record.parent
            while parent is not None:
                depth, parent = depth + 1, parent.parent
            levels.setdefault(depth, []).append((batch, record))
    last = max(levels, default=0)
    with connection.cursor() as cursor:
        for depth in sorted(levels):
            pairs = levels[depth]
            rows = [
                insert.values(
                    batch._audit_values(record, keys[id(record.parent)] if record.parent else None),
                    batch.id,
                    connection,
                )
                for batch, record in pairs
            ]
            written = insert.run(cursor, rows, connection, keys_wanted=depth < last)
            if depth < last:
                for (_, record), row in zip(pairs, rows, strict=True):
                    keys[id(record)] = written[(row[0], record.sequence)]


def audit_write_apart(batches: list[Batch]) -> None:
    """The audit writer's insert (SQLite): the records of ``batches`` in one transaction of their
    own, sent to SQLite itself (the backend's ``transaction_apart``), their values made ready
    before the write lock is taken. Nested records get their keys here, in that transaction (the
    write lock is held: no other writer takes keys meanwhile), so that they can point at their
    parent's."""
    from portal.models import AuditRecord

    connection = connections[router.db_for_write(AuditRecord)]
    insert = _AuditInsert.get(connection)
    rows: list[tuple[_Record, list]] = [
        (record, insert.values(batch._audit_values(record, None), batch.id, connection))
        for batch in batches
        for record in batch.records
    ]
    keyed = any(record.parent is not None for record, _ in rows)

    def work(cursor) -> None:
        if not keyed:
            cursor.executemany(insert.apart, [values for _, values in rows])
            return
        cursor.execute(insert.next_key, [insert.table])
        (first,) = cursor.fetchone()
        keys = {id(record): first + number for number, (record, _) in enumerate(rows)}
        for record, values in rows:
            if record.parent is not None:
                values[insert.parent_column] = keys[id(record.parent)]
        cursor.executemany(insert.apart_keyed, [[keys[id(record)], *values] for record, values in rows])

    connection.transaction_apart(work)


#: the process's audit writer (``portal/engine/audit_writer.py``)
audit_writer = AuditWriter(audit_write_apart)


class Batch:
    """One transaction holding one or more top-level calls of one caller through one door.

    Used as a context manager; entering it inside another transaction raises ``RuntimeError``
    (a durable atomic block), and while it runs :func:`batch_current` answers it. Its transaction
    begins with its first call that is not a read procedure (a read changes nothing: it needs
    none, and on SQLite it would take the write lock's turn)."""

    def __init__(
        self,
        caller: Caller,
        door: str,
        *,
        known_entries: Mapping[str, Iterable[Entry]] | None = None,
        progress: Callable[..., None] | None = None,
    ) -> None:
        """``known_entries``: entries the door has already read, by domain controller name (a bulk
        import reads the target organization once, not once per row); the batch's directory reads
        start from them. ``progress``: where long procedures report how far they are (a job)."""
        self.caller = caller
        self.door = door
        self.progress = progress
        self.id = uuid.uuid4()
        self.journal = BatchJournal(self)
        self.records: list[_Record] = []
        self.entry_cache: dict = {}
        self.known_entries = {name.lower(): tuple(found) for name, found in (known_entries or {}).items()}
        self.do_not_log: dict[str, str] = {}
        self._gateways: dict[str, DirectoryGateway] = {}
        self._atomic = None
        #: whether a call that may write (not a read procedure) has begun: the batch's database
        #: transaction is open from then on
        self.writing = False
        self._marker: contextvars.Token | None = None

    def __enter__(self) -> Batch:
        # Whether this batch's end is a real COMMIT (not so inside a test case's transaction).
        self._outermost = not connections["default"].in_atomic_block
        if not self._outermost:
            # inside another transaction: a test case's (the batch is a savepoint of it), or
            # refused at once anywhere else (durable)
            self._transaction_begin()
        self._marker = _current_batch.set(self)
        running_add(self.id)
        return self

    def _transaction_begin(self) -> None:
        """Open the batch's database transaction, if it is not open yet: when its first call that
        may write begins (a batch of reads only never opens one), or at its end, for its audit
        records where they commit with it.

        Durable: a batch is never a savepoint of someone else's transaction, so that when it
        ends its directory writes and its database rows are committed together (an outer
        rollback would otherwise drop the rows and leave the directory writes behind)."""
        if self._atomic is None:
            atomic = transaction.atomic(durable=True)
            atomic.__enter__()
            self._atomic = atomic

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is None and self._outermost and not self.journal.row and changed_nothing():
                self._finish_unchanged()
                return False
            if exc is None:
                try:
                    self._transaction_begin()  # where the records commit with the batch
                    self._write_audit()
                except Exception as audit_exc:  # the change must not commit without its audit
                    self._fail(type(audit_exc), audit_exc, audit_exc.__traceback__)
                    if isinstance(audit_exc, PortalError):
                        raise
                    raise CommitLost(
                        "The database failed while the request was being finished; nothing was "
                        "changed. Try again."
                    ) from audit_exc
                backend = self._backend_pid()
                try:
                    self._atomic.__exit__(None, None, None)
                except DatabaseFailure as commit_exc:
                    if not self._outermost:
                        raise
                    self._commit_lost(commit_exc, backend)
                    return False
                self.journal.committed()
                return False
            self._fail(exc_type, exc, tb)
            return False
        finally:
            running_remove(self.id)
            _current_batch.reset(self._marker)

    def _finish_unchanged(self) -> None:
        """The end of a batch that changed nothing (no directory write, no row): its transaction
        ends with nothing to commit, and its audit records go to the process's audit writer, which
        commits them with those of the other batches waiting at that moment
        (``portal/engine/audit_writer.py``). If they cannot be committed, the batch fails as one
        whose audit failed (the journal keeps the records when the database cannot take them)."""
        if self._atomic is not None:
            self._atomic.__exit__(None, None, None)
        try:
            audit_writer.write(self)
        except Exception as audit_exc:
            self._rolled_back([], [])
            self._audit_or_journal(rolled_back=True, errors=[], undone=[], failed=[])
            if isinstance(audit_exc, PortalError):
                raise
            raise CommitLost(
                "The database failed while the request was being finished; nothing was changed. Try again."
            ) from audit_exc

    def call(
        self,
        full_name: str,
        data: Mapping | None,
        *,
        impersonate: int = Impersonate.CALLER,
        do_not_log: Mapping[str, str] | None = None,
    ) -> dict:
        """Run a top-level call of the batch; returns the output ``executeData`` mapping.

        ``do_not_log`` maps the names of input values a door was told never to write
        (``do-not-log="1"``) to those values: they are masked, at any depth, in the audit record
        of this call and of the calls it makes, and blotted out of any error text."""
        if do_not_log:
            self.do_not_log.update({name: value for name, value in do_not_log.items()})
        return self._run(full_name, data or {}, impersonate=impersonate, parent=None)

    def _masked(self, value: object) -> object:
        """``value`` with every do-not-log name's value masked, at any depth."""
        if not self.do_not_log:
            return value
        if isinstance(value, Mapping):
            return {
                key: (
                    "***" if key in self.do_not_log and value[key] not in (None, "") else self._masked(item)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        return value

    def gateway_named(self, name: str) -> DirectoryGateway:
        """The gateway of the domain controller ``name`` (:func:`get_gateway`: an unknown name is
        refused), looked up once per batch."""
        found = self._gateways.get(name)
        if found is None:
            found = self._gateways[name] = get_gateway(name)
        return found

    def scrub(self, err: PortalError) -> None:
        """Blot the do-not-log values out of an error's text (a refusal may quote the value)."""
        for secret in self.do_not_log.values():
            if secret and secret in err.text:
                err.text = err.text.replace(secret, "***")
                err.args = (err.text,)

    # --- running ---------------------------------------------------------------------------
    def _identity(self, impersonate: int, parent: _Record | None) -> Caller:
        if impersonate == Impersonate.SERVICE:
            # A door may ask for the service identity only for DomainAdmins; procedures may use it.
            if parent is None and DOMAIN_ADMINS not in self.caller.roles:
                raise AccessDenied(
                    f"{self.caller.username} may not run a call as the portal's service identity "
                    '(impersonate="2"): it requires DomainAdmins.'
                )
            return Caller.service()
        if impersonate == Impersonate.INHERIT and parent is not None:
            return parent.identity
        return self.caller

    def _run(self, full_name: str, data: Mapping, *, impersonate: int, parent: _Record | None) -> dict:
        namespace, name = split_name(full_name)
        record = _Record(
            sequence=len(self.records),
            parent=parent,
            namespace=namespace,
            name=name,
            caller=self.caller,
            identity=parent.identity if parent else self.caller,
            impersonate=impersonate,
            input=None,
            started_at=timezone.now(),
            started=time.perf_counter(),
        )
        self.records.append(record)
        outer = self.journal.current
        self.journal.current = record
        try:
            try:
                proc = lookup(namespace, name)
            except PortalError:
                record.input = _masked_guess(self._masked(data))
                raise
            record.namespace, record.name = proc.namespace, proc.name
            record.input = jsonable(self._masked(proc.schema.masked(data)))
            if parent is None and proc.private:
                raise AccessDenied(
                    f"The procedure {proc.full_name} is private: only other procedures run it."
                )
            if impersonate not in _IMPERSONATE_VALUES:
                raise InvalidArgument(f'impersonate="{impersonate}" is not 0, 1 or 2.')
            identity = record.identity = self._identity(impersonate, parent)
            args = proc.schema.validate(data)
            record.subject = self._check_arguments(proc, identity, args)
            proc.security.enforce(identity, args)
            if not proc.reads and not self.writing:
                # the first call that may write: the batch's transaction begins (the reads
                # before it read the latest committed rows, as each statement of a transaction
                # at PostgreSQL's READ COMMITTED does)
                self.writing = True
                self._transaction_begin()
            raw = data if type(data) is dict or isinstance(data, Mapping) else {}
            ctx = CallContext(self, record, proc, args, raw)
            result = proc.fn(ctx, **args)
            if result is None:
                result = ctx.mirror()
            record.output = jsonable(self._masked(proc.schema.masked(result)))
            return result
        except PortalError as err:
            self.scrub(err)
            err.sources.append((record.namespace, record.name))
            record.error = err
            if isinstance(err, AccessDenied | NotFound):
                # A refused or unfound call belongs to its caller's history, never to the history
                # of an object it named (which may be another tenant's).
                record.subject = dn_key(record.caller.dn) if record.caller.dn else ""
            raise
        except Exception as exc:
            full = f"{record.namespace}::{record.name}"
            # a duplicate refused by a unique constraint is a Conflict, a lost database a 503
            err = database_error(exc)
            if err is None:
                log.exception("procedure %s failed", full)
                err = InternalError(f"The procedure {full} failed unexpectedly; the error was logged.")
            else:
                log.warning("procedure %s: %s (%r)", full, err.name, exc)
            err.sources.append((record.namespace, record.name))
            record.error = err
            raise err from exc
        finally:
            self.journal.current = outer
            record.duration_ms = Decimal(str(round((time.perf_counter() - record.started) * 1000, 3)))

    def _check_arguments(self, proc: Procedure, identity: Caller, args: dict) -> str:
        """Checks that need no directory: the domain controller is known, every path lies in the
        hosting tree and in the identity's scope. Returns the call's subject for the audit."""
        if args.get("preferredDomainController"):
            self.gateway_named(args["preferredDomainController"])
        hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
        subject = ""
        for arg in proc.schema.args:
            value = args.get(arg.name)
            if value is None:
                continue
            if arg.kind == "path":
                if arg.in_hosting_root and not dn_is_within(value, hosting_root):
                    raise AccessDenied(
                        f"<{arg.name}> {value} lies outside the hosting tree {hosting_root}.",
                        field=arg.name,
                    )
                if arg.scoped:
                    require_scope(identity, value, argument=arg.name)
                subject = subject or dn_key(value)
            elif arg.kind == "guid":
                subject = subject or "{" + str(value) + "}"
            elif arg.subject:
                subject = subject or f"{arg.name}:{str(value).lower()}"
        return subject

    # --- ending ----------------------------------------------------------------------------
    def _fail(self, exc_type, exc, tb) -> None:
        finished: list[int] = []
        undone, failed, errors = undo_steps(self.journal.steps, finished)
        self.journal.finished(finished)
        if self._atomic is not None:
            self._atomic.__exit__(exc_type, exc, tb)
        self._rolled_back(undone, failed)
        self._audit_or_journal(rolled_back=True, errors=errors, undone=undone, failed=failed)

    def _rolled_back(self, undone: list[str], failed: list[str]) -> None:
        for record in self.records:
            if record.error is None and record.output is not None:
                record.rolled_back = True
        if undone or failed:
            first = self.records[0] if self.records else None
            if first is not None:
                first.undone.extend(undone)
                first.undo_failed.extend(failed)

    def _audit_or_journal(
        self, *, rolled_back: bool | None, errors: list[str], undone: list[str], failed: list[str]
    ) -> bool:
        """Write the audit records of a batch that did not commit, in a transaction of their own;
        what could not be finished (an undo step, the audit) stays in the journal for the
        recovery. Answers whether something was left."""
        audit = None
        if rolled_back is not None:
            try:
                with transaction.atomic():
                    self._write_audit()
            except Exception:
                log.exception("writing the audit records of a failed batch failed; the journal keeps them")
                audit = self._audit_dicts()
        else:
            audit = self._audit_dicts()
        outcome = [*(f"undone: {x}" for x in undone), *(f"undo failed: {x}" for x in failed)]
        return self.journal.ended(
            rolled_back=rolled_back, audit=audit, error="; ".join(errors), outcome=outcome
        )

    def _backend_pid(self) -> int | None:
        """PostgreSQL's server process of the batch's connection (to wait for after a lost COMMIT)."""
        connection = connections["default"]
        if connection.vendor != "postgresql" or connection.connection is None:
            return None
        info = getattr(connection.connection, "info", None)
        return getattr(info, "backend_pid", None)

    def _commit_lost(self, commit_exc: Exception, backend: int | None) -> None:
        """The connection broke while COMMIT ran. Its audit records, written in the same
        transaction, tell on a fresh connection whether it took effect: then the batch succeeded;
        else its directory writes are undone and its audit records written (or journaled), and
        the door is told that nothing was changed. Unknown (the database cannot be asked): the
        directory stays as it is and the recovery decides later."""
        committed = batch_committed(self.id, backend_pid=backend)
        if committed:
            log.warning("batch %s: the connection broke at COMMIT, which took effect", self.id)
            self.journal.committed()
            return
        if committed is None:
            err = CommitLost(
                "The database connection was lost while the request was being committed, and "
                "whether it took effect cannot be told yet; the directory recovery finishes or "
                f"undoes it (batch {self.id})."
            )
            undone, failed, errors = [], [], []
        else:
            finished: list[int] = []
            undone, failed, errors = undo_steps(self.journal.steps, finished)
            self.journal.finished(finished)
            lost = not isinstance(commit_exc, IntegrityError)  # else the database refused it
            err = CommitLost(
                (
                    "The database connection was lost while the request was being committed; nothing "
                    if lost
                    else "The database refused to commit the request; nothing "
                )
                + "was changed"
                + (
                    f" (its directory changes are undone by the directory recovery, batch {self.id})."
                    if failed
                    else ". Try again."
                )
            )
        log.error("batch %s: COMMIT failed (%s)", self.id, commit_exc)
        for record in self.records:
            if record.error is None and record.parent is None:
                record.error = err
        self._rolled_back(undone, failed)
        self._audit_or_journal(
            rolled_back=None if committed is None else True, errors=errors, undone=undone, failed=failed
        )
        raise err from commit_exc

    def call_dict(self, record: _Record) -> dict:
        """A call as the journal keeps it (enough for its audit record if the process dies)."""
        return {
            "batch": str(self.id),
            "sequence": record.sequence,
            "parent_sequence": record.parent.sequence if record.parent else None,
            "started_at": record.started_at.isoformat(),
            **_call_fields(record),
        }

    def _audit_dicts(self) -> list[dict]:
        """The batch's audit records as data (kept by the journal when they cannot be written)."""
        from portal.models import AuditRecord

        out = []
        for record in self.records:
            row = self._audit_row(record, AuditRecord)
            data = {
                field.attname: getattr(row, field.attname)
                for field in AuditRecord._meta.concrete_fields
                if field.attname not in ("id", "parent_id")
            }
            data["parent_sequence"] = record.parent.sequence if record.parent else None
            out.append(data)
        return json.loads(json.dumps(out, cls=DjangoJSONEncoder))

    def _write_audit(self) -> None:
        """Insert the batch's records (:func:`audit_write`)."""
        audit_write([self])

    def _write_audit_models(self) -> None:
        """:meth:`_write_audit` through model instances (a backend without ``RETURNING``)."""
        from django.db import connections, router

        from portal.models import AuditRecord

        saved: dict[int, AuditRecord] = {}
        levels: dict[int, list[tuple[_Record, AuditRecord]]] = {}
        for record in self.records:
            depth, parent = 0, record.parent
            while parent is not None:
                depth, parent = depth + 1, parent.parent
            levels.setdefault(depth, []).append((record, self._audit_row(record, AuditRecord)))
        database = router.db_for_write(AuditRecord)
        in_bulk = connections[database].features.can_return_rows_from_bulk_insert
        for depth in sorted(levels):
            pairs = levels[depth]
            for record, row in pairs:
                row.parent = saved.get(id(record.parent)) if record.parent else None
            if in_bulk and len(pairs) > 1:
                AuditRecord.objects.bulk_create([row for _, row in pairs])
            else:
                for _, row in pairs:
                    row.save(force_insert=True)
            for record, row in pairs:
                saved[id(record)] = row

    def _audit_values(self, record: _Record, parent_id: int | None) -> dict:
        """The column values of a call's audit record (model field ``attname`` to value), as
        :meth:`_audit_row` sets them."""
        err = record.error
        if err:
            status = "failed"
        elif record.rolled_back:
            status = "rolled back"
        else:
            status = "succeeded"
        return {
            "parent_id": parent_id,
            "sequence": record.sequence,
            "started_at": record.started_at,
            "duration_ms": record.duration_ms,
            "door": self.door,
            **_call_fields(record),
            "output": record.output,
            "status": status,
            "error_code": err.hex_code if err else "",
            "error_text": err.text if err else "",
            "undo_log": [
                *(f"undone: {x}" for x in record.undone),
                *(f"undo failed: {x}" for x in record.undo_failed),
            ],
        }

    def _audit_row(self, record: _Record, model):
        """A call's audit record as a model instance (its parent not set)."""
        return model(batch=self.id, **self._audit_values(record, None))


def preflight(
    caller: Caller, full_name: str, data: Mapping | None, *, impersonate: int = Impersonate.CALLER
) -> None:
    """Raise the error that running the call would raise before its first step (unknown
    procedure, bad input, role, scope, domain controller), without running it or auditing.

    For doors that hand the call to a background job: the person hears at once what would refuse.
    """
    namespace, name = split_name(full_name)
    proc = lookup(namespace, name)
    if proc.private:
        raise AccessDenied(f"The procedure {proc.full_name} is private: only other procedures run it.")
    batch = Batch(caller, "preflight")
    identity = batch._identity(impersonate, None)
    args = proc.schema.validate(data or {})
    batch._check_arguments(proc, identity, args)
    proc.security.enforce(identity, args)


def run(
    caller: Caller,
    full_name: str,
    data: Mapping | None,
    *,
    door: str,
    impersonate: int = Impersonate.CALLER,
    known_entries: Mapping[str, Iterable[Entry]] | None = None,
) -> dict:
    """Run one procedure in a batch of its own."""
    with Batch(caller, door, known_entries=known_entries) as batch:
        return batch.call(full_name, data, impersonate=impersonate)


@contextlib.contextmanager
def _flush_deferred() -> Iterator[None]:
    """Let every commit of the series return before the database has flushed it to disk, and
    flush once at the end (SQLite: ``synchronous=NORMAL`` in WAL mode, then a full checkpoint;
    PostgreSQL: ``synchronous_commit=off``, flushed within a fraction of a second)."""
    from portal.models import AuditRecord

    connection = connections[router.db_for_write(AuditRecord)]
    if connection.in_atomic_block:
        # A test case's transaction (the only outer one a durable batch accepts): nothing to flush.
        yield
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.execute("PRAGMA wal_checkpoint(FULL)")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
    else:
        yield


class BatchSeries:
    """Many independent calls of one caller through one door, each a batch of its own that commits
    on its own (the rows of a bulk import: a bad row undoes only itself, never the good rows).

    Used as a context manager around the whole series. Each commit returns without waiting for the
    disk; the database flushes once when the series ends. A power failure during a series can
    lose the last calls' database rows (never corrupt the database) while their directory writes
    stay: a series is for work that can be run again (an import reports existing users as such).
    Like a batch, a series never runs inside an outer transaction.
    """

    def __init__(self, caller: Caller, door: str, *, progress: Callable[..., None] | None = None) -> None:
        self.caller = caller
        self.door = door
        self.progress = progress
        self._flush: contextlib.AbstractContextManager | None = None

    def __enter__(self) -> BatchSeries:
        self._flush = _flush_deferred()
        self._flush.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._flush.__exit__(exc_type, exc, tb)
        return False

    def run(
        self,
        full_name: str,
        data: Mapping | None,
        *,
        impersonate: int = Impersonate.CALLER,
        known_entries: Mapping[str, Iterable[Entry]] | None = None,
    ) -> dict:
        """Run one call as a batch of its own, committed when it returns."""
        with Batch(self.caller, self.door, known_entries=known_entries, progress=self.progress) as batch:
            return batch.call(full_name, data, impersonate=impersonate)
